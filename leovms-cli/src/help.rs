//! `--help` in the user's language. clap's derive takes the texts from the doc comments of
//! [`Cli`]; they are replaced at run time from the catalog, under ids built from the
//! command path (`help-start` for the about of `start`, `help-start-vm` for its argument
//! `vm`, `help-leovms-cli` for the program itself), and so are clap's own words (headings,
//! `-h`, `-V`, the `help` command). The English catalog holds the doc comments' texts, so
//! English `--help` reads as clap renders them (a test compares every command).
//!
//! clap's error messages ("error: unexpected argument…") stay English: clap words them
//! itself. The shell completions are made from the plain [`Cli`], so that a package builds
//! the same scripts whatever language its build runs in.

use clap::{Arg, ArgAction, Command, CommandFactory};
use leovms_l10n::i18n_embed::fluent::FluentLanguageLoader;

use crate::Cli;

/// clap's own words: headings, the built-in flags and the built-in `help` command.
#[cfg(test)]
const CLAP_WORDS: [&str; 9] = [
    "help-usage",
    "help-heading-commands",
    "help-heading-arguments",
    "help-heading-options",
    "help-flag",
    "help-flag-more",
    "help-flag-summary",
    "help-flag-version",
    "help-command-help",
];

/// The table after the program's own `--help`.
const EXIT_CODES: &str = "help-exit-codes";

/// The command line of `leovms-cli` worded in `loader`'s language, built (so that clap's
/// own `--help`, `--version` and `help` exist and are worded too).
pub fn command(loader: &FluentLanguageLoader) -> Command {
    let mut cmd = worded(Cli::command(), &[], loader).after_help(loader.get(EXIT_CODES));
    cmd.build();
    clap_worded(cmd, loader)
}

/// Every catalog id `--help` looks up, for the catalog check: a new command or argument
/// without its texts in the catalogs fails it.
#[cfg(test)]
pub fn catalog_ids() -> Vec<String> {
    let mut ids: Vec<String> = CLAP_WORDS.iter().map(|id| id.to_string()).collect();
    ids.push(EXIT_CODES.to_string());
    collect_ids(&Cli::command(), &[], &mut ids);
    ids
}

#[cfg(test)]
fn collect_ids(cmd: &Command, path: &[String], ids: &mut Vec<String>) {
    if cmd.get_about().is_some() {
        ids.push(about_id(path));
    }
    ids.extend(cmd.get_arguments().filter_map(|arg| help_id(path, arg)));
    for sub in cmd.get_subcommands() {
        collect_ids(sub, &sub_path(path, sub), ids);
    }
}

/// The id of a command's about: `help-<path>`, `help-leovms-cli` for the program.
fn about_id(path: &[String]) -> String {
    if path.is_empty() {
        "help-leovms-cli".to_string()
    } else {
        format!("help-{}", path.join("-"))
    }
}

/// The id of an argument's help, `help-<path>-<arg>`; `None` when it has no help text.
fn help_id(path: &[String], arg: &Arg) -> Option<String> {
    arg.get_help()?;
    let name = arg.get_id().as_str().replace('_', "-");
    Some(format!("help-{}", [path, &[name]].concat().join("-")))
}

fn sub_path(path: &[String], sub: &Command) -> Vec<String> {
    [path, &[sub.get_name().to_string()]].concat()
}

/// The texts of the doc comments, before the build (so that global arguments and the
/// copies of the commands under `help` carry them already).
fn worded(cmd: Command, path: &[String], loader: &FluentLanguageLoader) -> Command {
    let mut cmd = cmd;
    if cmd.get_about().is_some() {
        cmd = cmd.about(loader.get(&about_id(path)));
    }
    cmd.mut_args(|arg| match help_id(path, &arg) {
        Some(id) => arg.help(loader.get(&id)),
        None => arg,
    })
    .mut_subcommands(|sub| {
        let path = sub_path(path, &sub);
        worded(sub, &path, loader)
    })
}

