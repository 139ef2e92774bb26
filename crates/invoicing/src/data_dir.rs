//! The data directory holds the SQLite database (password and session hashes), the node id
//! and the generated app secret: whoever creates it makes it readable by its owner alone.

use std::path::Path;

/// Creates `dir` and its missing parents with mode 0700 on Unix. A directory that already
/// exists keeps its mode: the operator may have chosen it.
///
/// # Errors
/// When a directory cannot be created.
pub fn create(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn a_new_data_dir_and_its_parents_are_private_and_an_existing_one_keeps_its_mode() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        super::create(&dir).unwrap();
        for d in [root.path().join("a"), dir.clone()] {
            assert_eq!(std::fs::metadata(&d).unwrap().permissions().mode() & 0o777, 0o700);
        }
        let open = root.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        super::create(&open).unwrap();
        assert_eq!(std::fs::metadata(&open).unwrap().permissions().mode() & 0o777, 0o755);
    }
}
