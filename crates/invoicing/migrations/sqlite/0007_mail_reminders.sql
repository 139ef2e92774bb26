-- Payment reminders (see src/mail/reminders.rs). Keep in step with ../postgres/0004_mail_reminders.sql.
-- mail_reminders: one row per invoice and stage (before_due, overdue_1..3), written in the
-- transaction that writes the reminder's mail row, so each stage is sent once, on any node.
-- reminders (users, invoices): 1 on, 0 off; both must be on for an invoice to be reminded.
-- payment_notices (users): 1 on, 0 off: the owner's "payment received" e-mail.

CREATE TABLE mail_reminders (
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    stage TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (invoice_id, stage)
);
ALTER TABLE users ADD COLUMN reminders BIGINT NOT NULL DEFAULT 1;
ALTER TABLE invoices ADD COLUMN reminders BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN payment_notices BIGINT NOT NULL DEFAULT 1;
