-- Outbox claims, so several `paybell serve` nodes can share one outbox (see store/outbox.rs).
-- Keep in step with ../sqlite/0002_outbox_claims.sql.
-- invoice_id: the ordering key; rows of one invoice are published in seq order.
-- claimed_by / claimed_until: the relay holding the row and until when (unix ms).

ALTER TABLE outbox ADD COLUMN invoice_id TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT;
UPDATE outbox SET invoice_id = COALESCE(payload::jsonb ->> 'invoiceId', event_id);
CREATE INDEX outbox_pending_by_invoice ON outbox (invoice_id, seq)
    WHERE sent_at IS NULL AND failed_at IS NULL;
