//! A real SMTP server for the e-mail tests: `tests/smtp/server.py` (aiosmtpd, installed in
//! `.venv-test` by `scripts/install-test-deps.sh`) on a port of the test's choosing, storing
//! each message it accepts as `NNNN.eml` with its decoded headers and parts in `NNNN.json`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use invoicing::mail::{MailSettings, SmtpUrl};
use serde_json::Value;

use crate::helpers::WAIT;

/// The sender the tests configure.
pub(crate) const FROM: &str = "Acme Billing <billing@example.com>";

/// Mail settings for a plain SMTP server on 127.0.0.1:`port`.
pub(crate) fn settings(port: u16) -> MailSettings {
    let url = SmtpUrl::parse(&format!("smtp://127.0.0.1:{port}?tls=none")).expect("SMTP URL");
    MailSettings { smtp: Some(url), from: FROM.parse().expect("from"), mailbox_dir: None }
}

/// A port nothing listens on (yet).
pub(crate) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub(crate) fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("PAYBELL_TEST_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = root().join(".venv-test/bin/python");
    assert!(venv.exists(), "no {} : run scripts/install-test-deps.sh", venv.display());
    venv
}

/// The running server; stopped on drop.
pub(crate) struct SmtpServer {
    pub(crate) port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl SmtpServer {
    /// Starts the server on `port` (0: any free one) and waits until it listens.
    pub(crate) fn start(port: u16) -> Self {
        let port = if port == 0 { free_port() } else { port };
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(python())
            .arg(root().join("tests/smtp/server.py"))
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("SMTP server output");
        assert_eq!(line.trim(), "ready", "the SMTP server did not start");
        Self { port, dir, child }
    }

    /// Every message received so far, oldest first: `{mail_from, rcpt_tos, headers,
    /// content_type, text, html}`.
    pub(crate) fn received(&self) -> Vec<Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("read dir")
            .filter_map(|entry| Some(entry.ok()?.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|path| serde_json::from_slice(&std::fs::read(path).expect("read")).expect("JSON"))
            .collect()
    }

    /// Waits until `count` messages have arrived, then a little longer to see that no more
    /// come; returns them.
    pub(crate) async fn expect(&self, count: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + WAIT * 2;
        while self.received().len() < count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "got {} of {count} messages",
                self.received().len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let received = self.received();
        assert_eq!(received.len(), count, "more messages than expected: {received:#?}");
        received
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        // Closing stdin stops it; kill in case it hangs.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
