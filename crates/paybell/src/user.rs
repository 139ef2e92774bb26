//! `paybell user add`, `paybell user passwd` and `paybell migrate`: on the same database as
//! `paybell serve`.

use anyhow::Context as _;
use invoicing::domain::{Email, Timestamp, UserName};
use invoicing::{Store, StoreError};

use crate::cli::{UserAddArgs, UserPasswdArgs};
use crate::config::ServeConfig;
use crate::password::{self, Source};

/// Opens and migrates the configured database.
///
/// # Errors
/// When it cannot be opened or migrated.
pub async fn open_store(config: &ServeConfig) -> anyhow::Result<Store> {
    let store = Store::connect(config.database_url().expose())
        .await
        .with_context(|| format!("opening the database {:?}", config.database_url()))?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

/// `paybell migrate`.
///
/// # Errors
/// When the database cannot be opened or migrated.
pub async fn migrate(config: &ServeConfig) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    store.close().await;
    println!("database is up to date");
    Ok(())
}

/// `paybell user add`: prints the new user's id.
///
/// # Errors
/// Invalid values (named), an address in use, or a database failure.
pub async fn add(config: &ServeConfig, args: UserAddArgs) -> anyhow::Result<()> {
    let email = Email::parse(&args.email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let default_name = email.as_str().split('@').next().unwrap_or_default().to_owned();
    let name = UserName::parse(args.name.as_deref().unwrap_or(&default_name))
        .map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    let source = Source::from_flags(args.password, args.password_stdin);
    let password = password::read_blocking(source, format!("Password for {email}")).await?;
    let store = open_store(config).await?;
    let hash = invoicing::auth::hash_password(&password).await?;
    let user = store
        .create_user(&email, &name, &hash, Timestamp::now())
        .await
        .with_context(|| format!("creating {email}"))?;
    store.close().await;
    println!("created user {} ({})", user.email, user.id);
    Ok(())
}

/// `paybell user passwd EMAIL`: sets a new password and ends the owner's sessions.
///
/// # Errors
/// An invalid address, an owner that does not exist, a password refused, or a database
/// failure.
pub async fn passwd(config: &ServeConfig, args: UserPasswdArgs) -> anyhow::Result<()> {
    let email = Email::parse(&args.email).map_err(|e| anyhow::anyhow!("EMAIL: {e}"))?;
    let store = open_store(config).await?;
    // Asked before reading the password, so a typo in the address is told at once.
    if store.user_with_password(&email).await?.is_none() {
        store.close().await;
        anyhow::bail!("no owner has the e-mail address {email}");
    }
    let source = Source::from_flags(None, args.password_stdin);
    let password = password::read_blocking(source, format!("New password for {email}")).await?;
    let hash = invoicing::auth::hash_password(&password).await?;
    let changed = store.set_password(&email, &hash).await;
    store.close().await;
    match changed {
        Ok(user) => {
            println!("changed the password of {} ({}); signed out everywhere", user.email, user.id);
            Ok(())
        }
        Err(StoreError::NotFound) => anyhow::bail!("no owner has the e-mail address {email}"),
        Err(error) => Err(error).with_context(|| format!("changing the password of {email}")),
    }
}
