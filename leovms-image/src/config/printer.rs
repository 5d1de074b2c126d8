//! The VM printer: the `[printer]` table of image.conf (per VM) and of
//! leovms-client.conf (all PCs). What the VM prints into the print file is printed on the
//! PC's printer; see docs/format.md.

use serde::Deserialize;

use super::{ConfigError, KeyIndex, is_home_or_absolute};
use crate::name::SafeName;

/// The print file when `file` is not set: this name in the VM's shared folder `home`.
pub const DEFAULT_PRINT_FILE: &str = "ausdruck.pdf";
/// Largest document printed when `max_mb` is not set (MB).
pub const DEFAULT_PRINT_MAX_MB: u32 = 100;
/// Accepted values of `max_mb`.
const MAX_MB_LIMITS: std::ops::RangeInclusive<u32> = 1..=4096;
/// CUPS refuses longer queue names.
const QUEUE_MAX_BYTES: usize = 127;
/// Characters CUPS does not allow in a queue name (besides spaces and controls).
const QUEUE_FORBIDDEN: [char; 6] = ['/', '\\', '\'', '"', '#', '?'];
/// Keys of `[printer]`, which the hint for misplaced keys recognizes.
const KEYS: [&str; 4] = ["enabled", "file", "queue", "max_mb"];

/// One `[printer]` table; every key is optional (unset: the other file's or the default).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterConf {
    /// `false`: nothing is printed from the VM.
    pub enabled: Option<bool>,
    /// The file the VM prints into: absolute or `~/…`.
    pub file: Option<String>,
    /// The CUPS queue; unset: the user's default printer.
    pub queue: Option<String>,
    /// Larger documents are set aside, never printed.
    pub max_mb: Option<u32>,
}

impl PrinterConf {
    /// These settings (image.conf's) over `machine_wide` (leovms-client.conf's): each key
    /// set here wins, every other key comes from `machine_wide`.
    pub fn over(&self, machine_wide: &PrinterConf) -> PrinterConf {
        PrinterConf {
            enabled: self.enabled.or(machine_wide.enabled),
            file: self.file.clone().or_else(|| machine_wide.file.clone()),
            queue: self.queue.clone().or_else(|| machine_wide.queue.clone()),
            max_mb: self.max_mb.or(machine_wide.max_mb),
        }
    }

    pub(crate) fn check(&self, index: &KeyIndex<'_>) -> Result<(), ConfigError> {
        if let Some(file) = &self.file {
            check_file(file).map_err(|problem| index.error_at("printer.file", problem))?;
        }
        if let Some(queue) = &self.queue {
            check_queue(queue).map_err(|problem| index.error_at("printer.queue", problem))?;
        }
        if let Some(mb) = self.max_mb
            && !MAX_MB_LIMITS.contains(&mb)
        {
            return Err(index.error_at(
                "printer.max_mb",
                format!(
                    "must be between {} and {} MB",
                    MAX_MB_LIMITS.start(),
                    MAX_MB_LIMITS.end()
                ),
            ));
        }
        Ok(())
    }
}

fn check_file(file: &str) -> Result<(), String> {
    if !is_home_or_absolute(file) {
        return Err("must be an absolute path or start with ~/ (the user's home)".into());
    }
    if file == "~" || file.ends_with('/') {
        return Err("must name a file, not a folder, e.g. \"~/ausdruck.pdf\"".into());
    }
    let name = file.rsplit('/').next().unwrap_or_default();
    SafeName::new(name)
        .map(drop)
        .map_err(|e| format!("not usable as a file name: {e}"))
}

/// The rules of CUPS for queue names (`lpadmin -p`).
fn check_queue(queue: &str) -> Result<(), String> {
    if queue.is_empty() {
        return Err("must not be empty (leave it out for the user's default printer)".into());
    }
    if queue.len() > QUEUE_MAX_BYTES {
        return Err(format!(
            "is longer than {QUEUE_MAX_BYTES} bytes (the limit of CUPS)"
        ));
    }
    if let Some(c) = queue
        .chars()
        .find(|&c| c.is_whitespace() || crate::text::is_unsafe(c))
    {
        return Err(format!(
            "contains {c:?}: a printer queue name has no spaces or control characters"
        ));
    }
    if let Some(c) = queue.chars().find(|c| QUEUE_FORBIDDEN.contains(c)) {
        return Err(format!(
            "contains {c:?}: a printer queue name has no / \\ ' \" # ?"
        ));
    }
    Ok(())
}

