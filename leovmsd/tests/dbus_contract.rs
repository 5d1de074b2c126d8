//! The contract seen by clients we did not write: `gdbus` introspection equals the
//! committed interface XML, and `gdbus`/`busctl` can drive a start.

mod common;

use std::time::Duration;

use common::{World, describe};
use futures_util::StreamExt;

/// The `<interface name="NAME">…</interface>` block of an introspection document.
fn interface_block(xml: &str, name: &str) -> String {
    let start = xml
        .find(&format!("<interface name=\"{name}\">"))
        .unwrap_or_else(|| panic!("{name} not in:\n{xml}"));
    let end = xml[start..].find("</interface>").unwrap() + start + "</interface>".len();
    xml[start..end].to_owned()
}

/// `Manager1.<method>(args…)` called through `gdbus`.
fn gdbus_manager(w: &World, method: &str, args: &[&str]) -> std::process::Output {
    let method = format!("org.leovms.Manager1.{method}");
    let call = [
        "call",
        "--session",
        "--dest",
        "org.leovms.Leovms1",
        "--object-path",
        "/org/leovms/Leovms1",
        "--method",
        &method,
    ];
    w.gdbus(&[&call[..], args].concat())
}

/// `Manager1.Start` called through `gdbus`.
fn gdbus_start(w: &World, vm: &str, snapshot: &str, options: &str) -> std::process::Output {
    gdbus_manager(w, "Start", &[vm, snapshot, options])
}

