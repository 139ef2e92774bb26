//! [`PusherClient`]: signed calls to any Pusher-compatible HTTP API.
//!
//! Every request carries `auth_key`, `auth_timestamp`, `auth_version=1.0`, `body_md5` when the
//! body is not empty, and `auth_signature` (PROTOCOL.md §6). The signature covers the path
//! exactly as sent (percent-encoded) and the query values unescaped.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pusher_protocol::api::{
    BatchEvent, BatchRequest, BatchResponse, ChannelResponse, ChannelsResponse, TriggerRequest,
    TriggerResponse, UsersResponse,
};
use pusher_protocol::channel::SERVER_TO_USER_PREFIX;
use pusher_protocol::sign;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::{AuthorizeError, ChannelAuth, UserAuth};
use crate::error::Error;
use crate::target::Target;

/// How long one HTTP API call may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A status and body, as the server sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The body text.
    pub body: String,
}

/// A client for one app's HTTP API. Cheap to clone: the connection pool is shared.
#[derive(Debug, Clone)]
pub struct PusherClient {
    target: Target,
    http: reqwest::Client,
}

impl PusherClient {
    /// A client with its own connection pool and a 30 s request timeout.
    ///
    /// # Errors
    /// [`Error::Http`] when the TLS back-end cannot be initialised.
    pub fn new(target: Target) -> Result<Self, Error> {
        let http = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build()?;
        Ok(Self::with_http_client(target, http))
    }

    /// A client sharing an existing `reqwest` pool.
    pub fn with_http_client(target: Target, http: reqwest::Client) -> Self {
        Self { target, http }
    }

    /// The app and server this client talks to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Triggers `event` with the payload string `data` on `channels`, excluding the connection
    /// `socket_id`; `info` (e.g. `user_count,subscription_count`) asks for channel attributes.
    ///
    /// `data` is delivered as is: serialise structured payloads with `serde_json` first.
    ///
    /// # Errors
    /// [`Error`] for transport failures, a non-2xx answer (with the server's message), or an
    /// answer that is not a trigger response.
    pub async fn trigger<S: AsRef<str>>(
        &self,
        channels: &[S],
        event: &str,
        data: &str,
        socket_id: Option<&str>,
        info: Option<&str>,
    ) -> Result<TriggerResponse, Error> {
        let request = TriggerRequest {
            name: event.to_owned(),
            data: data.to_owned(),
            channels: Some(channels.iter().map(|c| c.as_ref().to_owned()).collect()),
            channel: None,
            socket_id: socket_id.map(str::to_owned),
            info: info.map(str::to_owned),
        };
        self.call(Method::POST, &self.app_path(&["events"]), &[], Some(&request)).await
    }

    /// Triggers several events in one request (`POST /batch_events`).
    ///
    /// # Errors
    /// As [`PusherClient::trigger`].
    pub async fn trigger_batch(&self, events: Vec<BatchEvent>) -> Result<BatchResponse, Error> {
        let request = BatchRequest { batch: events };
        let path = self.app_path(&["batch_events"]);
        self.call(Method::POST, &path, &[], Some(&request)).await
    }

    /// Occupied channels, optionally only those starting with `filter_by_prefix`, with the
    /// attributes named in `info` (`user_count`, presence prefixes only).
    ///
    /// # Errors
    /// As [`PusherClient::trigger`].
    pub async fn channels(
        &self,
        filter_by_prefix: Option<&str>,
        info: Option<&str>,
    ) -> Result<ChannelsResponse, Error> {
        let mut query = Vec::new();
        if let Some(prefix) = filter_by_prefix {
            query.push(("filter_by_prefix", prefix));
        }
        if let Some(info) = info {
            query.push(("info", info));
        }
        let path = self.app_path(&["channels"]);
        self.call(Method::GET, &path, &query, None::<&()>).await
    }

