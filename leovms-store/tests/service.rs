//! The store service on a private system bus with a real polkitd, called by real local
//! users: what each of them may store, that nobody can change what is stored, and that
//! nothing but verified content ever gets a final name. Needs root.

#[path = "service/pc.rs"]
mod pc;

use leovms_testkit::noise;
use pc::{A, B, C, Pc};

#[tokio::test(flavor = "multi_thread")]
async fn a_base_is_stored_once_for_all_and_nobody_can_change_it() {
    let Some(pc) = Pc::new("limit_gb = 1\n") else {
        return;
    };
    let disk = noise(3 << 20, 1);
    let archive = pc
        .archive(
            "vm-a",
            &[("disk.vdi", disk.clone()), ("vm.vbox", b"<xml/>".to_vec())],
        )
        .await;

    let first = pc.add_base(A, &archive);
    let base = first.ok().as_str().unwrap().to_owned();
    assert_eq!(
        base,
        pc.root
            .join("bases")
            .join(&archive.sha256)
            .display()
            .to_string()
    );
    assert_eq!(first.phases(), ["unpack-base"], "{}", first.out);
    assert_eq!(std::fs::read(format!("{base}/disk.vdi")).unwrap(), disk);
    // Unpacked straight from the descriptor: the archive itself is not kept.
    assert!(
        pc.names("archives").is_empty(),
        "{:?}",
        pc.names("archives")
    );
    assert_eq!(pc.names("bases"), sorted([&archive.sha256]));

    // B finds it, and asking again neither copies nor unpacks.
    assert_eq!(pc.call(B, &["base", &archive.sha256]).ok(), &base);
    let again = pc.add_base(B, &archive);
    assert_eq!(again.ok(), &base);
    assert!(again.progress.is_empty(), "{}", again.out);
}

/// What every user can try on what the store holds, as B (who did not store it) and A
/// (who did): none of it works, and the base stays as it was.
#[tokio::test(flavor = "multi_thread")]
async fn nobody_but_the_service_can_change_replace_or_delete_what_is_stored() {
    let Some(pc) = Pc::new("limit_gb = 1\n") else {
        return;
    };
    let disk = noise(1 << 20, 2);
    let archive = pc.archive("vm-a", &[("disk.vdi", disk.clone())]).await;
    let base = pc.add_base(A, &archive).ok().as_str().unwrap().to_owned();
    for (path, mode) in [(format!("{base}/disk.vdi"), 0o444), (base.clone(), 0o555)] {
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(
            std::os::unix::fs::MetadataExt::uid(&meta),
            pc.store_uid(),
            "{path}"
        );
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777,
            mode,
            "{path}"
        );
    }
    let bases = pc.root.join("bases");
    let attempts = [
        format!("echo x >> {base}/disk.vdi"),
        format!("chmod u+w {base}/disk.vdi"),
        format!("rm -f {base}/disk.vdi"),
        format!("touch {base}/planted"),
        format!("mv {base} {}/moved", bases.display()),
        format!("rm -rf {base}"),
        format!("ln -s /tmp {}/{}", bases.display(), "0".repeat(64)),
        format!("cp /etc/hostname {}/{}", bases.display(), "1".repeat(64)),
        format!("mkdir {}/.unpacking-x", bases.display()),
    ];
    for user in [B, A] {
        let user = leovms_testkit::users::LocalUser::ensure(user).unwrap();
        for attempt in &attempts {
            let out = user.command("sh").args(["-c", attempt]).output().unwrap();
            assert!(!out.status.success(), "{} could: {attempt}", user.name);
        }
    }
    assert_eq!(std::fs::read(format!("{base}/disk.vdi")).unwrap(), disk);
    assert_eq!(pc.names("bases"), sorted([&archive.sha256]));
}

