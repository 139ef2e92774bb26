//! Apps managed at run time (issue #19) from the CLI's side: bad input is refused with a
//! clear message and a non-zero exit, and two `paybell realtime` nodes sharing PostgreSQL
//! (the apps store) and Redis both see a change made by `paybell app` at once. The pusher-js
//! side (add, rotate, disable on a running server) is `tests/js/apps.test.mjs`.

use std::time::Duration;

use pusher_client::Connection;
use tokio::time::Instant;

use crate::cluster_serve::shared_redis;
use crate::helpers::{Process, WAIT, paybell};
use crate::nodes::TestDb;

/// Runs a command to its end (bounded): `(success, stdout, stderr)`.
async fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let output = tokio::time::timeout(WAIT, paybell(args, env).output()).await.unwrap().unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

/// `paybell app ARGS --data-dir DIR` that must fail: its stderr.
async fn refused(args: &[&str], dir: &str, env: &[(&str, &str)]) -> String {
    let (ok, stdout, stderr) = run(&[&["app"], args, &["--data-dir", dir]].concat(), env).await;
    assert!(!ok, "paybell app {args:?} succeeded: {stdout}");
    stderr
}

#[tokio::test]
async fn bad_input_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().join("data");
    let dir = dir.to_str().unwrap();
    let (ok, _, stderr) =
        run(&["app", "add", "--id", "shop", "--key", "shop-key", "--data-dir", dir], &[]).await;
    assert!(ok, "{stderr}");

    let err = refused(&["add", "--id", "shop"], dir, &[]).await;
    assert!(err.contains("an app with this id already exists"), "{err}");
    let err = refused(&["add", "--key", "shop-key"], dir, &[]).await;
    assert!(err.contains("an app with this key already exists"), "{err}");
    let err = refused(&["add", "--key", "bad key!"], dir, &[]).await;
    assert!(err.contains("--key") && err.contains("letters, digits"), "{err}");
    let err = refused(&["add", "--id", "a/b"], dir, &[]).await;
    assert!(err.contains("--id"), "{err}");
    for command in
        [&["disable", "nope"][..], &["rotate-secret", "nope"], &["set", "nope", "--name", "x"]]
    {
        let err = refused(command, dir, &[]).await;
        assert!(err.contains("no app with id \"nope\""), "{command:?}: {err}");
    }
    let err = refused(&["show", "nope"], dir, &[]).await;
    assert!(err.contains("no app with id \"nope\""), "{err}");
    let err = refused(&["set", "shop", "--setting", "max_event_bytes=0"], dir, &[]).await;
    assert!(err.contains("max_event_bytes") && err.contains("greater than 0"), "{err}");
    let err = refused(&["set", "shop", "--setting", "no_such_key=1"], dir, &[]).await;
    assert!(err.contains("no_such_key"), "{err}");
    let err = refused(&["set", "shop", "--webhook", "ftp://example.com"], dir, &[]).await;
    assert!(err.contains("http://"), "{err}");
    let err = refused(&["set", "shop", "--setting", "secret=\"x\""], dir, &[]).await;
    assert!(err.contains("not a setting"), "{err}");
    let err = refused(&["rotate-secret", "shop", "--grace-period", "soon"], dir, &[]).await;
    assert!(err.contains("not a duration"), "{err}");

    let configured =
        [("PAYBELL_APP_ID", "cfg"), ("PAYBELL_APP_KEY", "cfg-key"), ("PAYBELL_APP_SECRET", "s")];
    let err = refused(&["disable", "cfg"], dir, &configured).await;
    assert!(err.contains("read-only"), "{err}");
    let err = refused(&["add", "--id", "cfg"], dir, &configured).await;
    assert!(err.contains("configured app"), "{err}");
    let (ok, listed, stderr) = run(&["app", "list", "--data-dir", dir], &configured).await;
    assert!(ok, "{stderr}");
    assert!(listed.lines().any(|l| l.starts_with("cfg ") && l.contains(" config ")), "{listed}");
    assert!(listed.lines().any(|l| l.starts_with("shop ") && l.contains(" store ")), "{listed}");

    // A bad setting changed nothing: the app is as it was.
    let (ok, stdout, stderr) =
        run(&["app", "set", "shop", "--max-connections", "5", "--data-dir", dir], &[]).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("app shop changed"), "{stdout}");
}

