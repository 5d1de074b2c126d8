//! One PC with the store service, two real students and their own daemons: the first
//! start of a VM has the store make its base (once, for every user), the second user's
//! start uses it without unpacking, each user's VM holds the base while it runs, and a
//! copy a user unpacked for themselves before goes once the store holds the base.
//! Needs root (users, polkitd, the service as its own user).

mod common;
#[path = "trust/pc.rs"]
mod pc;

use std::path::PathBuf;

use common::{World, describe, is_root, skip_unless};
use leovms_testkit::system_bus::{STORE_USER, StorePc, system_bus_missing};
use pc::{Pc, UserWorld, owner, pc_of_two_users, sha256_hex, tree};

/// The PC of `pc_of_two_users` with the store; both users are at the PC.
async fn pc_with_store() -> Option<(Pc, UserWorld, UserWorld, StorePc)> {
    let (pc, mut a, mut b) = pc_of_two_users().await?;
    if let Some(missing) = system_bus_missing() {
        skip_unless(false, &missing);
        return None;
    }
    let dir = pc.tmp.path().join("pc-store");
    std::fs::create_dir(&dir).unwrap();
    pc::set_mode(&dir, 0o755);
    let names = [a.user.name.as_str(), b.user.name.as_str()];
    let store = StorePc::start(&dir, "limit_gb = 10\n", &names).unwrap();
    for user in [&mut a, &mut b] {
        user.set_env(
            "DBUS_SYSTEM_BUS_ADDRESS",
            PathBuf::from(store.bus.address()),
        );
    }
    Some((pc, a, b, store))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_unpacks_a_base_once_for_every_user_of_the_pc() {
    let Some((pc, mut a, mut b, store)) = pc_with_store().await else {
        return;
    };
    let sha = sha256_hex(&pc.data.join("vm-demo/base.tar.zst"));
    let hash = &sha[..16];
    // Before the store: A unpacked into the machines folder, B into its own `.u<uid>`.
    for user in [&mut a, &mut b] {
        user.set_env("LEOVMS_STORE", PathBuf::from("off"));
        user.start_daemon().await;
        user.start_and_stop("vm-demo", "standard").await;
    }
    let b_own = pc
        .machines
        .join(format!(".u{}", b.uid()))
        .join("vm-demo")
        .join(hash);
    assert!(b_own.is_dir(), "{:?}", tree(&pc.machines));
    // The admin removes A's copy (B still has its own).
    let a_copy = pc.machines.join("vm-demo").join(hash);
    let chmod = std::process::Command::new("chmod")
        .args(["-R", "u+w"])
        .arg(&a_copy)
        .status()
        .unwrap();
    assert!(chmod.success());
    std::fs::remove_dir_all(&a_copy).unwrap();

    // With the store: A's start has the store make the base.
    for user in [&mut a, &mut b] {
        user.set_env("LEOVMS_STORE", PathBuf::from("auto"));
        user.restart_daemon().await;
    }
    assert_eq!(b.machine("vm-demo")["base_ready"], true, "B's own copy");
    let out = a.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert!(
        out.status.success(),
        "{}\n{}",
        describe(&out),
        a.daemon_log()
    );
    a.wait_machine_state("vm-demo", "running").await;
    // A's VM holds its base, also when A's daemon restarts.
    let leases = || {
        std::fs::read_dir(store.root.join("leases"))
            .unwrap()
            .count()
    };
    assert_eq!(leases(), 1, "{}", a.daemon_log());
    a.restart_daemon().await;
    a.wait_machine_state("vm-demo", "running").await;
    assert_eq!(leases(), 1);
    assert!(a.cli(&["stop", "vm-demo"]).status.success());
    a.wait_machine_state("vm-demo", "off").await;
    let base = store.root.join("bases").join(&sha);
    assert!(base.is_dir(), "{:?}", tree(&store.root));
    let store_uid = store.store_user.uid;
    assert!(
        tree(&base).iter().all(|f| owner(f) == store_uid),
        "{STORE_USER} owns it"
    );
    assert!(
        !pc.machines.join("vm-demo").join(hash).exists(),
        "A made no copy"
    );
    assert_boots_from(&a, &base);

    // B's start uses it: nothing is unpacked again, and B's own copy is gone.
    b.start_and_stop("vm-demo", "standard").await;
    let asked = store.service.log_text().matches("asks for base").count();
    assert_eq!(asked, 1, "{}", store.service.log_text());
    assert_boots_from(&b, &base);
    assert!(
        !b_own.exists(),
        "B's own copy stayed: {:?}",
        tree(&pc.machines)
    );
    assert_eq!(b.machine("vm-demo")["base_ready"], true, "in the store");
}

/// The shared-PC case of trust.rs, with the store: what the first user's start made is
/// the store's, so that user can change nothing of it, and the second user boots exactly
/// what the share published.
#[tokio::test(flavor = "multi_thread")]
async fn what_one_user_started_first_is_not_theirs_to_change() {
    let Some((pc, mut a, mut b, store)) = pc_with_store().await else {
        return;
    };
    let sha = sha256_hex(&pc.data.join("vm-demo/base.tar.zst"));
    a.start_daemon().await;
    b.start_daemon().await;
    a.start_and_stop("vm-demo", "standard").await;
    let base = store.root.join("bases").join(&sha);
    let disks: Vec<PathBuf> = tree(&base)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|x| x == "vdi"))
        .collect();
    assert!(!disks.is_empty(), "{:?}", tree(&base));
    let before: Vec<String> = disks.iter().map(|d| sha256_hex(d)).collect();

    // What the owner of a file could do (trust.rs): A owns nothing here.
    let disk = disks[0].to_str().unwrap();
    for attempt in [
        format!("chmod u+w {disk}"),
        format!("printf x | dd of={disk} bs=1 seek=100 conv=notrunc"),
        format!("rm -rf {}", base.display()),
        format!("mv {} {}.x", base.display(), base.display()),
    ] {
        let out = a.run(&["sh", "-c", &attempt], b"");
        assert!(!out.status.success(), "A could: {attempt}");
    }

    b.start_and_stop("vm-demo", "standard").await;
    let after: Vec<String> = disks.iter().map(|d| sha256_hex(d)).collect();
    assert_eq!(before, after);
    assert_boots_from(&b, &base);
    assert_eq!(
        store.service.log_text().matches("asks for base").count(),
        1,
        "{}",
        store.service.log_text()
    );
}

