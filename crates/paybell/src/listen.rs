//! `paybell listen`: connect as a client and print events as they arrive.

/// Flags of `paybell listen`.
#[derive(Debug, clap::Args)]
pub struct ListenArgs {}

/// Runs the command.
///
/// # Errors
/// Always, until it is written.
pub async fn run(_args: ListenArgs) -> anyhow::Result<()> {
    anyhow::bail!("paybell listen is not implemented yet")
}
