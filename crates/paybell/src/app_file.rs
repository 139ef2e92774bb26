//! The credentials a data directory keeps for itself (`{data_dir}/app.toml`): the realtime
//! app, created on the first start that has no configured app, and the Web Push (VAPID) key,
//! created on the first start without `PAYBELL_VAPID_PRIVATE_KEY`; reused by every later
//! start, so no server ever runs with a secret someone else knows.
//!
//! The file is readable by its owner only (mode 0600) and what it holds is never changed:
//! a missing part is appended, the rest kept byte for byte. A file that cannot be read, does
//! not parse or is readable by others stops the start with its path, because regenerating
//! would silently change the credentials other services (and subscribed browsers) use.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use invoicing::push::VapidKey;
use pusher_protocol::{AppCredentialError, AppId, AppKey, Secret};
use rand::RngCore as _;
use serde::Deserialize;

/// The file's name inside the data directory.
pub const APP_FILE: &str = "app.toml";

/// Bytes of randomness in a generated secret (256 bits).
const SECRET_BYTES: usize = 32;

/// Bytes of randomness in a generated key (public, but unguessable keeps strangers out of
/// the socket port of an app they were never told about).
const KEY_BYTES: usize = 10;

/// An app kept in a data directory.
#[derive(Debug, Clone)]
pub struct StoredApp {
    /// Its id (`/apps/{id}`).
    pub id: AppId,
    /// Its public key.
    pub key: AppKey,
    /// Its secret.
    pub secret: Secret,
}

/// Why the app file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AppFileError {
    /// Reading, creating or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is not what this module writes.
    #[error("{path}: {problem}; fix or remove the file (removing it makes new credentials)")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Other users may read the secret.
    #[error("{path}: mode {mode:04o} lets other users read the app secret; run `chmod 600 {path}`")]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
}

/// What the file holds.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileApp {
    id: Option<String>,
    key: Option<String>,
    secret: Option<String>,
    vapid_private_key: Option<String>,
}

/// The app file of `data_dir`.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(APP_FILE)
}

/// The app of `data_dir`, or `None` when it has none yet.
///
/// # Errors
/// The file exists but cannot be read, does not parse, or is readable by others.
pub fn load(data_dir: &Path) -> Result<Option<StoredApp>, AppFileError> {
    let Some((path, file)) = read(data_dir)? else { return Ok(None) };
    let invalid = |problem: String| AppFileError::Invalid { path: path.clone(), problem };
    let (id, key, secret) = match (file.id, file.key, file.secret) {
        (None, None, None) => return Ok(None),
        (Some(id), Some(key), Some(secret)) => (id, key, secret),
        (id, key, _) => {
            let missing = if id.is_none() {
                "id"
            } else if key.is_none() {
                "key"
            } else {
                "secret"
            };
            return Err(invalid(format!("{missing} is missing")));
        }
    };
    let id = AppId::parse(id).map_err(|e| invalid(format!("id: {e}")))?;
    let key = AppKey::parse(key).map_err(|e| invalid(format!("key: {e}")))?;
    if secret.trim().is_empty() {
        return Err(invalid("secret is empty".to_owned()));
    }
    Ok(Some(StoredApp { id, key, secret: Secret::new(secret) }))
}

/// The file's path and contents, or `None` when there is no file.
fn read(data_dir: &Path) -> Result<Option<(PathBuf, FileApp)>, AppFileError> {
    let path = path(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(AppFileError::Io { path, source }),
    };
    check_mode(&path)?;
    let file: FileApp = toml::from_str(&text).map_err(|e| AppFileError::Invalid {
        path: path.clone(),
        problem: e.message().to_owned(),
    })?;
    Ok(Some((path, file)))
}

/// The Web Push key of `data_dir`, or `None` when it has none yet.
///
/// # Errors
/// As [`load`], or the key does not parse.
pub fn load_vapid(data_dir: &Path) -> Result<Option<VapidKey>, AppFileError> {
    let Some((path, file)) = read(data_dir)? else { return Ok(None) };
    let Some(text) = file.vapid_private_key else { return Ok(None) };
    VapidKey::parse(&text)
        .map(Some)
        .map_err(|e| AppFileError::Invalid { path, problem: format!("vapid_private_key: {e}") })
}

