-- Stripe PaymentIntents. An attempt keeps the intent it created; a payment keeps the intent
-- that paid it, unique, so the webhook and the pay page's `complete` (on any node) record a
-- PaymentIntent once whichever comes first. Attempt statuses added: 'cancelled' (expired, its
-- intent cancelled at Stripe), 'refunding' and 'refunded' (it succeeded when the invoice no
-- longer took it, and was given back). Webhook events already handled are remembered by id.

ALTER TABLE payment_attempts ADD COLUMN intent_id TEXT;
CREATE UNIQUE INDEX payment_attempts_intent ON payment_attempts (intent_id);
CREATE INDEX payment_attempts_expired ON payment_attempts (status, expires_at)
    WHERE intent_id IS NOT NULL;

ALTER TABLE payments ADD COLUMN intent_id TEXT;
CREATE UNIQUE INDEX payments_intent ON payments (intent_id);

CREATE TABLE stripe_events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
