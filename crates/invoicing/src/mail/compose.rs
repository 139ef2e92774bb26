//! Renders the messages a change sends, from the templates in `templates/`: HTML (`.html`,
//! auto-escaped, inline CSS, no remote resources) and its plain-text alternative (`.txt`).
//! Amounts are written as the web app writes them ([`super::money`]). Links are marked `safe`
//! in the HTML: they are built here from the parsed public URL (which percent-encodes quotes
//! and angle brackets) and a UUID, and an escaped `/` (`&#x2f;`) puts some clients off.

use minijinja::Environment;
use serde::Serialize;
use url::Url;

use super::Mailbox;
use super::money::format as money;
use crate::domain::invoice::format_date;
use crate::domain::{Amount, Invoice, MailId, MailKind, NewMail, Payment, Timestamp, User};

const TEMPLATES: [(&str, &str); 11] = [
    ("layout.html", include_str!("templates/layout.html")),
    ("invoice.html", include_str!("templates/invoice.html")),
    ("invoice.txt", include_str!("templates/invoice.txt")),
    ("receipt.html", include_str!("templates/receipt.html")),
    ("receipt.txt", include_str!("templates/receipt.txt")),
    ("payment_received.html", include_str!("templates/payment_received.html")),
    ("payment_received.txt", include_str!("templates/payment_received.txt")),
    ("refund.html", include_str!("templates/refund.html")),
    ("refund.txt", include_str!("templates/refund.txt")),
    ("late_payment_refunded.html", include_str!("templates/late_payment_refunded.html")),
    ("late_payment_refunded.txt", include_str!("templates/late_payment_refunded.txt")),
];

/// Renders messages for one deployment: its public URL (payment links) and sender domain
/// (`Message-ID`s). Cheap to share.
#[derive(Debug)]
pub struct Composer {
    templates: Environment<'static>,
    public_url: Url,
    domain: String,
}

#[derive(Serialize)]
struct ItemContext {
    description: String,
    quantity: i64,
    unit_price: String,
    amount: String,
}

#[derive(Serialize)]
struct TaxContext {
    rate: String,
    amount: String,
}

#[derive(Serialize)]
struct InvoiceContext<'a> {
    subject: &'a str,
    intro: String,
    business: &'a str,
    customer: &'a str,
    number: String,
    amount_due: String,
    due_date: String,
    items: Vec<ItemContext>,
    /// Shown when there is a discount or a tax, so the total adds up on the page.
    subtotal: Option<String>,
    discount: Option<String>,
    taxes: Vec<TaxContext>,
    total: String,
    paid: Option<String>,
    notes: &'a str,
    reference: &'a str,
    payment_instructions: &'a str,
    pay_url: String,
}

#[derive(Serialize)]
struct PaymentContext<'a> {
    subject: &'a str,
    business: &'a str,
    customer: &'a str,
    number: String,
    receipt: String,
    amount: String,
    method: String,
    date: String,
    balance: String,
    pay_url: String,
    invoice_url: String,
}

#[derive(Serialize)]
struct LateContext<'a> {
    subject: &'a str,
    customer: &'a str,
    number: String,
    amount: String,
    balance: String,
    status: &'a str,
    invoice_url: String,
}

impl Composer {
    /// A composer linking to `public_url`, with `Message-ID`s in the domain of `from`.
    pub fn new(public_url: Url, from: &Mailbox) -> Self {
        let mut templates = Environment::new();
        // `.html` templates escape every value (the default for that extension); `.txt`
        // ones are plain text.
        for (name, source) in TEMPLATES {
            if let Err(error) = templates.add_template(name, source) {
                tracing::error!(%error, name, "e-mail template does not parse");
            }
        }
        Self { templates, public_url, domain: from.email.domain().to_owned() }
    }

    /// The invoice, to its customer: amount due, due date, lines, notes, "Pay online".
    pub fn invoice(&self, owner: &User, invoice: &Invoice, now: Timestamp) -> NewMail {
        let number = display_number(invoice);
        let subject = format!("Invoice {number} from {}", owner.name);
        let intro = format!("{} has sent you invoice {number}.", owner.name);
        self.invoice_like(MailKind::Invoice, owner, invoice, subject, intro, now)
    }

