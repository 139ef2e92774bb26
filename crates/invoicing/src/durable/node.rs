//! [`NodeId`]: who holds a claim, stable across restarts so a restarted node can take its own
//! claims back at once.

use std::path::Path;

/// The file in the data directory that holds the node id.
const FILE: &str = "node-id";

/// A node's name in claims: one live process at a time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeId(String);

/// Why the node id file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum NodeIdError {
    /// Reading or writing the file failed.
    #[error("node id file {path}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file holds something else than a node id.
    #[error("node id file {path} does not hold a node id (1 to 64 letters, digits, - or _)")]
    Invalid {
        /// The file.
        path: String,
    },
}

impl NodeId {
    /// A fresh id: a process that uses it leaves claims only other nodes can take over,
    /// after their lease.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// `text` if it is 1 to 64 ASCII letters, digits, `-` or `_`.
    pub fn parse(text: &str) -> Option<Self> {
        let valid = (1..=64).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        valid.then(|| Self(text.to_owned()))
    }

    /// The id kept in `dir` (created, with the directory, on first use). The data directory
    /// belongs to one process at a time, so its id does too.
    ///
    /// # Errors
    /// [`NodeIdError`] when the file cannot be read or written, or holds something else.
    pub fn in_dir(dir: &Path) -> Result<Self, NodeIdError> {
        let path = dir.join(FILE);
        let io = |source| NodeIdError::Io { path: path.display().to_string(), source };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(text.trim())
                .ok_or_else(|| NodeIdError::Invalid { path: path.display().to_string() }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let id = Self::random();
                crate::data_dir::create(dir).map_err(io)?;
                std::fs::write(&path, format!("{}\n", id.0)).map_err(io)?;
                Ok(id)
            }
            Err(error) => Err(io(error)),
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_in_a_directory_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = NodeId::in_dir(&data).unwrap();
        assert_eq!(NodeId::in_dir(&data).unwrap(), first);
        assert_ne!(NodeId::in_dir(dir.path()).unwrap(), first, "another directory, another id");
        std::fs::write(data.join(FILE), "not an id!").unwrap();
        assert!(matches!(NodeId::in_dir(&data), Err(NodeIdError::Invalid { .. })));
    }

    #[test]
    fn ids_are_short_and_plain() {
        assert!(NodeId::parse("node-1").is_some());
        assert!(NodeId::parse("").is_none());
        assert!(NodeId::parse("a b").is_none());
        assert!(NodeId::parse(&"x".repeat(65)).is_none());
    }
}