/// The Web Push key of `data_dir`, added to its file first when there is none; `true` when
/// it was just created.
///
/// # Errors
/// As [`load_vapid`], or the directory or file cannot be written.
pub fn load_or_create_vapid(data_dir: &Path) -> Result<(VapidKey, bool), AppFileError> {
    if let Some(key) = load_vapid(data_dir)? {
        return Ok((key, false));
    }
    let key = VapidKey::generate();
    let text = format!(
        "# The Web Push (VAPID) private key browsers' subscriptions are bound to; replacing it\n\
         # makes every browser subscribe again. Or set PAYBELL_VAPID_PRIVATE_KEY instead.\n\
         vapid_private_key = \"{}\"\n",
        key.private_key()
    );
    append(data_dir, &text)?;
    // Another process may have added its key first: the file's is the one.
    let key = load_vapid(data_dir)?.unwrap_or(key);
    Ok((key, true))
}

/// Adds `text` to the end of the file (created when missing), through a file written aside
/// and moved into place, so a reader never sees half of it.
fn append(data_dir: &Path, text: &str) -> Result<(), AppFileError> {
    let path = path(data_dir);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| AppFileError::Io { path, source }
    };
    invoicing::data_dir::create(data_dir).map_err(io(data_dir))?;
    let before = match std::fs::read_to_string(&path) {
        Ok(before) => Some(before),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(AppFileError::Io { path, source }),
    };
    let aside = data_dir.join(format!(".{APP_FILE}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&aside);
    let mut whole = before.clone().unwrap_or_default();
    if !whole.is_empty() && !whole.ends_with('\n') {
        whole.push('\n');
    }
    whole.push_str(text);
    write_private(&aside, &whole).map_err(io(&aside))?;
    let placed = if before.is_some() {
        std::fs::rename(&aside, &path)
    } else {
        // A new file appears without replacing one another process placed meanwhile.
        std::fs::hard_link(&aside, &path)
    };
    let _ = std::fs::remove_file(&aside);
    match placed {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(AppFileError::Io { path, source }),
    }
}

/// The app of `data_dir`, created first when there is none; `true` when it was just created.
///
/// Two processes starting at once on one directory end up with the same app: the file
/// appears whole or not at all (written aside, then linked into place without replacing).
///
/// # Errors
/// As [`load`], or the directory or file cannot be written.
pub fn load_or_create(data_dir: &Path) -> Result<(StoredApp, bool), AppFileError> {
    if let Some(app) = load(data_dir)? {
        return Ok((app, false));
    }
    let path = path(data_dir);
    let app = generate()
        .map_err(|e| AppFileError::Invalid { path: path.clone(), problem: e.to_string() })?;
    append(data_dir, &render(&app))?;
    // Another process may have placed its app first: the file's is the one.
    match load(data_dir)? {
        Some(stored) if stored.key == app.key => Ok((app, true)),
        Some(stored) => Ok((stored, false)),
        None => Err(AppFileError::Invalid { path, problem: "the app was not written".to_owned() }),
    }
}

/// A fresh app: a numeric id (as the SDKs' `forURL` helpers expect), a random key and a
/// 256-bit secret, both hex.
///
/// # Errors
/// Never in practice: the generated id and key are always valid.
pub fn generate() -> Result<StoredApp, AppCredentialError> {
    let mut rng = rand::rng();
    let id = 100_000 + rng.next_u32() % 900_000_000;
    let mut hex = |bytes: usize| {
        let mut raw = vec![0u8; bytes];
        rng.fill_bytes(&mut raw);
        raw.iter().fold(String::with_capacity(bytes * 2), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
    };
    let (key, secret) = (hex(KEY_BYTES), hex(SECRET_BYTES));
    Ok(StoredApp {
        id: AppId::parse(id.to_string())?,
        key: AppKey::parse(key)?,
        secret: Secret::new(secret),
    })
}

fn render(app: &StoredApp) -> String {
    format!(
        "# The realtime app of this data directory, generated by `paybell` on its first start.\n\
         # Keep it private (mode 0600). `paybell app show` prints it with the PUSHER_* lines\n\
         # another service would set. Nodes of one cluster must share one app: configure\n\
         # PAYBELL_APP_ID, PAYBELL_APP_KEY and PAYBELL_APP_SECRET on each instead.\n\
         id = \"{}\"\nkey = \"{}\"\nsecret = \"{}\"\n",
        app.id.as_str(),
        app.key.as_str(),
        app.secret.expose()
    )
}

/// Creates `path` (which must not exist) readable and writable by its owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(unix)]
fn check_mode(path: &Path) -> Result<(), AppFileError> {
    use std::os::unix::fs::PermissionsExt as _;
    let metadata = std::fs::metadata(path)
        .map_err(|source| AppFileError::Io { path: path.to_owned(), source })?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        Ok(())
    } else {
        Err(AppFileError::Exposed { path: path.to_owned(), mode })
    }
}

#[cfg(not(unix))]
fn check_mode(_path: &Path) -> Result<(), AppFileError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_reused_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (first, created) = load_or_create(&data).unwrap();
        assert!(created);
        assert_eq!(first.secret.expose().len(), 64, "256 bits in hex");
        assert!(first.id.as_str().bytes().all(|b| b.is_ascii_digit()));
        let (second, created) = load_or_create(&data).unwrap();
        assert!(!created);
        assert_eq!((second.id, second.key), (first.id, first.key));
        assert_eq!(second.secret, first.secret);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path(&data)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let left: Vec<_> =
            std::fs::read_dir(&data).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, [APP_FILE], "nothing left aside");
    }

    #[test]
    fn two_apps_differ() {
        let (a, b) = (generate().unwrap(), generate().unwrap());
        assert_ne!(a.key, b.key);
        assert_ne!(a.secret, b.secret);
    }

    #[test]
    fn a_bad_file_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path());
        for (text, expected) in [
            ("not toml", "fix or remove"),
            ("id = \"1\"\nkey = \"k\"\n", "secret is missing"),
            ("vapid_private_key = \"short\"\nid = \"1\"\n", "key is missing"),
            ("id = \"1\"\nkey = \"k k\"\nsecret = \"s\"\n", "key"),
            ("id = \"1\"\nkey = \"k\"\nsecret = \"\"\n", "secret is empty"),
        ] {
            let _ = std::fs::remove_file(&file);
            write_private(&file, text).unwrap();
            let error = load_or_create(dir.path()).unwrap_err().to_string();
            assert!(error.starts_with(&file.display().to_string()), "{error}");
            assert!(error.contains(expected), "{text:?}: {error}");
            assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "never regenerated");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        load_or_create(dir.path()).unwrap();
        let file = path(dir.path());
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("0644") && error.contains("chmod 600"), "{error}");
    }

    #[test]
    fn the_vapid_key_is_added_once_beside_the_app_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (app, _) = load_or_create(dir.path()).unwrap();
        let before = std::fs::read_to_string(path(dir.path())).unwrap();
        let (key, created) = load_or_create_vapid(dir.path()).unwrap();
        assert!(created);
        let after = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(after.starts_with(&before), "the app's lines kept byte for byte");
        let (again, created) = load_or_create_vapid(dir.path()).unwrap();
        assert!(!created);
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(load(dir.path()).unwrap().unwrap().key, app.key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path(dir.path())).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_key_first_then_an_app_and_a_bad_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (key, _) = load_or_create_vapid(dir.path()).unwrap();
        assert!(load(dir.path()).unwrap().is_none(), "no app yet: a configured app is used");
        let (_, created) = load_or_create(dir.path()).unwrap();
        assert!(created);
        assert_eq!(load_vapid(dir.path()).unwrap().unwrap().public_key(), key.public_key());
        let file = path(dir.path());
        std::fs::remove_file(&file).unwrap();
        write_private(&file, "vapid_private_key = \"nope\"\n").unwrap();
        let error = load_or_create_vapid(dir.path()).unwrap_err().to_string();
        assert!(error.contains("vapid_private_key"), "{error}");
    }
}
