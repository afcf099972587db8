//! The merchant-backend contract as an OpenAPI 3 document (`openapi.json`, served at
//! `GET /openapi.json`).
//!
//! Written by hand from `kassa_wire::contract`, so that a PHP or Node backend can be built
//! from it, and kept honest by tests: every schema's example deserialises into its wire type
//! and serialises back unchanged, every wire type's fields are exactly the schema's
//! properties, every documented route answers with a documented status
//! (`tests/reliability/contract.rs`), and schemathesis checks live answers against it in
//! `cargo xtask test`. The served copy also lists this merchant's method ids and SKUs as
//! enums, so that a client (or a fuzzer) knows exactly which values the backend takes.

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use serde_json::{json, Value};

use crate::state::AppState;

/// The document, as written.
pub const DOCUMENT: &str = include_str!("../openapi.json");

/// The document for this merchant: [`DOCUMENT`] with its method ids and SKUs as enums.
pub fn for_merchant(state: &AppState) -> Value {
    let mut doc: Value = serde_json::from_str(DOCUMENT).unwrap_or_else(|_| json!({}));
    let methods: Vec<&str> = state.checkout_config.methods.iter().map(|m| m.id.as_str()).collect();
    let schemas = &mut doc["components"]["schemas"];
    schemas["CreateSession"]["properties"]["method"]["enum"] = json!(methods);
    schemas["CartItem"]["properties"]["sku"]["enum"] = json!(state.catalog.skus());
    doc
}

/// `GET /openapi.json`.
pub async fn serve(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], for_merchant(&state).to_string()).into_response()
}
