//! The READMEs' configuration tables and the environment table of `env.rs` list the same
//! variables, each beside its file key.

use super::env::KEYS;

const READMES: [&str; 2] =
    [include_str!("../../../../README.md"), include_str!("../../../invoicing/README.md")];

/// Variables clap reads itself (they are not configuration keys).
const CLI_ONLY: [&str; 2] = ["PAYBELL_CONFIG", "PAYBELL_LOG_JSON"];

/// The cells of the `environment` column of every table that has one, with their rows.
fn environment_cells() -> Vec<(String, String)> {
    let mut cells = Vec::new();
    for readme in READMES {
        let mut column = None;
        for line in readme.lines() {
            if !line.starts_with('|') {
                column = None;
                continue;
            }
            let row: Vec<&str> = line.split('|').map(str::trim).collect();
            match column {
                None => column = row.iter().position(|cell| *cell == "environment"),
                Some(i) => cells.push((row.get(i).unwrap_or(&"").to_string(), line.to_owned())),
            }
        }
    }
    cells
}

fn variables(cell: &str) -> impl Iterator<Item = &str> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
}

#[test]
fn every_variable_is_documented_beside_its_file_key() {
    let cells = environment_cells();
    for key in KEYS {
        let (section, field) = key.path.split_once('.').unwrap();
        let documented = cells.iter().any(|(cell, row)| {
            variables(cell).any(|name| name == key.name)
                && row.contains(section)
                && row.contains(field)
        });
        assert!(documented, "{} ({}) is not in a README configuration table", key.name, key.path);
    }
}

#[test]
fn every_documented_variable_is_read() {
    for (cell, _) in environment_cells() {
        for name in variables(&cell) {
            let read = KEYS.iter().any(|key| key.name == name) || CLI_ONLY.contains(&name);
            assert!(read, "{name} is documented but not in config/env.rs");
        }
    }
}
