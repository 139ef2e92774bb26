//! Invoice arithmetic in integer minor units: subtotal, discount, tax per rate, total. Pure,
//! so the web views, e-mails and the PDF all show the same figures.
//!
//! The one rounding rule:
//! 1. A line's amount is `quantity × unit price`, exact.
//! 2. The subtotal is the sum of the lines.
//! 3. A percent discount is `subtotal × percent`, rounded half up to a minor unit; an amount
//!    discount is taken as given (at most the subtotal).
//! 4. The discount is spread over the lines in proportion to their amounts, each share rounded
//!    down, and the minor units left over go one each to the lines with the largest remainders
//!    (the earlier line on a tie), so the shares add up to the discount exactly.
//! 5. Tax is exclusive and computed **per rate total**: for each rate, the discounted amounts
//!    of its lines are summed, then multiplied by the rate and rounded half up once.
//! 6. The total is `subtotal − discount + Σ taxes`.
//!
//! Rates and percentages are basis points (`2000` = 20 %). All products are taken in `i128`,
//! so no input within the limits overflows; the results are checked against
//! [`MAX_MINOR`](super::money::MAX_MINOR). The database only stores the results, so SQLite and
//! PostgreSQL cannot disagree.

use std::collections::BTreeMap;

use super::ValidationError;
use super::money::MAX_MINOR;

/// 100 % in basis points: the largest tax rate and discount percentage.
pub const MAX_BASIS_POINTS: u32 = 10_000;

/// An invoice-level discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Discount {
    /// No discount.
    #[default]
    None,
    /// A percentage of the subtotal, in basis points (`1000` = 10 %).
    Percent(u32),
    /// A fixed amount in minor units, at most the subtotal.
    Amount(i64),
}

impl Discount {
    /// A percent discount, checked to be within 0..=100 %.
    ///
    /// # Errors
    /// [`ValidationError`] on `discount.percent`.
    pub fn percent(basis_points: i64) -> Result<Self, ValidationError> {
        match u32::try_from(basis_points) {
            Ok(bp) if bp <= MAX_BASIS_POINTS => Ok(Self::Percent(bp)),
            _ => Err(ValidationError::field(
                "discount.percent",
                format!("must be between 0 and {MAX_BASIS_POINTS} basis points"),
            )),
        }
    }

    /// An amount discount, checked to be within 0..=[`MAX_MINOR`].
    ///
    /// # Errors
    /// [`ValidationError`] on `discount.amount`.
    pub fn amount(minor: i64) -> Result<Self, ValidationError> {
        if (0..=MAX_MINOR).contains(&minor) {
            Ok(Self::Amount(minor))
        } else {
            Err(ValidationError::field(
                "discount.amount",
                format!("must be between 0 and {MAX_MINOR} minor units"),
            ))
        }
    }
}

/// A tax rate in basis points, checked to be within 0..=100 %.
///
/// # Errors
/// [`ValidationError`] on `field`.
pub fn tax_rate(field: &str, basis_points: i64) -> Result<u32, ValidationError> {
    match u32::try_from(basis_points) {
        Ok(bp) if bp <= MAX_BASIS_POINTS => Ok(bp),
        _ => Err(ValidationError::field(
            field,
            format!("must be between 0 and {MAX_BASIS_POINTS} basis points"),
        )),
    }
}

/// One line as the arithmetic sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTotals {
    /// `quantity × unit price`, before discount and tax.
    pub amount: i64,
    /// This line's share of the invoice discount.
    pub discount: i64,
    /// The line's tax rate in basis points.
    pub tax_rate: u32,
}

/// The figures of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// Sum of the line amounts.
    pub subtotal: i64,
    /// The discount taken off the subtotal.
    pub discount_amount: i64,
    /// `(rate in basis points, tax)`, by ascending rate; rates of 0 are left out.
    pub taxes: Vec<(u32, i64)>,
    /// What the customer pays: `subtotal − discount + Σ taxes`.
    pub total: i64,
    /// Per line, in the invoice's order.
    pub lines: Vec<LineTotals>,
}

/// `value × basis_points / 10 000`, rounded half up (`value` is never negative here).
fn apply_basis_points(value: i128, basis_points: u32) -> i128 {
    (value * i128::from(basis_points) + 5_000) / 10_000
}

fn too_large(field: &str) -> ValidationError {
    ValidationError::field(field, format!("the amount is over {MAX_MINOR} minor units"))
}

