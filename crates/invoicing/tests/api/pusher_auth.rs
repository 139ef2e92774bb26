//! `GET /api/config` and `POST /pusher/auth`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Db, Options, create_user, id_of, on_both, spawn_app, spawn_app_with};

on_both!(
    config_points_browsers_at_the_realtime_server,
    pusher_auth_in_private_mode,
    pusher_auth_is_off_in_public_mode
);

async fn config_points_browsers_at_the_realtime_server(db: Db) {
    let app = spawn_app(db).await;
    let answer = app.get("/api/config").await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        json!({
            "pusher": {"key": "app-key", "cluster": "mt1", "wsHost": "127.0.0.1", "wsPort": app.realtime_port, "forceTLS": false},
            "privateChannels": true,
            "payments": {"provider": "test"}
        })
    );
    let named = app
        .request(&app.client, Method::GET, "/api/config", None, &[("host", "paybell.example:8080")])
        .await;
    assert_eq!(named.body["pusher"]["wsHost"], "paybell.example");
}

async fn auth(
    app: &crate::helpers::TestApp,
    client: &reqwest::Client,
    channel: &str,
) -> (u16, Value) {
    let response = client
        .post(format!("{}/pusher/auth", app.base))
        .form(&[("socket_id", "123.456"), ("channel_name", channel)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn pusher_auth_in_private_mode(db: Db) {
    let app = spawn_app(db).await;
    assert_eq!(app.get("/api/config").await.body["privateChannels"], true);
    app.login().await;
    let draft = id_of(&app.create_invoice().await);
    let sent = id_of(&app.sent_invoice().await);
    let user_channel = format!("private-user.{}.invoices", app.user.id);
    for channel in [
        user_channel.clone(),
        format!("private-invoice.{draft}"),
        format!("private-invoice.{sent}"),
    ] {
        let (status, body) = auth(&app, &app.client, &channel).await;
        assert_eq!(status, 200, "{channel}: {body}");
        let expected =
            pusher_protocol::sign::channel_auth("app-key", "app-secret", "123.456", &channel, None);
        assert_eq!(body, json!({"auth": expected}));
    }
    // The payer: no session, the payment link's invoice only, once sent.
    let payer = reqwest::Client::new();
    assert_eq!(auth(&app, &payer, &format!("private-invoice.{sent}")).await.0, 200);
    let refused = [
        format!("private-invoice.{draft}"),
        user_channel.clone(),
        format!("private-invoice.{}", uuid::Uuid::new_v4()),
        format!("invoice.{sent}"),
        "private-anything".to_owned(),
    ];
    for channel in &refused {
        let (status, body) = auth(&app, &payer, channel).await;
        assert_eq!(status, 403, "{channel}");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    // Another owner cannot open this owner's channels.
    create_user(&app.store, "other@example.com", "Other").await;
    let other = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = json!({"email": "other@example.com", "password": crate::helpers::PASSWORD});
    app.request(&other, Method::POST, "/api/auth/login", Some(&login), &[]).await;
    assert_eq!(auth(&app, &other, &user_channel).await.0, 403);
    assert_eq!(auth(&app, &other, &format!("private-invoice.{draft}")).await.0, 403);
    // A bad socket id is a bad request.
    let response = app
        .client
        .post(format!("{}/pusher/auth", app.base))
        .form(&[("socket_id", "nope"), ("channel_name", user_channel.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

async fn pusher_auth_is_off_in_public_mode(db: Db) {
    let app = spawn_app_with(db, Options { public_channels: true, ..Options::default() }).await;
    assert_eq!(app.get("/api/config").await.body["privateChannels"], false);
    app.login().await;
    let channel = format!("private-user.{}.invoices", app.user.id);
    assert_eq!(auth(&app, &app.client, &channel).await.0, 403);
}
