//! `leovms-vbox-double`: the project's own VirtualBox test double. Installed (symlinked) as
//! `VBoxManage`, `VirtualBoxVM` and `VBoxHeadless`; what it does depends on argv[0].
//!
//! State: `$VBOX_USER_HOME` (default `~/.config/VirtualBox`): `VirtualBox.xml`, the `.vbox`
//! files it names, and `leovms-double/running/<uuid>` for running VMs.
//! `LEOVMS_DOUBLE_LOG=FILE` appends `{"argv": [...], "vbox_user_home": "..."}` per call.

mod checks;
mod frontend;
mod home;
mod machine;
mod manage;
mod running;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use home::Home;

/// How a command fails, as VBoxManage reports it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Exit 1 (RTEXITCODE_FAILURE), `<prog>: error: <text>`.
    #[error("{0}")]
    Failure(String),
    /// Exit 2 (RTEXITCODE_SYNTAX), with the usage text.
    #[error("{0}")]
    Syntax(String),
}

impl Error {
    pub fn failure(text: impl Into<String>) -> Error {
        Error::Failure(text.into())
    }

    pub fn syntax(text: impl Into<String>) -> Error {
        Error::Syntax(text.into())
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let prog = args
        .first()
        .map(|a| a.rsplit('/').next().unwrap_or(a).to_owned())
        .unwrap_or_default();
    let home = Home::from_env();
    log_invocation(&prog, &args[1.min(args.len())..], &home);
    let result = match prog.as_str() {
        "VBoxManage" => manage::run(&home, &args[1..]),
        "VirtualBoxVM" | "VBoxHeadless" => frontend::run(&home, &prog, &args[1..]),
        _ => {
            eprintln!(
                "leovms-vbox-double: called as '{prog}'; run it through a link named \
                 VBoxManage, VirtualBoxVM or VBoxHeadless"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Failure(text)) => {
            for line in text.lines() {
                eprintln!("{prog}: error: {line}");
            }
            ExitCode::FAILURE
        }
        Err(Error::Syntax(text)) => {
            eprintln!("{}\n\n{prog}: error: {text}", manage::USAGE);
            ExitCode::from(2)
        }
    }
}

/// One JSON line per invocation, written with a single `write` so that concurrent
/// invocations do not interleave.
fn log_invocation(prog: &str, args: &[String], home: &Home) {
    let Some(log) = std::env::var_os("LEOVMS_DOUBLE_LOG") else {
        return;
    };
    let argv: Vec<&str> = std::iter::once(prog)
        .chain(args.iter().map(String::as_str))
        .collect();
    let line = serde_json::json!({
        "argv": argv,
        "vbox_user_home": home.dir.to_string_lossy(),
    });
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(PathBuf::from(&log))
        .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "leovms-vbox-double: cannot log to {}: {e}",
            PathBuf::from(log).display()
        );
    }
}