/// The figures of lines `(amount, tax rate)` with `discount`, by the rule in the module docs.
///
/// # Errors
/// [`ValidationError`] on `discount.amount` for a discount above the subtotal, on `total` when
/// nothing is left to pay or a figure is above [`MAX_MINOR`].
pub fn compute(lines: &[(i64, u32)], discount: Discount) -> Result<Totals, ValidationError> {
    let subtotal: i128 = lines.iter().map(|&(amount, _)| i128::from(amount)).sum();
    if subtotal > i128::from(MAX_MINOR) {
        return Err(too_large("total"));
    }
    let discount_amount = match discount {
        Discount::None => 0,
        Discount::Percent(bp) => apply_basis_points(subtotal, bp),
        Discount::Amount(minor) if i128::from(minor) > subtotal => {
            return Err(ValidationError::field(
                "discount.amount",
                "must not be more than the subtotal",
            ));
        }
        Discount::Amount(minor) => i128::from(minor),
    };
    let shares = spread(lines, subtotal, discount_amount);
    let mut bases: BTreeMap<u32, i128> = BTreeMap::new();
    for (&(amount, rate), share) in lines.iter().zip(&shares) {
        *bases.entry(rate).or_default() += i128::from(amount) - share;
    }
    let taxes: Vec<(u32, i128)> = bases
        .into_iter()
        .filter(|&(rate, _)| rate > 0)
        .map(|(rate, base)| (rate, apply_basis_points(base, rate)))
        .collect();
    let total = subtotal - discount_amount + taxes.iter().map(|&(_, tax)| tax).sum::<i128>();
    if total <= 0 {
        return Err(ValidationError::field("total", "the discount leaves nothing to pay"));
    }
    let fit = |value: i128| i64::try_from(value).ok().filter(|v| *v <= MAX_MINOR);
    let total = fit(total).ok_or_else(|| too_large("total"))?;
    Ok(Totals {
        subtotal: fit(subtotal).ok_or_else(|| too_large("total"))?,
        discount_amount: fit(discount_amount).ok_or_else(|| too_large("total"))?,
        taxes: taxes
            .into_iter()
            .map(|(rate, tax)| fit(tax).map(|tax| (rate, tax)).ok_or_else(|| too_large("total")))
            .collect::<Result<_, _>>()?,
        total,
        lines: lines
            .iter()
            .zip(shares)
            .map(|(&(amount, tax_rate), share)| LineTotals {
                amount,
                // A share is at most its line's amount, an i64.
                discount: i64::try_from(share).unwrap_or(amount),
                tax_rate,
            })
            .collect(),
    })
}

