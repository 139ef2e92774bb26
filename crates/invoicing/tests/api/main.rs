//! The invoicing API over real sockets, every test on SQLite and on PostgreSQL.
// Test bodies live in plain async fns run by generated #[tokio::test]s, where clippy's
// allow-unwrap-in-tests does not reach; a failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

mod auth;
mod claims;
mod events;
mod helpers;
mod invoices;
mod ops;
mod pay;
mod payments;
mod realtime;
mod store;
