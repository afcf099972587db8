//! The merchant-backend contract as an OpenAPI 3 document (`openapi.json`, served at
//! `GET /openapi.json`).
//!
//! Written by hand from `kassa_wire::contract`, so that a PHP or Node backend can be built
//! from it, and kept honest by tests: every schema's example deserialises into its wire type
//! and serialises back unchanged, every wire type's fields are exactly the schema's
//! properties, every documented route answers with a documented status
//! (`tests/reliability/contract.rs`), and schemathesis checks live answers against it in
//! `cargo xtask test`. The served copy also lists this merchant's method ids and SKUs as
//! enums and its allowed return URL origins as a pattern, so that a client (or a fuzzer)
//! knows exactly which values the backend takes. The quote's link to `createSession` puts the
//! cart and the quote's id into the creation body, so that schemathesis's stateful phase
//! creates real sessions (and then reads and cancels them) rather than only refused ones.

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use serde_json::{json, Value};

use crate::state::AppState;

/// The document, as written.
pub const DOCUMENT: &str = include_str!("../openapi.json");

/// The document for this merchant: [`DOCUMENT`] with its method ids and SKUs as enums, and
/// the return URL's allowed origins as a pattern.
pub fn for_merchant(state: &AppState) -> Value {
    let mut doc: Value = serde_json::from_str(DOCUMENT).unwrap_or_else(|_| json!({}));
    let methods: Vec<&str> = state.checkout_config.methods.iter().map(|m| m.id.as_str()).collect();
    let schemas = &mut doc["components"]["schemas"];
    schemas["CreateSession"]["properties"]["method"]["enum"] = json!(methods);
    schemas["CreateSession"]["properties"]["return_url"]["pattern"] =
        json!(return_url_pattern(&state.allowed_origins));
    schemas["CartItem"]["properties"]["sku"]["enum"] = json!(state.catalog.skus());
    doc
}

/// A pattern (ECMA-262, as OpenAPI's) for a page on one of `origins`: the origin, then a path.
fn return_url_pattern(origins: &[String]) -> String {
    let escaped: Vec<String> = origins
        .iter()
        .map(|origin| {
            origin
                .chars()
                .flat_map(|c| {
                    let special = "\\^$.|?*+()[]{}".contains(c);
                    special.then_some('\\').into_iter().chain([c])
                })
                .collect()
        })
        .collect();
    format!("^({})/[A-Za-z0-9/._~-]*$", escaped.join("|"))
}

/// `GET /openapi.json`.
pub async fn serve(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], for_merchant(&state).to_string()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_return_url_pattern_takes_each_allowed_origin_literally() {
        let origins = ["https://shop.example".to_owned(), "http://127.0.0.1:8000".to_owned()];
        assert_eq!(
            return_url_pattern(&origins),
            r"^(https://shop\.example|http://127\.0\.0\.1:8000)/[A-Za-z0-9/._~-]*$"
        );
    }
}
