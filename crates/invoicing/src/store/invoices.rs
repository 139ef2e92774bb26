//! Invoices, their items and payments; every change commits with its outbox rows.

use sqlx::{Any, Transaction};
use time::Date;

use crate::domain::invoice::format_date;
use crate::domain::{
    CustomerId, DomainError, Invoice, InvoiceContent, InvoiceId, NewMail, OutboxEvent, Payment,
    PaymentEffect, Timestamp, UserId,
};

use super::rows::{InvoiceRow, ItemRow, PaymentRow, assemble, discount_columns};
use super::{Store, StoreError, attempts, customers, mail, outbox, push};

pub(super) type Tx = Transaction<'static, Any>;

/// Removed payments (`removed_at` set) stay in the table for the record but are never loaded.
const PAYMENT_COLUMNS: &str =
    "id, invoice_id, amount, method, reference, created_at, source, refunded";

const INVOICE_COLUMNS: &str = "id, user_id, number, status, customer_name, customer_email, \
                               currency, amount_paid, due_date, notes, created_at, updated_at, \
                               number_prefix, customer_id, customer_address, customer_tax_id, \
                               issue_date, reference, discount_kind, discount_value, \
                               payment_instructions";

const ITEM_COLUMNS: &str = "invoice_id, description, quantity, unit_price, tax_rate";

/// What a change writes beside the invoice, in its transaction: events and e-mails.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// Outbox rows.
    pub events: Vec<OutboxEvent>,
    /// Mail rows.
    pub mail: Vec<NewMail>,
}

impl From<Vec<OutboxEvent>> for Written {
    fn from(events: Vec<OutboxEvent>) -> Self {
        Self { events, mail: Vec::new() }
    }
}

/// A payment to record, with the request's `Idempotency-Key` if it had one.
#[derive(Debug, Clone)]
pub struct PaymentRequest {
    /// The payment.
    pub payment: Payment,
    /// `(key, fingerprint of the request)`: a retry with the same key and fingerprint
    /// returns the first payment; the same key with another fingerprint is refused.
    pub idempotency: Option<(String, String)>,
}

/// A recorded (or replayed) payment and the invoice after it.
#[derive(Debug, Clone)]
pub struct PaymentOutcome {
    /// The invoice now.
    pub invoice: Invoice,
    /// The payment.
    pub payment: Payment,
    /// Whether this is the answer to an earlier request with the same `Idempotency-Key`.
    pub replayed: bool,
}

impl Store {
    /// Creates a draft numbered after the owner's previous invoice, with its events.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown user, or [`StoreError::Database`].
    pub async fn create_invoice(
        &self,
        user_id: &UserId,
        content: InvoiceContent,
        now: Timestamp,
        events: impl FnOnce(&Invoice) -> Vec<OutboxEvent>,
    ) -> Result<Invoice, StoreError> {
        let mut tx = self.begin_write().await?;
        let number: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET last_invoice_number = last_invoice_number + 1 \
             WHERE id = $1 RETURNING last_invoice_number",
        )
        .bind(user_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let mut invoice =
            Invoice::draft(user_id.clone(), number.ok_or(StoreError::NotFound)?, content, now);
        invoice.number_prefix = self.number_prefix(&mut tx, user_id).await?;
        customers::link(&mut tx, user_id, &mut invoice.content.customer, now).await?;
        let (discount_kind, discount_value) = discount_columns(invoice.content.terms.discount);
        let content = &invoice.content;
        sqlx::query(&format!(
            "INSERT INTO invoices ({INVOICE_COLUMNS}, total) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
        ))
        .bind(invoice.id.as_str())
        .bind(user_id.as_str())
        .bind(invoice.number)
        .bind(invoice.status.as_str())
        .bind(&content.customer.name)
        .bind(content.customer.email.as_str())
        .bind(content.currency.code())
        .bind(invoice.amount_paid)
        .bind(format_date(content.due_date))
        .bind(&content.notes)
        .bind(now.millis())
        .bind(now.millis())
        .bind(&invoice.number_prefix)
        .bind(content.customer.id.as_ref().map(|id| id.as_str().to_owned()))
        .bind(&content.customer.address)
        .bind(&content.customer.tax_id)
        .bind(format_date(content.terms.issue_date))
        .bind(&content.terms.reference)
        .bind(discount_kind)
        .bind(discount_value)
        .bind(&content.terms.payment_instructions)
        .bind(content.total.minor())
        .execute(&mut *tx)
        .await?;
        insert_items(&mut tx, &invoice).await?;
        outbox::insert(&mut tx, &events(&invoice), now).await?;
        tx.commit().await?;
        self.outbox_written.notify_one();
        Ok(invoice)
    }

