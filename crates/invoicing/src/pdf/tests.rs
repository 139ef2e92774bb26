//! Invoices rendered and read back with poppler's `pdftotext`, `pdfinfo` and `pdfimages`
//! (Debian's poppler-utils, installed by `scripts/install-test-deps.sh`).

use std::process::Command;

use super::*;

const PNG: &[u8] = include_bytes!("../../tests/fixtures/logo.png");
const JPEG: &[u8] = include_bytes!("../../tests/fixtures/logo.jpg");

fn document(lines: usize, customer: &str, currency: &str) -> Document {
    let lines: Vec<Line> = (1..=lines)
        .map(|n| Line {
            description: format!("Line item number {n}"),
            quantity: 2,
            unit_price: 1250,
            tax_rate: None,
            amount: 2500,
        })
        .collect();
    let subtotal = lines.iter().map(|line| line.amount).sum();
    Document {
        seller: Seller { name: "Acme Ltd".into(), ..Seller::default() },
        customer: Customer {
            name: customer.into(),
            email: Some("ada@example.com".into()),
            ..Customer::default()
        },
        display_number: "#7".into(),
        issue_date: "2026-12-01".into(),
        due_date: "2026-12-31".into(),
        reference: None,
        currency: Currency::parse(currency).unwrap(),
        lines,
        totals: Totals {
            subtotal,
            total: subtotal,
            amount_paid: 1000,
            balance_due: subtotal - 1000,
            ..Totals::default()
        },
        pay_url: Some("http://localhost:8080/pay/3f0c".into()),
        payment_instructions: None,
        notes: Some("Thank you".into()),
        stamp: None,
    }
}

