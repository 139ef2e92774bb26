//! Free text from clients, shown to owners and payers: trimmed, bounded, and free of the
//! characters that change how other text is displayed.
//!
//! Refused everywhere: C0 and C1 control characters (DEL included), the bidirectional
//! embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069: a right-to-left override
//! in a customer name can make an invoice read differently on the payment page), and the
//! Unicode line and paragraph separators. Allowed: the directional marks U+200E, U+200F and
//! U+061C, which real right-to-left text needs and which reorder nothing beyond their
//! neighbours. Multi-line fields (notes) also allow line feed, carriage return and tab.

use super::ValidationError;

/// Whether `c` is never acceptable in text shown to people.
fn unsafe_char(c: char, multi_line: bool) -> bool {
    match c {
        '\n' | '\r' | '\t' => !multi_line,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}' => true,
        other => other.is_control(),
    }
}

fn check(field: &str, value: &str, max: usize, multi_line: bool) -> Result<(), ValidationError> {
    if let Some(bad) = value.chars().find(|&c| unsafe_char(c, multi_line)) {
        let what = if multi_line {
            "control or text-direction"
        } else {
            "line break, control or text-direction"
        };
        return Err(ValidationError::field(
            field,
            format!("must not contain {what} characters (found U+{:04X})", u32::from(bad)),
        ));
    }
    if value.chars().count() > max {
        return Err(ValidationError::field(field, format!("must be at most {max} characters")));
    }
    Ok(())
}

/// One line of text: trimmed, non-empty, at most `max` characters.
///
/// # Errors
/// [`ValidationError`] on `field`.
pub fn single_line(field: &str, value: &str, max: usize) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ValidationError::field(field, "must not be empty"));
    }
    check(field, trimmed, max, false)?;
    Ok(trimmed.to_owned())
}

/// Free text over several lines: trimmed, possibly empty, at most `max` characters.
///
/// # Errors
/// [`ValidationError`] on `field`.
pub fn multi_line(field: &str, value: &str, max: usize) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    check(field, trimmed, max, true)?;
    Ok(trimmed.to_owned())
}

/// One line of text that may be empty: trimmed, at most `max` characters.
///
/// # Errors
/// [`ValidationError`] on `field`.
pub fn optional_line(field: &str, value: &str, max: usize) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    check(field, trimmed, max, false)?;
    Ok(trimmed.to_owned())
}

/// Whether `value` contains a character no text field accepts (e.g. an e-mail address).
pub fn has_unsafe(value: &str) -> bool {
    value.chars().any(|c| unsafe_char(c, false))
}

/// `value` without the characters [`multi_line`] refuses: for rows stored before these
/// checks existed, so they stay readable and display safely.
pub fn strip_unsafe(value: &str) -> String {
    value.chars().filter(|&c| !unsafe_char(c, true)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_lines_refuse_controls_breaks_and_overrides() {
        assert_eq!(single_line("name", "  Ada  ", 10).unwrap(), "Ada");
        assert_eq!(single_line("name", "\u{200F}אבג", 10).unwrap(), "\u{200F}אבג");
        for bad in [
            "a\nb",
            "a\tb",
            "a\u{202E}b",
            "a\u{2066}b",
            "a\u{0}b",
            "a\u{7F}b",
            "a\u{85}b",
            "a\u{2028}b",
        ] {
            let error = single_line("name", bad, 10).unwrap_err();
            assert!(error.fields.contains_key("name"), "{bad:?}");
        }
        assert!(single_line("name", "   ", 10).is_err());
        assert!(single_line("name", "abcdef", 5).is_err());
        assert_eq!(optional_line("ref", "  ", 5).unwrap(), "");
        assert!(optional_line("ref", "a\nb", 5).is_err());
    }

    #[test]
    fn multi_lines_keep_breaks_and_tabs() {
        assert_eq!(multi_line("notes", "a\r\n\tb\n", 10).unwrap(), "a\r\n\tb");
        assert_eq!(multi_line("notes", "", 10).unwrap(), "");
        assert!(multi_line("notes", "a\u{202D}b", 10).is_err());
        assert!(multi_line("notes", "a\u{1B}[31mb", 10).is_err());
        assert_eq!(strip_unsafe("a\u{202E}b\nc\u{0}"), "ab\nc");
        assert!(has_unsafe("x\u{2069}@example.com") && !has_unsafe("x@example.com"));
    }
}
