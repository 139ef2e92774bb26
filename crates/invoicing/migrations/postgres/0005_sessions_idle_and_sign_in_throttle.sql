-- Sliding session idle timeout, sign-in throttling, and what housekeeping purges by.
-- Keep in step with ../sqlite/0003_sessions_idle_and_sign_in_throttle.sql.
-- sessions.last_used_at: renewed on use (at most hourly); a session idle for 7 days has ended.
-- login_failures: failed sign-ins per key (an account's e-mail hash or a client address);
-- locked_until: sign-ins with this key are refused until then; expires_at: the count is
-- forgotten then (unix ms).

ALTER TABLE sessions ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_used_at = created_at;
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE login_failures (
    throttle_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX login_failures_by_expiry ON login_failures (expires_at);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
CREATE INDEX outbox_published ON outbox (sent_at) WHERE sent_at IS NOT NULL;
