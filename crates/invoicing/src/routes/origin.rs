//! Cross-site request forgery: every unsafe request (POST, PATCH, PUT, DELETE, with a body or
//! not, signed in or on the public pay page) must come from the app's own origin.
//!
//! Browsers send `Origin` on every unsafe request, and `Sec-Fetch-Site` on all of them since
//! 2023; either one decides. A request with neither is not from a current browser (curl, an
//! SDK, a test on Node) and cannot carry a victim's cookie without its owner's help, so it
//! passes. The app's origin is the configured public URL, or, without one, the `Host` the
//! request was sent to (so the app opened by a LAN address works).

use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderName, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use url::{Origin, Url};

use super::{ApiError, AppState};

static SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Middleware: 403 for an unsafe request from another origin.
pub(crate) async fn same_origin_only(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || from_own_origin(request.headers(), state.settings.public_url.as_ref()) {
        return next.run(request).await;
    }
    tracing::info!(
        origin = ?request.headers().get(ORIGIN),
        sec_fetch_site = ?request.headers().get(&SEC_FETCH_SITE),
        "cross-origin request refused"
    );
    ApiError::Forbidden("cross-origin requests are not allowed").into_response()
}

/// Whether the request's `Origin` (or, without one, `Sec-Fetch-Site`) says it comes from
/// this app; also true when it carries neither.
fn from_own_origin(headers: &HeaderMap, public_url: Option<&Url>) -> bool {
    if let Some(origin) = headers.get(ORIGIN) {
        let Some(origin) = origin.to_str().ok().and_then(|o| Url::parse(o).ok()) else {
            return false;
        };
        let own = match public_url {
            Some(url) => Some(url.origin()),
            None => host_origin(headers, origin.scheme()),
        };
        return own.is_some_and(|own| own.is_tuple() && own == origin.origin());
    }
    match headers.get(&SEC_FETCH_SITE) {
        Some(site) => matches!(site.to_str(), Ok("same-origin" | "none")),
        None => true,
    }
}

/// The origin `scheme://{Host header}`: the scheme is the request origin's own, as a proxy
/// terminating TLS leaves no trace of it here.
fn host_origin(headers: &HeaderMap, scheme: &str) -> Option<Origin> {
    let host = headers.get(HOST)?.to_str().ok()?;
    if host.is_empty() || host.contains(['/', '?', '#', '@', '\\']) {
        return None;
    }
    Url::parse(&format!("{scheme}://{host}")).ok().map(|url| url.origin())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_host_decides_without_a_public_url() {
        let lan = headers(&[("host", "192.168.1.5:3000"), ("origin", "http://192.168.1.5:3000")]);
        assert!(from_own_origin(&lan, None));
        let default_port =
            headers(&[("host", "pay.example:443"), ("origin", "https://pay.example")]);
        assert!(from_own_origin(&default_port, None));
        let other_port =
            headers(&[("host", "localhost:3000"), ("origin", "http://localhost:3001")]);
        assert!(!from_own_origin(&other_port, None));
        let null = headers(&[("host", "localhost:3000"), ("origin", "null")]);
        assert!(!from_own_origin(&null, None));
        let no_host = headers(&[("origin", "http://localhost:3000")]);
        assert!(!from_own_origin(&no_host, None));
    }

    #[test]
    fn the_public_url_decides_when_set() {
        let public = Url::parse("https://pay.example/").ok();
        let own = headers(&[("host", "10.0.0.2:3000"), ("origin", "https://pay.example")]);
        assert!(from_own_origin(&own, public.as_ref()));
        let by_host = headers(&[("host", "10.0.0.2:3000"), ("origin", "http://10.0.0.2:3000")]);
        assert!(!from_own_origin(&by_host, public.as_ref()));
    }

    #[test]
    fn sec_fetch_site_decides_without_origin() {
        for (site, allowed) in
            [("same-origin", true), ("none", true), ("same-site", false), ("cross-site", false)]
        {
            let map = headers(&[("host", "localhost:3000"), ("sec-fetch-site", site)]);
            assert_eq!(from_own_origin(&map, None), allowed, "{site}");
        }
        assert!(from_own_origin(&headers(&[("host", "localhost:3000")]), None));
    }
}
