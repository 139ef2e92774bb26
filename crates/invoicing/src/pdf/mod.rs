//! Invoice and receipt PDFs, drawn in Rust (krilla) without a browser.
//!
//! Layout, bottom up:
//! - [`Document`]: what a PDF shows, plain values with no database types; [`mapping`] is the
//!   one place an [`Invoice`](crate::domain::Invoice) becomes one.
//! - `fonts`: the embedded DejaVu Sans (regular, bold), glyph lookup and text widths.
//! - `layout`: a page flow of positioned text, rules and images; new pages on overflow.
//! - `invoice`, `receipt`: what goes where. `paint`: the flow onto krilla's pages.

mod fonts;
mod invoice;
mod layout;
pub mod mapping;
mod paint;
mod receipt;
#[cfg(test)]
mod tests;

use crate::domain::Currency;

/// Paper size; A4 unless asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Paper {
    /// 210 × 297 mm.
    #[default]
    A4,
    /// 8.5 × 11 in.
    Letter,
}

impl Paper {
    /// `a4` or `letter`.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "a4" => Some(Self::A4),
            "letter" => Some(Self::Letter),
            _ => None,
        }
    }

    /// Width and height in points.
    fn size(self) -> (f32, f32) {
        match self {
            Self::A4 => (595.28, 841.89),
            Self::Letter => (612.0, 792.0),
        }
    }
}

/// The kinds of logo image the PDF draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
}

/// A logo: the image file's bytes and its kind.
#[derive(Debug, Clone)]
pub struct Logo {
    /// The file as uploaded.
    pub bytes: Vec<u8>,
    /// PNG or JPEG.
    pub kind: ImageKind,
}

/// Who issues the invoice.
#[derive(Debug, Clone, Default)]
pub struct Seller {
    /// Legal or business name.
    pub name: String,
    /// Address, one line each.
    pub address: Vec<String>,
    /// VAT or other tax id.
    pub tax_id: Option<String>,
    /// Contact e-mail.
    pub email: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// Drawn top left.
    pub logo: Option<Logo>,
}

/// Who is billed.
#[derive(Debug, Clone, Default)]
pub struct Customer {
    /// Name.
    pub name: String,
    /// E-mail, when the reader may see it.
    pub email: Option<String>,
    /// Billing address, one line each.
    pub address: Vec<String>,
    /// Tax id.
    pub tax_id: Option<String>,
}

/// One line of the invoice.
#[derive(Debug, Clone)]
pub struct Line {
    /// What was sold.
    pub description: String,
    /// How many.
    pub quantity: i64,
    /// Price of one, minor units.
    pub unit_price: i64,
    /// Tax rate in basis points (2000 = 20 %), when the line is taxed.
    pub tax_rate: Option<u32>,
    /// The line's amount before tax, minor units.
    pub amount: i64,
}

/// Tax at one rate.
#[derive(Debug, Clone, Copy)]
pub struct TaxTotal {
    /// Basis points.
    pub rate: u32,
    /// Minor units.
    pub amount: i64,
}

/// The totals block; every amount in minor units.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// Sum of the lines.
    pub subtotal: i64,
    /// Invoice discount, when there is one.
    pub discount: Option<i64>,
    /// Tax per rate.
    pub taxes: Vec<TaxTotal>,
    /// What is owed in all.
    pub total: i64,
    /// Received so far.
    pub amount_paid: i64,
    /// Still owed.
    pub balance_due: i64,
}

/// What an invoice PDF shows.
#[derive(Debug, Clone)]
pub struct Document {
    /// The issuer.
    pub seller: Seller,
    /// The billed party.
    pub customer: Customer,
    /// `#7` or `INV-2026-0007`.
    pub display_number: String,
    /// `YYYY-MM-DD`.
    pub issue_date: String,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    /// PO or other reference.
    pub reference: Option<String>,
    /// Of every amount.
    pub currency: Currency,
    /// At least one, in order.
    pub lines: Vec<Line>,
    /// Subtotal to balance due.
    pub totals: Totals,
    /// The payment page's address.
    pub pay_url: Option<String>,
    /// Bank details and the like.
    pub payment_instructions: Option<String>,
    /// The owner's notes to the customer.
    pub notes: Option<String>,
    /// Shown large beside the title: `DRAFT`, `VOID`, `PAID`.
    pub stamp: Option<String>,
}

/// One payment, for its receipt.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// Minor units received.
    pub amount: i64,
    /// Minor units refunded since.
    pub refunded: i64,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `card`, `bank_transfer`…
    pub method: String,
    /// The payer's or bank's reference.
    pub reference: Option<String>,
    /// The payment's id, printed as the receipt number.
    pub id: String,
}

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// An embedded font did not load (a build problem).
    #[error("the embedded font did not load")]
    Font,
    /// The logo is not a readable PNG or JPEG.
    #[error("the logo is not a readable {0:?} image")]
    Logo(ImageKind),
    /// krilla refused to write the document.
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

/// The invoice as PDF bytes.
///
/// # Errors
/// [`PdfError`]; a logo that does not decode is left out rather than failing.
pub fn render_invoice(document: &Document, paper: Paper) -> Result<Vec<u8>, PdfError> {
    let fonts = fonts::Fonts::get()?;
    let flow = invoice::layout(document, fonts, paper);
    paint::paint(&flow, fonts, paper, &format!("Invoice {}", document.display_number))
}

/// A receipt for one payment of the invoice, as PDF bytes.
///
/// # Errors
/// [`PdfError`].
pub fn render_receipt(
    document: &Document,
    receipt: &Receipt,
    paper: Paper,
) -> Result<Vec<u8>, PdfError> {
    let fonts = fonts::Fonts::get()?;
    let flow = receipt::layout(document, receipt, fonts, paper);
    paint::paint(&flow, fonts, paper, &format!("Receipt for invoice {}", document.display_number))
}

/// `2000` → `20%`, `550` → `5.5%`, `1234` → `12.34%`.
fn percent(basis_points: u32) -> String {
    let (whole, fraction) = (basis_points / 100, basis_points % 100);
    match fraction {
        0 => format!("{whole}%"),
        f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
        f => format!("{whole}.{f:02}%"),
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn percentages_drop_trailing_zeros() {
        assert_eq!(percent(2000), "20%");
        assert_eq!(percent(550), "5.5%");
        assert_eq!(percent(1234), "12.34%");
        assert_eq!(percent(5), "0.05%");
    }

    #[test]
    fn paper_names() {
        assert_eq!(Paper::parse("Letter"), Some(Paper::Letter));
        assert_eq!(Paper::parse("a4"), Some(Paper::A4));
        assert_eq!(Paper::parse("a5"), None);
    }
}
