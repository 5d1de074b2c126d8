//! `uploadable` and `upload`: a machine of the user's own VirtualBox, or a leovms working
//! copy, packed into the upload share for the admin to publish.

use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use leovms_api::{ManagerProxy, UploadKind, UploadOptions, UploadSource, Uploadable};
use zbus::Connection;

use crate::exit::CliError;
use crate::follow::{FollowOptions, follow};
use crate::l10n::fl;
use crate::output::{format_size, or_dash, print_json, table};
use crate::words;

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// A machine of your own VirtualBox: its name or UUID (see `uploadable`)
    #[arg(
        long,
        value_name = "NAME|UUID",
        conflicts_with = "working_copy",
        required_unless_present = "working_copy"
    )]
    pub machine: Option<String>,
    /// Your leovms working copy of a machine (its id), as you left it
    #[arg(long, value_name = "VM")]
    pub working_copy: Option<String>,
    /// Upload as a new snapshot of the VM it was made from, or as a new VM
    /// (default: a snapshot when it was made from a published VM)
    #[arg(long = "as", value_name = "KIND", value_parser = upload_kinds())]
    pub kind: Option<UploadKind>,
    /// The new VM's id (with --as vm)
    #[arg(long, value_name = "ID")]
    pub vm: Option<String>,
    /// The new snapshot's id (default: made from the name)
    #[arg(long, value_name = "ID")]
    pub snapshot: Option<String>,
    /// The name students will see (default: the machine's name)
    #[arg(long)]
    pub name: Option<String>,
    /// A sentence on what is special about it
    #[arg(long)]
    pub description: Option<String>,
}

/// The words `--as` takes: those of [`UploadKind`], so completion offers them too.
fn upload_kinds() -> impl TypedValueParser<Value = UploadKind> {
    PossibleValuesParser::new(UploadKind::KNOWN.iter().map(|k| k.as_str()))
        .map(|word| UploadKind::parse(&word))
}

pub async fn list(mgr: &ManagerProxy<'_>, json: bool) -> Result<(), CliError> {
    let items = mgr.list_uploadable().await?;
    if json {
        return print_json(&items);
    }
    if items.is_empty() {
        say!("{}", fl!("uploadable-none"));
        return Ok(());
    }
    say_raw!("{}", uploadable_table(&items));
    Ok(())
}

fn uploadable_table(items: &[Uploadable]) -> String {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|u| {
            let (upload_as, size) = if u.vm.is_empty() {
                (fl!("uploadable-as-vm"), u.vm_bytes)
            } else {
                (
                    fl!("uploadable-as-snapshot", vm = u.vm.as_str()),
                    u.snapshot_bytes,
                )
            };
            vec![
                words::upload_source(u.source),
                if u.source == UploadSource::VirtualBox {
                    u.name.clone()
                } else {
                    u.id.clone()
                },
                words::uploadable_state(u.state),
                upload_as,
                format_size(size),
                or_dash(&u.problem_text()),
            ]
        })
        .collect();
    let headers = [
        fl!("column-source"),
        fl!("column-machine"),
        fl!("column-state"),
        fl!("column-upload-as"),
        fl!("column-size"),
        fl!("column-problem"),
    ];
    table(&headers, &rows)
}

pub async fn upload(
    conn: &Connection,
    mgr: &ManagerProxy<'_>,
    args: UploadArgs,
    json: bool,
) -> Result<(), CliError> {
    let (source, id) = match (args.machine, args.working_copy) {
        (Some(m), None) => (UploadSource::VirtualBox, m),
        (None, Some(vm)) => (UploadSource::WorkingCopy, vm),
        _ => {
            return Err(CliError::Usage(fl!("upload-machine-or-working-copy")));
        }
    };
    let options = UploadOptions {
        kind: args.kind,
        vm: args.vm,
        snapshot: args.snapshot,
        name: args.name,
        description: args.description,
    };
    let path = mgr.upload(source, &id, options).await?;
    let opts = FollowOptions {
        wait: false,
        json,
        requested: true,
    };
    follow(conn, path, opts).await
}
