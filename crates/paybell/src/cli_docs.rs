//! `paybell completions SHELL` and `paybell man`: generated from the clap definition in
//! [`crate::cli`], so they cannot drift from the flags.

use std::io::Write;

use anyhow::Context as _;
use clap::CommandFactory as _;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionShell};

/// Writes the completion script for `shell` to `out`.
///
/// # Errors
/// When `out` cannot be written (a closed pipe is an error, not a panic).
pub fn completions(shell: CompletionShell, out: &mut dyn Write) -> anyhow::Result<()> {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    // clap_complete panics when its writer fails, so it writes to memory first.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "paybell", &mut script);
    out.write_all(&script).context("writing the completion script")
}

/// Writes the man page (roff) to `out`.
///
/// # Errors
/// When `out` cannot be written.
pub fn man(out: &mut dyn Write) -> anyhow::Result<()> {
    clap_mangen::Man::new(Cli::command()).render(out).context("writing the man page")
}
