//! The effective configuration as `paybell config check` prints it: every value after
//! layering, in the file's shape, with secrets masked (app secrets, `PUSHER_SECRET`, the
//! metrics token, passwords inside database, Redis and SMTP URLs,
//! Stripe's secret key and webhook secret, the VAPID private key).

use std::fmt::Write as _;

use url::Url;

use invoicing::mail::Security;

use super::Config;

/// What stands in for a secret.
pub(super) const MASK: &str = "***";

impl Config {
    /// The effective configuration as TOML-like lines, secrets masked.
    pub fn masked(&self) -> String {
        let mut out = String::new();
        let rt = &self.realtime;
        let line = |out: &mut String, key: &str, value: &dyn std::fmt::Display| {
            // Writing to a String cannot fail.
            let _ = writeln!(out, "{key} = {value}");
        };
        out.push_str("[realtime]\n");
        line(&mut out, "addr", &self.realtime_addr);
        line(&mut out, "max_frame_bytes", &rt.max_frame_bytes);
        line(&mut out, "activity_timeout", &rt.activity_timeout.as_secs());
        line(&mut out, "pong_timeout", &rt.pong_timeout.as_secs());
        line(&mut out, "outbound_queue", &rt.outbound_queue);
        line(&mut out, "max_connections", &optional(rt.max_connections));
        if let Some(tls) = &rt.tls {
            line(&mut out, "tls_cert", &tls.cert.display());
            line(&mut out, "tls_key", &tls.key.display());
        }
        if let Some(redis) = &rt.redis {
            line(&mut out, "redis_url", &mask_url(redis.url.as_str()));
            line(&mut out, "redis_prefix", &redis.prefix);
            line(&mut out, "redis_node_lease_secs", &redis.node_lease.as_secs());
        }
        if rt.metrics_token.is_some() {
            line(&mut out, "metrics_token", &MASK);
        }
        line(&mut out, "console", &rt.console);
        line(&mut out, "dev_credentials", &self.dev_credentials);
        if rt.apps.is_empty() {
            out.push_str(
                "# no app configured: the data directory's app is used (paybell app show)\n",
            );
        }
        for app in &rt.apps {
            out.push_str("\n[[realtime.apps]]\n");
            line(&mut out, "id", &app.id.as_str());
            line(&mut out, "key", &app.key.as_str());
            line(&mut out, "secret", &MASK);
            line(&mut out, "enabled", &app.enabled);
            line(&mut out, "client_events", &app.client_events);
            line(&mut out, "console", &app.console);
            line(&mut out, "max_connections", &optional(app.max_connections));
            line(&mut out, "max_presence_members", &app.max_presence_members);
            line(&mut out, "max_presence_user_info_bytes", &app.max_presence_user_info_bytes);
            line(&mut out, "max_client_events_per_second", &app.max_client_events_per_second);
            line(&mut out, "max_channels_per_connection", &app.max_channels_per_connection);
            line(&mut out, "max_event_bytes", &app.max_event_bytes);
            line(&mut out, "max_channels_per_event", &app.max_channels_per_event);
            line(&mut out, "max_batch_events", &app.max_batch_events);
            line(
                &mut out,
                "max_api_requests_per_second",
                &optional(app.max_api_requests_per_second),
            );
            for hook in &app.webhooks {
                line(&mut out, "webhook", &mask_url(hook.url.as_str()));
            }
        }
        let serve = &self.serve;
        out.push_str("\n[http]\n");
        line(&mut out, "addr", &serve.http_addr());
        line(&mut out, "data_dir", &serve.data_dir().display());
        line(&mut out, "database_url", &mask_url(serve.database_url().expose()));
        if let Some(url) = serve.public_url() {
            line(&mut out, "public_url", url);
        }
        line(&mut out, "private_channels", &serve.private_channels());
        line(&mut out, "outbox_retention_days", &(serve.outbox_retention().as_secs() / 86_400));
        out.push_str("\n[mail]\n");
        let mail = serve.mail();
        match mail.smtp() {
            Some(smtp) => {
                let scheme = match smtp.security() {
                    Security::Implicit => "smtps",
                    Security::StartTls | Security::None => "smtp",
                };
                let plain = if smtp.security() == Security::None { "?tls=none" } else { "" };
                let password = if smtp.has_password() { " (password ***)" } else { "" };
                let (host, port) = (smtp.host(), smtp.port());
                line(&mut out, "smtp", &format!("{scheme}://{host}:{port}{plain}{password}"));
            }
            None => line(&mut out, "smtp", &"none (local mailbox)"),
        }
        line(&mut out, "from", &mail.from());
        out.push_str("\n[push]\n");
        let push = serve.push();
        match push.key() {
            Some(key) => {
                line(&mut out, "vapid_private_key", &MASK);
                line(&mut out, "vapid_public_key", &key.public_key());
            }
            None => {
                let file = crate::app_file::path(serve.data_dir());
                line(
                    &mut out,
                    "vapid_private_key",
                    &format!("{MASK} (kept in {})", file.display()),
                );
            }
        }
        match push.subject() {
            Some(subject) => line(&mut out, "vapid_subject", &subject.as_str()),
            None => line(
                &mut out,
                "vapid_subject",
                &"default (the public URL when https, else mailto: the first owner)",
            ),
        }
        out.push_str("\n[payments]\n");
        line(&mut out, "provider", &serve.provider().name());
        if let Some(stripe) = serve.provider().stripe() {
            out.push_str("\n[stripe]\n");
            line(&mut out, "secret_key", &MASK);
            line(&mut out, "publishable_key", &stripe.publishable_key());
            line(&mut out, "webhook_secret", &MASK);
        }
        if let Some(pusher) = serve.pusher() {
            out.push_str("\n[pusher]\n");
            line(&mut out, "app_id", &pusher.target.app_id());
            line(&mut out, "key", &pusher.target.key());
            line(&mut out, "secret", &MASK);
            line(&mut out, "endpoint", &pusher.target.endpoint().api_base());
        }
        out
    }
}

fn optional<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

/// A URL with its password (if any) replaced by [`MASK`]; text that is not a URL is masked
/// whole when it has an `@`, since it may hold credentials.
fn mask_url(text: &str) -> String {
    match Url::parse(text) {
        Ok(mut url) if url.password().is_some() => {
            // Only URLs that cannot have a password refuse one, and this one has.
            let _ = url.set_password(Some(MASK));
            url.to_string()
        }
        Ok(_) => text.to_owned(),
        Err(_) if text.contains('@') => MASK.to_owned(),
        Err(_) => text.to_owned(),
    }
}
