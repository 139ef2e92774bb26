//! The owner's business: profile, logo and customer directory; what a new invoice starts from.

use time::Date;

use crate::domain::logo::{self, LogoError};
use crate::domain::{
    Customer, CustomerId, CustomerRecord, Invoice, InvoiceStatus, Profile, Timestamp, UserId,
};
use crate::store::StoredLogo;

use super::{UseCaseError, UseCases};

/// What a new invoice (or an edit naming a `customerId`) starts from.
#[derive(Debug, Clone)]
pub struct InvoiceDefaults {
    /// The owner's profile: default currency, payment terms, payment instructions.
    pub profile: Profile,
    /// The directory's customer named by `customerId`, if the request named one.
    pub customer: Option<Customer>,
    /// The issue date when none is given.
    pub today: Date,
}

/// A customer with their invoices and what they still owe.
#[derive(Debug, Clone)]
pub struct CustomerAccount {
    /// The directory entry.
    pub record: CustomerRecord,
    /// Their invoices, newest first.
    pub invoices: Vec<Invoice>,
    /// `(currency, balance due)` over invoices awaiting money, by currency code.
    pub outstanding: Vec<(&'static str, i64)>,
}

impl UseCases {
    /// The owner's business profile.
    ///
    /// # Errors
    /// [`UseCaseError::Store`].
    pub async fn profile(&self, owner: &UserId) -> Result<Profile, UseCaseError> {
        Ok(self.store.profile(owner).await?)
    }

    /// Saves the owner's profile.
    ///
    /// # Errors
    /// [`UseCaseError::Store`].
    pub async fn set_profile(&self, owner: &UserId, profile: &Profile) -> Result<(), UseCaseError> {
        Ok(self.store.set_profile(owner, profile, Timestamp::now()).await?)
    }

    /// Checks `bytes` as a logo and stores it.
    ///
    /// # Errors
    /// [`LogoError`] inside `Ok(Err)`: the upload is not a logo; [`UseCaseError::Store`].
    pub async fn set_logo(
        &self,
        owner: &UserId,
        bytes: &[u8],
    ) -> Result<Result<logo::Logo, LogoError>, UseCaseError> {
        let checked = match logo::check(bytes) {
            Ok(checked) => checked,
            Err(error) => return Ok(Err(error)),
        };
        self.store.set_logo(owner, checked.content_type, bytes, Timestamp::now()).await?;
        Ok(Ok(checked))
    }

    /// The owner's logo.
    ///
    /// # Errors
    /// [`UseCaseError::Store`].
    pub async fn logo(&self, owner: &UserId) -> Result<Option<StoredLogo>, UseCaseError> {
        Ok(self.store.logo(owner).await?)
    }

    /// Whether the owner has a logo.
    ///
    /// # Errors
    /// [`UseCaseError::Store`].
    pub async fn has_logo(&self, owner: &UserId) -> Result<bool, UseCaseError> {
        Ok(self.store.has_logo(owner).await?)
    }

    /// What a new invoice of `owner` starts from, with the customer `customer_id` names.
    ///
    /// # Errors
    /// [`UseCaseError::Invalid`] on `customerId` for a customer that is not the owner's.
    pub async fn invoice_defaults(
        &self,
        owner: &UserId,
        customer_id: Option<&CustomerId>,
    ) -> Result<InvoiceDefaults, UseCaseError> {
        let profile = self.store.profile(owner).await?;
        let customer = match customer_id {
            Some(id) => Some(
                self.store
                    .customer(owner, id)
                    .await?
                    .ok_or_else(|| {
                        crate::domain::ValidationError::field("customerId", "no such customer")
                    })?
                    .customer,
            ),
            None => None,
        };
        Ok(InvoiceDefaults { profile, customer, today: Timestamp::now().date() })
    }

    /// The owner's customers whose name contains `query` (case-insensitive), at most `limit`.
    ///
    /// # Errors
    /// [`UseCaseError::Store`].
    pub async fn customers(
        &self,
        owner: &UserId,
        query: &str,
        limit: usize,
    ) -> Result<Vec<CustomerRecord>, UseCaseError> {
        let query = query.trim().to_lowercase();
        let all = self.store.customers_of(owner).await?;
        Ok(all
            .into_iter()
            .filter(|c| c.customer.name.to_lowercase().contains(&query))
            .take(limit)
            .collect())
    }

    /// Adds a customer.
    ///
    /// # Errors
    /// [`UseCaseError::Store`] (422 when the name is taken).
    pub async fn create_customer(
        &self,
        owner: &UserId,
        record: &CustomerRecord,
    ) -> Result<(), UseCaseError> {
        Ok(self.store.create_customer(owner, record).await?)
    }

    /// Replaces a customer's fields; their invoices keep the copy they have.
    ///
    /// # Errors
    /// [`UseCaseError::Store`] (404, or 422 when the name is taken).
    pub async fn update_customer(
        &self,
        owner: &UserId,
        record: &CustomerRecord,
    ) -> Result<(), UseCaseError> {
        Ok(self.store.update_customer(owner, record).await?)
    }

    /// A customer with their invoices and outstanding totals.
    ///
    /// # Errors
    /// [`UseCaseError::NotFound`] when not the owner's.
    pub async fn customer_account(
        &self,
        owner: &UserId,
        id: &CustomerId,
    ) -> Result<CustomerAccount, UseCaseError> {
        let record = self.store.customer(owner, id).await?.ok_or(UseCaseError::NotFound)?;
        let invoices = self.store.invoices_of_customer(owner, id).await?;
        let outstanding = outstanding(&invoices);
        Ok(CustomerAccount { record, invoices, outstanding })
    }
}

/// Balance due per currency over the invoices that await money.
fn outstanding(invoices: &[Invoice]) -> Vec<(&'static str, i64)> {
    let mut sums = std::collections::BTreeMap::<&'static str, i64>::new();
    for invoice in invoices {
        let awaits = matches!(
            invoice.status,
            InvoiceStatus::Sent | InvoiceStatus::PartiallyPaid | InvoiceStatus::Overdue
        );
        if awaits {
            *sums.entry(invoice.content.currency.code()).or_default() += invoice.balance_due();
        }
    }
    sums.into_iter().collect()
}
