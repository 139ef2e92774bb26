//! `wss://` and `https://` served directly with a certificate.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use realtime::{RealtimeConfig, TlsFiles};
use tokio_tungstenite::Connector;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::{Backend, ID, KEY, WAIT, app, on_both, spawn_with};

on_both!(
    wss_and_https_work_with_a_certificate,
    unreadable_certificates_fail_start_up_naming_the_key
);

async fn wss_and_https_work_with_a_certificate(backend: Backend) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("paybell-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let config = RealtimeConfig {
        apps: vec![app()],
        tls: Some(TlsFiles { cert: cert_path, key: key_path }),
        ..RealtimeConfig::default()
    };
    let server = spawn_with(backend, config).await;

    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let client = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let url = format!("wss://localhost:{}/app/{KEY}?protocol=7", server.port);
    let (mut ws, _) = tokio_tungstenite::connect_async_tls_with_config(
        url,
        None,
        false,
        Some(Connector::Rustls(Arc::new(client))),
    )
    .await
    .unwrap();
    let Some(Ok(Message::Text(first))) = ws.next().await else { panic!("no frame") };
    assert!(first.contains("pusher:connection_established"), "{first}");
    // The WebSocket over TLS is the boxed stream: frames both ways, large ones too.
    ws.send(Message::Ping(b"tls".to_vec().into())).await.unwrap();
    let pong = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
    assert!(matches!(pong, Some(Ok(Message::Pong(ref p))) if &p[..] == b"tls"), "{pong:?}");
    let subscribe = r#"{"event":"pusher:subscribe","data":{"channel":"big"}}"#;
    ws.send(Message::text(subscribe)).await.unwrap();
    let subscribed = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
    assert!(matches!(subscribed, Some(Ok(Message::Text(ref t))) if t.contains("succeeded")));
    let big = "x".repeat(9000);
    let data = format!(r#""{big}""#);
    for _ in 0..20 {
        server.publisher.trigger(ID, &["big".to_owned()], "e", &data).await.unwrap();
    }
    for _ in 0..20 {
        let event = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
        assert!(matches!(event, Some(Ok(Message::Text(ref t))) if t.contains(&big)), "{event:?}");
    }
    // A client message of several TLS records, answered.
    let ping = format!(r#"{{"event":"pusher:ping","data":"{}"}}"#, "y".repeat(30_000));
    ws.send(Message::text(ping)).await.unwrap();
    let pong = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
    assert!(matches!(pong, Some(Ok(Message::Text(ref t))) if t.contains("pusher:pong")));
    // The client's close is answered with its code.
    let bye = CloseFrame { code: CloseCode::Away, reason: "".into() };
    ws.send(Message::Close(Some(bye))).await.unwrap();
    let close = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
    assert!(
        matches!(close, Some(Ok(Message::Close(Some(ref f)))) if f.code == CloseCode::Away),
        "{close:?}"
    );

    let https = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let health =
        https.get(format!("https://localhost:{}/health", server.port)).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    // Plain text on the TLS port is refused, not answered.
    assert!(reqwest::get(format!("http://localhost:{}/health", server.port)).await.is_err());
    server.stop().await;
    std::fs::remove_dir_all(dir).unwrap();
}

async fn unreadable_certificates_fail_start_up_naming_the_key(backend: Backend) {
    let mut config = RealtimeConfig {
        apps: vec![app()],
        tls: Some(TlsFiles {
            cert: "/nonexistent/cert.pem".into(),
            key: "/nonexistent/key.pem".into(),
        }),
        ..RealtimeConfig::default()
    };
    backend.configure(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = realtime::Server::build(config, listener).unwrap_err();
    assert!(error.to_string().contains("realtime.tls_cert"), "{error}");
}
