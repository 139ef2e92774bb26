//! PROTOCOL.md §6: the signed HTTP API, its exact bodies and its errors.

use std::time::{SystemTime, UNIX_EPOCH};

use pusher_client::{Method, PusherClient};
use pusher_protocol::api::BatchEvent;
use serde_json::{Value, json};

use crate::helpers::{Backend, ID, app, app_config, next, on_both, spawn, subscribe, subscribed};

on_both!(
    trigger_answers_exactly_an_empty_object,
    trigger_with_info_reports_counts,
    batch_events_are_delivered_and_limited_to_ten,
    limits_are_4xx_with_a_json_error,
    signatures_are_checked,
    a_disabled_app_gets_403,
    channel_queries
);

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Sends a signed request as is; returns the status and the JSON body.
async fn raw(
    api: &PusherClient,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: &Value,
    at: u64,
) -> (u16, Value) {
    let body = if body.is_null() { Vec::new() } else { serde_json::to_vec(body).unwrap() };
    let url = api.signed_url_at(&method, &format!("/apps/{ID}{path}"), query, &body, at).unwrap();
    let response = api.send_raw(method, url, body).await.unwrap();
    (response.status, serde_json::from_str(&response.body).unwrap_or(Value::String(response.body)))
}

async fn trigger_answers_exactly_an_empty_object(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let api = server.api();
    let (status, body) = raw(
        &api,
        Method::POST,
        "/events",
        &[],
        &json!({"name": "e", "channel": "a", "data": "{}"}),
        now(),
    )
    .await;
    assert_eq!((status, body), (200, json!({})));
    server.stop().await;
}

async fn trigger_with_info_reports_counts(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut a = server.connect().await;
    subscribe(&mut a, "presence-x", Some(("u1", Value::Null))).await;
    let _b = subscribed(&server, "plain").await;
    let response = server
        .api()
        .trigger(&["presence-x"], "e", "{}", None, Some("user_count,subscription_count"))
        .await
        .unwrap();
    let counts = &response.channels.unwrap()["presence-x"];
    assert_eq!((counts.user_count, counts.subscription_count), (Some(1), Some(1)));
    let err =
        server.api().trigger(&["plain"], "e", "{}", None, Some("user_count")).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    server.stop().await;
}

async fn batch_events_are_delivered_and_limited_to_ten(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut conn = subscribed(&server, "b").await;
    let event = |i: usize| BatchEvent {
        name: format!("e{i}"),
        data: "{}".to_owned(),
        channel: "b".to_owned(),
        socket_id: None,
        info: None,
    };
    let response = server.api().trigger_batch((0..2).map(event).collect()).await.unwrap();
    assert_eq!(serde_json::to_value(&response).unwrap(), json!({}));
    assert_eq!(next(&mut conn).await.event, "e0");
    assert_eq!(next(&mut conn).await.event, "e1");
    let err = server.api().trigger_batch((0..11).map(event).collect()).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    server.stop().await;
}

async fn limits_are_4xx_with_a_json_error(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let api = server.api();
    let cases = [
        (json!({"name": "e", "channel": "a", "data": "x".repeat(10 * 1024 + 1)}), 413),
        (
            json!({"name": "e", "channels": (0..101).map(|i| format!("c{i}")).collect::<Vec<_>>(), "data": "{}"}),
            400,
        ),
        (json!({"name": "x".repeat(201), "channel": "a", "data": "{}"}), 400),
        (json!({"name": "e", "channel": "a".repeat(201), "data": "{}"}), 400),
        (json!({"name": "e", "channel": "bad channel", "data": "{}"}), 400),
        (json!({"name": "e", "data": "{}"}), 400),
        (json!({"name": "e", "channel": "a", "data": "{}", "socket_id": "nope"}), 400),
        (json!({"channel": "a", "data": "{}"}), 400),
    ];
    for (body, expected) in cases {
        let (status, response) = raw(&api, Method::POST, "/events", &[], &body, now()).await;
        assert_eq!(status, expected, "{body}");
        assert!(response["error"].is_string(), "{response}");
    }
    // Exactly 10 KB and 100 channels are fine.
    let ok = json!({"name": "e", "channels": (0..100).map(|i| format!("c{i}")).collect::<Vec<_>>(), "data": "x".repeat(10 * 1024)});
    assert_eq!(raw(&api, Method::POST, "/events", &[], &ok, now()).await.0, 200);
    server.stop().await;
}

