//! The invoice status machine: one `match` decides every transition.
//!
//! `draft → sent → partially_paid → paid`; `sent | partially_paid → overdue` once the due date
//! has passed; `draft | sent | overdue → void`. `void` is final; `paid` is final but for the
//! removal of a wrongly recorded manual payment or the refund of a card payment (whole or in
//! part), which move it back
//! (`paid → partially_paid → sent`, or `overdue` once the due date has passed).
//!
//! [`InvoiceStatus::allowed_actions`] derives from the same `match` what the owner may do next,
//! so the web app shows buttons from the server's answer instead of copying these rules.

use std::fmt;

/// Where an invoice is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvoiceStatus {
    /// Being written; only the owner sees it.
    Draft,
    /// Sent to the customer, nothing paid yet.
    Sent,
    /// Some, not all, has been paid.
    PartiallyPaid,
    /// Settled. Final.
    Paid,
    /// The due date passed with a balance left.
    Overdue,
    /// Cancelled. Final.
    Void,
}

/// What someone wants to do to an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Change its customer, items, due date or notes.
    Edit,
    /// Send it to the customer.
    Send,
    /// Record a payment; `settles` when it pays the whole balance.
    Pay {
        /// Whether nothing is left to pay afterwards.
        settles: bool,
    },
    /// The scheduler found the due date passed.
    MarkOverdue,
    /// Cancel it.
    Void,
    /// Take back a payment the owner recorded by mistake (a correction).
    RemovePayment {
        /// Whether some money is still paid afterwards.
        paid_left: bool,
        /// Whether the due date has passed.
        past_due: bool,
    },
}

/// What the owner can ask for from the invoice page: the `actions` of the owner's invoice JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerAction {
    /// `edit`: change the content.
    Edit,
    /// `send`: send it to the customer.
    Send,
    /// `record_payment`: record a payment, partial or whole.
    RecordPayment,
    /// `void`: cancel it.
    Void,
    /// `remove_payment`: take back a payment the owner recorded (a correction).
    RemovePayment,
}

impl OwnerAction {
    /// Every owner action, in the order the wire lists them.
    pub const ALL: [Self; 5] =
        [Self::Edit, Self::Send, Self::RecordPayment, Self::Void, Self::RemovePayment];

    /// The wire name, e.g. `record_payment`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Edit => "edit",
            Self::Send => "send",
            Self::RecordPayment => "record_payment",
            Self::Void => "void",
            Self::RemovePayment => "remove_payment",
        }
    }

    /// The transitions this action may cause: a payment settles the invoice or not depending on
    /// its amount, so either being legal makes recording one possible.
    fn transitions(self) -> &'static [Action] {
        match self {
            Self::Edit => &[Action::Edit],
            Self::Send => &[Action::Send],
            Self::RecordPayment => &[Action::Pay { settles: false }, Action::Pay { settles: true }],
            Self::Void => &[Action::Void],
            Self::RemovePayment => &[
                Action::RemovePayment { paid_left: false, past_due: false },
                Action::RemovePayment { paid_left: true, past_due: false },
                Action::RemovePayment { paid_left: false, past_due: true },
                Action::RemovePayment { paid_left: true, past_due: true },
            ],
        }
    }
}

/// An action that the invoice's status does not allow (HTTP 409).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an invoice that is {from}")]
pub struct IllegalTransition {
    /// The status the invoice is in.
    pub from: InvoiceStatus,
    /// What was attempted.
    pub action: Action,
}

impl InvoiceStatus {
    /// The status after `action`, or why it is not allowed.
    ///
    /// # Errors
    /// [`IllegalTransition`] when the status does not allow the action.
    pub fn apply(self, action: Action) -> Result<Self, IllegalTransition> {
        use InvoiceStatus::{Draft, Overdue, Paid, PartiallyPaid, Sent, Void};
        let next = match (self, action) {
            (Draft | Sent, Action::Edit) => Some(self),
            (Draft, Action::Send) => Some(Sent),
            (Sent | PartiallyPaid | Overdue, Action::Pay { settles: true }) => Some(Paid),
            (Sent | PartiallyPaid, Action::Pay { settles: false }) => Some(PartiallyPaid),
            (Overdue, Action::Pay { settles: false }) => Some(Overdue),
            (Sent | PartiallyPaid, Action::MarkOverdue) => Some(Overdue),
            (Draft | Sent | Overdue, Action::Void) => Some(Void),
            (Paid | PartiallyPaid | Overdue, Action::RemovePayment { past_due: true, .. }) => {
                Some(Overdue)
            }
            (Overdue, Action::RemovePayment { past_due: false, .. }) => Some(Overdue),
            (Paid | PartiallyPaid, Action::RemovePayment { paid_left, past_due: false }) => {
                Some(if paid_left { PartiallyPaid } else { Sent })
            }
            (
                Draft | Sent | PartiallyPaid | Paid | Overdue | Void,
                Action::Edit
                | Action::Send
                | Action::Pay { .. }
                | Action::MarkOverdue
                | Action::Void,
            )
            | (Draft | Sent | Void, Action::RemovePayment { .. }) => None,
        };
        next.ok_or(IllegalTransition { from: self, action })
    }

