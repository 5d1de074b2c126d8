//! The command line: the tray takes no arguments besides `--help` and `--version`.

use crate::l10n::fl;

/// `Usage: leovms-tray [--help | --version]`, in the user's language.
pub fn usage() -> String {
    fl!("usage")
}

/// What `--help` prints.
pub fn help() -> String {
    fl!("help")
}

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// No arguments: run the tray.
    Run,
    Help,
    Version,
    /// Anything else: the usage on stderr, exit status 2.
    Wrong(String),
}

/// What the arguments (without the program's name) ask for.
pub fn parse(mut args: impl Iterator<Item = String>) -> Command {
    let Some(first) = args.next() else {
        return Command::Run;
    };
    if let Some(extra) = args.next() {
        return Command::Wrong(fl!("args-unexpected", argument = extra));
    }
    match first.as_str() {
        "--help" | "-h" => Command::Help,
        "--version" | "-V" => Command::Version,
        other if other.starts_with('-') => {
            Command::Wrong(fl!("args-unknown-option", option = other))
        }
        other => Command::Wrong(fl!("args-unexpected", argument = other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(args: &[&str]) -> Command {
        parse(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn help_and_version_are_understood_and_anything_else_is_wrong() {
        assert_eq!(parse_all(&[]), Command::Run);
        assert_eq!(parse_all(&["--help"]), Command::Help);
        assert_eq!(parse_all(&["-h"]), Command::Help);
        assert_eq!(parse_all(&["--version"]), Command::Version);
        assert_eq!(parse_all(&["-V"]), Command::Version);
        assert_eq!(
            parse_all(&["--bogus"]),
            Command::Wrong("unknown option '--bogus'".into())
        );
        assert_eq!(
            parse_all(&["--help", "x"]),
            Command::Wrong("unexpected argument 'x'".into())
        );
        assert_eq!(
            parse_all(&["start"]),
            Command::Wrong("unexpected argument 'start'".into())
        );
        assert!(help().contains(&usage()));
        assert!(help().ends_with("docs/tray.md."), "{}", help());
    }
}