/// clap's own words, after the build, when they exist: the usage heading (through the
/// template, as clap has no setting for it), the section headings (every argument gets
/// its heading, so that none falls back to clap's), `-h`, `-V` and `help`.
fn clap_worded(cmd: Command, loader: &FluentLanguageLoader) -> Command {
    let style = cmd.get_styles().get_usage();
    let usage = format!(
        "{}{}{}",
        style.render(),
        loader.get("help-usage"),
        style.render_reset()
    );
    // clap's two default templates, with its choice between them.
    let visible_subcommands = cmd
        .get_subcommands()
        .any(|sub| sub.get_name() != "help" && !sub.is_hide_set());
    let template = if visible_subcommands || cmd.get_arguments().any(|a| !a.is_hide_set()) {
        format!(
            "{{before-help}}{{about-with-newline}}\n{usage} {{usage}}\n\n{{all-args}}{{after-help}}"
        )
    } else {
        format!("{{before-help}}{{about-with-newline}}\n{usage} {{usage}}{{after-help}}")
    };
    let builtin_help = !cmd.is_disable_help_subcommand_set();
    cmd.help_template(template)
        .subcommand_help_heading(loader.get("help-heading-commands"))
        .mut_args(|arg| {
            let heading = if arg.is_positional() {
                "help-heading-arguments"
            } else {
                "help-heading-options"
            };
            builtin_arg(arg, loader).help_heading(loader.get(heading))
        })
        .mut_subcommands(|sub| {
            if builtin_help && sub.get_name() == "help" {
                clap_worded(help_command(sub, loader), loader)
            } else {
                clap_worded(sub, loader)
            }
        })
}

/// `-h`/`--help` and `-V`/`--version` as clap adds them; other arguments as they are.
fn builtin_arg(arg: Arg, loader: &FluentLanguageLoader) -> Arg {
    match arg.get_action() {
        // clap words -h and --help apart when some text has a longer form.
        ArgAction::Help if arg.get_long_help().is_some() => arg
            .help(loader.get("help-flag-more"))
            .long_help(loader.get("help-flag-summary")),
        ArgAction::Help => arg.help(loader.get("help-flag")),
        ArgAction::Version => arg.help(loader.get("help-flag-version")),
        _ => arg,
    }
}

/// clap's `help` command and the copies of the commands below it (for completion); the
/// copies took their abouts from the worded commands already, except clap's `help help`.
fn help_command(cmd: Command, loader: &FluentLanguageLoader) -> Command {
    cmd.about(loader.get("help-command-help"))
        .mut_subcommands(|sub| {
            if sub.get_name() == "help" {
                sub.about(loader.get("help-command-help"))
            } else {
                sub
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::l10n::Catalogs;
    use leovms_l10n::{Lang, loader_in};

    /// The help texts of `cmd` and of every command below it, short and long.
    fn helps(cmd: &mut Command, out: &mut Vec<(String, String)>) {
        let name = cmd.get_bin_name().unwrap_or(cmd.get_name()).to_string();
        out.push((format!("{name} -h"), cmd.render_help().to_string()));
        out.push((format!("{name} --help"), cmd.render_long_help().to_string()));
        for sub in cmd.get_subcommands_mut() {
            helps(sub, out);
        }
    }

    #[test]
    fn english_help_reads_as_the_doc_comments_say() {
        let en = loader_in(Lang::En, "leovms-cli", &Catalogs);
        let mut plain = Cli::command().after_help(en.get(EXIT_CODES));
        plain.build();
        let (mut expected, mut shown) = (Vec::new(), Vec::new());
        helps(&mut plain, &mut expected);
        helps(&mut command(&en), &mut shown);
        assert_eq!(expected.len(), shown.len());
        for ((name, want), (_, got)) in expected.iter().zip(&shown) {
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn german_help_has_german_words_everywhere() {
        let en = loader_in(Lang::En, "leovms-cli", &Catalogs);
        let de = loader_in(Lang::De, "leovms-cli", &Catalogs);
        let mut helps_de = Vec::new();
        helps(&mut command(&de), &mut helps_de);
        let root = &helps_de[0].1;
        for words in [
            "Aufruf:",
            "Befehle:",
            "Optionen:",
            "Hilfe anzeigen",
            "Exit-Codes:",
        ] {
            assert!(root.contains(words), "{words} missing:\n{root}");
        }
        // No English text of the catalog is left in any German help.
        for id in catalog_ids() {
            let english = en.get(&id);
            let first = english.lines().next().unwrap_or_default();
            for (name, text) in &helps_de {
                assert!(
                    !text.contains(first),
                    "{name} still says {first:?}:\n{text}"
                );
            }
        }
    }
}
