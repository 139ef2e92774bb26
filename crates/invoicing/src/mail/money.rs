//! Amounts written as the web app writes them (`Intl.NumberFormat('en', {style: 'currency'})`):
//! `€1,234.50`, `$5.00`, `¥1,250`, `CHF 12.00`.

use crate::domain::Currency;

/// `minor` units of `currency`, for people.
pub fn format(currency: Currency, minor: i64) -> String {
    let plain = currency.format(minor);
    // `Currency::format` gives `1234.50 EUR`: keep its digits, group them, move the code.
    let number = plain.split(' ').next().unwrap_or_default();
    let (sign, number) = number.strip_prefix('-').map_or(("", number), |n| ("-", n));
    let (whole, fraction) = number.split_once('.').map_or((number, None), |(w, f)| (w, Some(f)));
    let grouped = group(whole);
    let digits = match fraction {
        Some(fraction) => format!("{grouped}.{fraction}"),
        None => grouped,
    };
    match symbol(currency.code()) {
        Some(symbol) => format!("{sign}{symbol}{digits}"),
        None => format!("{sign}{}\u{a0}{digits}", currency.code()),
    }
}

fn symbol(code: &str) -> Option<&'static str> {
    Some(match code {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        "INR" => "₹",
        "CAD" => "CA$",
        "AUD" => "A$",
        "NZD" => "NZ$",
        "MXN" => "MX$",
        "BRL" => "R$",
        "CNY" => "CN¥",
        "KRW" => "₩",
        "ILS" => "₪",
        _ => return None,
    })
}

/// `1234567` → `1,234,567`.
fn group(whole: &str) -> String {
    let mut out = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(code: &str, minor: i64) -> String {
        format(Currency::parse(code).unwrap(), minor)
    }

    #[test]
    fn amounts_read_as_in_the_web_app() {
        assert_eq!(money("EUR", 123_450), "€1,234.50");
        assert_eq!(money("USD", 500), "$5.00");
        assert_eq!(money("JPY", 1250), "¥1,250");
        assert_eq!(money("CHF", 1200), "CHF\u{a0}12.00");
        assert_eq!(money("EUR", 100_000_000), "€1,000,000.00");
        assert_eq!(money("KWD", 1250), "KWD\u{a0}1.250");
    }
}
