//! `--help` in the admin's language. The command is built first (so that the global options,
//! `-h`/`-V` and the `help` command exist everywhere), then every text is replaced from the
//! catalog. The ids follow the command path: `help` and `help-publish` (the about),
//! `help-publish-upload` (an argument), `help-root` (a global option, the same everywhere),
//! `help-flag-help`; the headings are `help-heading-*`. The catalog check walks the same
//! command ([`ids`]), so an option without catalog entries fails it.

use std::cell::RefCell;
use std::collections::HashMap;

use clap::{Arg, Command, CommandFactory};

use crate::Cli;
use crate::l10n::LOADER;

/// The command line with the texts of the catalog.
pub fn command() -> Command {
    localize(Cli::command(), &Texts::Catalog)
}

/// Every catalog id [`command`] looks up.
#[cfg(test)]
pub fn ids() -> Vec<String> {
    let texts = Texts::Ids(RefCell::default());
    localize(Cli::command(), &texts);
    let Texts::Ids(ids) = texts else {
        unreachable!()
    };
    let mut ids = ids.into_inner();
    ids.sort();
    ids.dedup();
    ids
}

/// Where the texts come from: the catalog, or (for the catalog check) a record of the ids.
enum Texts {
    Catalog,
    #[cfg_attr(not(test), allow(dead_code))]
    Ids(RefCell<Vec<String>>),
}

impl Texts {
    fn get(&self, id: &str) -> String {
        self.with(id, None)
    }

    /// The text `id`, with one argument.
    fn with(&self, id: &str, arg: Option<(&'static str, &str)>) -> String {
        match self {
            Texts::Catalog => match arg {
                None => LOADER.get(id),
                Some((name, value)) => LOADER.get_args(id, HashMap::from([(name, value)])),
            },
            Texts::Ids(ids) => {
                ids.borrow_mut().push(id.to_owned());
                String::new()
            }
        }
    }
}

type Text<'a> = &'a Texts;

fn localize(mut cmd: Command, text: Text) -> Command {
    cmd.build();
    walk(cmd, "help", text)
}

/// A command, its arguments and subcommands; `id` is its catalog id.
fn walk(cmd: Command, id: &str, text: Text) -> Command {
    let template = template(&cmd, text);
    let cmd = cmd
        .about(text.get(id))
        .help_template(template)
        .mut_args(|arg| localize_arg(arg, id, text));
    cmd.mut_subcommands(|sub| {
        let sub_id = format!("{id}-{}", sub.get_name());
        if sub.get_name() == "help" && id == "help" {
            help_command(sub, text)
        } else {
            walk(sub, &sub_id, text)
        }
    })
}

/// clap's `help` command: its copies of the other commands (for completion) get the same
/// abouts as the commands themselves.
fn help_command(cmd: Command, text: Text) -> Command {
    fn copies(cmd: Command, id: &str, text: Text) -> Command {
        cmd.about(text.get(id)).mut_subcommands(|sub| {
            let sub_id = match sub.get_name() {
                "help" => "help-help".to_owned(),
                name => format!("{id}-{name}"),
            };
            copies(sub, &sub_id, text)
        })
    }
    let cmd = cmd.about(text.get("help-help"));
    cmd.mut_subcommands(|sub| {
        let sub_id = format!("help-{}", sub.get_name());
        copies(sub, &sub_id, text)
    })
}

fn localize_arg(mut arg: Arg, command_id: &str, text: Text) -> Arg {
    let name = arg.get_id().as_str().replace('_', "-");
    let id = match name.as_str() {
        "help" | "version" => format!("help-flag-{name}"),
        _ if arg.is_global_set() => format!("help-{name}"),
        _ => format!("{command_id}-{name}"),
    };
    let mut help = text.get(&id);
    // clap's "[default: …]" and "[possible values: …]", worded by the catalog.
    if arg.get_action().takes_values() && !arg.get_default_values().is_empty() {
        let values: Vec<_> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        help.push(' ');
        help.push_str(&text.with("help-default", Some(("value", &values.join(" ")))));
        arg = arg.hide_default_value(true);
    }
    let possible: Vec<_> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_owned())
        .collect();
    if !possible.is_empty() {
        help.push(' ');
        help.push_str(&text.with("help-possible", Some(("values", &possible.join(", ")))));
        arg = arg.hide_possible_values(true);
    }
    arg.help(help)
}

/// clap's default layout with the headings of the catalog, the sections this command has.
fn template(cmd: &Command, text: Text) -> String {
    let styles = cmd.get_styles();
    let (header, usage) = (styles.get_header(), styles.get_usage());
    let mut sections = Vec::new();
    let mut section = |id: &str, tag: &str| {
        sections.push(format!("{header}{}{header:#}\n{{{tag}}}", text.get(id)));
    };
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        section("help-heading-commands", "subcommands");
    }
    if cmd.get_positionals().any(|a| !a.is_hide_set()) {
        section("help-heading-arguments", "positionals");
    }
    if cmd
        .get_arguments()
        .any(|a| !a.is_positional() && !a.is_hide_set())
    {
        section("help-heading-options", "options");
    }
    format!(
        "{{before-help}}{{about-with-newline}}\n{usage}{}{usage:#} {{usage}}\n\n{}{{after-help}}",
        text.get("help-heading-usage"),
        sections.join("\n\n")
    )
}
