//! Money: integer minor units with an ISO 4217 currency. Never floats.

use std::fmt;

use super::ValidationError;

/// Active ISO 4217 codes with their minor-unit exponent (digits after the decimal point).
#[rustfmt::skip]
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("ANG", 2), ("AOA", 2), ("ARS", 2),
    ("AUD", 2), ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BGN", 2),
    ("BHD", 3), ("BIF", 0), ("BMD", 2), ("BND", 2), ("BOB", 2), ("BRL", 2), ("BSD", 2),
    ("BTN", 2), ("BWP", 2), ("BYN", 2), ("BZD", 2), ("CAD", 2), ("CDF", 2), ("CHF", 2),
    ("CLP", 0), ("CNY", 2), ("COP", 2), ("CRC", 2), ("CUP", 2), ("CVE", 2), ("CZK", 2),
    ("DJF", 0), ("DKK", 2), ("DOP", 2), ("DZD", 2), ("EGP", 2), ("ERN", 2), ("ETB", 2),
    ("EUR", 2), ("FJD", 2), ("FKP", 2), ("GBP", 2), ("GEL", 2), ("GHS", 2), ("GIP", 2),
    ("GMD", 2), ("GNF", 0), ("GTQ", 2), ("GYD", 2), ("HKD", 2), ("HNL", 2), ("HTG", 2),
    ("HUF", 2), ("IDR", 2), ("ILS", 2), ("INR", 2), ("IQD", 3), ("IRR", 2), ("ISK", 0),
    ("JMD", 2), ("JOD", 3), ("JPY", 0), ("KES", 2), ("KGS", 2), ("KHR", 2), ("KMF", 0),
    ("KPW", 2), ("KRW", 0), ("KWD", 3), ("KYD", 2), ("KZT", 2), ("LAK", 2), ("LBP", 2),
    ("LKR", 2), ("LRD", 2), ("LSL", 2), ("LYD", 3), ("MAD", 2), ("MDL", 2), ("MGA", 2),
    ("MKD", 2), ("MMK", 2), ("MNT", 2), ("MOP", 2), ("MRU", 2), ("MUR", 2), ("MVR", 2),
    ("MWK", 2), ("MXN", 2), ("MYR", 2), ("MZN", 2), ("NAD", 2), ("NGN", 2), ("NIO", 2),
    ("NOK", 2), ("NPR", 2), ("NZD", 2), ("OMR", 3), ("PAB", 2), ("PEN", 2), ("PGK", 2),
    ("PHP", 2), ("PKR", 2), ("PLN", 2), ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2),
    ("RUB", 2), ("RWF", 0), ("SAR", 2), ("SBD", 2), ("SCR", 2), ("SDG", 2), ("SEK", 2),
    ("SGD", 2), ("SHP", 2), ("SLE", 2), ("SOS", 2), ("SRD", 2), ("SSP", 2), ("STN", 2),
    ("SVC", 2), ("SYP", 2), ("SZL", 2), ("THB", 2), ("TJS", 2), ("TMT", 2), ("TND", 3),
    ("TOP", 2), ("TRY", 2), ("TTD", 2), ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0),
    ("USD", 2), ("UYU", 2), ("UZS", 2), ("VES", 2), ("VND", 0), ("VUV", 0), ("WST", 2),
    ("XAF", 0), ("XCD", 2), ("XOF", 0), ("XPF", 0), ("YER", 2), ("ZAR", 2), ("ZMW", 2),
    ("ZWL", 2),
];

/// An ISO 4217 currency, e.g. `EUR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

impl Currency {
    /// Parses an upper-case ISO 4217 code.
    ///
    /// # Errors
    /// [`ValidationError`] on `currency` for anything that is not an active ISO 4217 code.
    pub fn parse(code: &str) -> Result<Self, ValidationError> {
        CURRENCIES
            .iter()
            .find(|(known, _)| *known == code)
            .map(|&(code, exponent)| Self { code, exponent })
            .ok_or_else(|| {
                ValidationError::field("currency", format!("{code:?} is not an ISO 4217 currency"))
            })
    }

    /// The three-letter code.
    pub fn code(self) -> &'static str {
        self.code
    }

    /// Formats `minor` units for people, e.g. `12.50 EUR`.
    pub fn format(self, minor: i64) -> String {
        let scale = 10_i64.pow(u32::from(self.exponent));
        let (whole, fraction) = (minor / scale, (minor % scale).abs());
        let sign = if minor < 0 && whole == 0 { "-" } else { "" };
        match self.exponent {
            0 => format!("{whole} {}", self.code),
            digits => format!(
                "{sign}{whole}.{fraction:0width$} {}",
                self.code,
                width = usize::from(digits)
            ),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// The largest amount, in minor units: 2^53 − 1, the largest integer a JSON number read by a
/// browser (an IEEE double) holds exactly. Every amount and total stays at or below it.
pub const MAX_MINOR: i64 = (1 << 53) - 1;

/// A positive amount in minor units, at most [`MAX_MINOR`] (a unit price, a payment, a line's
/// amount, a total).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(i64);

impl Amount {
    /// Accepts values from 1 to [`MAX_MINOR`].
    ///
    /// # Errors
    /// [`ValidationError`] on `field` for zero, negative or too large values.
    pub fn parse(field: &str, minor: i64) -> Result<Self, ValidationError> {
        if minor <= 0 {
            Err(ValidationError::field(field, "must be greater than zero"))
        } else if minor > MAX_MINOR {
            Err(ValidationError::field(field, format!("must be at most {MAX_MINOR} minor units")))
        } else {
            Ok(Self(minor))
        }
    }

    /// The value in minor units.
    pub fn minor(self) -> i64 {
        self.0
    }
}

/// Sums amounts, refusing a total above [`MAX_MINOR`] (and so never overflowing `i64`).
///
/// # Errors
/// [`ValidationError`] on `field` when the sum does not fit.
pub fn checked_sum(
    field: &str,
    amounts: impl IntoIterator<Item = Amount>,
) -> Result<Amount, ValidationError> {
    let mut total: i64 = 0;
    for amount in amounts {
        total = total
            .checked_add(amount.0)
            .ok_or_else(|| ValidationError::field(field, "the total is too large"))?;
    }
    Amount::parse(field, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_iso_codes() {
        assert_eq!(Currency::parse("EUR").unwrap().code(), "EUR");
        for bad in ["eur", "XXX", "", "EURO", "ABC"] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formatting_uses_the_exponent() {
        assert_eq!(Currency::parse("EUR").unwrap().format(1250), "12.50 EUR");
        assert_eq!(Currency::parse("EUR").unwrap().format(5), "0.05 EUR");
        assert_eq!(Currency::parse("JPY").unwrap().format(1250), "1250 JPY");
        assert_eq!(Currency::parse("KWD").unwrap().format(1250), "1.250 KWD");
    }

    #[test]
    fn amounts_are_positive_and_sums_do_not_overflow() {
        assert!(Amount::parse("amount", 0).is_err());
        assert!(Amount::parse("amount", -1).is_err());
        let big = Amount::parse("a", MAX_MINOR).unwrap();
        let one = Amount::parse("a", 1).unwrap();
        assert!(checked_sum("total", [big, one]).is_err());
        assert!(Amount::parse("a", MAX_MINOR + 1).is_err());
        let half = Amount::parse("a", MAX_MINOR / 2 + 1).unwrap();
        assert!(checked_sum("total", [half, half]).is_err());
        assert_eq!(checked_sum("total", [one, one]).unwrap().minor(), 2);
    }
}
