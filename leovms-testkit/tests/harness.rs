//! The end-to-end helpers themselves.

use std::process::Command;

use leovms_testkit::{
    Bus, VBOX_DOUBLE_NAMES, find_in_path, require_tool, vbox_double_dir, workspace_bin,
};

#[test]
fn private_bus_answers_and_goes_away() {
    if !require_tool("dbus-daemon") {
        return;
    }
    let bus = Bus::start().unwrap();
    let socket = bus
        .address()
        .strip_prefix("unix:path=")
        .and_then(|rest| rest.split(',').next())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| panic!("unexpected address {}", bus.address()));
    assert!(socket.exists());
    if find_in_path("dbus-send").is_some() {
        let out = Command::new("dbus-send")
            .arg(format!("--bus={}", bus.address()))
            .args([
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
            ])
            .arg("org.freedesktop.DBus.ListNames")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        eprintln!("dbus-send not found; only checked that the socket exists");
    }
    drop(bus);
    assert!(
        !socket.exists(),
        "the temporary directory is removed with the bus"
    );
}

#[test]
fn double_dir_links_every_name_to_the_double() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = vbox_double_dir(tmp.path());
    let double = workspace_bin("leovms-vbox-double");
    for name in VBOX_DOUBLE_NAMES {
        assert_eq!(std::fs::read_link(dir.join(name)).unwrap(), double);
    }
    // Idempotent: a second call reuses the links.
    assert_eq!(vbox_double_dir(tmp.path()), dir);
    let out = Command::new(&double).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "called by its own name: usage error"
    );
}
