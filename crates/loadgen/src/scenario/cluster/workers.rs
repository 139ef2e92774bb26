//! The coordinator's side of the worker processes: starting them (this same binary, as
//! `cluster-worker`), sending every one a command line and reading back one [`Report`]
//! each. A worker is killed when its handle is dropped, and ends by itself when its stdin
//! closes, so none outlives the coordinator.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use tokio::sync::mpsc;

use super::worker::Report;
use crate::scenario::Ctx;
use crate::{Error, Result};

/// One worker process.
struct Handle {
    child: Child,
    stdin: ChildStdin,
    replies: mpsc::Receiver<String>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The worker processes of one run.
pub(crate) struct Workers {
    handles: Vec<Handle>,
}

/// Where worker `index` starts and how many connections it holds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Share {
    pub(crate) first: usize,
    pub(crate) count: usize,
}

/// `total` connections cut into `workers` near-equal contiguous shares.
pub(crate) fn shares(total: usize, workers: usize) -> Vec<Share> {
    let workers = workers.max(1);
    let mut first = 0;
    (0..workers)
        .map(|w| {
            let count = total / workers + usize::from(w < total % workers);
            let share = Share { first, count };
            first += count;
            share
        })
        .collect()
}

impl Workers {
    /// Starts one worker per share, connected to the nodes on `ports`.
    ///
    /// # Errors
    /// [`Error::Io`] when this binary cannot be started again.
    pub(crate) fn start(ctx: &Ctx, ports: &[u16], shares: &[Share], max_secs: u64) -> Result<Self> {
        let exe = std::env::current_exe()?;
        let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
        let epoch = crate::clock::epoch_unix_nanos();
        let mut handles = Vec::with_capacity(shares.len());
        for share in shares {
            let target = &ctx.target;
            let mut command = Command::new(&exe);
            // A known server PID spares the worker the search through /proc.
            if let Some(pid) = ctx.server_pid {
                command.arg("--server-pid").arg(pid.to_string());
            }
            let mut child = command
                .arg("--host")
                .arg(target.addr.ip().to_string())
                .args(["--port", ports.first().map_or("6001", String::as_str)])
                .args(["--app-id", target.app_id.as_str(), "--key", target.key.as_str()])
                .args(["--secret", target.secret.as_str()])
                .arg("--sources")
                .arg(target.sources.len().max(1).to_string())
                .arg("--connect-concurrency")
                .arg(ctx.concurrency.to_string())
                .arg("--payload")
                .arg(ctx.payload.to_string())
                .arg("cluster-worker")
                .arg("--ports")
                .arg(ports.join(","))
                .arg("--first")
                .arg(share.first.to_string())
                .arg("--count")
                .arg(share.count.to_string())
                .arg("--epoch")
                .arg(epoch.to_string())
                .arg("--max-secs")
                .arg(max_secs.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()?;
            let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                let _ = child.kill();
                return Err(Error::protocol("a worker's pipes are missing"));
            };
            let (lines, replies) = mpsc::channel(4);
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if lines.blocking_send(line).is_err() {
                        break;
                    }
                }
            });
            handles.push(Handle { child, stdin, replies });
        }
        Ok(Self { handles })
    }

    /// How many workers.
    pub(crate) fn len(&self) -> usize {
        self.handles.len()
    }

    /// Sends `command` to every worker, then waits for every answer (up to `timeout` in all).
    ///
    /// # Errors
    /// When a worker is gone, answers something else than a report, or not in time.
    pub(crate) async fn ask(&mut self, command: &str, timeout: Duration) -> Result<Vec<Report>> {
        for handle in &mut self.handles {
            writeln!(handle.stdin, "{command}").and_then(|()| handle.stdin.flush())?;
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut reports = Vec::with_capacity(self.handles.len());
        for (w, handle) in self.handles.iter_mut().enumerate() {
            let line = tokio::time::timeout_at(deadline, handle.replies.recv())
                .await
                .map_err(|_| Error::Timeout("a worker did not answer"))?
                .ok_or_else(|| Error::protocol(format!("worker {w} ended")))?;
            let report: Report = serde_json::from_str(&line)
                .map_err(|e| Error::protocol(format!("worker {w} answered {line:?}: {e}")))?;
            reports.push(report);
        }
        Ok(reports)
    }

    /// Tells every worker to close its connections and stop, then waits (bounded) for it.
    pub(crate) async fn quit(mut self) {
        for handle in &mut self.handles {
            let _ = writeln!(handle.stdin, "quit").and_then(|()| handle.stdin.flush());
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        for handle in &mut self.handles {
            while handle.child.try_wait().ok().flatten().is_none()
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_every_connection_once() {
        let cut = shares(100_000, 6);
        assert_eq!(cut.len(), 6);
        assert_eq!(cut.iter().map(|s| s.count).sum::<usize>(), 100_000);
        assert_eq!((cut[0].first, cut[0].count), (0, 16_667));
        assert_eq!(cut[5].first + cut[5].count, 100_000);
        assert!(cut.windows(2).all(|w| w[0].first + w[0].count == w[1].first));
        assert_eq!(shares(3, 0).len(), 1);
    }
}
