//! `paybell user add` and `paybell user passwd` with the password piped to standard input
//! (never on the command line), against a running `paybell serve` on the same data.

use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{ChildStdout, Command};

use crate::helpers::{WAIT, cookie_client, paybell, serve};

/// Runs `paybell ARGS --data-dir DIR` with `stdin` piped in.
async fn run(args: &[&str], dir: &str, stdin: &str) -> Output {
    let mut child = paybell(&[args, &["--data-dir", dir]].concat(), &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = tokio::time::timeout(WAIT, child.wait_with_output());
    output.await.expect("paybell user … finished").unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts a failure whose message contains `text`.
fn fails_with(output: &Output, text: &str) {
    assert!(!output.status.success(), "should fail: {}", stderr(output));
    assert!(stderr(output).contains(text), "{text:?} not in: {}", stderr(output));
}

#[tokio::test]
async fn passwords_come_from_stdin_and_passwd_signs_the_owner_out() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let dir = data.to_str().unwrap();
    let add = |email: &'static str| ["user", "add", "--email", email, "--password-stdin"];

    let added = run(&add("a@example.com"), dir, "first password\nignored\n").await;
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(String::from_utf8_lossy(&added.stdout).contains("created user a@example.com"));
    fails_with(&run(&add("b@example.com"), dir, "").await, "standard input is empty");
    fails_with(&run(&add("b@example.com"), dir, "\n").await, "the password is empty");
    fails_with(&run(&add("b@example.com"), dir, "short\n").await, "at least 8 characters");
    // Piped input and no flag: no terminal to ask on, so say how to pass it.
    let unasked = run(&["user", "add", "--email", "b@example.com"], dir, "long password\n");
    fails_with(&unasked.await, "--password-stdin");
    // The old flag still works, with a warning.
    let flagged = ["user", "add", "--email", "c@example.com", "--password", "long password"];
    let flagged = run(&flagged, dir, "").await;
    assert!(flagged.status.success(), "{}", stderr(&flagged));
    assert!(stderr(&flagged).contains("warning: --password is visible"), "{}", stderr(&flagged));

    let process = serve(&data, &[], &[]);
    let web = process.port("paybell web listening on http://127.0.0.1:").await;
    let base = format!("http://127.0.0.1:{web}");
    let sign_in = |password: &'static str| {
        let client = cookie_client();
        let url = format!("{base}/api/auth/login");
        async move {
            let body = json!({"email": "a@example.com", "password": password});
            let status = client.post(url).json(&body).send().await.unwrap().status();
            (status, client)
        }
    };
    let (status, before) = sign_in("first password").await;
    assert_eq!(status, 200);

    let passwd = ["user", "passwd", "a@example.com", "--password-stdin"];
    let changed = run(&passwd, dir, "second password\n").await;
    assert!(changed.status.success(), "{}", stderr(&changed));
    let me = before.get(format!("{base}/api/me")).send().await.unwrap();
    assert_eq!(me.status(), 401, "the owner's sessions ended");
    assert_eq!(sign_in("first password").await.0, 401);
    assert_eq!(sign_in("second password").await.0, 200);

    let nobody = ["user", "passwd", "nobody@example.com", "--password-stdin"];
    fails_with(&run(&nobody, dir, "long password\n").await, "no owner has the e-mail address");
    fails_with(&run(&passwd, dir, "\n").await, "the password is empty");
    assert_eq!(sign_in("second password").await.0, 200, "a refused change changes nothing");
    assert!(process.terminate().await);
}

#[tokio::test]
async fn in_a_terminal_the_password_is_asked_for_twice_and_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bin = env!("CARGO_BIN_EXE_paybell");
    // `script` (util-linux) runs the command on a pseudo-terminal fed from our pipe, and
    // copies everything the terminal shows, echo included, to its standard output.
    let command =
        format!("'{bin}' user add --email tty@example.com --data-dir '{}'", data.to_str().unwrap());
    let mut child = Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("script (util-linux)");
    let mut input = child.stdin.take().unwrap();
    let mut output = child.stdout.take().unwrap();
    let mut shown = String::new();
    // Typed only once asked, a moment later, as a person would: echo goes off just after the
    // prompt is written (text typed within those microseconds is echoed by the terminal; seen
    // once on a loaded machine when typed the instant the prompt showed).
    for prompt in ["Password for tty@example.com: ", "Repeat it: "] {
        read_until(&mut output, &mut shown, prompt).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        input.write_all(b"terminal secret\n").await.unwrap();
    }
    read_until(&mut output, &mut shown, "created user tty@example.com").await;
    drop(input);
    let status = tokio::time::timeout(WAIT, child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{shown}");
    assert!(!shown.contains("terminal secret"), "the password was echoed: {shown:?}");
}

/// Reads `from` into `shown` until it contains `text` (bounded by `WAIT`).
async fn read_until(from: &mut ChildStdout, shown: &mut String, text: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut buffer = [0_u8; 1024];
    while !shown.contains(text) {
        let read = tokio::time::timeout_at(deadline, from.read(&mut buffer)).await;
        let n = read.unwrap_or_else(|_| panic!("{text:?} never shown; got {shown:?}")).unwrap();
        assert!(n > 0, "{text:?} never shown; the terminal closed after {shown:?}");
        shown.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
}
