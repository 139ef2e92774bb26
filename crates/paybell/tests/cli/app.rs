//! No known secret: without a configured app, `serve` and `realtime` generate one in the data
//! directory on the first start (mode 0600, the secret never printed) and reuse it; `app
//! show` prints it; the development credentials only on loopback; a bad app file stops the
//! start; `trigger` has no default secret.

use std::path::Path;

use serde_json::Value;

use crate::helpers::{Process, WAIT, paybell, serve};

/// The app file of a data directory: `(id, key, secret)`.
fn stored(data: &Path) -> (String, String, String) {
    let text = std::fs::read_to_string(data.join("app.toml")).unwrap();
    let file: toml::Table = toml::from_str(&text).unwrap();
    let field = |name: &str| file[name].as_str().unwrap().to_owned();
    (field("id"), field("key"), field("secret"))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Runs a command to its end (bounded): `(success, stdout, stderr)`.
async fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let output = tokio::time::timeout(WAIT, paybell(args, env).output()).await.unwrap().unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

async fn browser_key(web: u16) -> Value {
    let config: Value = reqwest::get(format!("http://127.0.0.1:{web}/api/config"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    config["pusher"]["key"].clone()
}

#[tokio::test]
async fn serve_generates_its_app_once_keeps_it_private_and_never_prints_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = serve(&data, &[], &[]);
    let web = first.port("paybell web listening on http://127.0.0.1:").await;
    let announced = first.line("paybell realtime app: key ").await;
    let (id, key, secret) = stored(&data);
    assert_eq!(secret.len(), 64, "256 bits in hex");
    assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");
    #[cfg(unix)]
    assert_eq!(mode(&data.join("app.toml")), 0o600);
    #[cfg(unix)]
    assert_eq!(mode(&data), 0o700, "the data dir holds the database and the node id too");
    assert!(announced.starts_with(&format!("{key} (id {id}), generated in ")), "{announced}");
    assert!(announced.contains("app.toml"), "{announced}");
    assert_eq!(browser_key(web).await, key.as_str());
    let (stdout, stderr) = (first.stdout(), first.stderr());
    assert!(!stdout.contains(&secret) && !stderr.contains(&secret), "{stdout}\n{stderr}");
    assert!(first.terminate().await);

    let second = serve(&data, &[], &[]);
    let web = second.port("paybell web listening on http://127.0.0.1:").await;
    let announced = second.line("paybell realtime app: key ").await;
    // The first start moved the generated app into the apps store; later starts read it there.
    assert_eq!(announced, format!("{key} (id {id}), from the apps store"), "{announced}");
    assert_eq!(browser_key(web).await, key.as_str(), "the same app on the second start");
    assert_eq!(stored(&data), (id.clone(), key.clone(), secret.clone()));
    assert!(!second.stdout().contains(&secret) && !second.stderr().contains(&secret));
    assert!(second.terminate().await);

    let dir_arg = data.to_str().unwrap();
    let env = [("PAYBELL_REALTIME_ADDR", "127.0.0.1:6123")];
    let (ok, shown, stderr) = run(&["app", "show", "--data-dir", dir_arg], &env).await;
    assert!(ok, "{stderr}");
    for line in [
        format!("app id:     {id}"),
        format!("app key:    {key}"),
        format!("app secret: {secret}"),
        format!("PUSHER_APP_ID={id}"),
        format!("PUSHER_KEY={key}"),
        format!("PUSHER_SECRET={secret}"),
        "PUSHER_HOST=127.0.0.1".to_owned(),
        "PUSHER_PORT=6123".to_owned(),
    ] {
        assert!(shown.lines().any(|l| l == line), "{line:?} in:\n{shown}");
    }
}

#[tokio::test]
async fn app_show_needs_an_app() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("empty");
    let (ok, _, stderr) = run(&["app", "show", "--data-dir", data.to_str().unwrap()], &[]).await;
    assert!(!ok);
    assert!(stderr.contains("app.toml does not exist yet"), "{stderr}");
    assert!(!data.exists(), "show creates nothing");

    let env = [("PAYBELL_APP_ID", "7"), ("PAYBELL_APP_KEY", "k7"), ("PAYBELL_APP_SECRET", "s7")];
    let (ok, shown, stderr) =
        run(&["app", "show", "--data-dir", data.to_str().unwrap()], &env).await;
    assert!(ok, "{stderr}");
    assert!(shown.contains("PUSHER_SECRET=s7\n"), "the configured app: {shown}");
}

#[tokio::test]
async fn realtime_keeps_its_app_in_its_data_dir_and_trigger_needs_its_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("rt");
    let args = ["realtime", "--addr", "127.0.0.1:0", "--data-dir", data.to_str().unwrap()];
    let process = Process::spawn(&args, &[]);
    let port = process.port("paybell realtime listening on 127.0.0.1:").await.to_string();
    let (id, key, secret) = stored(&data);
    process.line(&format!("paybell realtime app: key {key} (id {id}), generated in ")).await;
    assert!(!process.stdout().contains(&secret) && !process.stderr().contains(&secret));

    let trigger = ["trigger", "--port", &port, "--channel", "c", "--event", "e"];
    let (ok, _, stderr) = run(&trigger, &[]).await;
    assert!(!ok, "no default secret");
    assert!(stderr.contains("--secret (PUSHER_SECRET) is needed"), "{stderr}");
    let creds = ["--app-id", &id, "--key", &key, "--secret", &secret];
    let (ok, stdout, stderr) = run(&[&trigger[..], &creds[..]].concat(), &[]).await;
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "{}");
    let from_env =
        [("PUSHER_APP_ID", id.as_str()), ("PUSHER_KEY", &key), ("PUSHER_SECRET", &secret)];
    let (ok, _, stderr) = run(&trigger, &from_env).await;
    assert!(ok, "{stderr}");
    assert!(process.terminate().await);
}

