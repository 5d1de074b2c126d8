//! `leovms-demo-share DIR [--machines-dir D] [--base-data-mib N] [--foreign-snapshot]`:
//! writes a demo share (format v1) into DIR.

use std::path::PathBuf;
use std::process::ExitCode;

use leovms_testkit::{DemoOptions, build_demo_share};

const USAGE: &str =
    "usage: leovms-demo-share DIR [--machines-dir D] [--base-data-mib N] [--foreign-snapshot]";

fn parse(args: impl Iterator<Item = String>) -> Result<(PathBuf, DemoOptions), String> {
    let mut opts = DemoOptions::default();
    let mut dir = None;
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--machines-dir" => opts.machines_dir = PathBuf::from(value("--machines-dir")?),
            "--base-data-mib" => {
                let v = value("--base-data-mib")?;
                opts.base_data_mib = v
                    .parse()
                    .map_err(|_| format!("--base-data-mib: not a number: {v}"))?;
            }
            "--foreign-snapshot" => opts.foreign_snapshot = true,
            "-h" | "--help" => return Err(String::new()),
            f if f.starts_with('-') => return Err(format!("unknown option {f}")),
            _ if dir.is_none() => dir = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument {arg}")),
        }
    }
    Ok((dir.ok_or("DIR is required")?, opts))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let (dir, opts) = match parse(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(problem) if problem.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("leovms-demo-share: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match build_demo_share(&dir, &opts).await {
        Ok(share) => {
            for vm in &share.vms {
                let snaps: Vec<&str> = vm.snapshots.iter().map(|(id, _)| id.as_str()).collect();
                println!(
                    "{}: base {} snapshots {}",
                    vm.id,
                    vm.base_uuid,
                    snaps.join(", ")
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("leovms-demo-share: {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