/// Content that is not what its hash says, an archive that holds what must never be
/// unpacked, and a FIFO: refused with the kind a user's daemon shows, nothing stored.
#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_hash_or_a_bad_archive_is_refused_and_nothing_is_stored() {
    let Some(pc) = Pc::new("limit_gb = 1\n") else {
        return;
    };
    let real = pc.archive("vm-a", &[("disk.vdi", noise(1 << 20, 3))]).await;

    // B's own bytes, offered under the real archive's hash and size.
    let forged = pc.tmp.path().join("share/forged");
    let mut bytes = std::fs::read(&real.path).unwrap();
    bytes[1000] ^= 1;
    std::fs::write(&forged, &bytes).unwrap();
    let call = pc.add_base(
        B,
        &pc::Archive {
            path: forged,
            ..real.clone()
        },
    );
    assert_eq!(call.error().0, "Integrity", "{}", call.out);

    // A truthful hash of a hostile archive: a path that climbs out of the base.
    let tar = leovms_testkit::tar::ustar(&[("../escaped", b'0', b"evil", "")]);
    let hostile = pc.tmp.path().join("share/hostile.tar.zst");
    pc::zstd(&tar, &hostile);
    let call = pc.add_base(B, &pc::Archive::of(&hostile, tar.len() as u64));
    assert_eq!(call.error().0, "UnsafeArchive", "{}", call.out);
    assert!(!pc.root.join("escaped").exists() && !pc.root.join("bases/escaped").exists());

    // A FIFO, which would make a reader wait forever.
    let fifo = pc.tmp.path().join("share/fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    pc::set_mode(&fifo, 0o666);
    let call = pc.add_base(
        B,
        &pc::Archive {
            path: fifo,
            ..real.clone()
        },
    );
    assert_eq!(call.error().0, "UnsafeArchive", "{}", call.out);

    assert!(
        pc.names("archives").is_empty(),
        "{:?}",
        pc.names("archives")
    );
    assert!(pc.names("bases").is_empty(), "{:?}", pc.names("bases"));
    assert_eq!(pc.call(B, &["entries"]).ok(), &serde_json::json!([]));
    // The real one still goes in.
    pc.add_base(B, &real).ok();
}

/// polkit decides with the packaged policy: a user not at the PC stores nothing, pins
/// for everyone and pruning are for administrators, and a user's own pins are bounded.
#[tokio::test(flavor = "multi_thread")]
async fn polkit_decides_who_may_store_pin_and_prune() {
    let Some(pc) = Pc::new("limit_gb = 1\nuser_pins = 1\n") else {
        return;
    };
    let archive = pc.archive("vm-a", &[("disk.vdi", noise(1 << 16, 4))]).await;
    let call = pc.add_base(C, &archive);
    let (kind, message) = call.error();
    assert_eq!(kind, "PermissionDenied", "{}", call.out);
    assert!(message.contains("org.leovms.store.add"), "{message}");
    assert!(pc.names("archives").is_empty());
    pc.add_base(A, &archive).ok();

    let other = "ab".repeat(32);
    let refused = pc.call(A, &["pin", &other, "--all"]);
    assert_eq!(refused.error(), ("PermissionDenied", refused.error().1));
    assert!(
        refused.error().1.contains("org.leovms.store.manage"),
        "{}",
        refused.out
    );
    assert_eq!(
        pc.call(C, &["pin", &archive.sha256]).error().0,
        "PermissionDenied"
    );
    pc.call(A, &["pin", &archive.sha256]).ok();
    let refused = pc.call(A, &["pin", &other]);
    let (kind, message) = refused.error();
    assert_eq!(kind, "NoSpace");
    assert!(message.contains("1 VMs"), "{message}");
    pc.call("root", &["pin", &other, "--all"]).ok();

    assert_eq!(pc.call(A, &["prune"]).error().0, "PermissionDenied");
    // Pinned by A: pruning keeps it.
    assert_eq!(pc.call("root", &["prune"]).ok(), 0);
    pc.call(A, &["unpin", &archive.sha256]).ok();
    let freed = pc.call("root", &["prune"]).ok().as_u64().unwrap();
    assert!(freed >= archive.unpacked, "{freed}");
    assert!(pc.names("bases").is_empty());
}