/// Each line's share of `discount` (step 4 of the rule): proportional, rounded down, the rest
/// one unit at a time to the largest remainders.
fn spread(lines: &[(i64, u32)], subtotal: i128, discount: i128) -> Vec<i128> {
    if discount == 0 || subtotal == 0 {
        return vec![0; lines.len()];
    }
    let mut shares = Vec::with_capacity(lines.len());
    let mut remainders = Vec::with_capacity(lines.len());
    for (i, &(amount, _)) in lines.iter().enumerate() {
        let product = discount * i128::from(amount);
        shares.push(product / subtotal);
        remainders.push((product % subtotal, i));
    }
    let left = discount - shares.iter().sum::<i128>();
    // Largest remainder first; the earlier line on a tie.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(usize::try_from(left).unwrap_or(0)) {
        shares[i] += 1;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taxes(totals: &Totals) -> Vec<(u32, i64)> {
        totals.taxes.clone()
    }

    #[test]
    fn no_tax_no_discount_is_the_plain_sum() {
        let t = compute(&[(3000, 0), (2000, 0)], Discount::None).unwrap();
        assert_eq!((t.subtotal, t.discount_amount, t.total), (5000, 0, 5000));
        assert!(t.taxes.is_empty());
    }

    #[test]
    fn tax_is_rounded_once_per_rate_total() {
        // Three lines of 0.05 at 10 %: per line 0.005 each would round to 0.01 × 3 = 0.03;
        // per rate total 0.15 × 10 % = 0.015 → 0.02.
        let t = compute(&[(5, 1000), (5, 1000), (5, 1000)], Discount::None).unwrap();
        assert_eq!(taxes(&t), vec![(1000, 2)]);
        assert_eq!(t.total, 17);
        // Half up: 0.25 × 10 % = 0.025 → 0.03; 0.24 → 0.024 → 0.02.
        assert_eq!(compute(&[(25, 1000)], Discount::None).unwrap().taxes, vec![(1000, 3)]);
        assert_eq!(compute(&[(24, 1000)], Discount::None).unwrap().taxes, vec![(1000, 2)]);
    }

    #[test]
    fn two_rates_and_a_percent_discount() {
        // 100.00 at 20 % and 50.00 at 5.5 %, 10 % off: discount 15.00 split 10.00 / 5.00.
        let t = compute(&[(10_000, 2000), (5000, 550)], Discount::Percent(1000)).unwrap();
        assert_eq!((t.subtotal, t.discount_amount), (15_000, 1500));
        assert_eq!(t.lines.iter().map(|l| l.discount).collect::<Vec<_>>(), vec![1000, 500]);
        // 90.00 × 20 % = 18.00; 45.00 × 5.5 % = 2.475 → 2.48.
        assert_eq!(taxes(&t), vec![(550, 248), (2000, 1800)]);
        assert_eq!(t.total, 15_000 - 1500 + 1800 + 248);
    }

    #[test]
    fn a_third_is_spread_without_losing_a_unit() {
        // 33.33 % of 1.00 = 0.3333 → 0.33, over three lines of 0.33, 0.33, 0.34.
        let t = compute(&[(33, 0), (33, 0), (34, 0)], Discount::Percent(3333)).unwrap();
        assert_eq!(t.discount_amount, 33);
        let shares: Vec<i64> = t.lines.iter().map(|l| l.discount).collect();
        assert_eq!(shares.iter().sum::<i64>(), 33);
        assert_eq!(shares, vec![11, 11, 11]);
        // A fixed 1.00 off three equal lines: 0.34 + 0.33 + 0.33, the first gets the extra.
        let t = compute(&[(100, 0), (100, 0), (100, 0)], Discount::Amount(100)).unwrap();
        assert_eq!(t.lines.iter().map(|l| l.discount).collect::<Vec<_>>(), vec![34, 33, 33]);
        assert_eq!(t.total, 200);
    }

    #[test]
    fn zero_decimal_and_three_decimal_currencies_use_the_same_units() {
        // JPY: ¥1,000 × 3 at 10 %, ¥333 off: base 2667 → tax 266.7 → 267.
        let t = compute(&[(1000, 1000), (1000, 1000), (1000, 1000)], Discount::Amount(333));
        let t = t.unwrap();
        assert_eq!((t.discount_amount, taxes(&t), t.total), (333, vec![(1000, 267)], 2934));
        // KWD (3 decimals): 1.235 at 15 % = 0.18525 → 0.185; 1.237 → 0.18555 → 0.186.
        assert_eq!(compute(&[(1235, 1500)], Discount::None).unwrap().taxes, vec![(1500, 185)]);
        assert_eq!(compute(&[(1237, 1500)], Discount::None).unwrap().taxes, vec![(1500, 186)]);
    }

    #[test]
    fn many_lines_keep_the_sums_exact() {
        let lines: Vec<(i64, u32)> =
            (1..=100).map(|i| (i * 7 + 1, if i % 3 == 0 { 2000 } else { 700 })).collect();
        let t = compute(&lines, Discount::Percent(1250)).unwrap();
        let shares: i64 = t.lines.iter().map(|l| l.discount).sum();
        assert_eq!(shares, t.discount_amount);
        let subtotal: i64 = lines.iter().map(|l| l.0).sum();
        assert_eq!(t.subtotal, subtotal);
        assert_eq!(t.discount_amount, (subtotal * 1250 + 5000) / 10_000);
        let tax: i64 = t.taxes.iter().map(|t| t.1).sum();
        assert_eq!(t.total, subtotal - t.discount_amount + tax);
        for line in &t.lines {
            assert!(line.discount <= line.amount);
        }
    }

    #[test]
    fn refusals() {
        assert!(compute(&[(100, 0)], Discount::Amount(101)).is_err());
        assert!(compute(&[(100, 0)], Discount::Percent(10_000)).is_err(), "nothing to pay");
        assert_eq!(compute(&[(100, 2000)], Discount::Percent(10_000)).map(|t| t.total).ok(), None);
        assert!(compute(&[(MAX_MINOR, 2000)], Discount::None).is_err(), "tax over the limit");
        assert!(compute(&[(MAX_MINOR, 0), (1, 0)], Discount::None).is_err());
        assert!(Discount::percent(10_001).is_err() && Discount::percent(-1).is_err());
        assert!(Discount::amount(-1).is_err());
        assert!(tax_rate("r", 10_001).is_err() && tax_rate("r", -5).is_err());
        assert_eq!(tax_rate("r", 2000).unwrap(), 2000);
    }
}