    /// One channel's state, with the attributes named in `info`
    /// (`user_count`, `subscription_count`, `cache`).
    ///
    /// # Errors
    /// As [`PusherClient::trigger`].
    pub async fn channel(&self, name: &str, info: Option<&str>) -> Result<ChannelResponse, Error> {
        let query: Vec<(&str, &str)> = info.map(|info| ("info", info)).into_iter().collect();
        let path = self.app_path(&["channels", name]);
        self.call(Method::GET, &path, &query, None::<&()>).await
    }

    /// The users of a presence channel.
    ///
    /// # Errors
    /// As [`PusherClient::trigger`]; the server answers 400 for a non-presence channel.
    pub async fn users(&self, channel: &str) -> Result<UsersResponse, Error> {
        let path = self.app_path(&["channels", channel, "users"]);
        self.call(Method::GET, &path, &[], None::<&()>).await
    }

    /// Closes every connection signed in as `user_id`.
    ///
    /// # Errors
    /// As [`PusherClient::trigger`].
    pub async fn terminate_user_connections(&self, user_id: &str) -> Result<(), Error> {
        let path = self.app_path(&["users", user_id, "terminate_connections"]);
        // The official SDKs post `{}`, so servers that insist on a body are satisfied too.
        let _: serde_json::Value =
            self.call(Method::POST, &path, &[], Some(&serde_json::json!({}))).await?;
        Ok(())
    }

    /// Sends `event` to every connection signed in as `user_id`: a trigger on
    /// `#server-to-user-{user_id}`.
    ///
    /// # Errors
    /// As [`PusherClient::trigger`].
    pub async fn send_to_user(
        &self,
        user_id: &str,
        event: &str,
        data: &str,
    ) -> Result<TriggerResponse, Error> {
        let channel = format!("{SERVER_TO_USER_PREFIX}{user_id}");
        self.trigger(&[channel], event, data, None, None).await
    }

    /// See [`Target::authorize_channel`].
    ///
    /// # Errors
    /// As [`Target::authorize_channel`].
    pub fn authorize_channel(
        &self,
        socket_id: &str,
        channel: &str,
        channel_data: Option<&str>,
    ) -> Result<ChannelAuth, AuthorizeError> {
        self.target.authorize_channel(socket_id, channel, channel_data)
    }

    /// See [`Target::authenticate_user`].
    ///
    /// # Errors
    /// As [`Target::authenticate_user`].
    pub fn authenticate_user(
        &self,
        socket_id: &str,
        user_data: &str,
    ) -> Result<UserAuth, AuthorizeError> {
        self.target.authenticate_user(socket_id, user_data)
    }

    /// `/apps/{app_id}/{segments…}`, each segment percent-encoded.
    pub fn app_path(&self, segments: &[&str]) -> String {
        let mut path = format!("/apps/{}", encode_segment(self.target.app_id()));
        for segment in segments {
            path.push('/');
            path.push_str(&encode_segment(segment));
        }
        path
    }

