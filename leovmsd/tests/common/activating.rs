//! A bus that starts leovmsd by D-Bus activation, from the project's own activation file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use leovms_testkit::{Bus, workspace_bin};

use super::World;

/// The committed activation file, with `Exec=` pointing at this build instead of
/// `/usr/bin`, in a service folder of its own.
fn service_dir(w: &World) -> PathBuf {
    let committed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../dbus/org.leovms.Leovms1.service");
    let text = std::fs::read_to_string(&committed).unwrap();
    let exec = format!("Exec={}", workspace_bin("leovmsd").display());
    let text = text.replace("Exec=/usr/bin/leovmsd", &exec);
    assert!(
        text.contains(&exec),
        "{} has no Exec=/usr/bin/leovmsd:\n{text}",
        committed.display()
    );
    let dir = w.tmp.path().join("services");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("org.leovms.Leovms1.service"), text).unwrap();
    dir
}

/// A world whose bus activates leovmsd with the world's environment plus `extra` (as
/// `dbus-update-activation-environment` gives a login session's bus). Returns the file
/// the bus and the activated daemons log to.
pub async fn activating_world(extra: &[(&str, &str)]) -> (World, PathBuf) {
    let mut w = World::new().await;
    let log = w.tmp.path().join("bus.log");
    w.bus = Bus::start_with_services(&service_dir(&w), &log).unwrap();
    let mut cmd = Command::new("true");
    w.env_for(&mut cmd);
    let mut env: HashMap<&str, &str> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_str()?, v?.to_str()?)))
        .collect();
    env.extend(extra.iter().copied());
    let conn = w.connection().await;
    zbus::fdo::DBusProxy::new(&conn)
        .await
        .unwrap()
        .update_activation_environment(env)
        .await
        .unwrap();
    (w, log)
}

/// The pid owning leovmsd's bus name, or None.
pub async fn owner_pid(conn: &zbus::Connection) -> Option<u32> {
    let dbus = zbus::fdo::DBusProxy::new(conn).await.unwrap();
    let name = zbus::names::BusName::try_from(leovms_api::BUS_NAME).unwrap();
    dbus.get_connection_unix_process_id(name).await.ok()
}