/// Connects to `key` on `port`, retrying (bounded) until the node serves the app.
async fn connect_when_served(port: u16, key: &str, within: Duration) -> Connection {
    let url = format!("ws://127.0.0.1:{port}/app/{key}?protocol=7&client=test&version=1");
    let deadline = Instant::now() + within;
    loop {
        match Connection::connect(&url).await {
            Ok(connection) => return connection,
            Err(error) => {
                assert!(Instant::now() < deadline, "app {key} not served on {port}: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test]
async fn two_redis_nodes_on_one_postgres_store_both_see_a_change() {
    let db = TestDb::create().await;
    let redis = shared_redis();
    let prefix = format!("paybell-apps-test-{}", std::process::id());
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("REDIS_URL", redis.as_str()),
        ("PAYBELL_REDIS_PREFIX", prefix.as_str()),
    ];
    let node = |dir: &std::path::Path| {
        let dir = dir.to_str().unwrap().to_owned();
        Process::spawn(&["realtime", "--addr", "127.0.0.1:0", "--data-dir", &dir], &env)
    };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node(dir_a.path());
    let port_a = a.port("paybell realtime listening on 127.0.0.1:").await;
    let b = node(dir_b.path());
    let port_b = b.port("paybell realtime listening on 127.0.0.1:").await;
    // The second node found the first one's app in the store and serves that one.
    b.line("paybell realtime app: key ").await;
    assert!(b.stdout().contains("from the apps store"), "{}", b.stdout());

    let data = dir_a.path().to_str().unwrap();
    let args = ["app", "add", "--id", "both", "--key", "both-key", "--data-dir", data];
    let (ok, stdout, stderr) = run(&args, &env).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("told through Redis"), "{stdout}");
    // Told through Redis, not polled: well under the 2 s poll of a node without Redis.
    let started = Instant::now();
    let mut on_a = connect_when_served(port_a, "both-key", Duration::from_secs(3)).await;
    let mut on_b = connect_when_served(port_b, "both-key", Duration::from_secs(3)).await;
    println!("both nodes served the new app {:?} after the CLI returned", started.elapsed());

    let (ok, _, stderr) = run(&["app", "disable", "both", "--data-dir", data], &env).await;
    assert!(ok, "{stderr}");
    for connection in [&mut on_a, &mut on_b] {
        let closed = connection.close_frame(Duration::from_secs(3)).await.unwrap();
        assert_eq!(closed.code, Some(4003), "{closed:?}");
    }
    assert!(a.terminate().await);
    assert!(b.terminate().await);
}

#[tokio::test]
async fn serve_picks_up_an_app_added_to_its_database_without_redis() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = crate::helpers::serve(&data, &[], &[]);
    let port = server.port("paybell realtime listening on 127.0.0.1:").await;
    let data = data.to_str().unwrap();
    let args = ["app", "add", "--id", "extra", "--key", "extra-key", "--data-dir", data];
    let (ok, stdout, stderr) = run(&args, &[]).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("within 2 s"), "{stdout}");
    let started = Instant::now();
    let mut conn = connect_when_served(port, "extra-key", Duration::from_secs(4)).await;
    println!("serve served the new app {:?} after the CLI returned", started.elapsed());
    let (ok, listed, stderr) = run(&["app", "list", "--data-dir", data], &[]).await;
    assert!(ok, "{stderr}");
    assert!(listed.lines().any(|l| l.contains(" generated")), "the generated app: {listed}");
    let (ok, _, stderr) = run(&["app", "disable", "extra", "--data-dir", data], &[]).await;
    assert!(ok, "{stderr}");
    assert_eq!(conn.close_frame(Duration::from_secs(4)).await.unwrap().code, Some(4003));
    assert!(server.terminate().await);
}

/// `paybell serve` signs its browsers' channel auth with its app's secret: after
/// `rotate-secret` it signs with the new one, without a restart, so its pages keep
/// subscribing once the old secret's grace period is over.
#[tokio::test]
async fn serve_signs_channel_auth_with_a_rotated_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = crate::helpers::serve(&data, &[], &[]);
    let web = server.port("paybell web listening on http://127.0.0.1:").await;
    let realtime = server.port("paybell realtime listening on 127.0.0.1:").await;
    let data = data.to_str().unwrap();
    let owner = ["user", "add", "--email", "owner@example.com", "--password", "long password"];
    let (ok, _, stderr) = run(&[&owner[..], &["--data-dir", data]].concat(), &[]).await;
    assert!(ok, "{stderr}");
    let (api, me) = crate::nodes::login(web).await;
    let channel = format!("private-user.{}.invoices", me["user"]["id"].as_str().unwrap());
    let (ok, shown, stderr) = run(&["app", "show", "--data-dir", data], &[]).await;
    assert!(ok, "{stderr}");
    let field = |text: &str, name: &str| -> String {
        let line = text.lines().find(|l| l.trim_start().starts_with(name)).unwrap_or_default();
        line.split_whitespace().last().unwrap_or_default().to_owned()
    };
    let (id, key) = (field(&shown, "app id:"), field(&shown, "app key:"));
    assert!(!id.is_empty() && !key.is_empty(), "{shown}");

    let rotate = ["app", "rotate-secret", id.as_str(), "--grace-period", "0s", "--data-dir", data];
    let (ok, rotated, stderr) = run(&rotate, &[]).await;
    assert!(ok, "{stderr}");
    let secret = field(&rotated, "app secret:");
    assert!(!secret.is_empty(), "{rotated}");

    // The server and the signer both move within the store poll (2 s).
    let deadline = Instant::now() + Duration::from_secs(6);
    loop {
        let url = format!("ws://127.0.0.1:{realtime}/app/{key}?protocol=7&client=test&version=1");
        let mut conn = Connection::connect(&url).await.expect("connect");
        let socket_id = conn.socket_id().to_string();
        let form = [("socket_id", socket_id.as_str()), ("channel_name", channel.as_str())];
        let response =
            api.client.post(format!("{}/pusher/auth", api.base)).form(&form).send().await.unwrap();
        assert!(response.status().is_success(), "/pusher/auth: {}", response.status());
        let auth: serde_json::Value = response.json().await.unwrap();
        let expected =
            pusher_protocol::sign::channel_auth(&key, &secret, &socket_id, &channel, None);
        if auth["auth"].as_str() == Some(expected.as_str()) {
            conn.subscribe(&channel, auth["auth"].as_str(), None).await.expect("subscribe");
            let reply = conn.next_frame(WAIT).await.expect("a reply to the subscription");
            assert_eq!(reply.event, "pusher_internal:subscription_succeeded", "{reply:?}");
            break;
        }
        assert!(Instant::now() < deadline, "/pusher/auth still signs with the old secret");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(server.terminate().await);
}