    /// A payment reminder for the invoice, to its customer: the invoice message with a
    /// reminder's subject and opening; `overdue` once the due date has passed.
    pub fn reminder(
        &self,
        owner: &User,
        invoice: &Invoice,
        overdue: bool,
        now: Timestamp,
    ) -> NewMail {
        let number = display_number(invoice);
        let due = format_date(invoice.content.due_date);
        let (subject, intro) = if overdue {
            (
                format!("Overdue: invoice {number} from {}", owner.name),
                format!(
                    "Invoice {number} was due on {due} and is still open. Please pay it online."
                ),
            )
        } else {
            (
                format!("Reminder: invoice {number} from {} is due on {due}", owner.name),
                format!("A friendly reminder that invoice {number} is due on {due}."),
            )
        };
        self.invoice_like(MailKind::Reminder, owner, invoice, subject, intro, now)
    }

    fn invoice_like(
        &self,
        kind: MailKind,
        owner: &User,
        invoice: &Invoice,
        subject: String,
        intro: String,
        now: Timestamp,
    ) -> NewMail {
        let content = &invoice.content;
        let currency = content.currency;
        let totals = &content.totals;
        let number = display_number(invoice);
        let context = InvoiceContext {
            subject: &subject,
            intro,
            business: &owner.name,
            customer: &content.customer.name,
            number,
            amount_due: money(currency, invoice.balance_due()),
            due_date: format_date(content.due_date),
            items: content
                .items
                .iter()
                .map(|item| ItemContext {
                    description: item.description.clone(),
                    quantity: item.quantity,
                    unit_price: money(currency, item.unit_price.minor()),
                    amount: money(currency, item.amount.minor()),
                })
                .collect(),
            subtotal: (totals.discount_amount > 0 || !totals.taxes.is_empty())
                .then(|| money(currency, totals.subtotal)),
            discount: (totals.discount_amount > 0).then(|| money(currency, totals.discount_amount)),
            taxes: totals
                .taxes
                .iter()
                .map(|&(rate, tax)| TaxContext {
                    rate: percent(rate),
                    amount: money(currency, tax),
                })
                .collect(),
            total: money(currency, content.total.minor()),
            paid: (invoice.amount_paid > 0).then(|| money(currency, invoice.amount_paid)),
            notes: &content.notes,
            reference: &content.terms.reference,
            payment_instructions: &content.terms.payment_instructions,
            pay_url: self.pay_url(invoice),
        };
        self.mail(kind, owner, invoice, subject.clone(), &context, now)
    }

    /// A receipt for `payment`, to the customer.
    pub fn receipt(
        &self,
        owner: &User,
        invoice: &Invoice,
        payment: &Payment,
        now: Timestamp,
    ) -> NewMail {
        let subject =
            format!("Receipt for invoice {} from {}", display_number(invoice), owner.name);
        let context = self.payment_context(&subject, owner, invoice, payment);
        self.mail(MailKind::Receipt, owner, invoice, subject.clone(), &context, now)
    }

    /// "Payment received", to the owner.
    pub fn payment_received(
        &self,
        owner: &User,
        invoice: &Invoice,
        payment: &Payment,
        now: Timestamp,
    ) -> NewMail {
        let amount = money(invoice.content.currency, payment.amount.minor());
        let subject = format!("Payment received: {amount} on invoice {}", display_number(invoice));
        let context = self.payment_context(&subject, owner, invoice, payment);
        self.mail(MailKind::PaymentReceived, owner, invoice, subject.clone(), &context, now)
    }

    /// "Refund", to the customer: `amount` of `payment` given back.
    pub fn refund(
        &self,
        owner: &User,
        invoice: &Invoice,
        payment: &Payment,
        amount: Amount,
        now: Timestamp,
    ) -> NewMail {
        let subject = format!("Refund for invoice {} from {}", display_number(invoice), owner.name);
        let mut context = self.payment_context(&subject, owner, invoice, payment);
        context.amount = money(invoice.content.currency, amount.minor());
        self.mail(MailKind::Refund, owner, invoice, subject.clone(), &context, now)
    }

