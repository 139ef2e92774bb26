//! The `paybell` binary: `serve` (built-in and remote realtime), its generated app and
//! `app show`, apps changed at run time (`app add`, `rotate-secret`, `disable`…), `user add`/`passwd`, `migrate`, the
//! outbox surviving a realtime server that goes away and comes back, two `serve` nodes
//! sharing one PostgreSQL database, and two sharing PostgreSQL and Redis; a node killed
//! mid-run and its claimed events; e-mail through a real SMTP server and the local mailbox;
//! `realtime` on soketi's variables; `--version`, completions, the man page and
//! `config check`; the Debian package.
// Test bodies live in plain async fns run by generated #[tokio::test]s, where clippy's
// allow-unwrap-in-tests does not reach; a failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

mod app;
mod apps;
mod cluster_serve;
mod crash;
mod helpers;
mod mail;
mod nodes;
mod open_files;
mod operator;
mod package;
mod remote;
mod serve;
mod soketi;
mod timeouts;
mod users;