    /// What the owner may do in this status, in [`OwnerAction::ALL`]'s order; read off
    /// [`InvoiceStatus::apply`], so the two cannot disagree.
    pub fn allowed_actions(self) -> Vec<OwnerAction> {
        OwnerAction::ALL
            .into_iter()
            .filter(|owner| owner.transitions().iter().any(|action| self.apply(*action).is_ok()))
            .collect()
    }

    /// The wire and database name, e.g. `partially_paid`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Sent => "sent",
            Self::PartiallyPaid => "partially_paid",
            Self::Paid => "paid",
            Self::Overdue => "overdue",
            Self::Void => "void",
        }
    }

    /// Parses the name written by [`InvoiceStatus::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Draft, Self::Sent, Self::PartiallyPaid, Self::Paid, Self::Overdue, Self::Void]
            .into_iter()
            .find(|status| status.as_str() == name)
    }
}

impl fmt::Display for InvoiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Edit => "edit",
            Self::Send => "send",
            Self::Pay { .. } => "pay",
            Self::MarkOverdue => "mark overdue",
            Self::Void => "void",
            Self::RemovePayment { .. } => "remove a payment from",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::InvoiceStatus::{Draft, Overdue, Paid, PartiallyPaid, Sent, Void};
    use super::*;

    const PART: Action = Action::Pay { settles: false };
    const FULL: Action = Action::Pay { settles: true };
    const fn remove(paid_left: bool, past_due: bool) -> Action {
        Action::RemovePayment { paid_left, past_due }
    }

    #[test]
    fn the_whole_table() {
        let allowed = [
            (Draft, Action::Edit, Draft),
            (Sent, Action::Edit, Sent),
            (Draft, Action::Send, Sent),
            (Sent, PART, PartiallyPaid),
            (Sent, FULL, Paid),
            (PartiallyPaid, PART, PartiallyPaid),
            (PartiallyPaid, FULL, Paid),
            (Overdue, PART, Overdue),
            (Overdue, FULL, Paid),
            (Sent, Action::MarkOverdue, Overdue),
            (PartiallyPaid, Action::MarkOverdue, Overdue),
            (Draft, Action::Void, Void),
            (Sent, Action::Void, Void),
            (Overdue, Action::Void, Void),
            (Paid, remove(true, false), PartiallyPaid),
            (Paid, remove(false, false), Sent),
            (Paid, remove(true, true), Overdue),
            (Paid, remove(false, true), Overdue),
            (PartiallyPaid, remove(true, false), PartiallyPaid),
            (PartiallyPaid, remove(false, false), Sent),
            (PartiallyPaid, remove(true, true), Overdue),
            (PartiallyPaid, remove(false, true), Overdue),
            (Overdue, remove(true, false), Overdue),
            (Overdue, remove(false, false), Overdue),
            (Overdue, remove(true, true), Overdue),
            (Overdue, remove(false, true), Overdue),
        ];
        let statuses = [Draft, Sent, PartiallyPaid, Paid, Overdue, Void];
        let actions = [
            Action::Edit,
            Action::Send,
            PART,
            FULL,
            Action::MarkOverdue,
            Action::Void,
            remove(false, false),
            remove(true, false),
            remove(false, true),
            remove(true, true),
        ];
        for from in statuses {
            for action in actions {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to)
                    .ok_or(IllegalTransition { from, action });
                assert_eq!(from.apply(action), expected, "{from} {action}");
            }
        }
    }

    #[test]
    fn allowed_actions_per_status() {
        use OwnerAction as Do;
        let expected: [(InvoiceStatus, &[OwnerAction]); 6] = [
            (Draft, &[Do::Edit, Do::Send, Do::Void]),
            (Sent, &[Do::Edit, Do::RecordPayment, Do::Void]),
            (PartiallyPaid, &[Do::RecordPayment, Do::RemovePayment]),
            (Paid, &[Do::RemovePayment]),
            (Overdue, &[Do::RecordPayment, Do::Void, Do::RemovePayment]),
            (Void, &[]),
        ];
        for (status, actions) in expected {
            assert_eq!(status.allowed_actions(), actions, "{status}");
        }
        let names: Vec<_> = OwnerAction::ALL.iter().map(|action| action.as_str()).collect();
        assert_eq!(names, ["edit", "send", "record_payment", "void", "remove_payment"]);
    }

    #[test]
    fn names_round_trip() {
        for status in [Draft, Sent, PartiallyPaid, Paid, Overdue, Void] {
            assert_eq!(InvoiceStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(InvoiceStatus::parse("unknown"), None);
        let err = Paid.apply(Action::Edit).unwrap_err();
        assert_eq!(err.to_string(), "cannot edit an invoice that is paid");
    }
}
