//! `paybell serve --demo`: a demo owner with a few invoices, created once per database.

use anyhow::Context as _;
use invoicing::Store;
use invoicing::StoreError;
use invoicing::domain::events::outbox_events;
use invoicing::domain::profile::ProfileFields;
use invoicing::domain::{
    Action, Amount, Change, ChannelNames, Currency, Customer, Email, Invoice, InvoiceContent,
    LineItem, Password, Payment, PaymentSource, Profile, Timestamp, User, UserName,
};

/// The demo login; it signs in only while `serve` runs with `--demo`.
pub const EMAIL: &str = invoicing::DEMO_EMAIL;
/// The demo password (demo mode only).
pub const PASSWORD: &str = "paybell-demo";

/// Says at start-up, when the demo owner exists but `--demo` is off, that it cannot sign in.
///
/// # Errors
/// A database failure.
pub async fn note_disabled(store: &Store) -> anyhow::Result<()> {
    if store.user_with_password(&Email::parse(EMAIL)?).await?.is_some() {
        tracing::info!(email = EMAIL, "demo owner present but sign-in disabled: start with --demo");
        println!("demo login {EMAIL} disabled (not started with --demo)");
    }
    Ok(())
}

/// Creates the demo owner and invoices unless the owner exists; returns the invoices.
///
/// # Errors
/// A database failure.
pub async fn seed(store: &Store, channels: ChannelNames) -> anyhow::Result<Vec<Invoice>> {
    let email = Email::parse(EMAIL)?;
    let password = Password::parse(PASSWORD)?;
    let hash = invoicing::auth::hash_password(&password).await?;
    let name = UserName::parse("Demo Bakery")?;
    let user = match store.create_user(&email, &name, &hash, Timestamp::now()).await {
        Ok(user) => user,
        Err(StoreError::EmailTaken) => {
            let (user, _) = store.user_with_password(&email).await?.context("demo user")?;
            return Ok(store.invoices_of(&user.id).await?);
        }
        Err(error) => return Err(error.into()),
    };
    // A business profile, so the pay page, e-mails and PDFs show a seller's details.
    let profile = Profile::parse(&ProfileFields {
        legal_name: "Demo Bakery",
        address: "1 Flour Street\nLondon EC1A 1BB",
        tax_id: "GB123456789",
        phone: "+44 20 7946 0000",
        payment_instructions: "Or by bank transfer: Demo Bank, IBAN GB33 BUKB 2020 1555 5555 55",
        ..ProfileFields::default()
    })?;
    store.set_profile(&user.id, &profile, Timestamp::now()).await?;
    let today = Timestamp::now().date();
    let due = today.saturating_add(time::Duration::days(14));
    let samples = [
        (
            "Ada Lovelace",
            "ada@example.com",
            vec![("Sourdough loaves", 12, 450), ("Croissants", 24, 180)],
            1,
        ),
        ("Grace Hopper", "grace@example.com", vec![("Wedding cake", 1, 32_000)], 2),
        ("Alan Turing", "alan@example.com", vec![("Coffee beans, 1 kg", 3, 1_900)], 0),
    ];
    let mut invoices = Vec::new();
    for (customer, address, lines, progress) in samples {
        let items = lines
            .iter()
            .enumerate()
            .map(|(i, (text, qty, price))| {
                LineItem::parse(&format!("items[{i}]"), text, *qty, *price)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let content = InvoiceContent::new(
            Customer::parse(customer, address)?,
            Currency::parse("EUR")?,
            due,
            items,
            "Thank you for your order!",
        )?;
        invoices.push(create(store, &user, content, progress, channels).await?);
    }
    Ok(invoices)
}

/// Creates one invoice and moves it along: 0 draft, 1 sent, 2 sent and partly paid.
async fn create(
    store: &Store,
    user: &User,
    content: InvoiceContent,
    progress: u8,
    channels: ChannelNames,
) -> anyhow::Result<Invoice> {
    let now = Timestamp::now();
    let mut invoice = store
        .create_invoice(&user.id, content, now, |i| {
            outbox_events(Change::Created, i, channels, now)
        })
        .await?;
    if progress >= 1 {
        (invoice, _) = store
            .update_invoice(
                &invoice.id,
                None,
                |i| i.transition(Action::Send, now),
                |i, _| outbox_events(Change::StatusChanged, i, channels, now),
            )
            .await?;
    }
    if progress >= 2 {
        let amount = Amount::parse("amount", invoice.balance_due() / 4)?;
        let payment =
            Payment::new(PaymentSource::Owner, amount, "bank_transfer", Some("DEMO-DEPOSIT"), now)?;
        let request = invoicing::store::PaymentRequest { payment, idempotency: None };
        invoice = store
            .record_payment(&invoice.id, None, request, |i, effect| {
                let change = Change::PaymentReceived { amount, previous: effect.previous };
                outbox_events(change, i, channels, now)
            })
            .await?
            .invoice;
    }
    Ok(invoice)
}