/// The PC's limit holds: making room takes the least recently used base nobody pinned
/// and no running VM uses (also after the service restarted), and a request that does
/// not fit even so is refused with the numbers, removing nothing.
#[tokio::test(flavor = "multi_thread")]
async fn the_store_stops_at_the_limit_and_never_evicts_a_pinned_or_leased_base() {
    // Room for two bases of 4.2 MB, not three.
    let Some(mut pc) = Pc::new("limit_gb = 0.01\n") else {
        return;
    };
    let mut vms = Vec::new();
    for n in 0..4 {
        vms.push(
            pc.archive(&format!("vm-{n}"), &[("disk.vdi", noise(4 << 20, 10 + n))])
                .await,
        );
    }
    let (first, second, third, fourth) = (&vms[0], &vms[1], &vms[2], &vms[3]);
    pc.add_base(A, first).ok();
    pc.add_base(A, second).ok();
    // A's VM runs from the first base; B cannot lease for A's process.
    let vm = leovms_testkit::users::LocalUser::ensure(A)
        .unwrap()
        .command("sleep")
        .arg("600")
        .spawn()
        .unwrap();
    let mut vm = scopeguard(vm);
    let pid = vm.0.id().to_string();
    let refused = pc.call(B, &["lease", &first.sha256, &pid]);
    assert_eq!(refused.error().0, "InvalidArgument", "{}", refused.out);
    pc.call(A, &["lease", &first.sha256, &pid]).ok();
    // The second was used last: still, the leased first one stays.
    pc.call(B, &["base", &second.sha256]).ok();
    pc.restart_service(2);

    pc.add_base(B, third).ok();
    assert_eq!(pc.names("bases"), sorted([&first.sha256, &third.sha256]));

    // With the first leased and the third pinned, the fourth cannot fit.
    pc.call(B, &["pin", &third.sha256]).ok();
    let refused = pc.add_base(B, fourth);
    let (kind, message) = refused.error();
    assert_eq!(kind, "NoSpace", "{}", refused.out);
    assert!(message.contains("limit is 0.01 GB"), "{message}");
    assert_eq!(pc.names("bases"), sorted([&first.sha256, &third.sha256]));

    // The VM ended: its base may go now.
    vm.0.kill().unwrap();
    vm.0.wait().unwrap();
    pc.add_base(B, fourth).ok();
    assert_eq!(pc.names("bases"), sorted([&third.sha256, &fourth.sha256]));
}

/// `kill -9` of the service while it unpacks: nothing appears under a final name, and
/// the next start of the service removes what the killed one left.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_service_leaves_nothing_under_a_final_name() {
    let Some(mut pc) = Pc::new("limit_gb = 10\n") else {
        return;
    };
    let archive = pc
        .archive("vm-big", &[("disk.vdi", noise(192 << 20, 5))])
        .await;
    let program = leovms_testkit::workspace_bin("leovms-store-call");
    let mut caller = leovms_testkit::users::LocalUser::ensure(A)
        .unwrap()
        .command(program)
        .env("DBUS_SYSTEM_BUS_ADDRESS", pc.store.bus.address())
        .args(["add-base", pc::text(&archive.path), &archive.sha256])
        .args([archive.size.to_string(), archive.unpacked.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(caller.stdout.take().unwrap()));
    for line in lines.by_ref() {
        if line.unwrap().contains("unpack-base") {
            break;
        }
    }
    pc.store.service.kill();
    // The caller is told, and does not wait for a job that will never end.
    let said: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(
        said.last().is_some_and(|l| l.contains("\"error\":\"Io\"")),
        "{said:?}"
    );
    caller.wait().unwrap();
    assert!(
        !pc.names("bases").contains(&archive.sha256),
        "a base under its final name: {:?}",
        pc.names("bases")
    );
    assert!(
        pc.names("bases")
            .iter()
            .all(|n| n.starts_with(".unpacking-"))
    );
    for name in pc.names("archives") {
        // Only a complete, verified archive has its hash as name.
        assert!(
            name.starts_with(".partial-") || name == archive.sha256,
            "{name}"
        );
    }

    pc.restart_service(2);
    assert!(pc.names("bases").is_empty(), "{:?}", pc.names("bases"));
    let base = pc.add_base(A, &archive);
    assert_eq!(pc.names("bases"), sorted([&archive.sha256]), "{}", base.out);
}

