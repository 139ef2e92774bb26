//! `paybell user add` and `paybell migrate`: on the same database as `paybell serve`.

use anyhow::Context as _;
use invoicing::Store;
use invoicing::domain::{Email, Password, Timestamp, UserName};

use crate::cli::UserAddArgs;
use crate::config::ServeConfig;

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
    let password =
        Password::parse(&args.password).map_err(|e| anyhow::anyhow!("--password: {e}"))?;
    let default_name = email.as_str().split('@').next().unwrap_or_default().to_owned();
    let name = UserName::parse(args.name.as_deref().unwrap_or(&default_name))
        .map_err(|e| anyhow::anyhow!("--name: {e}"))?;
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
