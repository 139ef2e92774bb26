-- Invoice terms and taxes (see src/domain/totals.rs). Keep in step with
-- ../postgres/0021_invoice_terms.sql. The customer columns are the invoice's snapshot;
-- `customer_id` links it to the directory. `number_prefix` is the owner's prefix when the
-- invoice was created, so its display number never changes. Discount: `discount_kind` is
-- '' (none), 'percent' (basis points) or 'amount' (minor units) with `discount_value`.
ALTER TABLE invoices ADD COLUMN number_prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN customer_id TEXT REFERENCES customers (id);
ALTER TABLE invoices ADD COLUMN customer_address TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN customer_tax_id TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN issue_date TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN reference TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN discount_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN discount_value BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN payment_instructions TEXT NOT NULL DEFAULT '';
UPDATE invoices SET issue_date = strftime('%Y-%m-%d', created_at / 1000, 'unixepoch');
CREATE INDEX invoices_by_customer ON invoices (customer_id);

ALTER TABLE line_items ADD COLUMN tax_rate BIGINT NOT NULL DEFAULT 0;
