//! `VirtualBoxVM --startvm VM` / `VBoxHeadless --startvm VM`: power the VM up and stay in
//! the foreground until it powers off (SIGTERM/SIGINT/SIGHUP, like closing the window,
//! or after `LEOVMS_DOUBLE_VM_LIFETIME` seconds, like a guest shutdown).
//! `LEOVMS_DOUBLE_START_FAIL=1` fails like a host without the vboxdrv kernel module.
//! `LEOVMS_DOUBLE_START_GATE=FILE` holds the power-up until FILE exists, like a slow host,
//! so tests can act deterministically while a start is in its launch phase.

use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

use crate::home::Home;
use crate::{Error, checks, running};

const DRIVER_ERROR: &str = "\
Kernel driver not installed (rc=-1908)

The VirtualBox Linux kernel driver is either not loaded or not set up correctly. \
Please try setting it up again by executing

'/sbin/vboxconfig'

as root.

where: suplibOsInit what: 3 VERR_VM_DRIVER_NOT_INSTALLED (-1908) - The support driver is not \
installed. On linux, open returned ENOENT.";

pub fn run(home: &Home, prog: &str, args: &[String]) -> Result<(), Error> {
    let vm = startvm_arg(args)
        .ok_or_else(|| Error::syntax(format!("{prog}: --startvm <name|uuid> is required")))?;
    let machine = home.find(&vm)?;
    if std::env::var("LEOVMS_DOUBLE_START_FAIL").is_ok_and(|v| v == "1") {
        return Err(Error::failure(DRIVER_ERROR));
    }
    checks::check_startable(home, &machine)?;
    let lifetime = match std::env::var("LEOVMS_DOUBLE_VM_LIFETIME") {
        Ok(secs) => Some(
            secs.parse::<f64>()
                .ok()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .ok_or_else(|| {
                    Error::failure(format!("LEOVMS_DOUBLE_VM_LIFETIME: bad value {secs}"))
                })?,
        ),
        Err(_) => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::failure(e.to_string()))?;
    runtime.block_on(async {
        // Handlers first: a poweroff may arrive as soon as the running file exists.
        let mut term = signal(SignalKind::terminate()).map_err(fail)?;
        let mut int = signal(SignalKind::interrupt()).map_err(fail)?;
        let mut hup = signal(SignalKind::hangup()).map_err(fail)?;
        if let Some(gate) = std::env::var_os("LEOVMS_DOUBLE_START_GATE") {
            let opened = async {
                while !std::path::Path::new(&gate).exists() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            };
            // Closing the window before the VM is up ends it without powering up.
            tokio::select! {
                () = opened => {}
                _ = term.recv() => return Ok(()),
                _ = int.recv() => return Ok(()),
                _ = hup.recv() => return Ok(()),
            }
        }
        let file = match running::claim(&home.dir, &machine.uuid) {
            Ok(Some(file)) => file,
            Ok(None) => return Err(checks::already_locked(&machine)),
            Err(e) => return Err(fail(e)),
        };
        let lifetime = async {
            match lifetime {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
            () = lifetime => {}
        }
        std::fs::remove_file(&file).map_err(fail)
    })
}

/// `--startvm VM`, `--startvm=VM`, `-startvm VM` or `-s VM`; other options are ignored
/// (`--separate`, `--fullscreen`, ...).
fn startvm_arg(args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--startvm" | "-startvm" | "-s" => return it.next().cloned(),
            other => {
                if let Some(vm) = other.strip_prefix("--startvm=") {
                    return Some(vm.to_owned());
                }
            }
        }
    }
    None
}

fn fail(e: std::io::Error) -> Error {
    Error::failure(e.to_string())
}
