//! The command line: the tray takes no arguments besides `--help` and `--version`.

pub const USAGE: &str = "Usage: leovms-tray [--help | --version]";

pub const HELP: &str = "\
leovms-tray: the panel icon of leovms, to start the school's virtual machines.

Usage: leovms-tray [--help | --version]

Puts an icon into the desktop's panel (StatusNotifierItem). Its menu lists the
machines leovmsd offers, starts them, shows progress, and keeps machines for offline
use; members of the group p_leovms also upload their machines from it. It needs a
desktop session with a D-Bus session bus and is started at login. Only one tray runs
per session.

Options:
  -h, --help     Print this help and exit
  -V, --version  Print the version and exit

Environment:
  LEOVMS_LOG     Log filter for standard error (default: info)

See leovms-tray(1) and /usr/share/doc/leovms-client/docs/tray.md.
";

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
        return Command::Wrong(format!("unexpected argument '{extra}'"));
    }
    match first.as_str() {
        "--help" | "-h" => Command::Help,
        "--version" | "-V" => Command::Version,
        other if other.starts_with('-') => Command::Wrong(format!("unknown option '{other}'")),
        other => Command::Wrong(format!("unexpected argument '{other}'")),
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
        assert!(HELP.contains(USAGE));
    }
}