    /// The owner's invoices, newest first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn invoices_of(&self, user_id: &UserId) -> Result<Vec<Invoice>, StoreError> {
        self.invoices_matching(user_id, None).await
    }

    /// The owner's invoices linked to the directory's `customer`, newest first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn invoices_of_customer(
        &self,
        user_id: &UserId,
        customer: &CustomerId,
    ) -> Result<Vec<Invoice>, StoreError> {
        self.invoices_matching(user_id, Some(customer)).await
    }

    /// The owner's invoices, all or those of one customer, with their lines and payments.
    async fn invoices_matching(
        &self,
        user_id: &UserId,
        customer: Option<&CustomerId>,
    ) -> Result<Vec<Invoice>, StoreError> {
        let filter = match customer {
            Some(_) => "user_id = $1 AND customer_id = $2",
            None => "user_id = $1",
        };
        let customer = customer.map(CustomerId::as_str);
        let rows_sql = format!(
            "SELECT {INVOICE_COLUMNS} FROM invoices WHERE {filter} \
             ORDER BY created_at DESC, number DESC"
        );
        let mut rows = sqlx::query_as::<_, InvoiceRow>(&rows_sql).bind(user_id.as_str());
        let owned = format!("SELECT id FROM invoices WHERE {filter}");
        let items_sql = format!(
            "SELECT {ITEM_COLUMNS} FROM line_items \
             WHERE invoice_id IN ({owned}) ORDER BY invoice_id, position"
        );
        let mut items = sqlx::query_as::<_, ItemRow>(&items_sql).bind(user_id.as_str());
        let payments_sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments \
             WHERE invoice_id IN ({owned}) AND removed_at IS NULL ORDER BY created_at, id"
        );
        let mut payments = sqlx::query_as::<_, PaymentRow>(&payments_sql).bind(user_id.as_str());
        if let Some(customer) = customer {
            rows = rows.bind(customer);
            items = items.bind(customer);
            payments = payments.bind(customer);
        }
        let rows = rows.fetch_all(&self.pool).await?;
        let items = items.fetch_all(&self.pool).await?;
        let payments = payments.fetch_all(&self.pool).await?;
        assemble(rows, items, payments)
    }

    /// One invoice, whoever owns it.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn invoice(&self, id: &InvoiceId) -> Result<Option<Invoice>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, id, "").await
    }

    /// Changes one invoice in a transaction: locks it, applies `change` (which may refuse),
    /// writes it back with the rows `events` produces, commits.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when it does not exist or `owner` is given and not its owner;
    /// [`StoreError::Rejected`] when `change` refuses; [`StoreError::Database`].
    pub async fn update_invoice<T, W: Into<Written>>(
        &self,
        id: &InvoiceId,
        owner: Option<&UserId>,
        change: impl FnOnce(&mut Invoice) -> Result<T, DomainError>,
        events: impl FnOnce(&Invoice, &T) -> W,
    ) -> Result<(Invoice, T), StoreError> {
        let mut tx = self.begin_write().await?;
        let before = self.load_locked(&mut tx, id, owner).await?;
        let mut after = before.clone();
        let result = change(&mut after)?;
        if after.content.customer != before.content.customer {
            let user = after.user_id.clone();
            customers::link(&mut tx, &user, &mut after.content.customer, after.updated_at).await?;
        }
        write_back(&mut tx, &before, &after).await?;
        let written = events(&after, &result).into();
        self.commit_written(tx, &written, after.updated_at).await?;
        Ok((after, result))
    }

    /// Inserts a change's events, mail and pushes, commits, and wakes their workers.
    pub(super) async fn commit_written(
        &self,
        mut tx: Tx,
        written: &Written,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        outbox::insert(&mut tx, &written.events, now).await?;
        mail::insert(&mut tx, &written.mail).await?;
        let pushed = push::insert(&mut tx, &written.events, now).await?;
        tx.commit().await?;
        self.outbox_written.notify_one();
        if pushed {
            self.push_written.notify_one();
        }
        if !written.mail.is_empty() {
            self.mail_written.notify_one();
        }
        Ok(())
    }

    /// Records a payment, honouring its `Idempotency-Key`.
    ///
    /// # Errors
    /// As [`Store::update_invoice`], plus [`StoreError::IdempotencyKeyReused`].
    pub async fn record_payment<W: Into<Written>>(
        &self,
        id: &InvoiceId,
        owner: Option<&UserId>,
        request: PaymentRequest,
        events: impl FnOnce(&Invoice, &PaymentEffect) -> W,
    ) -> Result<PaymentOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        let before = self.load_locked(&mut tx, id, owner).await?;
        if let Some((key, fingerprint)) = &request.idempotency
            && let Some(outcome) = replay(&mut tx, before.clone(), key, fingerprint).await?
        {
            tx.commit().await?;
            return Ok(outcome);
        }
        let mut after = before.clone();
        let payment = request.payment;
        let effect = after.pay(payment.clone())?;
        attempts::check_available(&mut tx, &before, payment.amount, payment.created_at).await?;
        write_back(&mut tx, &before, &after).await?;
        remember_key(&mut tx, id, request.idempotency.as_ref(), &payment).await?;
        let written = events(&after, &effect).into();
        self.commit_written(tx, &written, payment.created_at).await?;
        Ok(PaymentOutcome { invoice: after, payment, replayed: false })
    }

    /// The earlier answer to a request with this `Idempotency-Key`, if there was one.
    ///
    /// # Errors
    /// [`StoreError::IdempotencyKeyReused`] when the key was used for another request.
    pub async fn replayed_payment(
        &self,
        id: &InvoiceId,
        key: &str,
        fingerprint: &str,
    ) -> Result<Option<PaymentOutcome>, StoreError> {
        let mut tx = self.begin_write().await?;
        let invoice = load(&mut tx, id, "").await?.ok_or(StoreError::NotFound)?;
        let outcome = replay(&mut tx, invoice, key, fingerprint).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Invoices whose due date is before `today` and that still await money.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn overdue_candidates(&self, today: Date) -> Result<Vec<InvoiceId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM invoices WHERE status IN ('sent', 'partially_paid') \
             AND due_date < $1 ORDER BY due_date, id",
        )
        .bind(format_date(today))
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(InvoiceId::from_store).collect())
    }

    pub(super) async fn load_locked(
        &self,
        tx: &mut Tx,
        id: &InvoiceId,
        owner: Option<&UserId>,
    ) -> Result<Invoice, StoreError> {
        let invoice = load(tx, id, self.lock_clause()).await?.ok_or(StoreError::NotFound)?;
        match owner {
            Some(owner) if *owner != invoice.user_id => Err(StoreError::NotFound),
            Some(_) | None => Ok(invoice),
        }
    }
}

