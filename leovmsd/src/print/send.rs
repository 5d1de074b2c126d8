//! The two programs a document goes through: Ghostscript embeds its fonts (a classroom
//! printer may lack the ones the VM used), `lp` hands it to CUPS. Both run with the C
//! locale, so that their answers can be read; what they say is quoted to the user as
//! it is, checked once here (one line, no control characters, bounded).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;
use tokio_util::sync::CancellationToken;

/// Ghostscript may take this long for one document; a PDF built to keep it busy longer
/// is set aside.
const EMBED_LIMIT: Duration = Duration::from_secs(600);
/// `lp` only hands the document over; CUPS prints later.
const LP_LIMIT: Duration = Duration::from_secs(120);
/// The most of a program's words shown to a user.
const SAID_MAX: usize = 200;

#[derive(Debug, PartialEq)]
pub enum Failed {
    /// The program is not installed.
    Missing,
    /// It ran and refused, in these words.
    Said(String),
    Canceled,
}

/// `gs` writes `from` to `to` with every font embedded (the prepress settings).
pub async fn embed_fonts(from: &Path, to: &Path, cancel: &CancellationToken) -> Result<(), Failed> {
    let mut cmd = Command::new("gs");
    cmd.args([
        "-q",
        "-dSAFER",
        "-dBATCH",
        "-dNOPAUSE",
        "-sDEVICE=pdfwrite",
        "-dPDFSETTINGS=/prepress",
        "-dEmbedAllFonts=true",
        "-dSubsetFonts=true",
    ])
    .arg(format!("-sOutputFile={}", to.display()))
    .arg("--")
    .arg(from);
    run(cmd, EMBED_LIMIT, cancel).await.map(drop)
}

/// The user's default printer as CUPS says (`lpstat -d`: their own `lpoptions`
/// default, else the PC's); `None` when there is none or CUPS does not answer.
pub async fn default_queue() -> Option<String> {
    let said = lpstat("-d").await?;
    said.lines()
        .find_map(|l| l.strip_prefix("system default destination:"))
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty())
}

/// Whether the PC's CUPS runs (`lpstat -r`). Without it `lpstat -d` only says that
/// there is no default printer, and `lp` that the queue does not exist.
pub async fn scheduler_runs() -> bool {
    lpstat("-r")
        .await
        .is_some_and(|said| said.trim() == "scheduler is running")
}

async fn lpstat(option: &str) -> Option<String> {
    let mut cmd = Command::new("lpstat");
    cmd.arg(option);
    run(cmd, LP_LIMIT, &CancellationToken::new()).await.ok()
}

/// Hands `file` to the queue `queue`; returns CUPS's job id (`raum-101-17`).
pub async fn lp(
    queue: &str,
    title: &str,
    file: &Path,
    cancel: &CancellationToken,
) -> Result<String, Failed> {
    let mut cmd = Command::new("lp");
    cmd.args(["-d", queue, "-t", title, "--"]).arg(file);
    let said = run(cmd, LP_LIMIT, cancel).await?;
    Ok(said
        .split_whitespace()
        .skip_while(|w| *w != "is")
        .nth(1)
        .unwrap_or_default()
        .to_owned())
}

/// Runs `cmd` to its end; its standard output when it succeeds, else its last words.
async fn run(
    mut cmd: Command,
    limit: Duration,
    cancel: &CancellationToken,
) -> Result<String, Failed> {
    cmd.env("LC_ALL", "C")
        .env("LANG", "C")
        .env_remove("LANGUAGE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Failed::Missing,
        _ => Failed::Said(e.to_string()),
    })?;
    let out = tokio::select! {
        out = tokio::time::timeout(limit, child.wait_with_output()) => match out {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => return Err(Failed::Said(e.to_string())),
            Err(_) => return Err(Failed::Said(format!("no answer within {} s", limit.as_secs()))),
        },
        // Dropping the child kills it.
        _ = cancel.cancelled() => return Err(Failed::Canceled),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        return Ok(stdout);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = last_words(&stderr).or_else(|| last_words(&stdout));
    Err(Failed::Said(said.unwrap_or_else(|| {
        format!("exit status {}", out.status.code().unwrap_or(-1))
    })))
}

/// The last line that says something, made safe to show.
fn last_words(text: &str) -> Option<String> {
    let line = text.lines().rev().map(str::trim).find(|l| !l.is_empty())?;
    let mut said: String = line
        .chars()
        .map(|c| {
            if leovms_image::text::is_unsafe(c) {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect();
    if said.len() > SAID_MAX {
        let cut = (0..=SAID_MAX)
            .rev()
            .find(|i| said.is_char_boundary(*i))
            .unwrap_or(0);
        said.truncate(cut);
        said.push('…');
    }
    Some(said)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_line_that_says_something_is_shown_safely() {
        let said = "lp: Error - The printer or class does not exist.\n\n";
        assert_eq!(
            last_words(said).unwrap(),
            "lp: Error - The printer or class does not exist."
        );
        assert_eq!(last_words("  \n"), None);
        assert_eq!(last_words("bad \x1b[2J").unwrap(), "bad \u{fffd}[2J");
        let long = "ü".repeat(300);
        let shown = last_words(&long).unwrap();
        assert!(shown.len() <= SAID_MAX + '…'.len_utf8() && shown.ends_with('…'));
    }

    #[tokio::test]
    async fn a_missing_program_and_a_refusal_are_told_apart() {
        let cmd = Command::new("leovms-no-such-program");
        assert_eq!(
            run(cmd, LP_LIMIT, &CancellationToken::new()).await,
            Err(Failed::Missing)
        );
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "echo 'lp: Error - no default destination available.' >&2; exit 1",
        ]);
        assert_eq!(
            run(cmd, LP_LIMIT, &CancellationToken::new()).await,
            Err(Failed::Said(
                "lp: Error - no default destination available.".into()
            ))
        );
    }

    #[tokio::test]
    async fn cancel_ends_the_program() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let mut cmd = Command::new("sleep");
        cmd.arg("60");
        assert_eq!(run(cmd, LP_LIMIT, &cancel).await, Err(Failed::Canceled));
    }
}
