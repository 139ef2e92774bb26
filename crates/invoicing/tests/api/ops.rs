//! `GET /health`, `GET /ready` and request ids on the web port.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Db, on_both, spawn_app};

on_both!(health_ready_and_request_ids);

async fn health_ready_and_request_ids(db: Db) {
    let app = spawn_app(db).await;
    let health = app.get("/health").await;
    assert_eq!((health.status.as_u16(), health.body.clone()), (200, json!({"status": "ok"})));
    let ready = app.get("/ready").await;
    assert_eq!((ready.status.as_u16(), ready.body.clone()), (200, json!({"status": "ready"})));

    let generated = ready.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    let again = app.get("/api/me").await;
    assert_ne!(again.headers["x-request-id"], generated.as_str(), "a new id per request");
    let given = app
        .request(&app.client, Method::GET, "/api/me", None, &[("x-request-id", "trace-123")])
        .await;
    assert_eq!(given.headers["x-request-id"], "trace-123");
}
