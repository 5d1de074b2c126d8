//! One PC, two real local users sharing the machines folder and the cache. A file's owner
//! can always change it, so what one user leaves there must never decide what another
//! user's VM boots: unpacked bases are used only when this user or root made them, cached
//! archives are hashed while they are unpacked, pins count only for their owner. And
//! nothing another user plants in a shared folder (a link, a FIFO, a name taken first)
//! makes this user's daemon change, write or wait for anything of this user's own.
//! Needs root (creates users, runs each user's bus, daemon and CLI under their uid).

mod common;
#[path = "trust/pc.rs"]
mod pc;

use common::{assert_refused, assert_said, describe};
use pc::{archives, owner, pc_of_two_users, set_mode, sha256_hex, text, tree};

#[tokio::test(flavor = "multi_thread")]
async fn what_one_user_changed_never_decides_what_another_users_vm_boots() {
    let Some((pc, mut a, mut b)) = pc_of_two_users().await else {
        return;
    };
    a.start_daemon().await;
    b.start_daemon().await;
    let base_sha = sha256_hex(&pc.data.join("vm-demo/base.tar.zst"));
    let hash = &base_sha[..16];

    // A syncs vm-demo and starts it: A is the first, so its base goes to the shared folder.
    let out = a.cli(&["sync", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    a.start_and_stop("vm-demo", "standard").await;
    let a_base = pc.machines.join("vm-demo").join(hash);
    assert!(a_base.is_dir(), "{:?}", tree(&pc.machines));
    assert!(tree(&a_base).iter().all(|f| owner(f) == a.uid()));
    let cached = archives(&pc.cache.join("vm-demo"));
    assert_eq!(cached.len(), 3, "base, standard, exam: {cached:?}");
    assert!(cached.iter().all(|f| owner(f) == a.uid()));
    let a_demo = a.machine("vm-demo");
    assert_eq!(a_demo["base_ready"], true, "{a_demo}");
    assert_eq!(a_demo["synced"], true, "{a_demo}");
    // A's base is not B's: B would have to unpack its own.
    let b_demo = b.machine("vm-demo");
    assert_eq!(b_demo["base_ready"], false, "{b_demo}");
    assert_eq!(b_demo["synced"], false, "{b_demo}");

    // A changes what it owns: its unpacked base disk and the cached base archive.
    let disk = tree(&a_base)
        .into_iter()
        .find(|f| f.extension().is_some_and(|x| x == "vdi"))
        .expect("a base disk");
    a.tamper(&disk);
    let cached_base = pc.cache.join("vm-demo").join(format!("{base_sha}.archive"));
    a.tamper(&cached_base);

    // B's start works from B's own base, unpacked from an intact archive.
    b.start_and_stop("vm-demo", "standard").await;
    let b_base = pc
        .machines
        .join(format!(".u{}", b.uid()))
        .join("vm-demo")
        .join(hash);
    let settings = b.home.join(".leovms/Machines/vm-demo/vm-demo.vbox");
    let settings = std::fs::read_to_string(settings).unwrap();
    assert!(
        settings.contains(&format!("\"{}/", b_base.display())),
        "B's disks are not in {}:\n{settings}",
        b_base.display()
    );
    assert!(
        !settings.contains(&a_base.display().to_string()),
        "B uses A's base:\n{settings}"
    );
    let b_own = pc.machines.join(format!(".u{}", b.uid()));
    assert!(tree(&b_own).iter().all(|f| owner(f) == b.uid()));
    // The damaged archive is gone (or intact again): every name matches its content.
    for archive in archives(&pc.cache.join("vm-demo")) {
        let name = archive.file_stem().unwrap().to_str().unwrap();
        assert_eq!(sha256_hex(&archive), name, "{}", archive.display());
    }
    assert_said(&b.cli(&["verify"]), "all intact");

    // Pins count only for their owner. The cache folder is sticky, so B cannot replace
    // A's pins, but it can write some in A's name where A has none (removed here).
    let pins = pc.cache.join(format!(".pins.{}.toml", a.uid()));
    assert_eq!(owner(&pins), a.uid());
    let forged = pc.tmp.path().join("forged-pins.toml");
    std::fs::copy(&pins, &forged).unwrap();
    std::fs::remove_file(&pins).unwrap();
    let out = b.run(&["cp", text(&forged), text(&pins)], b"");
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(owner(&pins), b.uid());
    let a_demo = a.machine("vm-demo");
    assert_eq!(a_demo["synced"], false, "B's pins count for A: {a_demo}");
}

/// A folder above the shared base counts only when nobody else can swap it: a symbolic
/// link is swapped by its owner at any time (also between the daemon's check and
/// VirtualBox opening the disk), so another user's link is not trusted, wherever it
/// points right now.
#[tokio::test(flavor = "multi_thread")]
async fn a_link_another_user_can_redirect_is_not_trusted() {
    let Some((pc, mut a, b)) = pc_of_two_users().await else {
        return;
    };
    // B comes first and makes vm-demo's folder a link to a place A may write to and
    // that looks safe (root's, sticky like /tmp); B may point it elsewhere at any time.
    let elsewhere = pc.tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    set_mode(&elsewhere, 0o1777);
    let link = pc.machines.join("vm-demo");
    let out = b.run(&["ln", "-s", text(&elsewhere), text(&link)], b"");
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(owner(&link), b.uid());

    a.start_daemon().await;
    a.start_and_stop("vm-demo", "standard").await;
    let settings = a.home.join(".leovms/Machines/vm-demo/vm-demo.vbox");
    let settings = std::fs::read_to_string(settings).unwrap();
    let a_own = pc.machines.join(format!(".u{}", a.uid())).join("vm-demo");
    assert!(
        settings.contains(&format!("\"{}/", a_own.display())),
        "A's base is not in {} but below B's link:\n{settings}\n{:?}",
        a_own.display(),
        tree(&elsewhere)
    );
    let below_link = tree(&elsewhere);
    assert_eq!(
        below_link.len(),
        1,
        "A wrote below B's link: {below_link:?}"
    );
}

/// The markers of use in a VM's cache folder belong to everyone: any user's daemon sets
/// their time. A marker another user swapped for a link must never lead this user's
/// daemon to one of its own files (it once made A's `~/.bashrc` world-writable, and
/// created A's `~/.bash_aliases` world-writable for B to fill).
#[tokio::test(flavor = "multi_thread")]
async fn a_marker_swapped_for_a_link_never_touches_the_users_own_files() {
    let Some((pc, mut a, b)) = pc_of_two_users().await else {
        return;
    };
    a.start_daemon().await;
    let out = a.cli(&["sync", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    let bashrc = a.home.join(".bashrc");
    a.write_own(&bashrc, b"# A's shell\n", 0o644);
    let aliases = a.home.join(".bash_aliases");
    let markers = files_ending(&pc.cache.join("vm-demo"), ".used");
    assert!(markers.len() >= 2, "{markers:?}");
    for (marker, target) in markers.iter().zip([&bashrc, &aliases]) {
        for cmd in [
            &["rm", "-f", text(marker)][..],
            &["ln", "-s", text(target), text(marker)],
        ] {
            let out = b.run(cmd, b"");
            assert!(out.status.success(), "{}", describe(&out));
        }
    }

    // A's next sync marks the archives as used again.
    let out = a.cli(&["sync", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(mode(&bashrc), 0o644, "A's .bashrc changed its mode");
    assert_eq!(std::fs::read(&bashrc).unwrap(), b"# A's shell\n");
    assert!(
        std::fs::symlink_metadata(&aliases).is_err(),
        "A's daemon created {}",
        aliases.display()
    );
}

/// A daemon cleans up what an interrupted unpack left, at every start. What another
/// user planted under a temporary name must never be taken for such a leftover (a link
/// to A's home once made A's home and everything in it readable for everyone).
#[tokio::test(flavor = "multi_thread")]
async fn a_leftover_planted_by_another_user_never_opens_a_users_home() {
    let Some((pc, mut a, b)) = pc_of_two_users().await else {
        return;
    };
    // B comes first and takes vm-demo's folder in the machines folder, with a
    // "leftover" of a killed unpack that is a link to A's home.
    let vm_machines = pc.machines.join("vm-demo");
    let planted = vm_machines.join(".leovms-tmp.base.999999.1");
    for cmd in [
        &["mkdir", "-m", "0777", text(&vm_machines)][..],
        &["ln", "-s", text(&a.home), text(&planted)],
    ] {
        let out = b.run(cmd, b"");
        assert!(out.status.success(), "{}", describe(&out));
    }
    let private = [a.home.clone(), a.home.join(".ssh"), a.home.join("private")];
    for dir in &private {
        a.own_dir(dir);
    }
    a.write_own(&a.home.join(".ssh/id_ed25519"), b"secret\n", 0o600);

    // A works with vm-demo (from its own base copy), and its daemon starts again later.
    a.start_daemon().await;
    a.start_and_stop("vm-demo", "standard").await;
    a.restart_daemon().await;
    let out = a.cli(&["list"]);
    assert!(out.status.success(), "{}", describe(&out));

    for dir in &private {
        assert_eq!(mode(dir), 0o700, "{} was opened", dir.display());
    }
    assert_eq!(mode(&a.home.join(".ssh/id_ed25519")), 0o600);
    assert!(
        std::fs::symlink_metadata(&planted).is_ok(),
        "A's daemon cleaned B's folder"
    );
}

/// A VM's folder in the cache may be another user's link: to a FIFO (every other
/// user's copy of that VM once hung there for good) or into a private folder of this
/// user (its daemon once wrote gigabytes there that were never evicted). Neither is
/// followed: a sync says what is wrong, a start reads from the share.
#[tokio::test(flavor = "multi_thread")]
async fn a_cache_folder_swapped_for_a_link_neither_hangs_nor_writes_elsewhere() {
    let Some((pc, mut a, b)) = pc_of_two_users().await else {
        return;
    };
    let public = pc.tmp.path().join("public");
    std::fs::create_dir(&public).unwrap();
    set_mode(&public, 0o1777);
    let fifo = public.join("fifo");
    let private = a.home.join("private");
    a.own_dir(&private);
    for cmd in [
        &["mkfifo", "-m", "0666", text(&fifo)][..],
        &["ln", "-s", text(&fifo), text(&pc.cache.join("vm-demo"))],
        &["ln", "-s", text(&private), text(&pc.cache.join("vm-win"))],
    ] {
        let out = b.run(cmd, b"");
        assert!(out.status.success(), "{}", describe(&out));
    }

    a.start_daemon().await;
    for vm in ["vm-demo", "vm-win"] {
        let out = a.cli_bounded(&["sync", vm]);
        assert_refused(&out, 1, "Another user of this PC may have replaced it");
    }
    a.start_and_stop("vm-demo", "standard").await;
    a.start_and_stop("vm-win", "standard").await;
    assert_eq!(
        std::fs::read_dir(&private).unwrap().count(),
        0,
        "A's daemon wrote into {}",
        private.display()
    );
    assert_said(&a.cli_bounded(&["verify"]), "archives checked");
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn files_ending(dir: &std::path::Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    out.sort();
    out
}