/// A request withdrawn at its first progress ends as canceled and leaves nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_canceled_request_leaves_nothing() {
    let Some(pc) = Pc::new("limit_gb = 10\n") else {
        return;
    };
    let archive = pc
        .archive("vm-a", &[("disk.vdi", noise(64 << 20, 6))])
        .await;
    let call = pc.call(
        A,
        &[
            "add-base",
            pc::text(&archive.path),
            &archive.sha256,
            &archive.size.to_string(),
            &archive.unpacked.to_string(),
            "--cancel",
        ],
    );
    assert_eq!(call.error().0, "Canceled", "{}", call.out);
    assert!(pc.names("bases").is_empty(), "{:?}", pc.names("bases"));
    assert!(
        pc.names("archives").is_empty(),
        "{:?}",
        pc.names("archives")
    );
}

fn sorted<const N: usize>(names: [&String; N]) -> Vec<String> {
    let mut names: Vec<String> = names.into_iter().cloned().collect();
    names.sort();
    names
}

/// A child process that is killed when the test ends, also when it fails.
struct Guard(std::process::Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn scopeguard(child: std::process::Child) -> Guard {
    Guard(child)
}

/// `leovms-cli store`: what a student and an admin see.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_lists_pins_and_prunes_the_store() {
    let Some(pc) = Pc::new("limit_gb = 1\n") else {
        return;
    };
    let archive = pc.archive("vm-a", &[("disk.vdi", noise(1 << 20, 7))]).await;
    pc.add_base(A, &archive).ok();
    let cli = |user: &str, args: &[&str]| pc.run(user, "leovms-cli", args);

    let out = cli(B, &["--json", "store", "list"]);
    assert!(out.status.success(), "{}", leovms_testkit::describe(&out));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["base"], "{listed}");
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["sha256"] == archive.sha256)
    );

    let out = cli(B, &["store", "prune"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("only an administrator"), "{said}");
    let out = cli(B, &["store", "pin", &archive.sha256]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("Pinned {}.", archive.sha256)
    );
    let out = cli("root", &["store", "prune"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Freed 0.00 GB."
    );
    cli(B, &["store", "unpin", &archive.sha256]);
    let out = cli("root", &["store", "prune"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("Freed "),
        "{}",
        leovms_testkit::describe(&out)
    );
    assert!(pc.names("bases").is_empty());
    let out = cli(B, &["store", "list"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "The store holds nothing."
    );

    // A PC without a system bus: the store is named, not leovmsd.
    let out = std::process::Command::new(leovms_testkit::workspace_bin("leovms-cli"))
        .args(["store", "list"])
        .env(
            "DBUS_SYSTEM_BUS_ADDRESS",
            leovms_testkit::system_bus::NO_SYSTEM_BUS,
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("store of VM bases cannot be reached"),
        "{said}"
    );
}

/// Leases are bounded per user: a student's processes cannot keep every base of the PC
/// from being evicted.
#[tokio::test(flavor = "multi_thread")]
async fn a_user_holds_bases_with_at_most_four_running_processes() {
    let Some(pc) = Pc::new("limit_gb = 1\n") else {
        return;
    };
    let archive = pc.archive("vm-a", &[("disk.vdi", noise(1 << 16, 8))]).await;
    pc.add_base(A, &archive).ok();
    let user = leovms_testkit::users::LocalUser::ensure(A).unwrap();
    let mut vms: Vec<Guard> = (0..5)
        .map(|_| Guard(user.command("sleep").arg("600").spawn().unwrap()))
        .collect();
    for vm in &vms[..4] {
        let pid = vm.0.id().to_string();
        pc.call(A, &["lease", &archive.sha256, &pid]).ok();
    }
    let fifth = vms[4].0.id().to_string();
    let refused = pc.call(A, &["lease", &archive.sha256, &fifth]);
    let (kind, message) = refused.error();
    assert_eq!(kind, "Busy", "{}", refused.out);
    assert!(message.contains("4 of your running VMs"), "{message}");
    // The same process again is no new one.
    let first = vms[0].0.id().to_string();
    pc.call(A, &["lease", &archive.sha256, &first]).ok();
    // One VM ended: its lease is gone, and the fifth may hold the base.
    let ended = vms.remove(0);
    drop(ended);
    pc.call(A, &["lease", &archive.sha256, &fifth]).ok();
}