    /// "A late payment was refunded", to the owner: `amount` paid by card after its
    /// reservation expired, when the invoice no longer took it.
    pub fn given_back(
        &self,
        owner: &User,
        invoice: &Invoice,
        amount: Amount,
        now: Timestamp,
    ) -> NewMail {
        let amount = money(invoice.content.currency, amount.minor());
        let number = display_number(invoice);
        let subject = format!("Late payment of {amount} on invoice {number} refunded");
        let context = LateContext {
            subject: &subject,
            customer: &invoice.content.customer.name,
            number,
            amount,
            balance: money(invoice.content.currency, invoice.balance_due()),
            status: invoice.status.as_str(),
            invoice_url: format!("{}/app/invoices/{}", self.base(), invoice.id),
        };
        self.mail(MailKind::LatePaymentRefunded, owner, invoice, subject.clone(), &context, now)
    }

    fn payment_context<'a>(
        &self,
        subject: &'a str,
        owner: &'a User,
        invoice: &'a Invoice,
        payment: &Payment,
    ) -> PaymentContext<'a> {
        let currency = invoice.content.currency;
        let position = invoice.payments.iter().position(|p| p.id == payment.id).unwrap_or(0);
        PaymentContext {
            subject,
            business: &owner.name,
            customer: &invoice.content.customer.name,
            number: display_number(invoice),
            receipt: format!("R-{}-{}", invoice.number, position + 1),
            amount: money(currency, payment.amount.minor()),
            method: method(payment),
            date: format_date(payment.created_at.date()),
            balance: money(currency, invoice.balance_due()),
            pay_url: self.pay_url(invoice),
            invoice_url: format!("{}/app/invoices/{}", self.base(), invoice.id),
        }
    }

    /// The row: to the owner for their notices, to the customer otherwise.
    fn mail(
        &self,
        kind: MailKind,
        owner: &User,
        invoice: &Invoice,
        subject: String,
        context: &impl Serialize,
        now: Timestamp,
    ) -> NewMail {
        let template = match kind {
            MailKind::Reminder => "invoice",
            MailKind::Invoice
            | MailKind::Receipt
            | MailKind::PaymentReceived
            | MailKind::Refund
            | MailKind::LatePaymentRefunded => kind.as_str(),
        };
        let text = self.render(&format!("{template}.txt"), context, &subject);
        let html = self.render(&format!("{template}.html"), context, &subject);
        let id = MailId::new();
        let recipient = match kind {
            MailKind::PaymentReceived | MailKind::LatePaymentRefunded => owner.email.to_string(),
            MailKind::Invoice | MailKind::Receipt | MailKind::Reminder | MailKind::Refund => {
                invoice.content.customer.email.to_string()
            }
        };
        NewMail {
            message_id: format!("<{id}@{}>", self.domain),
            id,
            user_id: owner.id.clone(),
            invoice_id: invoice.id.clone(),
            kind,
            recipient,
            reply_to: owner.email.to_string(),
            subject,
            text,
            html,
            created_at: now,
        }
    }

    /// Renders `name`; the templates are fixed and tested, so a failure is a bug: it is
    /// logged and the subject alone stands in, so the change still commits with its mail.
    fn render(&self, name: &str, context: &impl Serialize, subject: &str) -> String {
        let rendered = self.templates.get_template(name).and_then(|t| t.render(context));
        rendered.unwrap_or_else(|error| {
            tracing::error!(%error, name, "e-mail template failed");
            subject.to_owned()
        })
    }

    fn base(&self) -> &str {
        self.public_url.as_str().trim_end_matches('/')
    }

    /// `{public base}/pay/{id}`, as the web app links it.
    fn pay_url(&self, invoice: &Invoice) -> String {
        format!("{}/pay/{}", self.base(), invoice.id)
    }
}

/// `#7`, or `INV-2026-0007` with a number prefix.
fn display_number(invoice: &Invoice) -> String {
    invoice.display_number()
}

/// A rate in basis points as a percentage: `20%`, `5.5%`, `12.25%`.
pub(crate) fn percent(basis_points: u32) -> String {
    let (whole, fraction) = (basis_points / 100, basis_points % 100);
    match fraction {
        0 => format!("{whole}%"),
        f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
        f => format!("{whole}.{f:02}%"),
    }
}

