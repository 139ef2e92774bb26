-- Who recorded each payment, and the removal of a wrongly recorded one (a correction).
-- Keep in step with ../sqlite/0003_payment_source.sql.
-- source: 'owner' (recorded by hand) or 'provider' (paid by card on the payment page); only
-- the owner's own records may be removed. Card payments made before this column existed are
-- recognised by the test provider's reference, which only its checkout writes.
-- removed_at: when the owner removed it (unix ms); a removed payment stays for the record
-- (and for its Idempotency-Key) but no longer counts.

ALTER TABLE payments ADD COLUMN source TEXT NOT NULL DEFAULT 'owner';
ALTER TABLE payments ADD COLUMN removed_at BIGINT;
UPDATE payments SET source = 'provider' WHERE method = 'card' AND reference LIKE 'test!_%' ESCAPE '!';
