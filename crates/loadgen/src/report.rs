//! What a scenario reports: a table for people, a JSON file for the summary, and the
//! summary itself (`report`): every headline figure next to the floor's, with the ratio and
//! the target.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// A plain text table: first column left-aligned, the others right-aligned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Shown above the table.
    pub title: String,
    /// Column headings.
    pub headers: Vec<String>,
    /// The rows, each as wide as `headers`.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these headings.
    pub fn new(title: impl Into<String>, headers: &[&str]) -> Self {
        let headers = headers.iter().map(|h| (*h).to_owned()).collect();
        Self { title: title.into(), headers, rows: Vec::new() }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, one line per row, ending in a newline.
    pub fn render(&self) -> String {
        let columns = self.headers.len().max(self.rows.iter().map(Vec::len).max().unwrap_or(0));
        let mut widths = vec![0; columns];
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |row: &[String]| {
            let cells: Vec<String> = (0..columns)
                .map(|i| {
                    let cell = row.get(i).map_or("", String::as_str);
                    if i == 0 {
                        format!("{cell:<width$}", width = widths[i])
                    } else {
                        format!("{cell:>width$}", width = widths[i])
                    }
                })
                .collect();
            cells.join("  ").trim_end().to_owned()
        };
        let mut out = String::new();
        if !self.title.is_empty() {
            out.push_str(&self.title);
            out.push('\n');
        }
        out.push_str(&line(&self.headers));
        out.push('\n');
        let rule: usize = widths.iter().sum::<usize>() + 2 * columns.saturating_sub(1);
        out.push_str(&"-".repeat(rule));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Nanoseconds as milliseconds with two decimals.
pub fn ms(nanos: u64) -> String {
    format!("{:.2}", nanos as f64 / 1e6)
}

/// Microseconds as milliseconds with two decimals.
pub fn us_as_ms(micros: u64) -> String {
    format!("{:.2}", micros as f64 / 1e3)
}

/// One figure that goes into the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    /// What it is, e.g. `trigger → last receipt, median (ms)`.
    pub label: String,
    /// The value.
    pub value: f64,
    /// Whether lower values are better (latency, memory) or higher (rates).
    pub lower_is_better: bool,
    /// The absolute target, e.g. `≤ 40`.
    pub target: Option<Bound>,
    /// The largest acceptable ratio to the floor (lower-is-better figures).
    pub floor_ratio_target: Option<f64>,
}

/// A target: at most or at least a value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Bound {
    /// The value must be at most this.
    AtMost(f64),
    /// The value must be at least this.
    AtLeast(f64),
}

impl Bound {
    fn met(self, value: f64) -> bool {
        match self {
            Self::AtMost(limit) => value <= limit,
            Self::AtLeast(limit) => value >= limit,
        }
    }

    fn text(self) -> String {
        match self {
            Self::AtMost(limit) => format!("≤ {}", number(limit)),
            Self::AtLeast(limit) => format!("≥ {}", number(limit)),
        }
    }
}

/// A number for a table: integers with thousands separators, others with two decimals.
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let integer = value.abs() as u64;
        let sign = if value < 0.0 { "-" } else { "" };
        format!("{sign}{}", thousands(integer))
    } else if value.abs() >= 1000.0 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let integer = value.abs().round() as u64;
        let sign = if value < 0.0 { "-" } else { "" };
        format!("{sign}{}", thousands(integer))
    } else {
        format!("{value:.2}")
    }
}

/// What one scenario run measured: written as JSON, read back by `report`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The scenario, e.g. `fanout`.
    pub scenario: String,
    /// This run's name in the summary, e.g. `fanout-5000`.
    pub name: String,
    /// The server measured, e.g. `paybell`, `floor`, `soketi`.
    pub label: String,
    /// When the run started, unix seconds.
    pub started_unix: u64,
    /// How long it took.
    pub duration_secs: f64,
    /// The scenario's parameters.
    pub params: BTreeMap<String, serde_json::Value>,
    /// Figures for the summary, in order.
    pub headlines: Vec<Headline>,
    /// The detailed table.
    pub table: Table,
    /// Anything the reader should know (errors seen, limits hit).
    pub notes: Vec<String>,
}

impl Outcome {
    /// Writes the outcome as pretty JSON to `path`.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(path, text)
    }

    /// The table and the notes, for the terminal.
    pub fn render(&self) -> String {
        let mut out = self.table.render();
        for note in &self.notes {
            out.push_str("  note: ");
            out.push_str(note);
            out.push('\n');
        }
        out
    }
}