/// `Card ending 4242`, `Bank transfer`, `Cash`.
fn method(payment: &Payment) -> String {
    let card = payment.reference.as_deref().and_then(|r| r.rsplit_once("_card_")).map(|(_, l)| l);
    match (payment.method.as_str(), card) {
        ("card", Some(last4)) => format!("Card ending {last4}"),
        (method, _) => {
            let words = method.replace('_', " ");
            let mut chars = words.chars();
            chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Amount, Currency, Customer, Email, InvoiceContent, LineItem, PaymentSource, UserId,
    };

    fn fixture() -> (Composer, User, Invoice) {
        let from: Mailbox = "Demo Bakery <billing@example.com>".parse().unwrap();
        let composer = Composer::new(Url::parse("https://pay.example.com/").unwrap(), &from);
        let owner = User {
            id: UserId::new(),
            email: Email::parse("owner@example.com").unwrap(),
            name: "Demo <Bakery>".to_owned(),
            created_at: Timestamp::now(),
        };
        let content = InvoiceContent::new(
            Customer::parse("Ada <script>", "ada@example.com").unwrap(),
            Currency::parse("EUR").unwrap(),
            crate::domain::invoice::parse_date("2030-01-31").unwrap(),
            vec![LineItem::parse("items[0]", "Bread & <b>butter</b>", 2, 1250).unwrap()],
            "Thanks & \"cheers\"",
        )
        .unwrap();
        let invoice = Invoice::draft(owner.id.clone(), 7, content, Timestamp::now());
        (composer, owner, invoice)
    }

    #[test]
    fn the_invoice_escapes_customer_text_in_html_only() {
        let (composer, owner, invoice) = fixture();
        let mail = composer.invoice(&owner, &invoice, Timestamp::now());
        assert_eq!(mail.subject, "Invoice #7 from Demo <Bakery>");
        assert!(mail.html.contains("Bread &amp; &lt;b&gt;butter&lt;&#x2f;b&gt;"), "{}", mail.html);
        assert!(mail.html.contains("Ada &lt;script&gt;"));
        assert!(!mail.html.contains("<script>"));
        assert!(mail.text.contains("Bread & <b>butter</b>: 2 x €12.50 = €25.00"), "{}", mail.text);
        let link = format!("https://pay.example.com/pay/{}", invoice.id);
        assert!(mail.html.contains(&format!("href=\"{link}\"")), "{}", mail.html);
        assert!(mail.text.contains(&format!("Pay online: {link}")));
        assert!(mail.message_id.ends_with("@example.com>"));
        assert_eq!(
            (mail.recipient.as_str(), mail.reply_to.as_str()),
            ("ada@example.com", "owner@example.com")
        );
        assert!(
            !mail.html.contains("http://") && !mail.html.contains("src="),
            "no remote resources"
        );
    }

    #[test]
    fn receipts_and_notices_carry_the_payment() {
        let (composer, owner, mut invoice) = fixture();
        invoice.transition(crate::domain::Action::Send, Timestamp::now()).unwrap();
        let amount = Amount::parse("amount", 1000).unwrap();
        let payment = Payment::new(
            PaymentSource::Provider,
            amount,
            "card",
            Some("test_1000_card_4242"),
            Timestamp::now(),
        )
        .unwrap();
        invoice.pay(payment.clone()).unwrap();
        let receipt = composer.receipt(&owner, &invoice, &payment, Timestamp::now());
        for needle in ["€10.00", "Card ending 4242", "R-7-1", "€15.00"] {
            assert!(receipt.text.contains(needle), "{needle} in {}", receipt.text);
            assert!(receipt.html.contains(needle), "{needle} in {}", receipt.html);
        }
        let notice = composer.payment_received(&owner, &invoice, &payment, Timestamp::now());
        assert_eq!(notice.recipient, "owner@example.com");
        assert_eq!(notice.subject, "Payment received: €10.00 on invoice #7");
        assert!(notice.text.contains(&format!("/app/invoices/{}", invoice.id)));
    }
}