/// Runs a poppler tool on `pdf`; fails the test when the tool is missing.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), pdf).unwrap();
    let path = file.path().to_str().unwrap();
    let mut command = Command::new(tool);
    command.args(args).arg(path);
    if tool == "pdftotext" {
        command.arg("-");
    }
    let output = command.output().unwrap_or_else(|e| {
        panic!("{tool} ({e}): install poppler-utils (scripts/install-test-deps.sh)")
    });
    assert!(output.status.success(), "{tool}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// Writes `pdf` to `$PAYBELL_PDF_OUT/{name}.pdf` when that is set, to look at.
fn keep(name: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("PAYBELL_PDF_OUT") {
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.pdf")), pdf).unwrap();
    }
}

fn text(pdf: &[u8]) -> String {
    poppler("pdftotext", &["-layout"], pdf)
}

fn pages(pdf: &[u8]) -> usize {
    let info = poppler("pdfinfo", &[], pdf);
    let line = info.lines().find(|line| line.starts_with("Pages:")).unwrap();
    line.trim_start_matches("Pages:").trim().parse().unwrap()
}

fn page_text(pdf: &[u8], page: usize) -> String {
    let page = page.to_string();
    poppler("pdftotext", &["-layout", "-f", &page, "-l", &page], pdf)
}

#[test]
fn a_one_line_invoice_reads_back() {
    let pdf = render_invoice(&document(1, "Ada Lovelace", "EUR"), Paper::A4).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(pages(&pdf), 1);
    let text = text(&pdf);
    for expected in [
        "INVOICE",
        "Acme Ltd",
        "Ada Lovelace",
        "ada@example.com",
        "#7",
        "2026-12-31",
        "Line item number 1",
        "€12.50",
        "€25.00",
        "Balance due",
        "€15.00",
        "http://localhost:8080/pay/3f0c",
        "Thank you",
        "Page 1 of 1",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    let info = poppler("pdfinfo", &[], &pdf);
    assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");
}

#[test]
fn unicode_names_and_the_euro_sign_survive() {
    let name = "Zoë Łukasiewicz 山田";
    let pdf = render_invoice(&document(1, name, "EUR"), Paper::A4).unwrap();
    let text = text(&pdf);
    assert!(text.contains(name), "{name:?} missing from:\n{text}");
    assert!(text.contains("€25.00"), "{text}");
    let fonts = poppler("pdffonts", &[], &pdf);
    assert!(fonts.contains("DejaVuSans"), "{fonts}");
    assert!(
        fonts.lines().skip(2).all(|line| line.contains("yes yes")),
        "embedded subsets: {fonts}"
    );
}

#[test]
fn a_forty_line_invoice_flows_onto_more_pages_with_totals_last() {
    let pdf = render_invoice(&document(40, "Ada Lovelace", "EUR"), Paper::A4).unwrap();
    keep("forty-lines", &pdf);
    let count = pages(&pdf);
    assert!(count > 1, "{count} page(s)");
    let all = text(&pdf);
    for n in 1..=40 {
        let line = format!("Line item number {n} ");
        assert!(
            all.contains(&line) || all.contains(&format!("Line item number {n}\n")),
            "line {n}"
        );
    }
    let last = page_text(&pdf, count);
    assert!(last.contains("Balance due") && last.contains("€990.00"), "{last}");
    assert!(last.contains(&format!("Page {count} of {count}")));
    for page in 1..count {
        let text = page_text(&pdf, page);
        assert!(!text.contains("Balance due"), "totals only at the end, page {page}");
        assert!(text.contains("Description") && text.contains("Amount"), "header on {page}");
    }
}

#[test]
fn currencies_use_their_own_decimals() {
    let mut yen = document(1, "Ada", "JPY");
    yen.totals.amount_paid = 0;
    yen.totals.balance_due = yen.totals.total;
    let text = text(&render_invoice(&yen, Paper::A4).unwrap());
    assert!(text.contains("¥1,250") && text.contains("¥2,500"), "{text}");
    let dinar = render_invoice(&document(1, "Ada", "KWD"), Paper::A4).unwrap();
    assert!(self::text(&dinar).contains("2.500"), "three decimals");
}

#[test]
fn logos_are_drawn_as_images() {
    for (bytes, kind) in [(PNG, ImageKind::Png), (JPEG, ImageKind::Jpeg)] {
        let mut doc = document(1, "Ada", "EUR");
        doc.seller.logo = Some(Logo { bytes: bytes.to_vec(), kind });
        let pdf = render_invoice(&doc, Paper::A4).unwrap();
        let list = poppler("pdfimages", &["-list"], &pdf);
        let images: Vec<&str> = list.lines().skip(2).collect();
        assert!(!images.is_empty(), "{kind:?}: {list}");
        assert!(images[0].contains("160") && images[0].contains("48"), "{list}");
    }
}

#[test]
fn a_logo_that_does_not_decode_is_left_out() {
    let mut doc = document(1, "Ada", "EUR");
    doc.seller.logo = Some(Logo { bytes: b"not a png".to_vec(), kind: ImageKind::Png });
    let pdf = render_invoice(&doc, Paper::A4).unwrap();
    assert_eq!(poppler("pdfimages", &["-list"], &pdf).lines().count(), 2, "header only");
    assert!(text(&pdf).contains("Ada"));
}

#[test]
fn every_field_of_the_document_is_printed() {
    let mut doc = document(2, "Ada", "EUR");
    doc.lines[0].tax_rate = Some(2000);
    doc.lines[1].tax_rate = Some(550);
    doc.seller.address = vec!["1 Main Street".into(), "75001 Paris".into()];
    doc.seller.tax_id = Some("FR123".into());
    doc.seller.phone = Some("+33 1 23".into());
    doc.customer.address = vec!["2 Side Road".into()];
    doc.customer.tax_id = Some("GB999".into());
    doc.reference = Some("PO-42".into());
    doc.totals.discount = Some(500);
    doc.totals.taxes =
        vec![TaxTotal { rate: 2000, amount: 400 }, TaxTotal { rate: 550, amount: 110 }];
    doc.payment_instructions = Some("IBAN FR76 0000".into());
    doc.stamp = Some("DRAFT".into());
    doc.customer.name = "Zoë Łukasiewicz 山田".into();
    doc.seller.logo = Some(Logo { bytes: PNG.to_vec(), kind: ImageKind::Png });
    let pdf = render_invoice(&doc, Paper::Letter).unwrap();
    keep("every-field", &pdf);
    let text = text(&pdf);
    for expected in [
        "1 Main Street",
        "Tax ID: FR123",
        "+33 1 23",
        "2 Side Road",
        "Tax ID: GB999",
        "PO-42",
        "Discount",
        "-€5.00",
        "Tax 20%",
        "Tax 5.5%",
        "€4.00",
        "€1.10",
        "IBAN FR76 0000",
        "DRAFT",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
}

#[test]
fn receipts_show_the_payment() {
    let receipt = Receipt {
        amount: 1000,
        refunded: 0,
        date: "2026-12-02".into(),
        method: "bank_transfer".into(),
        reference: Some("REF-1".into()),
        id: "5b1d1c7e-0000-4000-8000-000000000000".into(),
    };
    let pdf = render_receipt(&document(1, "Zoë Łukasiewicz", "EUR"), &receipt, Paper::A4).unwrap();
    keep("receipt", &pdf);
    let text = text(&pdf);
    for expected in
        ["RECEIPT", "€10.00", "2026-12-02", "bank transfer", "REF-1", "5b1d1c7e", "Zoë Łukasiewicz"]
    {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
}

#[test]
fn the_longest_texts_stay_on_the_page() {
    let long = "W".repeat(200);
    let mut doc = document(100, &long, "EUR");
    doc.seller.name = long.clone();
    doc.lines.iter_mut().for_each(|line| line.description = long.clone());
    doc.reference = Some(long.clone());
    doc.notes = Some("x ".repeat(1000));
    let pdf = render_invoice(&doc, Paper::A4).unwrap();
    assert!(pages(&pdf) > 3);
    let bbox = poppler("pdftotext", &["-bbox"], &pdf);
    for line in bbox.lines().filter(|line| line.contains("<word ")) {
        let x_max: f32 = attribute(line, "xMax");
        assert!(x_max <= 595.28 - 40.0, "off the right margin: {line}");
    }
}

fn attribute(line: &str, name: &str) -> f32 {
    let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    let rest = &line[start..];
    rest[..rest.find('"').unwrap()].parse().unwrap()
}
