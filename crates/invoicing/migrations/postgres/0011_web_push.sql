-- Web Push (see src/store/push.rs). Keep in step with ../sqlite/0030_web_push.sql.
-- A subscription is one browser's push endpoint and keys, owned by the user signed in there
-- (re-registering an endpoint under another account moves it).
CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id);

-- Push deliveries as durable work: one row per subscription for each event the owner is
-- pushed, written in the change's transaction, keyed by subscription. The payload is the
-- outbox row's (`event_id`), so the outbox purge keeps an event while a push of it is pending.
-- A row whose subscription is gone completes without a request.
CREATE TABLE push_deliveries (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    invoice_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until BIGINT,
    delivered_at BIGINT,
    failed_at BIGINT,
    status_code BIGINT
);
CREATE INDEX push_pending ON push_deliveries (subscription_id, seq)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX push_pending_events ON push_deliveries (event_id)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX push_finished ON push_deliveries (created_at);