async fn signatures_are_checked(backend: Backend) {
    let server =
        spawn(backend, vec![app(), app_config("other", "other-key", "other-secret")]).await;
    let api = server.api();
    let body = json!({"name": "e", "channel": "a", "data": "{}"});
    let (status, response) = raw(&api, Method::POST, "/events", &[], &body, now() - 601).await;
    assert_eq!(status, 401);
    assert!(response["error"].as_str().unwrap().contains("auth_timestamp"), "{response}");
    assert_eq!(raw(&api, Method::POST, "/events", &[], &body, now() - 590).await.0, 200);

    // A tampered body no longer matches body_md5.
    let signed_body = serde_json::to_vec(&body).unwrap();
    let url = api
        .signed_url_at(&Method::POST, &format!("/apps/{ID}/events"), &[], &signed_body, now())
        .unwrap();
    let tampered =
        serde_json::to_vec(&json!({"name": "evil", "channel": "a", "data": "{}"})).unwrap();
    assert_eq!(api.send_raw(Method::POST, url, tampered).await.unwrap().status, 401);

    // Another app's key, or a wrong secret, is refused.
    let other = PusherClient::new(server.target_for(ID, "other-key", "other-secret")).unwrap();
    assert_eq!(other.trigger(&["a"], "e", "{}", None, None).await.unwrap_err().status(), Some(401));
    let wrong = PusherClient::new(server.target_for(ID, "app-key", "wrong")).unwrap();
    assert_eq!(wrong.trigger(&["a"], "e", "{}", None, None).await.unwrap_err().status(), Some(401));
    let unknown = PusherClient::new(server.target_for("missing", "app-key", "app-secret")).unwrap();
    assert_eq!(unknown.channels(None, None).await.unwrap_err().status(), Some(404));
    server.stop().await;
}

async fn a_disabled_app_gets_403(backend: Backend) {
    let mut off = app_config("off", "off-key", "off-secret");
    off.enabled = false;
    let server = spawn(backend, vec![off]).await;
    let api = PusherClient::new(server.target_for("off", "off-key", "off-secret")).unwrap();
    assert_eq!(api.trigger(&["a"], "e", "{}", None, None).await.unwrap_err().status(), Some(403));
    server.stop().await;
}

async fn channel_queries(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let api = server.api();
    assert_eq!(
        serde_json::to_value(api.channels(None, None).await.unwrap()).unwrap(),
        json!({"channels": {}})
    );

    let _a = subscribed(&server, "invoice.1").await;
    let _b = subscribed(&server, "user.1.invoices").await;
    let mut p = server.connect().await;
    subscribe(&mut p, "presence-team", Some(("u", Value::Null))).await;

    let all = api.channels(None, None).await.unwrap();
    let names: Vec<&String> = all.channels.keys().collect();
    assert_eq!(names, ["invoice.1", "presence-team", "user.1.invoices"]);
    assert_eq!(serde_json::to_value(&all.channels["invoice.1"]).unwrap(), json!({}));

    let invoices = api.channels(Some("invoice."), None).await.unwrap();
    assert_eq!(invoices.channels.len(), 1);
    let presence = api.channels(Some("presence-"), Some("user_count")).await.unwrap();
    assert_eq!(presence.channels["presence-team"].user_count, Some(1));
    assert_eq!(
        api.channels(Some("invoice."), Some("user_count")).await.unwrap_err().status(),
        Some(400)
    );

    let one = api.channel("invoice.1", Some("subscription_count")).await.unwrap();
    assert_eq!(
        serde_json::to_value(one).unwrap(),
        json!({"occupied": true, "subscription_count": 1})
    );
    let empty = api.channel("nobody", None).await.unwrap();
    assert_eq!(serde_json::to_value(empty).unwrap(), json!({"occupied": false}));
    assert_eq!(api.channel("invoice.1", Some("user_count")).await.unwrap_err().status(), Some(400));
    assert_eq!(api.channel("invoice.1", Some("cache")).await.unwrap_err().status(), Some(400));
    assert_eq!(api.users("invoice.1").await.unwrap_err().status(), Some(400));
    server.stop().await;
}
