//! The bash completion script of `leovms-cli completions bash`, loaded into a real bash
//! and asked what it completes, as pressing Tab would.

use std::process::Command;

/// What the completion offers for the words of `line` (the last word is being completed).
fn complete(line: &str) -> Vec<String> {
    let script = Command::new(env!("CARGO_BIN_EXE_leovms-cli"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(script.status.success(), "{script:?}");
    let dir = std::env::temp_dir().join(format!("leovms-cli-completion.{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("leovms-cli.{}.bash", line.len()));
    std::fs::write(&file, &script.stdout).unwrap();
    // As bash calls the function for Tab: COMP_WORDS/COMP_CWORD set, and the arguments
    // command, word being completed, word before it. The function is the one the script
    // registers for leovms-cli, whatever clap_complete calls it.
    let driver = r#"
source "$1"
read -r -a COMP_WORDS <<< "$2"
[[ "$2" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="$2"
COMP_POINT=${#COMP_LINE}
spec=$(complete -p leovms-cli) || exit 3
fn=${spec#*-F }
fn=${fn%% *}
prev=""
(( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}
"$fn" leovms-cli "${COMP_WORDS[COMP_CWORD]}" "$prev"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let out = Command::new("bash")
        .arg("-c")
        .arg(driver)
        .arg("bash")
        .arg(&file)
        .arg(line)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_dir(&dir);
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn assert_offers(line: &str, expected: &[&str]) {
    let offered = complete(line);
    for word in expected {
        assert!(
            offered.iter().any(|o| o == word),
            "`{line}<TAB>` does not offer {word}; it offers {offered:?}"
        );
    }
}

#[test]
fn bash_completes_the_options_of_subcommands() {
    assert_offers(
        "leovms-cli start --",
        &["--snapshot", "--as-found", "--ram", "--wait"],
    );
    assert_offers("leovms-cli --json start --", &["--snapshot", "--as-found"]);
    assert_offers("leovms-cli sync --", &["--snapshot", "--dry-run"]);
    assert_offers(
        "leovms-cli upload --",
        &["--machine", "--working-copy", "--as", "--name"],
    );
    assert_offers("leovms-cli watch 3 --", &["--wait"]);
    assert_offers("leovms-cli completions ", &["bash", "zsh", "fish"]);
}

#[test]
fn bash_completes_the_commands() {
    assert_offers("leovms-cli st", &["start", "status", "stop"]);
    assert_offers("leovms-cli ", &["list", "snapshots", "sync", "--json"]);
    let offered = complete("leovms-cli start --");
    assert!(
        !offered.iter().any(|o| o == "list"),
        "commands offered as options of start: {offered:?}"
    );
}
