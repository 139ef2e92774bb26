//! The owner's business profile and logo.

use crate::domain::text::strip_unsafe;
use crate::domain::{Currency, Profile, Timestamp, UserId};

use super::invoices::Tx;
use super::{Store, StoreError};

#[derive(Debug, sqlx::FromRow)]
struct ProfileRow {
    legal_name: String,
    address: String,
    tax_id: String,
    email: String,
    phone: String,
    brand_color: String,
    default_currency: Option<String>,
    payment_terms_days: Option<i64>,
    payment_instructions: String,
    number_prefix: String,
}

impl From<ProfileRow> for Profile {
    fn from(row: ProfileRow) -> Self {
        Self {
            legal_name: strip_unsafe(&row.legal_name),
            address: strip_unsafe(&row.address),
            tax_id: strip_unsafe(&row.tax_id),
            email: row.email,
            phone: strip_unsafe(&row.phone),
            brand_color: row.brand_color,
            default_currency: row.default_currency.and_then(|code| Currency::parse(&code).ok()),
            payment_terms_days: row.payment_terms_days,
            payment_instructions: strip_unsafe(&row.payment_instructions),
            number_prefix: row.number_prefix,
        }
    }
}

/// A stored logo.
#[derive(Debug, Clone)]
pub struct StoredLogo {
    /// `image/png` or `image/jpeg`, as found when it was checked.
    pub content_type: String,
    /// The image.
    pub bytes: Vec<u8>,
    /// When it was uploaded (for caching).
    pub updated_at: Timestamp,
}

impl Store {
    /// The owner's profile; empty until they save one.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn profile(&self, owner: &UserId) -> Result<Profile, StoreError> {
        let row: Option<ProfileRow> = sqlx::query_as(
            "SELECT legal_name, address, tax_id, email, phone, brand_color, default_currency, \
             payment_terms_days, payment_instructions, number_prefix \
             FROM business_profiles WHERE user_id = $1",
        )
        .bind(owner.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Profile::from).unwrap_or_default())
    }

    /// Saves the owner's profile (checked by [`Profile::parse`]).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_profile(
        &self,
        owner: &UserId,
        profile: &Profile,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO business_profiles (user_id, legal_name, address, tax_id, email, phone, \
             brand_color, default_currency, payment_terms_days, payment_instructions, \
             number_prefix, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (user_id) DO UPDATE SET legal_name = excluded.legal_name, \
             address = excluded.address, tax_id = excluded.tax_id, email = excluded.email, \
             phone = excluded.phone, brand_color = excluded.brand_color, \
             default_currency = excluded.default_currency, \
             payment_terms_days = excluded.payment_terms_days, \
             payment_instructions = excluded.payment_instructions, \
             number_prefix = excluded.number_prefix, updated_at = excluded.updated_at",
        )
        .bind(owner.as_str())
        .bind(&profile.legal_name)
        .bind(&profile.address)
        .bind(&profile.tax_id)
        .bind(&profile.email)
        .bind(&profile.phone)
        .bind(&profile.brand_color)
        .bind(profile.default_currency.map(|c| c.code().to_owned()))
        .bind(profile.payment_terms_days)
        .bind(&profile.payment_instructions)
        .bind(&profile.number_prefix)
        .bind(now.millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replaces the owner's logo (checked by [`crate::domain::logo::check`]).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_logo(
        &self,
        owner: &UserId,
        content_type: &str,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO business_logos (user_id, content_type, bytes, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET \
             content_type = excluded.content_type, bytes = excluded.bytes, \
             updated_at = excluded.updated_at",
        )
        .bind(owner.as_str())
        .bind(content_type)
        .bind(bytes.to_vec())
        .bind(now.millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The owner's logo, if they uploaded one.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn logo(&self, owner: &UserId) -> Result<Option<StoredLogo>, StoreError> {
        let row: Option<(String, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT content_type, bytes, updated_at FROM business_logos WHERE user_id = $1",
        )
        .bind(owner.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(content_type, bytes, at)| StoredLogo {
            content_type,
            bytes,
            updated_at: Timestamp::from_millis(at),
        }))
    }

    /// Whether the owner has a logo.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn has_logo(&self, owner: &UserId) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT updated_at FROM business_logos WHERE user_id = $1")
                .bind(owner.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// The owner's number prefix, read in a new invoice's transaction.
    pub(super) async fn number_prefix(
        &self,
        tx: &mut Tx,
        owner: &UserId,
    ) -> Result<String, StoreError> {
        let prefix: Option<String> =
            sqlx::query_scalar("SELECT number_prefix FROM business_profiles WHERE user_id = $1")
                .bind(owner.as_str())
                .fetch_optional(&mut **tx)
                .await?;
        Ok(prefix.unwrap_or_default())
    }
}
