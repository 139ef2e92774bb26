-- Payment attempts: each checkout reserves its amount (and its Idempotency-Key) against the
-- invoice's balance, in the transaction that locks the invoice, before the provider is asked
-- to charge. Keep in step with the other backend's 0015_payment_attempts.sql.
-- status: 'pending' (reserved, the provider call in flight), 'succeeded' (payment_id set),
-- 'failed' (declined or errored: the reservation is released), 'expired' (pending past
-- expires_at, counted no longer).
-- Times are unix milliseconds.

CREATE TABLE payment_attempts (
    id TEXT PRIMARY KEY,
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    idem_key TEXT,
    fingerprint TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    status TEXT NOT NULL,
    payment_id TEXT REFERENCES payments (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX payment_attempts_pending ON payment_attempts (invoice_id) WHERE status = 'pending';
-- At most one attempt in flight per key (the invoice lock already serialises them).
CREATE UNIQUE INDEX payment_attempts_key_in_flight ON payment_attempts (invoice_id, idem_key)
    WHERE status = 'pending' AND idem_key IS NOT NULL;
