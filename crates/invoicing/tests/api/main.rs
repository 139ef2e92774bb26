//! The invoicing API over real sockets, every test on SQLite and on PostgreSQL; several nodes
//! sharing one database (`nodes`) on PostgreSQL only, as SQLite is one process's file.
// Test bodies live in plain async fns run by generated #[tokio::test]s, where clippy's
// allow-unwrap-in-tests does not reach; a failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

mod auth;
mod business;
mod claims;
mod contract;
mod customers;
mod db;
mod durable;
mod events;
mod helpers;
mod hygiene;
mod invoices;
mod localstripe;
mod mail;
mod nodes;
mod ops;
mod pay;
mod payments;
mod pdf;
mod push;
mod pusher_auth;
mod refunds;
mod relay;
mod reminders;
mod replay;
mod retention;
mod security;
mod smtp;
mod store;
mod store_mail;
mod stripe;
mod stripe_proxy;
mod taxes;
mod throttle;