    /// The full URL of a request signed now. See [`PusherClient::signed_url_at`].
    ///
    /// # Errors
    /// [`Error::Url`] when the endpoint and path do not form a URL.
    pub fn signed_url(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Url, Error> {
        self.signed_url_at(method, path, query, body, unix_now())
    }

    /// The full URL of a request signed as if at `timestamp` (unix seconds): `query` plus the
    /// auth parameters. Tests use it to forge stale or tampered requests.
    ///
    /// # Errors
    /// [`Error::Url`] when the endpoint and path do not form a URL.
    pub fn signed_url_at(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
        timestamp: u64,
    ) -> Result<Url, Error> {
        let mut url = Url::parse(&format!("{}{path}", self.target.endpoint().api_base()))?;
        let timestamp = timestamp.to_string();
        let md5 = (!body.is_empty()).then(|| sign::body_md5(body));
        let mut params: Vec<(&str, &str)> = query.to_vec();
        params.extend([
            ("auth_key", self.target.key()),
            ("auth_timestamp", timestamp.as_str()),
            ("auth_version", "1.0"),
        ]);
        if let Some(md5) = &md5 {
            params.push(("body_md5", md5));
        }
        let signature = sign::api_signature(
            self.target.secret().expose(),
            method.as_str(),
            url.path(),
            params.iter().copied(),
        );
        url.query_pairs_mut().extend_pairs(params).append_pair("auth_signature", &signature);
        Ok(url)
    }

    /// Sends a request as is and returns the status and body without judging them.
    ///
    /// # Errors
    /// [`Error::Http`] when the request cannot be sent or the answer not read.
    pub async fn send_raw(
        &self,
        method: Method,
        url: Url,
        body: Vec<u8>,
    ) -> Result<RawResponse, Error> {
        let mut request = self.http.request(method, url);
        if !body.is_empty() {
            request = request.header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.text().await?;
        Ok(RawResponse { status, body })
    }

    /// Signs, sends, insists on 2xx and decodes.
    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<T, Error> {
        // Our request bodies are strings, vectors and maps: serialising them cannot fail.
        let body = body
            .map(|b| serde_json::to_vec(b).expect("request bodies serialise"))
            .unwrap_or_default();
        let url = self.signed_url(&method, path, query, &body)?;
        let RawResponse { status, body } = self.send_raw(method, url, body).await?;
        if !(200..300).contains(&status) {
            return Err(Error::Status { status, body });
        }
        serde_json::from_str(&body).map_err(|source| Error::Decode { source, body })
    }
}

/// Unix seconds now; a clock before 1970 signs as 0 and the server says the timestamp is stale.
fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Percent-encodes everything but RFC 3986 `pchar`s, so `#` and `/` in names stay one segment.
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&byte);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Endpoint, Secret};

    fn client(app_id: &str) -> PusherClient {
        let target =
            Target::new(app_id, "278d425bdf160c739803", Secret::new("7ad3773142a6692b25b8"))
                .unwrap()
                .with_endpoint(Endpoint::host("api.example.com", 80, false).unwrap());
        PusherClient::new(target).unwrap()
    }

    fn params(url: &Url) -> Vec<(String, String)> {
        url.query_pairs().into_owned().collect()
    }

    #[test]
    fn signs_the_protocol_vector() {
        let body = br#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
        let client = client("3");
        let url = client
            .signed_url_at(&Method::POST, "/apps/3/events", &[], body, 1_353_088_179)
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://api.example.com/apps/3/events?auth_key=278d425bdf160c739803\
             &auth_timestamp=1353088179&auth_version=1.0\
             &body_md5=ec365a775a4cd0599faeb73354201b6f\
             &auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
        );
    }

    #[test]
    fn signed_urls_verify_with_the_protocol_checker() {
        let client = client("app-id");
        let path = client.app_path(&["channels"]);
        let query = [("filter_by_prefix", "presence-"), ("info", "user_count,x y")];
        let url = client.signed_url_at(&Method::GET, &path, &query, b"", 1_700_000_000).unwrap();
        let params = params(&url);
        assert!(!params.iter().any(|(k, _)| k == "body_md5"));
        let request =
            sign::SignedRequest { method: "GET", path: url.path(), params: &params, body: b"" };
        let key = "278d425bdf160c739803";
        let secret = "7ad3773142a6692b25b8";
        assert_eq!(request.verify(key, secret, 1_700_000_000), Ok(()));
        assert!(matches!(
            request.verify(key, secret, 1_700_000_000 + 601),
            Err(sign::ApiAuthError::StaleTimestamp { off_by: 601 })
        ));
    }

    #[test]
    fn paths_keep_each_name_in_one_segment() {
        let client = client("12345");
        assert_eq!(
            client.app_path(&["channels", "presence-a=b@c,d;e.f_g", "users"]),
            "/apps/12345/channels/presence-a=b@c,d;e.f_g/users"
        );
        assert_eq!(
            client.app_path(&["channels", "#server-to-user-a/b c"]),
            "/apps/12345/channels/%23server-to-user-a%2Fb%20c"
        );
        let url = client
            .signed_url_at(&Method::GET, &client.app_path(&["channels", "#x"]), &[], b"", 1)
            .unwrap();
        assert_eq!(url.path(), "/apps/12345/channels/%23x");
    }
}
