//! `paybell trigger`: a signed event to any Pusher-compatible HTTP API.

/// Flags of `paybell trigger`.
#[derive(Debug, clap::Args)]
pub struct TriggerArgs {}

/// Runs the command.
///
/// # Errors
/// Always, until it is written.
pub async fn run(_args: TriggerArgs) -> anyhow::Result<()> {
    anyhow::bail!("paybell trigger is not implemented yet")
}