#[tokio::test]
async fn a_node_on_redis_with_a_generated_app_says_that_it_is_alone() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["realtime", "--addr", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()];
    // Nothing listens there: the node serves its own connections and says why it cannot share.
    let env = [("REDIS_URL", "redis://127.0.0.1:1")];
    let process = Process::spawn(&args, &env);
    let port = process.port("paybell realtime listening on 127.0.0.1:").await;
    process
        .wait_for(|_, err| err.contains("REDIS_URL is set but no app is configured").then_some(()))
        .await;
    // Serving (so SIGTERM finds the handler, not the default action).
    let health = reqwest::get(format!("http://127.0.0.1:{port}/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(process.stderr().contains("PAYBELL_APP_SECRET"), "{}", process.stderr());
    assert!(process.terminate().await);
}

#[tokio::test]
async fn dev_credentials_only_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let dir_arg = data.to_str().unwrap();
    let public_web = [
        "serve",
        "--dev-credentials",
        "--http-addr",
        "0.0.0.0:0",
        "--realtime-addr",
        "127.0.0.1:0",
        "--data-dir",
        dir_arg,
    ];
    let (ok, _, stderr) = run(&public_web, &[]).await;
    assert!(!ok);
    assert!(stderr.contains("--dev-credentials") && stderr.contains("0.0.0.0:0"), "{stderr}");
    let public_realtime = ["realtime", "--addr", "0.0.0.0:0", "--data-dir", dir_arg];
    let (ok, _, stderr) = run(&public_realtime, &[("PAYBELL_DEV_CREDENTIALS", "true")]).await;
    assert!(!ok);
    assert!(stderr.contains("not a loopback address"), "{stderr}");

    let loopback =
        ["realtime", "--dev-credentials", "--addr", "127.0.0.1:0", "--data-dir", dir_arg];
    let process = Process::spawn(&loopback, &[]);
    process.line("paybell realtime app: key app-key (id app-id), development credentials").await;
    let port = process.port("paybell realtime listening on 127.0.0.1:").await;
    assert!(!data.join("app.toml").exists(), "no app generated");
    let health = reqwest::get(format!("http://127.0.0.1:{port}/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(process.terminate().await);
}

#[tokio::test]
async fn a_bad_app_file_stops_the_start_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let file = data.join("app.toml");
    let args = ["realtime", "--addr", "127.0.0.1:0", "--data-dir", data.to_str().unwrap()];
    let start = || run(&args, &[]);

    std::fs::write(&file, "id = \"1\"\nkey = \"k\"\n").unwrap();
    restrict(&file);
    let (ok, _, stderr) = start().await;
    assert!(!ok);
    assert!(stderr.contains(&file.display().to_string()) && stderr.contains("secret"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "id = \"1\"\nkey = \"k\"\n", "kept");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::write(&file, "id = \"1\"\nkey = \"k\"\nsecret = \"s\"\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (ok, _, stderr) = start().await;
        assert!(!ok);
        assert!(stderr.contains("chmod 600") && stderr.contains("app.toml"), "{stderr}");
        assert!(!stderr.contains("secret = "), "{stderr}");
    }
}

fn restrict(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = path;
}
