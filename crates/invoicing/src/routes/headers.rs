//! Security headers on every response, the web app's included: `X-Content-Type-Options`,
//! a `Referrer-Policy` that keeps payment links (capabilities) out of `Referer`,
//! `Cache-Control: no-store` on the API (unless a handler set its own), and the web app's
//! Content-Security-Policy, whose `connect-src` names the realtime server the browser is told
//! about in `GET /api/config`.

use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::pusher_auth::request_host;
use crate::settings::{BrowserEndpoint, WsHost};
use crate::stripe::{StripeConfig, StripeOrigins};

/// Middleware: sets the headers above on the response.
pub(crate) async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let stripe = state.settings.provider.stripe().map(StripeConfig::origins);
    let csp = content_security_policy(&state.settings.realtime.browser, request.headers());
    let csp = with_stripe(csp, stripe.as_ref());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let referrer = if path.starts_with("/pay/") || path.starts_with("/api/pay/") {
        "no-referrer"
    } else {
        "same-origin"
    };
    headers.insert(REFERRER_POLICY, HeaderValue::from_static(referrer));
    // Unless the handler chose otherwise (the public OpenAPI document).
    if path.starts_with("/api/") || path.starts_with("/pusher/") {
        headers.entry(CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    }
    // A handler that set its own policy (a framed e-mail) knows better than the app's.
    if !headers.contains_key(CONTENT_SECURITY_POLICY)
        && let Ok(csp) = HeaderValue::from_str(&csp)
    {
        headers.insert(CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// Everything from this origin only, plus WebSockets to the realtime server; no framing.
/// Styles need no `'unsafe-inline'`: the app has no inline style, and React's `style` props
/// go through the CSSOM, which CSP does not restrict.
fn content_security_policy(browser: &BrowserEndpoint, headers: &HeaderMap) -> String {
    let realtime = realtime_sources(browser, headers);
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'{realtime}; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The policy with exactly Stripe.js's origins added when Stripe is the provider: its script,
/// its frames (`frame-src`, otherwise `default-src 'self'`), and the API it calls.
fn with_stripe(csp: String, stripe: Option<&StripeOrigins>) -> String {
    let Some(stripe) = stripe else { return csp };
    let frames = stripe.frames.join(" ");
    csp.replacen("script-src 'self'", &format!("script-src 'self' {}", stripe.script), 1)
        .replacen("connect-src 'self'", &format!("connect-src 'self' {}", stripe.connect), 1)
        .replacen("; object-src", &format!("; frame-src {frames}; object-src"), 1)
}

/// ` ws://host:port wss://host:port` (only `wss` when TLS is forced), or nothing when the
/// host is unknown or not a plain host name.
fn realtime_sources(browser: &BrowserEndpoint, headers: &HeaderMap) -> String {
    let host = match &browser.ws_host {
        WsHost::Fixed(host) => Some(host.clone()),
        WsHost::FromRequest => request_host(headers),
    };
    let Some(host) =
        host.filter(|h| h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c)))
    else {
        return String::new();
    };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    let port = browser.ws_port;
    if browser.force_tls {
        format!(" wss://{host}:{port}")
    } else {
        format!(" ws://{host}:{port} wss://{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(ws_host: WsHost, force_tls: bool) -> BrowserEndpoint {
        BrowserEndpoint { cluster: "mt1".to_owned(), ws_host, ws_port: 6001, force_tls }
    }

    fn with_host(host: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static(host));
        headers
    }

    #[test]
    fn connect_src_follows_the_request_host() {
        let browser = endpoint(WsHost::FromRequest, false);
        let csp = content_security_policy(&browser, &with_host("192.168.1.5:3000"));
        assert!(csp.contains("connect-src 'self' ws://192.168.1.5:6001 wss://192.168.1.5:6001;"));
        let csp = content_security_policy(&browser, &with_host("[::1]:3000"));
        assert!(csp.contains("ws://[::1]:6001"), "{csp}");
    }

    #[test]
    fn connect_src_names_a_fixed_host_with_tls_only() {
        let browser = endpoint(WsHost::Fixed("ws-mt1.pusher.com".to_owned()), true);
        let csp = content_security_policy(&browser, &with_host("localhost:3000"));
        assert!(csp.contains("connect-src 'self' wss://ws-mt1.pusher.com:6001;"), "{csp}");
    }

    #[test]
    fn stripe_adds_exactly_its_origins() {
        let browser = endpoint(WsHost::FromRequest, false);
        let base = content_security_policy(&browser, &with_host("localhost:3000"));
        assert_eq!(with_stripe(base.clone(), None), base);
        let stripe = StripeConfig::new("sk_t_1", "pk_t_1", "whsec_1", None, None).unwrap();
        let csp = with_stripe(base, Some(&stripe.origins()));
        assert!(csp.contains("script-src 'self' https://js.stripe.com;"), "{csp}");
        assert!(csp.contains("connect-src 'self' https://api.stripe.com ws://"), "{csp}");
        assert!(
            csp.contains("frame-src https://js.stripe.com https://hooks.stripe.com; object-src"),
            "{csp}"
        );
        assert_eq!(csp.matches("stripe").count(), 4, "{csp}");
    }

    #[test]
    fn an_odd_host_adds_no_source() {
        let browser = endpoint(WsHost::FromRequest, false);
        let csp = content_security_policy(&browser, &with_host("evil;script-src"));
        assert!(csp.contains("connect-src 'self'; "), "{csp}");
    }
}
