//! The web app, embedded: `web/dist` (built by `npm run build` in `web/`) is compiled into
//! release binaries; debug builds read it from disk. Without a build, `/` explains how to
//! make one instead of failing.
//!
//! The Debug Console's page (`web/dist/console/`, built from `web/console.html` by
//! `vite.console.config.ts`) is served
//! by the realtime server under `/console` ([`console_assets`]), never on this port.
//!
//! Any GET path without a file serves `index.html` (the app routes on the client); Vite's
//! hashed files under `assets/` are cached for a year, everything else is revalidated.
//! The security headers (CSP, `nosniff`, `Referrer-Policy`) come from the invoicing router's
//! middleware, which wraps this fallback: the CSP names the realtime server it configures.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "$CARGO_MANIFEST_DIR/../../web/dist/"]
#[allow_missing = true]
struct Assets;

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>Paybell</title>\
<h1>Paybell</h1><p>The web app was not built into this binary. Build it with \
<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then rebuild \
<code>paybell</code> (<code>cargo build -p paybell</code>). The REST API under \
<code>/api</code> and the realtime server work without it.</p>";

/// The router serving the web app, for every path the API does not own.
pub fn router() -> Router {
    Router::new().fallback(serve)
}

async fn serve(method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::NOT_FOUND.into_response();
    }
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("console/") {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(response) = file(path) {
        return response;
    }
    file("index.html").unwrap_or_else(|| Html(NOT_BUILT).into_response())
}

/// The Debug Console's files, for the realtime server's `/console`.
pub fn console_assets() -> realtime::ConsoleAssets {
    std::sync::Arc::new(|path: &str| {
        // Vite names the page after its entry, `console.html`.
        let path = match path {
            "index.html" => "console/console.html".to_owned(),
            other => format!("console/{other}"),
        };
        file(&path).map(|mut response| {
            // The console's hashed files live under `console/assets/`.
            if path.starts_with("console/assets/") {
                let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
                response.headers_mut().insert(header::CACHE_CONTROL, cache);
            }
            response
        })
    })
}

fn file(path: &str) -> Option<Response> {
    if path.is_empty() {
        return None;
    }
    let asset = Assets::get(path)?;
    let mime = asset.metadata.mimetype().to_owned();
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = Response::new(Body::from(asset.data.into_owned()));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Some(response)
}
