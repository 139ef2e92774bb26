//! The invoice's layout: seller and title, customer, the lines table (its header repeated on
//! every page it reaches), the totals (kept together, after the last line), then how to pay.

use krilla::Data;
use krilla::image::Image;

use super::fonts::{Fonts, Weight};
use super::layout::{Flow, INK, MUTED, RULE, SHADE, STAMP};
use super::{Document, ImageKind, Logo, Paper, percent};
use crate::mail::money;

/// Body text size.
const BODY: f32 = 9.5;
/// Largest logo box, points.
const LOGO_BOX: (f32, f32) = (150.0, 60.0);
/// Width of the totals block.
const TOTALS_WIDTH: f32 = 230.0;

pub(super) fn layout(document: &Document, fonts: &'static Fonts, paper: Paper) -> Flow {
    let mut flow = Flow::new(paper, fonts);
    header(&mut flow, document, "INVOICE", "BILL TO");
    lines(&mut flow, document);
    totals(&mut flow, document);
    payment(&mut flow, document);
    flow.footers(&format!("Invoice {} · {}", document.display_number, document.seller.name));
    flow
}

/// Decodes the logo; one that does not decode is left out.
fn logo_image(logo: &Logo) -> Option<Image> {
    let data = Data::from(logo.bytes.clone());
    let image = match logo.kind {
        ImageKind::Png => Image::from_png(data, true),
        ImageKind::Jpeg => Image::from_jpeg(data, true),
    };
    match image {
        Ok(image) => Some(image),
        Err(error) => {
            tracing::warn!(%error, "the logo did not decode; the PDF is made without it");
            None
        }
    }
}

/// Logo, seller, title with the invoice's facts, then the customer. Shared with receipts.
pub(super) fn header(flow: &mut Flow, document: &Document, title: &str, customer_label: &str) {
    let (left, right) = (flow.left(), flow.right());
    let column = (right - left) / 2.0 - 12.0;
    let top = flow.y;

    // Left: logo and seller.
    let seller = &document.seller;
    if let Some(image) = seller.logo.as_ref().and_then(logo_image) {
        let (w, h) = image.size();
        let (w, h) = (w.max(1) as f32, h.max(1) as f32);
        let scale = (LOGO_BOX.0 / w).min(LOGO_BOX.1 / h);
        flow.image(image, left, flow.y, w * scale, h * scale);
        flow.y += h.mul_add(scale, 10.0);
    }
    flow.paragraph(left, column, &seller.name, 13.0, Weight::Bold);
    let mut details: Vec<String> = seller.address.clone();
    details.extend(seller.tax_id.iter().map(|id| format!("Tax ID: {id}")));
    details.extend(seller.email.iter().cloned());
    details.extend(seller.phone.iter().cloned());
    for line in &details {
        flow.paragraph(left, column, line, BODY, Weight::Regular);
    }
    let left_bottom = flow.y;

    // Right: title, stamp, facts.
    flow.y = top;
    flow.text_right(right, flow.y + 22.0, title, 22.0, Weight::Bold, INK);
    flow.y += 30.0;
    if let Some(stamp) = &document.stamp {
        flow.text_right(right, flow.y + 14.0, stamp, 14.0, Weight::Bold, STAMP);
        flow.y += 20.0;
    }
    let mut facts = vec![
        ("Invoice number", document.display_number.clone()),
        ("Issue date", document.issue_date.clone()),
        ("Due date", document.due_date.clone()),
    ];
    facts.extend(document.reference.iter().map(|r| ("Reference", r.clone())));
    for (label, value) in facts {
        let value = flow.fonts.truncate(&value, Weight::Bold, BODY, column - 90.0);
        flow.text(right - column + 20.0, flow.y + BODY, label, BODY, Weight::Regular, MUTED);
        flow.text_right(right, flow.y + BODY, &value, BODY, Weight::Bold, INK);
        flow.y += BODY * 1.5;
    }
    flow.y = flow.y.max(left_bottom) + 18.0;

    // The customer.
    let customer = &document.customer;
    flow.text(left, flow.y + 8.0, customer_label, 8.0, Weight::Bold, MUTED);
    flow.y += 13.0;
    flow.paragraph(left, column, &customer.name, 11.0, Weight::Bold);
    let mut details: Vec<String> = customer.email.iter().cloned().collect();
    details.extend(customer.address.iter().cloned());
    details.extend(customer.tax_id.iter().map(|id| format!("Tax ID: {id}")));
    for line in &details {
        flow.paragraph(left, column, line, BODY, Weight::Regular);
    }
    flow.y += 16.0;
}

/// Where the table's columns end (right edges) and whether there is a tax column.
struct Columns {
    description: f32,
    quantity: f32,
    unit_price: f32,
    tax: Option<f32>,
    amount: f32,
}

impl Columns {
    fn new(flow: &Flow, document: &Document) -> Self {
        let right = flow.right();
        let taxed = document.lines.iter().any(|line| line.tax_rate.is_some());
        let tax = taxed.then_some(right - 90.0);
        let unit_price = tax.unwrap_or(right - 90.0) - if taxed { 55.0 } else { 0.0 };
        let quantity = unit_price - 95.0;
        Self { description: quantity - 60.0, quantity, unit_price, tax, amount: right }
    }
}

