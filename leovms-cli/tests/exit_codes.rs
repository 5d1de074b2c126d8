//! The exit-code table after `leovms-cli --help`: its columns line up, and it lists the
//! codes docs/cli.md documents.

use std::process::Command;

/// The lines of the table, after "Exit codes:", as `--help` prints them.
fn help_table() -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_leovms-cli"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let help = String::from_utf8(out.stdout).unwrap();
    let (_, table) = help
        .split_once("Exit codes:\n")
        .unwrap_or_else(|| panic!("no exit codes in:\n{help}"));
    table
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Where the code ends and where its meaning starts, in characters.
fn columns(line: &str) -> (usize, usize) {
    let code_start = line.len() - line.trim_start().len();
    let code_len = line[code_start..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or_else(|| panic!("no code at the start of {line:?}"));
    let code_end = code_start + code_len;
    let text_start = code_end + (line[code_end..].len() - line[code_end..].trim_start().len());
    (code_end, text_start)
}

#[test]
fn the_exit_code_table_in_the_help_lines_up() {
    let table = help_table();
    assert!(table.len() >= 15, "{table:#?}");
    let (code_end, text_start) = columns(&table[0]);
    for line in &table {
        assert_eq!(
            columns(line),
            (code_end, text_start),
            "this line is not aligned with the first:\n{}\n{line}",
            table[0]
        );
        assert!(
            line[code_end..text_start].len() >= 2,
            "code and meaning run together: {line:?}"
        );
    }
}

#[test]
fn the_help_lists_the_codes_the_docs_document() {
    let in_help: Vec<u32> = help_table()
        .iter()
        .map(|l| {
            let (end, _) = columns(l);
            l[..end].trim().parse().unwrap()
        })
        .collect();
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cli.md")).unwrap();
    let (_, section) = docs
        .split_once("## Exit codes")
        .expect("docs/cli.md has exit codes");
    let in_docs: Vec<u32> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect();
    assert_eq!(in_help, in_docs);
}
