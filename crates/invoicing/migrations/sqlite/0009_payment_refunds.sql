-- Refunds of card payments, whole or in part: how much of each payment was given back (minor
-- units); that much no longer counts in the invoice's amount paid. Keep in step with the
-- other backend's 0016_payment_refunds.sql.

ALTER TABLE payments ADD COLUMN refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0);
