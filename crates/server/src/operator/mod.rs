//! The operator's view of orders and merchant-event deliveries (issue 14): the orders API
//! (`/v1/operator/…`, [`api`]) and `kassa-server orders …` ([`cli`]), both built on the same
//! reads of the store ([`views`]).

pub mod api;
pub mod cli;
pub mod views;
