-- E-mail as durable work (see src/store/mail.rs): a row per message, written in the
-- transaction of the change that causes it, delivered by the mail worker and marked sent
-- (or failed, with the server's answer). Keep in step with ../postgres/0003_mail.sql.
-- The message is rendered when the row is written, so what is sent, retried and shown is one
-- text; `message_id` is stable across retries.

CREATE TABLE mail (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id),
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    reply_to TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until BIGINT,
    sent_at BIGINT,
    failed_at BIGINT,
    delivered_via TEXT
);
CREATE INDEX mail_pending ON mail (id, seq) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_by_user ON mail (user_id, created_at);
CREATE INDEX mail_by_invoice ON mail (invoice_id, created_at);
