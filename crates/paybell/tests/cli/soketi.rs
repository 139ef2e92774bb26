//! `paybell realtime` with a soketi deployment's environment: the default app and the port
//! are taken, Paybell's own variables win, every `SOKETI_*` is reported once, the secret
//! never printed.

use crate::helpers::{Process, WAIT, paybell};

const SOKETI_APP: [(&str, &str); 3] = [
    ("SOKETI_DEFAULT_APP_ID", "soketi-id"),
    ("SOKETI_DEFAULT_APP_KEY", "soketi-key"),
    ("SOKETI_DEFAULT_APP_SECRET", "soketi-secret-value"),
];

async fn trigger(port: &str, id: &str, key: &str, secret: &str) -> (bool, String) {
    let args = [
        "trigger",
        "--port",
        port,
        "--channel",
        "c",
        "--event",
        "e",
        "--app-id",
        id,
        "--key",
        key,
        "--secret",
        secret,
    ];
    let output = tokio::time::timeout(WAIT, paybell(&args, &[]).output()).await.unwrap().unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test]
async fn realtime_runs_on_soketi_variables_and_says_which_it_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = SOKETI_APP.to_vec();
    env.extend([
        ("SOKETI_PORT", "0"),
        ("SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES", "true"),
        ("SOKETI_DEBUG", "1"),
        ("SOKETI_SOMETHING_NEW", "x"),
        ("PAYBELL_DATA_DIR", dir.path().to_str().unwrap()),
    ]);
    let process = Process::spawn(&["realtime"], &env);
    let port = process.port("paybell realtime listening on 0.0.0.0:").await.to_string();
    let out = process.stdout();
    for used in ["SOKETI_PORT as realtime.addr", "SOKETI_DEFAULT_APP_SECRET as realtime.apps[0]"] {
        assert!(out.contains(&format!("soketi: using {used}")), "{out}");
    }
    assert!(out.contains("soketi: ignoring SOKETI_DEBUG: no Paybell twin"), "{out}");
    assert!(out.contains("soketi: ignoring SOKETI_SOMETHING_NEW: not a soketi setting"), "{out}");
    assert_eq!(out.matches("soketi: using SOKETI_PORT").count(), 1, "printed once");
    assert!(
        !out.contains("soketi-secret-value") && !process.stderr().contains("soketi-secret-value")
    );
    assert!(!dir.path().join("app.toml").exists(), "no generated app beside soketi's");

    let (ok, stderr) = trigger(&port, "soketi-id", "soketi-key", "soketi-secret-value").await;
    assert!(ok, "{stderr}");
    let (ok, _) = trigger(&port, "soketi-id", "soketi-key", "wrong-secret").await;
    assert!(!ok, "signatures are checked");
    assert!(process.terminate().await);
}

#[tokio::test]
async fn paybell_variables_beat_soketi_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = SOKETI_APP.to_vec();
    env.extend([
        ("SOKETI_PORT", "1"),
        ("PAYBELL_REALTIME_ADDR", "127.0.0.1:0"),
        ("PAYBELL_APP_ID", "own-id"),
        ("PAYBELL_APP_KEY", "own-key"),
        ("PAYBELL_APP_SECRET", "own-secret-value"),
        ("PAYBELL_DATA_DIR", dir.path().to_str().unwrap()),
    ]);
    let process = Process::spawn(&["realtime"], &env);
    let port = process.port("paybell realtime listening on 127.0.0.1:").await.to_string();
    let out = process.stdout();
    assert!(
        out.contains("soketi: ignoring SOKETI_PORT: set by Paybell's own configuration"),
        "{out}"
    );
    assert!(out.contains("soketi: ignoring SOKETI_DEFAULT_APP_ID: an app is configured"), "{out}");
    assert!(!out.contains("soketi: using"), "{out}");
    let (ok, stderr) = trigger(&port, "own-id", "own-key", "own-secret-value").await;
    assert!(ok, "{stderr}");
    let (ok, _) = trigger(&port, "soketi-id", "soketi-key", "soketi-secret-value").await;
    assert!(!ok, "soketi's app is not there");
    assert!(process.terminate().await);
}

#[tokio::test]
async fn half_a_soketi_app_stops_the_start_naming_the_variable() {
    let env = [("SOKETI_DEFAULT_APP_ID", "x"), ("SOKETI_PORT", "0")];
    let output =
        tokio::time::timeout(WAIT, paybell(&["realtime"], &env).output()).await.unwrap().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SOKETI_DEFAULT_APP_KEY"), "{stderr}");
}
