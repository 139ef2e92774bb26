//! A receipt for one payment: the invoice's header, the payment, where the invoice stands.

use super::fonts::{Fonts, Weight};
use super::invoice::header;
use super::layout::{Flow, INK, MUTED, RULE};
use super::{Document, Paper, Receipt};
use crate::mail::money;

const BODY: f32 = 9.5;

pub(super) fn layout(
    document: &Document,
    receipt: &Receipt,
    fonts: &'static Fonts,
    paper: Paper,
) -> Flow {
    let mut flow = Flow::new(paper, fonts);
    header(&mut flow, document, "RECEIPT", "RECEIVED FROM");
    let amount = |minor| money::format(document.currency, minor);
    let (left, right) = (flow.left(), flow.right());

    flow.text(left, flow.y + 8.0, "PAYMENT RECEIVED", 8.0, Weight::Bold, MUTED);
    flow.y += 36.0;
    flow.text(left, flow.y, &amount(receipt.amount), 24.0, Weight::Bold, INK);
    flow.y += 16.0;

    let method = receipt.method.replace('_', " ");
    let mut rows = vec![
        ("Receipt number", receipt.id.clone()),
        ("Payment date", receipt.date.clone()),
        ("Payment method", method),
    ];
    rows.extend(receipt.reference.iter().map(|r| ("Payment reference", r.clone())));
    if receipt.refunded > 0 {
        rows.push(("Refunded", amount(receipt.refunded)));
    }
    let t = &document.totals;
    rows.push(("Invoice total", amount(t.total)));
    rows.push(("Paid to date", amount(t.amount_paid)));
    rows.push(("Balance due", amount(t.balance_due)));
    for (label, value) in rows {
        flow.rect(left, flow.y, right - left, 0.5, RULE);
        let y = flow.y + 14.0;
        flow.text(left, y, label, BODY, Weight::Regular, MUTED);
        let value = fonts.truncate(&value, Weight::Bold, BODY, right - left - 130.0);
        flow.text_right(right, y, &value, BODY, Weight::Bold, INK);
        flow.y += 20.0;
    }
    flow.y += 14.0;
    let thanks = format!("Thank you for your payment to {}.", document.seller.name);
    flow.paragraph(left, right - left, &thanks, BODY, Weight::Regular);
    flow.footers(&format!(
        "Receipt · Invoice {} · {}",
        document.display_number, document.seller.name
    ));
    flow
}