const ROW_LEADING: f32 = BODY * 1.35;
const ROW_PAD: f32 = 5.0;

fn table_header(flow: &mut Flow, columns: &Columns) {
    let (left, right) = (flow.left(), flow.right());
    flow.rect(left, flow.y, right - left, 18.0, SHADE);
    let y = flow.y + 12.5;
    flow.text(left + 4.0, y, "Description", 8.5, Weight::Bold, MUTED);
    flow.text_right(columns.quantity, y, "Qty", 8.5, Weight::Bold, MUTED);
    flow.text_right(columns.unit_price, y, "Unit price", 8.5, Weight::Bold, MUTED);
    if let Some(tax) = columns.tax {
        flow.text_right(tax, y, "Tax", 8.5, Weight::Bold, MUTED);
    }
    flow.text_right(columns.amount - 4.0, y, "Amount", 8.5, Weight::Bold, MUTED);
    flow.y += 22.0;
}

fn lines(flow: &mut Flow, document: &Document) {
    let columns = Columns::new(flow, document);
    let left = flow.left();
    let width = columns.description - left - 4.0;
    table_header(flow, &columns);
    for line in &document.lines {
        let wrapped = flow.fonts.wrap(&line.description, Weight::Regular, BODY, width);
        let height = (wrapped.len() as f32).mul_add(ROW_LEADING, 2.0 * ROW_PAD);
        if !flow.fits(height) {
            flow.new_page();
            let more = format!("Invoice {} (continued)", document.display_number);
            flow.text(left, flow.y + BODY, &more, BODY, Weight::Regular, MUTED);
            flow.y += 18.0;
            table_header(flow, &columns);
        }
        let y = flow.y + ROW_PAD + BODY;
        for (i, text) in wrapped.iter().enumerate() {
            flow.text(
                left + 4.0,
                (i as f32).mul_add(ROW_LEADING, y),
                text,
                BODY,
                Weight::Regular,
                INK,
            );
        }
        let amount = |minor| money::format(document.currency, minor);
        flow.text_right(
            columns.quantity,
            y,
            &line.quantity.to_string(),
            BODY,
            Weight::Regular,
            INK,
        );
        flow.text_right(
            columns.unit_price,
            y,
            &amount(line.unit_price),
            BODY,
            Weight::Regular,
            INK,
        );
        if let (Some(tax), Some(rate)) = (columns.tax, line.tax_rate) {
            flow.text_right(tax, y, &percent(rate), BODY, Weight::Regular, INK);
        }
        flow.text_right(columns.amount - 4.0, y, &amount(line.amount), BODY, Weight::Regular, INK);
        flow.y += height;
        flow.rect(left, flow.y - 0.5, flow.right() - left, 0.5, RULE);
    }
    flow.y += 10.0;
}

/// The totals rows, kept together on one page (a new one if they do not fit).
fn totals(flow: &mut Flow, document: &Document) {
    let t = &document.totals;
    let amount = |minor| money::format(document.currency, minor);
    let mut rows: Vec<(String, String, bool)> =
        vec![("Subtotal".into(), amount(t.subtotal), false)];
    if let Some(discount) = t.discount {
        rows.push(("Discount".into(), amount(-discount), false));
    }
    for tax in &t.taxes {
        rows.push((format!("Tax {}", percent(tax.rate)), amount(tax.amount), false));
    }
    rows.push(("Total".into(), amount(t.total), true));
    if t.amount_paid != 0 {
        rows.push(("Amount paid".into(), amount(-t.amount_paid), false));
    }
    rows.push(("Balance due".into(), amount(t.balance_due), true));
    let height = (rows.len() as f32).mul_add(17.0, 8.0);
    if !flow.fits(height) {
        flow.new_page();
    }
    let right = flow.right() - 4.0;
    let left = right - TOTALS_WIDTH;
    for (label, value, strong) in rows {
        let (size, weight) = if strong { (11.0, Weight::Bold) } else { (BODY, Weight::Regular) };
        if strong {
            flow.rect(left, flow.y, TOTALS_WIDTH + 4.0, 0.75, RULE);
        }
        let y = flow.y + 13.0;
        flow.text(left, y, &label, size, weight, if strong { INK } else { MUTED });
        flow.text_right(right, y, &value, size, weight, INK);
        flow.y += 17.0;
    }
    flow.y += 16.0;
}

/// How to pay: the payment link, the instructions, the notes.
pub(super) fn payment(flow: &mut Flow, document: &Document) {
    let (left, width) = (flow.left(), flow.right() - flow.left());
    let section = |flow: &mut Flow, title: &str, text: &str| {
        if !flow.fits(40.0) {
            flow.new_page();
        }
        flow.text(left, flow.y + 8.0, title, 8.0, Weight::Bold, MUTED);
        flow.y += 13.0;
        flow.paragraph(left, width, text, BODY, Weight::Regular);
        flow.y += 10.0;
    };
    if let Some(url) = &document.pay_url {
        section(flow, "PAY ONLINE", url);
    }
    if let Some(instructions) = document.payment_instructions.as_deref().filter(|t| !t.is_empty()) {
        section(flow, "PAYMENT INSTRUCTIONS", instructions);
    }
    if let Some(notes) = document.notes.as_deref().filter(|t| !t.trim().is_empty()) {
        section(flow, "NOTES", notes);
    }
}
