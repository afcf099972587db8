//! Reliability tests of the backend (issue 5): the store on SQLite and PostgreSQL, several
//! instances on one database, provider faults, hostile webhooks, crash recovery and hostile
//! input. One test binary (one link) for all of them; `support` holds the harness.
//!
//! Requirement IDs (R-…) refer to `docs/security.md`.

mod concurrency;
mod contract;
mod faults;
mod hostile;
mod instances;
mod observability;
mod outbox;
mod soak;
mod store;
mod support;
mod webhooks;