/// Say where printer settings belong when TOML read them elsewhere: keys below a table
/// header are part of that table, so `printer.queue` after `[[cache]]` is `cache.printer`,
/// and `[[printer]]` or `printer = "…"` is not a table at all.
pub(super) fn misplaced_hint(mut e: ConfigError) -> ConfigError {
    let Some(key) = e.key.as_deref() else {
        return e;
    };
    let (parent, last) = match key.rsplit_once('.') {
        Some((parent, last)) => (Some(parent), last),
        None => (None, key),
    };
    if key == "printer" && e.message.starts_with("invalid type") {
        e.message =
            "must be a table: write [printer] on a line of its own, its keys below it".into();
        return e;
    }
    if !e.message.starts_with("unknown key") || parent == Some("printer") {
        return e;
    }
    if let (Some(parent), "printer") = (parent, last) {
        e.message = format!(
            "unknown key: printer settings belong in their own [printer] table; \
             written here, TOML reads them as part of \"{parent}\""
        );
    } else if KEYS.contains(&last) {
        e.message = format!(
            "{}; printer settings belong in a [printer] table",
            e.message
        );
    }
    e
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{ClientConf, ImageConf};
    use super::*;

    const IMAGE: &str = "/data/vm-win10/image.conf";
    const CLIENT: &str = "/data/leovms-client.conf";

    /// image.conf with `name` on line 1 and `[printer]` on line 2: keys start at line 3.
    fn image_printer(body: &str) -> Result<PrinterConf, String> {
        let text = format!("name = \"x\"\n[printer]\n{body}");
        ImageConf::parse(&text, Path::new(IMAGE))
            .map(|c| c.printer)
            .map_err(|e| e.to_string())
    }

    fn client(text: &str) -> Result<ClientConf, String> {
        ClientConf::parse(text, Path::new(CLIENT)).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults() {
        let conf = ImageConf::parse("name = \"x\"\n", Path::new(IMAGE)).unwrap();
        assert_eq!(conf.printer, PrinterConf::default());
        assert_eq!(
            PrinterConf::default(),
            PrinterConf {
                enabled: None,
                file: None,
                queue: None,
                max_mb: None
            }
        );
        assert_eq!(client("").unwrap().printer, PrinterConf::default());
        assert_eq!(image_printer("").unwrap(), PrinterConf::default());
        assert_eq!(DEFAULT_PRINT_FILE, "ausdruck.pdf");
        assert_eq!(DEFAULT_PRINT_MAX_MB, 100);
    }

    #[test]
    fn full_table() {
        let full = PrinterConf {
            enabled: Some(false),
            file: Some("~/Home_auf_Server/druck.pdf".into()),
            queue: Some("HP_LaserJet-R101".into()),
            max_mb: Some(250),
        };
        let body = "enabled = false\nfile = \"~/Home_auf_Server/druck.pdf\"\n\
                    queue = \"HP_LaserJet-R101\"\nmax_mb = 250\n";
        assert_eq!(image_printer(body).unwrap(), full);
        assert_eq!(client(&format!("[printer]\n{body}")).unwrap().printer, full);
        let dotted = "name = \"x\"\nprinter.queue = \"r101\"\nprinter.max_mb = 1\n";
        let conf = ImageConf::parse(dotted, Path::new(IMAGE)).unwrap();
        assert_eq!(conf.printer.queue.as_deref(), Some("r101"));
        assert_eq!(conf.printer.max_mb, Some(1));
        let ok = image_printer("file = \"/srv/druck/ausdruck.pdf\"\nmax_mb = 4096\n");
        assert!(ok.is_ok(), "{ok:?}");
        let longest = format!("queue = \"{}\"\n", "q".repeat(127));
        assert!(image_printer(&longest).is_ok());
    }

    #[test]
    fn image_keys_win_key_by_key() {
        let machine_wide = PrinterConf {
            enabled: Some(true),
            file: Some("/srv/druck/alle.pdf".into()),
            queue: Some("flur".into()),
            max_mb: Some(50),
        };
        let none = PrinterConf::default();
        assert_eq!(none.over(&machine_wide), machine_wide);
        assert_eq!(machine_wide.over(&none), machine_wide);
        assert_eq!(none.over(&none), none);
        let image = PrinterConf {
            enabled: Some(false),
            ..Default::default()
        };
        assert_eq!(image.over(&machine_wide).enabled, Some(false));
        assert_eq!(image.over(&machine_wide).queue.as_deref(), Some("flur"));
        let image = PrinterConf {
            file: Some("~/vm.pdf".into()),
            ..Default::default()
        };
        let got = image.over(&machine_wide);
        assert_eq!(got.file.as_deref(), Some("~/vm.pdf"));
        assert_eq!((got.enabled, got.max_mb), (Some(true), Some(50)));
        let image = PrinterConf {
            queue: Some("r101".into()),
            max_mb: Some(500),
            ..Default::default()
        };
        let got = image.over(&machine_wide);
        assert_eq!(got.queue.as_deref(), Some("r101"));
        assert_eq!(got.max_mb, Some(500));
        assert_eq!(got.file, machine_wide.file);
        // Off for all PCs, on again for one VM.
        let off = PrinterConf {
            enabled: Some(false),
            ..Default::default()
        };
        let on = PrinterConf {
            enabled: Some(true),
            ..Default::default()
        };
        assert_eq!(on.over(&off).enabled, Some(true));
        assert_eq!(none.over(&off).enabled, Some(false));
    }

    #[test]
    fn file_must_name_a_file_at_home_or_absolute() {
        let start = format!("{IMAGE}:3: printer.file: ");
        for (file, problem) in [
            (
                "ausdruck.pdf",
                "must be an absolute path or start with ~/ (the user's home)",
            ),
            ("~bob/x.pdf", "must be an absolute path or start with ~/"),
            ("", "must be an absolute path or start with ~/"),
            ("~", "must name a file, not a folder"),
            ("~/", "must name a file, not a folder"),
            ("/", "must name a file, not a folder"),
            ("~/Home_auf_Server/", "must name a file, not a folder"),
            ("~/..", "not usable as a file name: bad name \"..\""),
            ("/srv/.", "not usable as a file name"),
            ("~/.druck.pdf", "starts with '.'"),
        ] {
            let e = image_printer(&format!("file = \"{file}\"\n")).unwrap_err();
            assert!(e.starts_with(&start) && e.contains(problem), "{file}: {e}");
        }
        let long = format!("file = \"~/{}.pdf\"\n", "x".repeat(130));
        let e = image_printer(&long).unwrap_err();
        assert!(
            e.starts_with(&start) && e.contains("longer than 128"),
            "{e}"
        );
    }

    #[test]
    fn queue_must_be_a_cups_name() {
        let start = format!("{IMAGE}:3: printer.queue: ");
        for (queue, problem) in [
            ("", "must not be empty"),
            (
                "Drucker R101",
                "contains ' ': a printer queue name has no spaces",
            ),
            ("a\u{a0}b", "has no spaces"),
            ("a/b", "contains '/'"),
            ("a\\\\b", "contains '\\\\'"),
            ("it's", "contains '\\''"),
            ("a\\\"b", "contains '\"'"),
            ("r#1", "contains '#'"),
            ("wer?", "contains '?'"),
        ] {
            let e = image_printer(&format!("queue = \"{queue}\"\n")).unwrap_err();
            assert!(e.starts_with(&start) && e.contains(problem), "{queue}: {e}");
        }
        let long = format!("queue = \"{}\"\n", "q".repeat(128));
        let e = image_printer(&long).unwrap_err();
        assert_eq!(
            e,
            format!("{start}is longer than 127 bytes (the limit of CUPS)")
        );
        // A tab is a control character: refused with every other text.
        let e = image_printer("queue = \"a\\tb\"\n").unwrap_err();
        assert!(e.starts_with(&start) && e.contains("control"), "{e}");
    }

    #[test]
    fn max_mb_limits() {
        let start = format!("{IMAGE}:3: printer.max_mb: ");
        for body in ["max_mb = 0\n", "max_mb = 4097\n"] {
            let e = image_printer(body).unwrap_err();
            assert_eq!(e, format!("{start}must be between 1 and 4096 MB"));
        }
        let e = image_printer("max_mb = -1\n").unwrap_err();
        assert!(e.starts_with(&start) && e.contains("invalid value"), "{e}");
        let e = image_printer("max_mb = \"100\"\n").unwrap_err();
        assert!(e.starts_with(&start) && e.contains("invalid type"), "{e}");
        let e = image_printer("enabled = \"no\"\n").unwrap_err();
        assert!(
            e.starts_with(&format!("{IMAGE}:3: printer.enabled: invalid type")),
            "{e}"
        );
    }

    #[test]
    fn client_conf_errors_name_file_line_and_key() {
        let text = "format = 1\n\n[printer]\nenabled = true\nqueue = \"a b\"\n";
        let e = client(text).unwrap_err();
        assert!(
            e.starts_with(&format!("{CLIENT}:5: printer.queue: contains ' '")),
            "{e}"
        );
        let e = client("[printer]\nfile = \"druck.pdf\"\n").unwrap_err();
        assert_eq!(
            e,
            format!(
                "{CLIENT}:2: printer.file: must be an absolute path or start with ~/ (the user's home)"
            )
        );
        let e = client("[printer]\n\nmax_mb = 5000\n").unwrap_err();
        assert_eq!(
            e,
            format!("{CLIENT}:3: printer.max_mb: must be between 1 and 4096 MB")
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = image_printer("enabled = true\nque = \"r101\"\n").unwrap_err();
        assert!(
            e.starts_with(&format!("{IMAGE}:4: printer.que: unknown key")),
            "{e}"
        );
        assert!(e.contains("`queue`"), "{e}");
        let e = client("[printer]\nmax_gb = 1\n").unwrap_err();
        assert!(
            e.starts_with(&format!("{CLIENT}:2: printer.max_gb: unknown key")),
            "{e}"
        );
    }

    #[test]
    fn printer_table_after_cache_tables() {
        let text = "format = 1\npresync = [\"vm-win10\"]\n\n[[cache]]\n\
                    path = \"/var/cache/leovms\"\nlimit_gb = 50\n\n[printer]\n\
                    queue = \"flur\"\nmax_mb = 20\n";
        let conf = client(text).unwrap();
        assert_eq!(conf.caches.len(), 1);
        assert_eq!(conf.caches[0].path, Path::new("/var/cache/leovms"));
        assert_eq!(conf.presync[0].as_str(), "vm-win10");
        assert_eq!(conf.printer.queue.as_deref(), Some("flur"));
        assert_eq!(conf.printer.max_mb, Some(20));
        // Before the caches, too.
        let text = "[printer]\nenabled = false\n\n[[cache]]\npath = \"/c\"\nlimit_gb = 1\n";
        let conf = client(text).unwrap();
        assert_eq!((conf.printer.enabled, conf.caches.len()), (Some(false), 1));
    }

    #[test]
    fn misplaced_printer_keys_say_where_they_belong() {
        let cache = "[[cache]]\npath = \"/a\"\nlimit_gb = 1\n";
        let e = client(&format!("{cache}printer.queue = \"flur\"\n")).unwrap_err();
        assert_eq!(
            e,
            format!(
                "{CLIENT}:4: cache.printer: unknown key: printer settings belong in their own \
                 [printer] table; written here, TOML reads them as part of \"cache\""
            )
        );
        let e = client(&format!("{cache}queue = \"flur\"\n")).unwrap_err();
        assert!(
            e.starts_with(&format!("{CLIENT}:4: cache.queue: unknown key"))
                && e.ends_with("; printer settings belong in a [printer] table"),
            "{e}"
        );
        let e = client("queue = \"flur\"\n").unwrap_err();
        assert!(
            e.starts_with(&format!("{CLIENT}:1: queue: unknown key"))
                && e.ends_with("printer settings belong in a [printer] table"),
            "{e}"
        );
        for text in ["[[printer]]\nqueue = \"flur\"\n", "printer = \"flur\"\n"] {
            let e = client(text).unwrap_err();
            assert_eq!(
                e,
                format!(
                    "{CLIENT}:1: printer: must be a table: write [printer] on a line of its \
                     own, its keys below it"
                ),
                "{text}"
            );
        }
        let text = "name = \"x\"\n[ram]\nmax_mb = 4096\nprinter.enabled = false\n";
        let e = ImageConf::parse(text, Path::new(IMAGE))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!(
                "{IMAGE}:4: ram.printer: unknown key: printer settings"
            )) && e.contains("part of \"ram\""),
            "{e}"
        );
        // Other unknown keys keep their message.
        let e = client(&format!("{cache}size = 1\n")).unwrap_err();
        assert_eq!(
            e,
            format!("{CLIENT}:4: cache.size: unknown key, expected `path` or `limit_gb`")
        );
    }
}
