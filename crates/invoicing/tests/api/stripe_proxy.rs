//! localstripe behind a pass-through proxy that, once a refund is made, sends Paybell the
//! signed `charge.refunded` Stripe would send, and only then answers the refund: the webhook
//! reaches Paybell before the refund's own answer does (the race of issue #13).

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::localstripe::{LocalStripe, SECRET_KEY, now, sign};

#[derive(Clone)]
struct Proxy {
    stripe: String,
    /// Paybell's base URL, known once it runs (it is started with this proxy's address).
    app: Arc<OnceLock<String>>,
    http: reqwest::Client,
}

/// Starts the proxy in front of `stripe`; returns its base URL and where to put the app's.
pub(crate) async fn start(stripe: &LocalStripe) -> (String, Arc<OnceLock<String>>) {
    let app = Arc::new(OnceLock::new());
    let proxy =
        Proxy { stripe: stripe.base.clone(), app: Arc::clone(&app), http: reqwest::Client::new() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new().fallback(forward).with_state(proxy);
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, app)
}

async fn forward(
    State(proxy): State<Proxy>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = proxy.http.request(method.clone(), format!("{}{path}", proxy.stripe));
    for name in ["authorization", "content-type", "idempotency-key", "stripe-version"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value);
        }
    }
    let answer = request.body(body).send().await.unwrap();
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let bytes = answer.bytes().await.unwrap();
    if method == Method::POST && uri.path() == "/v1/refunds" && status.is_success() {
        let refund: Value = serde_json::from_slice(&bytes).unwrap();
        report_refund(&proxy, refund["charge"].as_str().unwrap()).await;
    }
    (status, [("content-type", "application/json")], bytes).into_response()
}

/// Sends Paybell `charge.refunded` with the charge as Stripe has it now.
async fn report_refund(proxy: &Proxy, charge: &str) {
    let url = format!("{}/v1/charges/{charge}", proxy.stripe);
    let answer = proxy.http.get(url).basic_auth(SECRET_KEY, None::<&str>).send().await.unwrap();
    let charge: Value = answer.json().await.unwrap();
    let id = format!("evt_refund_{}", uuid::Uuid::new_v4().simple());
    let event = json!({"id": id, "object": "event", "type": "charge.refunded",
                       "data": {"object": charge}});
    let body = event.to_string();
    let app = proxy.app.get().expect("the app's address is set before it refunds");
    let delivered = proxy
        .http
        .post(format!("{app}/api/stripe/webhook"))
        .header("content-type", "application/json")
        .header("stripe-signature", sign(&body, now()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(delivered.status(), 200, "charge.refunded was not taken");
}
