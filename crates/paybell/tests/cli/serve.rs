//! `paybell serve`, `paybell user add` and `paybell migrate` on one data directory.

use serde_json::{Value, json};

use crate::helpers::{cookie_client, paybell, serve};

#[tokio::test]
async fn serve_with_demo_then_users_and_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let process = serve(&data, &["--demo"], &[]);
    let web = process.port("paybell web listening on http://127.0.0.1:").await;
    let realtime = process.port("paybell realtime listening on 127.0.0.1:").await;
    let login = process.line("demo login: ").await;
    let (email, password) = login.split_once(" / ").unwrap();
    assert!(process.stdout().contains("/pay/"), "{}", process.stdout());
    let base = format!("http://127.0.0.1:{web}");
    let client = cookie_client();

    let body = json!({"email": email, "password": password});
    let answer = client.post(format!("{base}/api/auth/login")).json(&body).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let list: Value =
        client.get(format!("{base}/api/invoices")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["invoices"].as_array().unwrap().len(), 3);
    let first_pay_url = list["invoices"][0]["payUrl"].as_str().unwrap();
    assert!(first_pay_url.starts_with(&format!("{base}/pay/")), "{first_pay_url}");
    let profile: Value =
        client.get(format!("{base}/api/profile")).send().await.unwrap().json().await.unwrap();
    assert_eq!(profile["legalName"], "Demo Bakery", "the demo business profile: {profile}");
    assert!(profile["address"].as_str().unwrap().contains("Flour Street"), "{profile}");
    let config: Value =
        client.get(format!("{base}/api/config")).send().await.unwrap().json().await.unwrap();
    assert_eq!(config["pusher"]["wsPort"], realtime);
    let announced = process.line("paybell realtime app: key ").await;
    let key = announced.split_whitespace().next().unwrap();
    assert_eq!(config["pusher"]["key"], key, "the data directory's generated app");
    assert_eq!(config["privateChannels"], true, "private channels by default");

    // The web app (or the page explaining how to build it) answers every other GET path.
    for path in ["/", "/app/invoices", "/pay/anything"] {
        let page = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    }
    let api = reqwest::get(format!("{base}/api/unknown")).await.unwrap();
    assert_eq!(api.status(), 404);
    assert!(process.terminate().await, "serve stops cleanly on SIGTERM");

    // The same data directory from the other commands.
    let dir_arg = data.to_str().unwrap();
    let add_new_user = || {
        let args = ["user", "add", "--email", "new@example.com", "--password", "long password"];
        paybell(&[&args[..], &["--data-dir", dir_arg]].concat(), &[]).output()
    };
    let added = add_new_user().await.unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let again = add_new_user().await.unwrap();
    assert!(!again.status.success());
    let short = paybell(
        &["user", "add", "--email", "x@example.com", "--password", "short", "--data-dir", dir_arg],
        &[],
    )
    .output()
    .await
    .unwrap();
    assert!(String::from_utf8_lossy(&short.stderr).contains("--password"));
    let migrated = paybell(&["migrate", "--data-dir", dir_arg], &[]).output().await.unwrap();
    assert!(migrated.status.success());

    let process = serve(&data, &[], &[]);
    let web = process.port("paybell web listening on http://127.0.0.1:").await;
    let body = json!({"email": "new@example.com", "password": "long password"});
    let client = cookie_client();
    let answer = client
        .post(format!("http://127.0.0.1:{web}/api/auth/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(process.terminate().await);
}

#[tokio::test]
async fn the_demo_owner_signs_in_only_in_demo_mode() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sign_in = |web: u16, client: reqwest::Client| async move {
        let body = json!({"email": "demo@paybell.local", "password": "paybell-demo"});
        let url = format!("http://127.0.0.1:{web}/api/auth/login");
        client.post(url).json(&body).send().await.unwrap()
    };
    let me = |web: u16, client: reqwest::Client| async move {
        client.get(format!("http://127.0.0.1:{web}/api/me")).send().await.unwrap().status()
    };

    let demo = serve(&data, &["--demo"], &[]);
    let web = demo.port("paybell web listening on http://127.0.0.1:").await;
    let earlier = cookie_client();
    assert_eq!(sign_in(web, earlier.clone()).await.status(), 200);
    assert!(demo.terminate().await);

    let plain = serve(&data, &[], &[]);
    let web = plain.port("paybell web listening on http://127.0.0.1:").await;
    plain.line("demo login demo@paybell.local disabled").await;
    let refused = sign_in(web, cookie_client()).await;
    assert_eq!(refused.status(), 401, "like a wrong password");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_credentials");
    assert_eq!(me(web, earlier.clone()).await, 401, "an earlier demo session is signed out");
    assert!(plain.terminate().await);

    let demo = serve(&data, &["--demo"], &[]);
    let web = demo.port("paybell web listening on http://127.0.0.1:").await;
    assert_eq!(sign_in(web, cookie_client()).await.status(), 200);
    assert_eq!(me(web, earlier).await, 200, "the session is back in demo mode");
    assert!(demo.terminate().await);
}

#[tokio::test]
async fn bad_configuration_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    for (env, key) in [
        (("PAYBELL_HTTP_ADDR", "nowhere"), "PAYBELL_HTTP_ADDR"),
        (("DATABASE_URL", "mysql://x"), "DATABASE_URL"),
        (("PAYBELL_PRIVATE_CHANNELS", "maybe"), "PAYBELL_PRIVATE_CHANNELS"),
        (("PAYBELL_PUBLIC_URL", "ftp://x"), "PAYBELL_PUBLIC_URL"),
        (("PUSHER_KEY", "k"), "PUSHER_APP_ID"),
    ] {
        let run = paybell(&["serve", "--data-dir", data], &[env]).output();
        let output = tokio::time::timeout(crate::helpers::WAIT, run).await.unwrap().unwrap();
        assert!(!output.status.success(), "{key}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(key), "{key}: {stderr}");
    }
}

#[tokio::test]
async fn with_a_certificate_browsers_are_told_to_use_wss() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let args = ["--tls-cert", cert_path.to_str().unwrap(), "--tls-key", key_path.to_str().unwrap()];
    let process = serve(&dir.path().join("data"), &args, &[]);
    let web = process.port("paybell web listening on http://127.0.0.1:").await;
    process.port("paybell realtime listening on 127.0.0.1:").await;
    let config = browser_config(web).await;
    assert_eq!(config["pusher"]["forceTLS"], true, "{config}");
    assert!(process.terminate().await);
}

#[tokio::test]
async fn behind_a_proxy_browsers_are_told_its_public_websocket_address() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("PAYBELL_PUBLIC_WS_URL", "wss://ws.example.com")];
    let process = serve(&dir.path().join("data"), &[], &env);
    let web = process.port("paybell web listening on http://127.0.0.1:").await;
    let config = browser_config(web).await;
    let pusher = &config["pusher"];
    assert_eq!(
        (&pusher["wsHost"], &pusher["wsPort"], &pusher["forceTLS"]),
        (&json!("ws.example.com"), &json!(443), &json!(true)),
        "{config}"
    );
    assert!(process.terminate().await);
}

/// What the web app on port `web` tells browsers (`GET /api/config`).
async fn browser_config(web: u16) -> Value {
    let response = reqwest::get(format!("http://127.0.0.1:{web}/api/config")).await.unwrap();
    response.json().await.unwrap()
}
