//! Where `paybell user add` and `user passwd` get a password: a prompt that does not echo
//! (when standard input is a terminal), one line of standard input (`--password-stdin`), or,
//! for `user add` only, the `--password` flag, which every user of the machine can read in
//! `ps` and which shell history keeps, so it is warned about.

use std::io::IsTerminal as _;

use anyhow::{Context as _, bail};
use invoicing::domain::Password;

/// Where the password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Asked for twice on the terminal, not echoed.
    Prompt,
    /// The first line of standard input.
    Stdin,
    /// Given on the command line (`user add --password`).
    Flag(String),
}

impl Source {
    /// `--password` if given, else `--password-stdin`, else the prompt.
    pub fn from_flags(flag: Option<String>, stdin: bool) -> Self {
        match (flag, stdin) {
            (Some(password), _) => Self::Flag(password),
            (None, true) => Self::Stdin,
            (None, false) => Self::Prompt,
        }
    }

    /// How messages name it.
    fn name(&self) -> &'static str {
        match self {
            Self::Prompt => "password",
            Self::Stdin => "--password-stdin",
            Self::Flag(_) => "--password",
        }
    }
}

/// Reads and checks the password (at least 8 characters), blocking on the terminal or
/// standard input.
///
/// # Errors
/// No terminal to prompt on, the two typed passwords differ, standard input is empty or
/// unreadable, or the password is too short or too long.
pub fn read(source: Source, label: &str) -> anyhow::Result<Password> {
    let name = source.name();
    let text = match source {
        Source::Flag(text) => {
            eprintln!(
                "paybell: warning: --password is visible to other users in `ps` and stays in \
                 shell history; prefer the prompt or --password-stdin"
            );
            text
        }
        Source::Stdin => first_line(&mut std::io::stdin().lock())?,
        Source::Prompt => prompt(label)?,
    };
    if text.is_empty() {
        bail!("{name}: the password is empty");
    }
    Password::parse(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))
}

/// The first line of `input`, without its line ending.
fn first_line(input: &mut impl std::io::BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    let read = input.read_line(&mut line).context("reading the password from standard input")?;
    if read == 0 {
        bail!("--password-stdin: standard input is empty");
    }
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(line.strip_suffix('\r').unwrap_or(line).to_owned())
}

fn prompt(label: &str) -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "standard input is not a terminal, so the password cannot be asked for: pipe it \
             in with --password-stdin"
        );
    }
    let first = rpassword::prompt_password(format!("{label}: ")).context("reading the password")?;
    let again = rpassword::prompt_password("Repeat it: ").context("reading the password")?;
    if first != again {
        bail!("the two passwords differ");
    }
    Ok(first)
}

/// Reads like [`read`], off the async threads.
///
/// # Errors
/// As [`read`].
pub async fn read_blocking(source: Source, label: String) -> anyhow::Result<Password> {
    tokio::task::spawn_blocking(move || read(source, &label))
        .await
        .context("reading the password")?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_choose_the_source() {
        assert_eq!(Source::from_flags(None, false), Source::Prompt);
        assert_eq!(Source::from_flags(None, true), Source::Stdin);
        assert_eq!(Source::from_flags(Some("p".into()), false), Source::Flag("p".into()));
    }

    #[test]
    fn the_first_line_is_the_password_without_its_ending() {
        let read = |text: &str| first_line(&mut std::io::Cursor::new(text.as_bytes().to_vec()));
        assert_eq!(read("long password\nsecond line\n").unwrap(), "long password");
        assert_eq!(read("windows line\r\n").unwrap(), "windows line");
        assert_eq!(read("no newline").unwrap(), "no newline");
        assert_eq!(read("\n").unwrap(), "");
        assert!(read("").unwrap_err().to_string().contains("empty"));
    }
}
