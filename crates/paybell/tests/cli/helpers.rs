//! Spawns the real `paybell` binary on port 0 and waits (bounded) for what it prints.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::time::Instant;

pub(crate) const WAIT: Duration = Duration::from_secs(15);

/// A running `paybell` process; killed on drop.
pub(crate) struct Process {
    pub(crate) child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

/// A `paybell` command with a clean environment (no developer PAYBELL_*/PUSHER_* settings).
pub(crate) fn paybell(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paybell"));
    command.args(args).env_clear().env("RUST_LOG", "warn").envs(env.iter().copied());
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    command
}

impl Process {
    pub(crate) fn spawn(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start(paybell(args, env))
    }

    /// Starts `command` (a `paybell` one, perhaps behind a wrapper such as `prlimit`).
    pub(crate) fn start(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn paybell");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let out = child.stdout.take().expect("stdout");
        let err = child.stderr.take().expect("stderr");
        tokio::spawn(collect(BufReader::new(out), stdout.clone()));
        tokio::spawn(collect(BufReader::new(err), stderr.clone()));
        Self { child, stdout, stderr }
    }

    pub(crate) fn stdout(&self) -> String {
        self.stdout.lock().expect("lock").clone()
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }

    /// Waits until stdout has a line starting with `prefix`, returns the rest of it.
    pub(crate) async fn line(&self, prefix: &str) -> String {
        self.wait_for(|out, _| out.lines().find_map(|l| l.strip_prefix(prefix)).map(str::to_owned))
            .await
    }

    /// Waits (bounded) until `check(stdout, stderr)` gives a value.
    pub(crate) async fn wait_for<T>(&self, check: impl Fn(&str, &str) -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(value) = check(&self.stdout(), &self.stderr()) {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "timed out; stdout:\n{}\nstderr:\n{}",
                self.stdout(),
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The port of a `… listening on [http://]HOST:PORT` line.
    pub(crate) async fn port(&self, prefix: &str) -> u16 {
        let rest = self.line(prefix).await;
        let port = rest.rsplit(':').next().expect("port");
        port.trim().parse().expect("numeric port")
    }

    /// SIGTERM, then waits (bounded) for the exit; returns whether it exited successfully.
    pub(crate) async fn terminate(mut self) -> bool {
        let pid = self.child.id().expect("running").to_string();
        let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let status = tokio::time::timeout(WAIT, self.child.wait()).await;
        matches!(status, Ok(Ok(status)) if status.success())
    }
}

async fn collect<R: tokio::io::AsyncRead + Unpin>(reader: BufReader<R>, into: Arc<Mutex<String>>) {
    let mut lines = reader.lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let mut text = into.lock().expect("lock");
        text.push_str(&line);
        text.push('\n');
    }
}

/// `paybell serve` on ports 0 with its own data directory.
pub(crate) fn serve(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Process {
    let dir = data_dir.to_str().expect("utf-8 path");
    let mut args = vec![
        "serve",
        "--http-addr",
        "127.0.0.1:0",
        "--realtime-addr",
        "127.0.0.1:0",
        "--data-dir",
        dir,
    ];
    args.extend_from_slice(extra);
    Process::spawn(&args, env)
}

pub(crate) fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).timeout(WAIT).build().expect("client")
}