fn committed(name: &str) -> String {
    let path = format!("{}/../dbus/{name}.xml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn introspection_equals_the_committed_interface_xml() {
    let mut w = World::new().await;
    w.start_daemon().await;
    let introspect = |path: &str| {
        let out = w.gdbus(&[
            "introspect",
            "--session",
            "--dest",
            "org.leovms.Leovms1",
            "--object-path",
            path,
            "--xml",
        ]);
        assert!(out.status.success(), "{}", describe(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let manager = introspect("/org/leovms/Leovms1");
    assert_eq!(
        interface_block(&manager, "org.leovms.Manager1"),
        interface_block(&committed("org.leovms.Manager1"), "org.leovms.Manager1"),
        "dbus/org.leovms.Manager1.xml differs from the running service"
    );

    // A start driven by gdbus alone.
    let out = gdbus_start(&w, "vm-demo", "standard", "{'ram-mb': <uint32 512>}");
    assert!(out.status.success(), "{}", describe(&out));
    let reply = String::from_utf8_lossy(&out.stdout);
    let path = reply.split('\'').nth(1).expect("an object path").to_owned();
    assert!(path.starts_with("/org/leovms/Leovms1/job/"), "{reply}");
    let job = introspect(&path);
    assert_eq!(
        interface_block(&job, "org.leovms.Job1"),
        interface_block(&committed("org.leovms.Job1"), "org.leovms.Job1"),
        "dbus/org.leovms.Job1.xml differs from the running service"
    );
    w.wait_machine_state("vm-demo", "running").await;

    // Another foreign client reads the job's properties.
    let out = std::process::Command::new("busctl")
        .env("DBUS_SESSION_BUS_ADDRESS", w.bus.address())
        .args([
            "--user",
            "get-property",
            "org.leovms.Leovms1",
            &path,
            "org.leovms.Job1",
            "Phase",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "s \"running\"");
    let info = w.vboxmanage(&[
        "showvminfo",
        &w.share.vm("vm-demo").machine_uuid.to_string(),
        "--machinereadable",
    ]);
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("memory=512\n"),
        "{}",
        describe(&info)
    );

    let out = gdbus_start(&w, "vm-demo", "../etc", "{}");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("org.leovms.Error.InvalidArgument"),
        "{}",
        describe(&out)
    );
}

/// A client that lists on demand hears when the share changes (where the file system
/// reports changes, as a local share does).
#[tokio::test(flavor = "multi_thread")]
async fn a_change_on_the_share_is_signalled() {
    let mut w = World::new().await;
    w.start_daemon().await;
    let conn = w.connection().await;
    let manager = w.manager(&conn).await;
    let mut changes = manager.receive_machines_changed().await.unwrap();
    // The daemon sets its watch up in the background after it started: change the share
    // until the first change is heard (bounded).
    let heard = tokio::time::timeout(Duration::from_secs(30), async {
        for n in 0.. {
            let file = w.data.join("vm-demo").join(format!("notes-{n}.txt"));
            std::fs::write(file, b"published later").unwrap();
            if let Ok(signal) = tokio::time::timeout(Duration::from_secs(1), changes.next()).await {
                return signal;
            }
        }
        None
    })
    .await;
    assert!(
        heard.is_ok_and(|s| s.is_some()),
        "no MachinesChanged after files changed on the share; log:\n{}",
        w.daemon_log()
    );
}

/// The stderr of a foreign client's call that was refused with `error` naming `words`.
fn assert_call_refused(out: &std::process::Output, error: &str, words: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains(error) && stderr.contains(words),
        "expected {error} with \"{words}\": {}",
        describe(out)
    );
}

/// The options dictionaries (`a{sv}`) are checked key by key: a foreign client learns
/// which key has the wrong type, and a misspelt key is refused instead of ignored.
#[tokio::test(flavor = "multi_thread")]
async fn options_with_a_wrong_type_or_an_unknown_key_are_refused_by_name() {
    let mut w = World::new().await;
    w.start_daemon().await;
    let invalid = "org.leovms.Error.InvalidArgument";

    let out = gdbus_start(&w, "vm-demo", "standard", "{'ram-mb': <'lots'>}");
    assert_call_refused(
        &out,
        invalid,
        "The Start option ram-mb must be a whole number",
    );
    let out = gdbus_start(&w, "vm-demo", "standard", "{'ram': <uint32 512>}");
    assert_call_refused(
        &out,
        invalid,
        "Start has no option \"ram\"; its options are: ram-mb.",
    );
    let upload = |options: &str| gdbus_manager(&w, "Upload", &["virtualbox", "x", options]);
    let out = upload("{'colour': <'red'>}");
    assert_call_refused(
        &out,
        invalid,
        "its options are: kind, vm, snapshot, name, description",
    );
    let out = upload("{'name': <uint32 7>}");
    assert_call_refused(&out, invalid, "The Upload option name must be text");
    assert!(w.vbox_calls("VirtualBoxVM") == 0 && !w.work_dir("vm-demo").exists());

    // A right call, from another foreign client, still starts.
    let out = std::process::Command::new("busctl")
        .env("DBUS_SESSION_BUS_ADDRESS", w.bus.address())
        .args([
            "--user",
            "call",
            "org.leovms.Leovms1",
            "/org/leovms/Leovms1",
        ])
        .args([
            "org.leovms.Manager1",
            "Start",
            "ssa{sv}",
            "vm-demo",
            "standard",
        ])
        .args(["1", "ram-mb", "u", "512"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("o \"/org/leovms/Leovms1/job/"),
        "{}",
        describe(&out)
    );
    w.wait_machine_state("vm-demo", "running").await;
}

/// A failed job carries the id and values of its sentence (`Detail`, the last argument of
/// `Finished`), so that clients word it in their user's language.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_job_carries_the_id_and_values_of_its_sentence() {
    let mut w = World::new().await;
    w.fail_vm_starts();
    w.start_daemon().await;
    let conn = w.connection().await;
    let client = leovms_api::Leovms::new(&conn).await.unwrap();
    let path = client
        .manager()
        .start("vm-demo", "standard", Default::default())
        .await
        .unwrap();
    let job = client.job(path).await.unwrap();
    let mut events = job.follow().await.unwrap();
    let end = loop {
        if let Some(end) = events.status.end.clone() {
            break end;
        }
        match events.next().await {
            leovms_api::client::JobEvent::Finished(end) => break end,
            leovms_api::client::JobEvent::Progress(_) => {}
            other => panic!("{other:?}\n{}", w.daemon_log()),
        }
    };
    assert_eq!(end.error_id, "org.leovms.Error.VBoxFailed");
    assert_eq!(end.detail["id"], "vbox-start-failed");
    let vbox = &end.detail["vbox"];
    assert!(
        vbox.contains("driver") || vbox.contains("terminated unexpectedly"),
        "VirtualBox's words missing: {vbox}"
    );
    assert!(end.message.ends_with(vbox.as_str()), "{}", end.message);
    assert_eq!(job.proxy().detail().await.unwrap(), end.detail);
}

/// A refusal carries the detail of its sentence to a connection that asked for it
/// (both clients ask when they connect), and the message alone to every other caller, so
/// that `gdbus` still shows the message.
#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_carries_its_detail_only_to_a_client_that_asked() {
    let mut w = World::new().await;
    w.start_daemon().await;

    let plain = w.connection().await;
    let manager = w.manager(&plain).await;
    let e = manager.stop("vm-demo").await.expect_err("vm-demo is off");
    assert_eq!(e.kind(), Some(leovms_api::ErrorKind::NotRunning));
    assert_eq!(e.message(), "vm-demo is not running.");
    assert_eq!(e.detail().map(|d| d.len()), Some(0), "{e:?}");
    let out = gdbus_manager(&w, "Stop", &["vm-demo"]);
    assert_call_refused(
        &out,
        "org.leovms.Error.NotRunning",
        "vm-demo is not running.",
    );

    let asked = w.connection().await;
    let client = leovms_api::Leovms::new(&asked).await.unwrap();
    client.enable_detail().await;
    let e = client.manager().stop("vm-demo").await.unwrap_err();
    assert_eq!(e.message(), "vm-demo is not running.");
    let detail = e.detail().expect("a refusal");
    assert_eq!(
        (detail["id"].as_str(), detail["vm"].as_str()),
        ("not-running", "vm-demo")
    );
    let e = client
        .manager()
        .start("vm-nowhere", "", Default::default())
        .await
        .unwrap_err();
    let detail = e.detail().expect("a refusal");
    assert_eq!(detail["id"], "no-such-vm");
    assert_eq!(detail["vm"], "vm-nowhere");
    // A refusal without a sentence of its own still has its message.
    let e = client
        .manager()
        .list_snapshots("bad/name")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(leovms_api::ErrorKind::InvalidArgument));
    assert!(
        !e.message().is_empty() && e.detail().unwrap().is_empty(),
        "{e:?}"
    );

    // The plain connection is still answered plainly.
    let e = manager.stop("vm-demo").await.unwrap_err();
    assert_eq!(e.detail().map(|d| d.len()), Some(0), "{e:?}");
}
