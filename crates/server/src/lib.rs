//! `kassa-server`: the reference merchant backend.
//!
//! It prices carts from the merchant's catalog, stores an order before calling any provider,
//! creates provider sessions idempotently, takes verified webhooks and callbacks, and answers
//! the widget with states it verified itself. The only crate that knows about routes, config
//! files and process lifecycle.

pub mod account_forms;
pub mod catalog;
pub mod config;
pub mod error;
pub mod framing;
pub mod json;
pub mod methods;
pub mod metrics;
pub mod news;
pub mod notifications;
pub mod openapi;
pub mod operator;
pub mod outbound;
pub mod outbox;
pub mod payments;
pub mod quotes;
pub mod rate_limit;
pub mod recovery;
pub mod reliability;
pub mod request_id;
pub mod return_url;
pub mod routes;
pub mod server_timing;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;

pub use config::Settings;
pub use startup::{app, spawn, spawn_on, Running};
