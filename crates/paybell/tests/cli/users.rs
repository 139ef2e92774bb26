//! `paybell user add` and `paybell user passwd` with the password piped to standard input
//! (never on the command line), against a running `paybell serve` on the same data.

use std::process::{Output, Stdio};

use serde_json::json;
use tokio::io::AsyncWriteExt as _;

use crate::helpers::{cookie_client, paybell, serve};

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
    let output = tokio::time::timeout(crate::helpers::WAIT, child.wait_with_output());
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
