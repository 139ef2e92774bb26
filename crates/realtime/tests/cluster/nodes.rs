//! Several nodes on one Redis.
