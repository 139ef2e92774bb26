//! Passwords (argon2id, hashed off the async threads) and session tokens (random, stored
//! only as their SHA-256).
//!
//! Each argon2 computation holds 19 MiB and a blocking thread for tens of milliseconds, so
//! sign-ins go through a [`HashGate`]: at most one computation per core at a time, the others
//! wait their turn for a bounded time and are then refused ([`HashError::Busy`], HTTP 503).

use std::sync::Arc;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use tokio::sync::Semaphore;

use crate::domain::Password;

/// Why hashing failed (never because of the password itself).
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// argon2 refused its parameters.
    #[error("password hashing failed: {0}")]
    Argon2(String),
    /// The blocking task died.
    #[error("password hashing task failed")]
    Task(#[from] tokio::task::JoinError),
    /// Every hashing slot stayed busy for the whole wait.
    #[error("too many sign-ins at once")]
    Busy,
}

/// How many password checks run at once and how long a sign-in waits for a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimits {
    /// Computations at once; at least 1.
    pub concurrent: usize,
    /// How long a sign-in waits for a slot before it is refused.
    pub wait: Duration,
}

impl HashingLimits {
    /// The default wait for a slot.
    pub const DEFAULT_WAIT: Duration = Duration::from_secs(5);
}

impl Default for HashingLimits {
    /// One computation per core (`available_parallelism`), a 5-second wait.
    fn default() -> Self {
        let concurrent = std::thread::available_parallelism().map_or(1, usize::from);
        Self { concurrent, wait: Self::DEFAULT_WAIT }
    }
}

/// Checks passwords, never more than [`HashingLimits::concurrent`] at a time. Cheap to clone;
/// clones share their slots.
#[derive(Debug, Clone)]
pub struct HashGate {
    slots: Arc<Semaphore>,
    wait: Duration,
}

impl HashGate {
    /// A gate with `limits`.
    pub fn new(limits: HashingLimits) -> Self {
        Self { slots: Arc::new(Semaphore::new(limits.concurrent.max(1))), wait: limits.wait }
    }

    /// Checks `password` against `hash`. `None` checks against a fixed dummy hash so an
    /// unknown e-mail address takes as long as a wrong password. The slot is held until the
    /// computation ends, even when the caller has gone.
    ///
    /// # Errors
    /// [`HashError::Busy`] when no slot freed up within the wait; [`HashError::Task`].
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, HashError> {
        let slot = tokio::time::timeout(self.wait, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| HashError::Busy)?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
            let Ok(parsed) = PasswordHash::new(&hash) else { return false };
            Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
        })
        .await
        .map_err(HashError::from)
    }
}

/// Hashes a password (argon2id with a random salt), in PHC string form.
///
/// # Errors
/// [`HashError`].
pub async fn hash_password(password: &Password) -> Result<String, HashError> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| HashError::Argon2(e.to_string()))
    })
    .await?
}

/// argon2id of a random password nobody knows, with the default parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W4V5Hm6B3x0p1Tsa6Kp6qJ2F3r4gFOaH1sN0m0iS3lA";

/// A new session token (256 random bits, URL-safe base64).
pub fn new_session_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_tokens_are_random() {
        let password = Password::parse("correct horse").unwrap();
        let hash = hash_password(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let gate = HashGate::new(HashingLimits::default());
        assert!(gate.verify("correct horse".to_owned(), Some(hash.clone())).await.unwrap());
        assert!(!gate.verify("wrong horse".to_owned(), Some(hash)).await.unwrap());
        assert!(!gate.verify("anything".to_owned(), None).await.unwrap());
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert_ne!(new_session_token(), new_session_token());
        assert_eq!(token_hash("a").len(), 64);
    }

    #[tokio::test]
    async fn a_full_gate_refuses_after_its_wait() {
        let gate = HashGate::new(HashingLimits { concurrent: 1, wait: Duration::from_millis(1) });
        let held = Arc::clone(&gate.slots).acquire_owned().await.unwrap();
        let refused = gate.verify("x".to_owned(), None).await;
        assert!(matches!(refused, Err(HashError::Busy)), "{refused:?}");
        drop(held);
        assert!(!gate.verify("x".to_owned(), None).await.unwrap());
    }
}
