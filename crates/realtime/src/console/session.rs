//! The console's session: an HttpOnly cookie of its own, scoped to `/console`, signed with
//! the app's secret (so it holds on every node and dies with the secret), and the CSRF
//! check every unsafe console request passes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::header::{COOKIE, HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderName};
use pusher_protocol::sign::{hmac_hex, hmac_hex_matches};
use url::Url;

/// The cookie's name: distinct from the web app's, which may share the host (cookies are
/// not isolated by port).
pub(crate) const COOKIE_NAME: &str = "paybell_console";

/// How long a console session lasts.
pub(crate) const LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

static SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");
static FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// A signed-in console: the app and when the session ends (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) app_id: String,
    pub(crate) expires: u64,
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn to_sign(app_id: &str, expires: u64) -> String {
    format!("paybell-console-session\n{app_id}\n{expires}")
}

/// Whether `given` is the app's secret, compared in constant time (as HMACs of a fixed
/// message, so the lengths do not show either).
pub(crate) fn secret_matches(secret: &str, given: &str) -> bool {
    const PROBE: &str = "paybell-console-sign-in";
    hmac_hex_matches(given, PROBE, &hmac_hex(secret, PROBE))
}

/// The cookie's value for a new session of `app_id`: `{expires}.{signature}.{app_id}`.
pub(crate) fn issue(app_id: &str, secret: &str, now: u64) -> String {
    let expires = now + LIFETIME.as_secs();
    format!("{expires}.{}.{app_id}", hmac_hex(secret, &to_sign(app_id, expires)))
}

/// The app id a cookie value claims, before its signature is checked.
pub(crate) fn claimed_app(value: &str) -> Option<&str> {
    value.splitn(3, '.').nth(2)
}

/// The session in `value` if `secret` signed it and it has not ended.
pub(crate) fn verify(value: &str, secret: &str, now: u64) -> Option<Session> {
    let mut parts = value.splitn(3, '.');
    let expires: u64 = parts.next()?.parse().ok()?;
    let signature = parts.next()?;
    let app_id = parts.next()?;
    let valid = hmac_hex_matches(secret, &to_sign(app_id, expires), signature);
    (valid && now < expires).then(|| Session { app_id: app_id.to_owned(), expires })
}

/// The console cookie's value in a request, if it carries one.
pub(crate) fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE_NAME)?.strip_prefix('='))
}

/// `Set-Cookie` for a new session; `Secure` when the browser reached us over TLS.
pub(crate) fn set_cookie(value: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE_NAME}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        LIFETIME.as_secs()
    )
}

/// `Set-Cookie` that ends the session.
pub(crate) fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

/// Whether the browser reached this server over TLS: served with TLS, or a proxy said so.
pub(crate) fn over_tls(tls: bool, headers: &HeaderMap) -> bool {
    tls || headers.get(&FORWARDED_PROTO).is_some_and(|p| p.as_bytes() == b"https")
}

/// Whether an unsafe request comes from the realtime server's own origin: its `Origin` is
/// `scheme://{Host}`, or without `Origin`, `Sec-Fetch-Site` says same-origin. A request
/// with neither is refused too: the console is only used from a browser.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(origin) = headers.get(ORIGIN) {
        let Some(origin) = origin.to_str().ok().and_then(|o| Url::parse(o).ok()) else {
            return false;
        };
        let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else { return false };
        let own = Url::parse(&format!("{}://{host}", origin.scheme())).map(|u| u.origin());
        return own.is_ok_and(|own| own.is_tuple() && own == origin.origin());
    }
    headers.get(&SEC_FETCH_SITE).is_some_and(|site| site.as_bytes() == b"same-origin")
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn a_session_holds_only_with_its_secret_and_until_it_ends() {
        let value = issue("app.1", "s3cret", 1_000);
        assert_eq!(claimed_app(&value), Some("app.1"));
        let session = verify(&value, "s3cret", 1_001).unwrap();
        assert_eq!(
            session,
            Session { app_id: "app.1".into(), expires: 1_000 + LIFETIME.as_secs() }
        );
        assert!(verify(&value, "other", 1_001).is_none(), "another secret");
        assert!(verify(&value, "s3cret", 1_000 + LIFETIME.as_secs()).is_none(), "ended");
        let forged = value.replace("app.1", "app.2");
        assert!(verify(&forged, "s3cret", 1_001).is_none(), "another app");
        let later = value.replacen(&(1_000 + LIFETIME.as_secs()).to_string(), "99999999999", 1);
        assert!(verify(&later, "s3cret", 1_001).is_none(), "a longer life");
    }

    #[test]
    fn the_secret_is_compared_whole() {
        assert!(secret_matches("s3cret", "s3cret"));
        assert!(!secret_matches("s3cret", "s3cre"));
        assert!(!secret_matches("s3cret", "s3cret "));
        assert!(!secret_matches("s3cret", ""));
    }

    #[test]
    fn the_cookie_is_found_among_others_and_scoped_to_the_console() {
        let mut headers = HeaderMap::new();
        headers
            .insert(COOKIE, HeaderValue::from_static("paybell_session=x; paybell_console=1.ab.c"));
        assert_eq!(cookie(&headers), Some("1.ab.c"));
        let set = set_cookie("v", false);
        for part in ["paybell_console=v", "Path=/console", "HttpOnly", "SameSite=Strict"] {
            assert!(set.contains(part), "{set} lacks {part}");
        }
        assert!(!set.contains("Secure"));
        assert!(set_cookie("v", true).ends_with("; Secure"));
    }

    #[test]
    fn unsafe_requests_must_come_from_the_servers_own_origin() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (k, v) in pairs {
                map.insert(*k, HeaderValue::from_static(v));
            }
            map
        };
        let host = ("host", "127.0.0.1:6001");
        assert!(same_origin(&headers(&[host, ("origin", "http://127.0.0.1:6001")])));
        assert!(same_origin(&headers(&[host, ("origin", "https://127.0.0.1:6001")])));
        assert!(!same_origin(&headers(&[host, ("origin", "http://127.0.0.1:8080")])));
        assert!(!same_origin(&headers(&[host, ("origin", "http://evil.example")])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&headers(&[host, ("sec-fetch-site", "same-site")])));
        assert!(!same_origin(&headers(&[host])), "no browser headers at all");
    }
}
