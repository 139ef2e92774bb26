//! The customer directory: the owner's customers, and the link from an invoice to one.
//!
//! An invoice keeps its own copy of the customer (name, e-mail, address, tax id); the
//! directory row is where a new invoice copies them from, and editing it rewrites no invoice.

use crate::domain::profile::name_key;
use crate::domain::text::strip_unsafe;
use crate::domain::{
    Customer, CustomerId, CustomerRecord, DomainError, Email, Timestamp, UserId, ValidationError,
};

use super::invoices::Tx;
use super::rows::corrupt;
use super::{Store, StoreError, is_unique_violation};

/// Most customers one owner keeps.
pub const MAX_CUSTOMERS: i64 = 10_000;

const COLUMNS: &str = "id, name, email, address, tax_id, notes, created_at, updated_at";

#[derive(Debug, sqlx::FromRow)]
struct CustomerRow {
    id: String,
    name: String,
    email: String,
    address: String,
    tax_id: String,
    notes: String,
    created_at: i64,
    updated_at: i64,
}

impl CustomerRow {
    fn into_record(self) -> Result<CustomerRecord, StoreError> {
        let id = CustomerId::from_store(self.id);
        let customer = Customer {
            id: Some(id.clone()),
            name: strip_unsafe(&self.name),
            email: Email::parse(&self.email).map_err(corrupt)?,
            address: strip_unsafe(&self.address),
            tax_id: strip_unsafe(&self.tax_id),
        };
        Ok(CustomerRecord {
            id,
            customer,
            notes: strip_unsafe(&self.notes),
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

fn name_taken() -> StoreError {
    StoreError::Rejected(DomainError::Invalid(ValidationError::field(
        "name",
        "another customer has this name",
    )))
}

impl Store {
    /// The owner's customers, by name.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn customers_of(&self, owner: &UserId) -> Result<Vec<CustomerRecord>, StoreError> {
        let rows: Vec<CustomerRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM customers WHERE user_id = $1 ORDER BY name_key, id"
        ))
        .bind(owner.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(CustomerRow::into_record).collect()
    }

    /// One of the owner's customers.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn customer(
        &self,
        owner: &UserId,
        id: &CustomerId,
    ) -> Result<Option<CustomerRecord>, StoreError> {
        let row: Option<CustomerRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM customers WHERE user_id = $1 AND id = $2"
        ))
        .bind(owner.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(CustomerRow::into_record).transpose()
    }

    /// Adds a customer.
    ///
    /// # Errors
    /// [`StoreError::Rejected`] when another customer has the name or the owner has
    /// [`MAX_CUSTOMERS`]; [`StoreError::Database`].
    pub async fn create_customer(
        &self,
        owner: &UserId,
        record: &CustomerRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE user_id = $1")
            .bind(owner.as_str())
            .fetch_one(&mut *tx)
            .await?;
        if count >= MAX_CUSTOMERS {
            return Err(StoreError::Rejected(DomainError::Invalid(ValidationError::field(
                "name",
                format!("at most {MAX_CUSTOMERS} customers"),
            ))));
        }
        insert(&mut tx, owner, record).await.map_err(|error| match error {
            StoreError::Database(db) if is_unique_violation(&db) => name_taken(),
            other => other,
        })?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a customer's fields; invoices keep their copies.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Rejected`] when another customer has the name.
    pub async fn update_customer(
        &self,
        owner: &UserId,
        record: &CustomerRecord,
    ) -> Result<(), StoreError> {
        let c = &record.customer;
        let updated = sqlx::query(
            "UPDATE customers SET name = $3, name_key = $4, email = $5, address = $6, \
             tax_id = $7, notes = $8, updated_at = $9 WHERE user_id = $1 AND id = $2",
        )
        .bind(owner.as_str())
        .bind(record.id.as_str())
        .bind(&c.name)
        .bind(name_key(&c.name))
        .bind(c.email.as_str())
        .bind(&c.address)
        .bind(&c.tax_id)
        .bind(&record.notes)
        .bind(record.updated_at.millis())
        .execute(&self.pool)
        .await
        .map_err(|error| if is_unique_violation(&error) { name_taken() } else { error.into() })?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

async fn insert(tx: &mut Tx, owner: &UserId, record: &CustomerRecord) -> Result<(), StoreError> {
    let c = &record.customer;
    sqlx::query(
        "INSERT INTO customers (id, user_id, name, name_key, email, address, tax_id, notes, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(record.id.as_str())
    .bind(owner.as_str())
    .bind(&c.name)
    .bind(name_key(&c.name))
    .bind(c.email.as_str())
    .bind(&c.address)
    .bind(&c.tax_id)
    .bind(&record.notes)
    .bind(record.created_at.millis())
    .bind(record.updated_at.millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Links an invoice's customer to the directory, in the invoice's transaction: a given id must
/// be the owner's; without one, the customer of the same name, or a new one made from the
/// invoice's copy ("new names create customers"), unless the owner has [`MAX_CUSTOMERS`].
///
/// # Errors
/// [`StoreError::Rejected`] on `customerId` for an id that is not the owner's.
pub(super) async fn link(
    tx: &mut Tx,
    owner: &UserId,
    customer: &mut Customer,
    now: Timestamp,
) -> Result<(), StoreError> {
    if let Some(id) = &customer.id {
        let found: Option<String> =
            sqlx::query_scalar("SELECT id FROM customers WHERE id = $1 AND user_id = $2")
                .bind(id.as_str())
                .bind(owner.as_str())
                .fetch_optional(&mut **tx)
                .await?;
        return match found {
            Some(_) => Ok(()),
            None => Err(StoreError::Rejected(DomainError::Invalid(ValidationError::field(
                "customerId",
                "no such customer",
            )))),
        };
    }
    let key = name_key(&customer.name);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE user_id = $1")
        .bind(owner.as_str())
        .fetch_one(&mut **tx)
        .await?;
    let known: Option<String> =
        sqlx::query_scalar("SELECT id FROM customers WHERE user_id = $1 AND name_key = $2")
            .bind(owner.as_str())
            .bind(&key)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(id) = known {
        customer.id = Some(CustomerId::from_store(id));
        return Ok(());
    }
    if count >= MAX_CUSTOMERS {
        // The directory is full: the invoice keeps its own copy, linked to none.
        return Ok(());
    }
    let record = CustomerRecord {
        id: CustomerId::new(),
        customer: customer.clone(),
        notes: String::new(),
        created_at: now,
        updated_at: now,
    };
    // Two invoices naming the same new customer at once: one insert wins, both link to it.
    sqlx::query(
        "INSERT INTO customers (id, user_id, name, name_key, email, address, tax_id, notes, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $8) \
         ON CONFLICT (user_id, name_key) DO NOTHING",
    )
    .bind(record.id.as_str())
    .bind(owner.as_str())
    .bind(&customer.name)
    .bind(&key)
    .bind(customer.email.as_str())
    .bind(&customer.address)
    .bind(&customer.tax_id)
    .bind(now.millis())
    .execute(&mut **tx)
    .await?;
    let id: String =
        sqlx::query_scalar("SELECT id FROM customers WHERE user_id = $1 AND name_key = $2")
            .bind(owner.as_str())
            .bind(&key)
            .fetch_one(&mut **tx)
            .await?;
    customer.id = Some(CustomerId::from_store(id));
    Ok(())
}
