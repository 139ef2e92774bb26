//! `paybell serve` and e-mail: bad mail settings stop start-up naming the key; without SMTP an
//! invoice sent lands in `{data dir}/mail/` as an `.eml`; with an SMTP server that is down
//! when the invoice is sent, the message goes out once after the server and a restarted
//! `serve` are back. The SMTP server is the e-mail tests' aiosmtpd (`tests/smtp/server.py`).

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Process, WAIT, cookie_client, paybell, serve};
use crate::remote::{Api, invoice};

#[tokio::test]
async fn bad_mail_settings_stop_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    for (env, key) in [
        (("PAYBELL_SMTP_URL", "mail.example.com:587"), "mail.smtp_url (PAYBELL_SMTP_URL)"),
        (("PAYBELL_SMTP_URL", "smtp://host?tls=off"), "mail.smtp_url (PAYBELL_SMTP_URL)"),
        (("PAYBELL_MAIL_FROM", "billing"), "mail.from (PAYBELL_MAIL_FROM)"),
    ] {
        let run = paybell(&["serve", "--data-dir", data], &[env]).output();
        let output = tokio::time::timeout(WAIT, run).await.unwrap().unwrap();
        assert!(!output.status.success(), "{key}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(key), "{key}: {stderr}");
    }
}

/// Signs in the demo owner of `serve --demo`.
async fn demo_api(process: &Process) -> Api {
    let port = process.port("paybell web listening on http://127.0.0.1:").await;
    let login = process.line("demo login: ").await;
    let (email, password) = login.split_once(" / ").unwrap();
    let api = Api { base: format!("http://127.0.0.1:{port}"), client: cookie_client() };
    api.post("/api/auth/login", &json!({"email": email, "password": password})).await;
    api
}

async fn send_invoice(api: &Api) -> String {
    let id = api.post("/api/invoices", &invoice()).await["id"].as_str().unwrap().to_owned();
    api.post(&format!("/api/invoices/{id}/send"), &json!({})).await;
    id
}

fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

async fn wait_for_files(dir: &Path, extension: &str, count: usize) -> Vec<PathBuf> {
    let deadline = tokio::time::Instant::now() + WAIT;
    while files(dir, extension).len() < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{count} .{extension} in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let found = files(dir, extension);
    assert_eq!(found.len(), count, "{found:?}");
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_the_mail_is_kept_as_eml_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let process = serve(dir.path(), &["--demo"], &[]);
    let api = demo_api(&process).await;
    let id = send_invoice(&api).await;
    let eml = wait_for_files(&dir.path().join("mail"), "eml", 1).await;
    let text = std::fs::read_to_string(&eml[0]).unwrap();
    assert!(text.contains("To: ada@example.com"), "{text}");
    assert!(text.contains("Reply-To: demo@paybell.local"), "{text}");
    assert!(text.contains("Subject: Invoice #4 from Demo Bakery"), "{text}");
    assert!(text.contains("multipart/alternative"), "{text}");
    assert!(text.contains(&id), "the payment link: {text}");
    assert!(process.terminate().await);
}

/// The e-mail tests' SMTP server on `port`, storing into `dir`; stopped on drop.
struct Smtp(Child);

impl Smtp {
    fn start(port: u16, dir: &Path) -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let python = std::env::var_os("PAYBELL_TEST_PYTHON")
            .map_or_else(|| root.join(".venv-test/bin/python"), PathBuf::from);
        assert!(python.exists(), "no {}: run scripts/install-test-deps.sh", python.display());
        let mut child = Command::new(python)
            .arg(root.join("tests/smtp/server.py"))
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
        Self(child)
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_sent_while_smtp_is_down_goes_out_once_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let env = [
        ("PAYBELL_SMTP_URL", url.as_str()),
        ("PAYBELL_MAIL_FROM", "Demo Bakery <billing@example.com>"),
    ];
    let first = serve(dir.path(), &["--demo"], &env);
    let api = demo_api(&first).await;
    let id = send_invoice(&api).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let history: Value = api
        .client
        .get(format!("{}/api/invoices/{id}/mail", api.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(history["mail"][0]["status"], "queued", "{history:#}");
    assert!(first.terminate().await);

    let inbox = tempfile::tempdir().unwrap();
    let _smtp = Smtp::start(port, inbox.path());
    let second = serve(dir.path(), &[], &env);
    let received = wait_for_files(inbox.path(), "json", 1).await;
    let message: Value = serde_json::from_slice(&std::fs::read(&received[0]).unwrap()).unwrap();
    assert_eq!(message["headers"]["From"], "Demo Bakery <billing@example.com>");
    assert_eq!(message["headers"]["Subject"], "Invoice #4 from Demo Bakery");
    assert!(message["text"].as_str().unwrap().contains(&format!("/pay/{id}")));
    assert!(files(&dir.path().join("mail"), "eml").is_empty(), "sent by SMTP, not kept locally");
    assert!(second.terminate().await);
}