/// Reads every outcome (`*.json`) in `dir`.
///
/// # Errors
/// When the directory cannot be read; unreadable files are skipped with a warning.
pub fn read_outcomes(dir: &Path) -> std::io::Result<Vec<Outcome>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let order = ["idle", "fanout", "throughput", "trigger", "churn"];
    let rank = |o: &Outcome| order.iter().position(|s| *s == o.scenario).unwrap_or(order.len());
    let mut outcomes = Vec::new();
    for path in paths {
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str::<Outcome>(&text).map_err(|e| e.to_string()));
        match parsed {
            Ok(outcome) => outcomes.push(outcome),
            Err(error) => eprintln!("skipping {}: {error}", path.display()),
        }
    }
    // Scenario order, then by size (`idle-10000` before `idle-19500`).
    outcomes.sort_by(|a, b| {
        let size = |o: &Outcome| o.name.rsplit('-').next().and_then(|n| n.parse::<u64>().ok());
        (rank(a), size(a), &a.name).cmp(&(rank(b), size(b), &b.name))
    });
    Ok(outcomes)
}

/// The summary: for every run of `label`, each headline next to the same run of `floor`
/// (when there is one), with the ratio and whether the targets are met.
pub fn summary(outcomes: &[Outcome], label: &str, floor: &str) -> Table {
    let title = format!("Summary: {label} (ratio = {label} / {floor})");
    let headers = ["run", "figure", label, floor, "ratio", "target", "met"];
    let mut table = Table::new(title, &headers);
    for outcome in outcomes.iter().filter(|o| o.label == label) {
        let baseline = outcomes.iter().find(|o| o.label == floor && o.name == outcome.name);
        for headline in &outcome.headlines {
            let floor_value = baseline
                .and_then(|b| b.headlines.iter().find(|h| h.label == headline.label))
                .map(|h| h.value);
            table.row(summary_row(&outcome.name, headline, floor_value));
        }
    }
    table
}

fn summary_row(name: &str, headline: &Headline, floor: Option<f64>) -> Vec<String> {
    let ratio = floor.filter(|f| *f != 0.0).map(|f| headline.value / f);
    let mut targets = Vec::new();
    let mut met = Vec::new();
    if let Some(bound) = headline.target {
        targets.push(bound.text());
        met.push(bound.met(headline.value));
    }
    if let Some(limit) = headline.floor_ratio_target {
        targets.push(format!("≤ {limit}× floor"));
        if let Some(ratio) = ratio {
            met.push(ratio <= limit);
        }
    }
    let met = if met.is_empty() {
        String::new()
    } else if met.iter().all(|m| *m) {
        "yes".to_owned()
    } else {
        "NO".to_owned()
    };
    vec![
        name.to_owned(),
        headline.label.clone(),
        number(headline.value),
        floor.map(number).unwrap_or_default(),
        ratio.map(|r| format!("{r:.2}")).unwrap_or_default(),
        targets.join(", "),
        met,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_their_columns() {
        let mut table = Table::new("T", &["name", "value"]);
        table.row(vec!["a".into(), "1".into()]);
        table.row(vec!["longer".into(), "1,000".into()]);
        assert_eq!(
            table.render(),
            "T\nname    value\n-------------\na           1\nlonger  1,000\n"
        );
    }

    #[test]
    fn numbers_are_readable() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(number(4096.0), "4,096");
        assert_eq!(number(12.345), "12.35");
        assert_eq!(number(300_000.4), "300,000");
        assert_eq!(ms(12_345_678), "12.35");
        assert_eq!(us_as_ms(1_500), "1.50");
    }

    fn outcome(label: &str, value: f64) -> Outcome {
        Outcome {
            scenario: "fanout".into(),
            name: "fanout-5000".into(),
            label: label.into(),
            started_unix: 0,
            duration_secs: 1.0,
            params: BTreeMap::new(),
            headlines: vec![Headline {
                label: "last (ms)".into(),
                value,
                lower_is_better: true,
                target: Some(Bound::AtMost(40.0)),
                floor_ratio_target: Some(1.3),
            }],
            table: Table::default(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn the_summary_puts_each_figure_next_to_the_floor() {
        let outcomes = [outcome("paybell", 30.0), outcome("floor", 20.0)];
        let table = summary(&outcomes, "paybell", "floor");
        assert_eq!(table.rows.len(), 1);
        let row = &table.rows[0];
        assert_eq!(row[2..].to_vec(), ["30", "20", "1.50", "≤ 40, ≤ 1.3× floor", "NO"]);
        let outcomes = [outcome("paybell", 25.0), outcome("floor", 20.0)];
        assert_eq!(summary(&outcomes, "paybell", "floor").rows[0][6], "yes");
    }

    #[test]
    fn outcomes_round_trip_through_json_files() {
        let dir = std::env::temp_dir().join(format!("loadgen-report-{}", std::process::id()));
        let first = outcome("paybell", 1.0);
        first.write(&dir.join("a.json")).unwrap();
        std::fs::write(dir.join("broken.json"), "{").unwrap();
        let read = read_outcomes(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(read, vec![first]);
    }
}
