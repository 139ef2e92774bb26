//! The console's web page: the built files from the binary, and the security headers on
//! every console response.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::Console;

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>Paybell Debug Console</title>\
<h1>Debug Console</h1><p>The console's web page was not built into this binary. Build it \
with <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then rebuild \
<code>paybell</code>.</p>";

/// Only this server is talked to; no inline script, no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
form-action 'self'; object-src 'none'";

/// `GET /console`: the page, which signs in or shows the console.
pub(super) async fn index(State(console): State<Console>) -> Response {
    let page = console.assets.as_ref().and_then(|assets| assets("index.html"));
    let mut response = page.unwrap_or_else(|| Html(NOT_BUILT).into_response());
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /console/assets/{file}`: the page's scripts and styles.
pub(super) async fn file(State(console): State<Console>, Path(file): Path<String>) -> Response {
    let found = console.assets.as_ref().and_then(|assets| assets(&format!("assets/{file}")));
    found.unwrap_or_else(|| {
        super::api::error(StatusCode::NOT_FOUND, "not_found", "no such file").into_response()
    })
}

/// Adds the security headers to every console response.
pub(super) async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