/// Pre-warming: root's start (an admin's nightly job) goes through the same service and
/// leaves the base in the store, for every user; root's daemon unpacks nothing itself.
#[tokio::test(flavor = "multi_thread")]
async fn a_start_as_root_fills_the_store_for_every_user() {
    if skip_unless(
        is_root(),
        "needs root: runs polkitd and the service as its user",
    ) {
        return;
    }
    if let Some(missing) = system_bus_missing() {
        skip_unless(false, &missing);
        return;
    }
    let mut w = World::new().await;
    // The store's user must reach its folder below the test's.
    pc::set_mode(w.tmp.path(), 0o755);
    let dir = w.tmp.path().join("pc-store");
    std::fs::create_dir(&dir).unwrap();
    pc::set_mode(&dir, 0o755);
    let store = StorePc::start(&dir, "limit_gb = 10\n", &[]).unwrap();
    w.extra_env.push((
        "DBUS_SYSTEM_BUS_ADDRESS".into(),
        store.bus.address().to_owned(),
    ));
    w.start_daemon().await;
    let out = w.cli(&["start", "vm-demo", "--snapshot", "standard"]);
    assert!(out.status.success(), "{}", describe(&out));
    w.wait_machine_state("vm-demo", "running").await;
    assert!(w.cli(&["stop", "vm-demo"]).status.success());

    let sha = sha256_hex(&w.data.join("vm-demo/base.tar.zst"));
    let base = store.root.join("bases").join(&sha);
    assert!(base.is_dir(), "{:?}", tree(&store.root));
    assert!(tree(&base).iter().all(|f| owner(f) == store.store_user.uid));
    let machines = if w.machines.exists() {
        tree(&w.machines)
    } else {
        Vec::new()
    };
    let unpacked_here: Vec<_> = machines
        .into_iter()
        .filter(|f| f.extension().is_some_and(|x| x == "vdi"))
        .collect();
    assert!(unpacked_here.is_empty(), "{unpacked_here:?}");
    assert_eq!(w.machine("vm-demo")["base_ready"], true);
}

/// `sync` also pins the VM's base in the store for the user (so that making room keeps
/// it for their offline start), `unsync` takes the pin back.
#[tokio::test(flavor = "multi_thread")]
async fn a_synced_vm_keeps_its_base_in_the_store_for_its_user() {
    let Some((pc, mut a, _b, store)) = pc_with_store().await else {
        return;
    };
    let sha = sha256_hex(&pc.data.join("vm-demo/base.tar.zst"));
    let pin = store.root.join("pins").join(format!("{sha}.{}", a.uid()));
    a.start_daemon().await;
    let out = a.cli(&["sync", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(pin.exists(), "{}", a.daemon_log());
    a.start_and_stop("vm-demo", "standard").await;
    assert!(store.root.join("bases").join(&sha).is_dir());
    let out = a.cli(&["unsync", "vm-demo"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(!pin.exists(), "{}", a.daemon_log());
}

/// `user`'s VM settings name the disks in `base` (the store's).
fn assert_boots_from(user: &UserWorld, base: &std::path::Path) {
    let settings = user.home.join(".leovms/Machines/vm-demo/vm-demo.vbox");
    let settings = std::fs::read_to_string(settings).unwrap();
    assert!(
        settings.contains(&format!("\"{}/", base.display())),
        "{}'s disks are not in the store:\n{settings}",
        user.user.name
    );
}