async fn load(
    conn: &mut sqlx::AnyConnection,
    id: &InvoiceId,
    lock: &str,
) -> Result<Option<Invoice>, StoreError> {
    let row: Option<InvoiceRow> =
        sqlx::query_as(&format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = $1{lock}"))
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let items: Vec<ItemRow> = sqlx::query_as(&format!(
        "SELECT {ITEM_COLUMNS} FROM line_items WHERE invoice_id = $1 ORDER BY position"
    ))
    .bind(id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let payments: Vec<PaymentRow> = sqlx::query_as(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments \
         WHERE invoice_id = $1 AND removed_at IS NULL ORDER BY created_at, id"
    ))
    .bind(id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    Ok(assemble(vec![row], items, payments)?.pop())
}

pub(super) async fn replay(
    tx: &mut Tx,
    invoice: Invoice,
    key: &str,
    fingerprint: &str,
) -> Result<Option<PaymentOutcome>, StoreError> {
    let stored: Option<(String, String)> = sqlx::query_as(
        "SELECT fingerprint, payment_id FROM idempotency_keys \
         WHERE invoice_id = $1 AND idem_key = $2",
    )
    .bind(invoice.id.as_str())
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((stored_fingerprint, payment_id)) = stored else { return Ok(None) };
    if stored_fingerprint != fingerprint {
        return Err(StoreError::IdempotencyKeyReused);
    }
    let Some(payment) = invoice.payments.iter().find(|p| p.id.as_str() == payment_id).cloned()
    else {
        // Not among the live payments: the owner removed it since.
        return Err(StoreError::PaymentRemoved);
    };
    Ok(Some(PaymentOutcome { invoice, payment, replayed: true }))
}

pub(super) async fn write_back(
    tx: &mut Tx,
    before: &Invoice,
    after: &Invoice,
) -> Result<(), StoreError> {
    let content = &after.content;
    let (discount_kind, discount_value) = discount_columns(content.terms.discount);
    sqlx::query(
        "UPDATE invoices SET status = $2, customer_name = $3, customer_email = $4, \
         currency = $5, total = $6, amount_paid = $7, due_date = $8, notes = $9, \
         updated_at = $10, customer_id = $11, customer_address = $12, customer_tax_id = $13, \
         issue_date = $14, reference = $15, discount_kind = $16, discount_value = $17, \
         payment_instructions = $18 WHERE id = $1",
    )
    .bind(after.id.as_str())
    .bind(after.status.as_str())
    .bind(&content.customer.name)
    .bind(content.customer.email.as_str())
    .bind(content.currency.code())
    .bind(content.total.minor())
    .bind(after.amount_paid)
    .bind(format_date(content.due_date))
    .bind(&content.notes)
    .bind(after.updated_at.millis())
    .bind(content.customer.id.as_ref().map(|id| id.as_str().to_owned()))
    .bind(&content.customer.address)
    .bind(&content.customer.tax_id)
    .bind(format_date(content.terms.issue_date))
    .bind(&content.terms.reference)
    .bind(discount_kind)
    .bind(discount_value)
    .bind(&content.terms.payment_instructions)
    .execute(&mut **tx)
    .await?;
    if before.content.items != content.items {
        sqlx::query("DELETE FROM line_items WHERE invoice_id = $1")
            .bind(after.id.as_str())
            .execute(&mut **tx)
            .await?;
        insert_items(tx, after).await?;
    }
    write_payments(tx, before, after).await
}

/// Inserts the payments `after` has and `before` had not; marks removed those it dropped;
/// writes the refunded amounts that changed.
async fn write_payments(tx: &mut Tx, before: &Invoice, after: &Invoice) -> Result<(), StoreError> {
    let has =
        |invoice: &Invoice, payment: &Payment| invoice.payments.iter().any(|p| p.id == payment.id);
    for payment in before.payments.iter().filter(|p| !has(after, p)) {
        sqlx::query("UPDATE payments SET removed_at = $2 WHERE id = $1")
            .bind(payment.id.as_str())
            .bind(after.updated_at.millis())
            .execute(&mut **tx)
            .await?;
    }
    for payment in &after.payments {
        let refunded_before = before.payments.iter().find(|p| p.id == payment.id);
        if refunded_before.is_some_and(|p| p.refunded != payment.refunded) {
            sqlx::query("UPDATE payments SET refunded = $2 WHERE id = $1")
                .bind(payment.id.as_str())
                .bind(payment.refunded)
                .execute(&mut **tx)
                .await?;
        }
    }
    for payment in after.payments.iter().filter(|p| !has(before, p)) {
        sqlx::query(
            "INSERT INTO payments (id, invoice_id, amount, method, reference, created_at, source) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(payment.id.as_str())
        .bind(after.id.as_str())
        .bind(payment.amount.minor())
        .bind(&payment.method)
        .bind(payment.reference.as_deref())
        .bind(payment.created_at.millis())
        .bind(payment.source.as_str())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_items(tx: &mut Tx, invoice: &Invoice) -> Result<(), StoreError> {
    for (position, item) in (0_i64..).zip(&invoice.content.items) {
        sqlx::query(
            "INSERT INTO line_items \
             (invoice_id, position, description, quantity, unit_price, amount, tax_rate) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(invoice.id.as_str())
        .bind(position)
        .bind(&item.description)
        .bind(item.quantity)
        .bind(item.unit_price.minor())
        .bind(item.amount.minor())
        .bind(i64::from(item.tax_rate))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Keeps a request's `Idempotency-Key` and fingerprint (if any) with the payment it made.
pub(super) async fn remember_key(
    tx: &mut Tx,
    id: &InvoiceId,
    idempotency: Option<&(String, String)>,
    payment: &Payment,
) -> Result<(), StoreError> {
    if let Some((key, fingerprint)) = idempotency {
        sqlx::query(
            "INSERT INTO idempotency_keys \
             (invoice_id, idem_key, fingerprint, payment_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.as_str())
        .bind(key)
        .bind(fingerprint)
        .bind(payment.id.as_str())
        .bind(payment.created_at.millis())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
