//! A JSON body extractor whose every failure is an [`AppError`] naming the field.
//!
//! axum's own `Json` answers rejections as plain text; the widget and merchants' tooling
//! expect the contract's error body, with the dotted path of the offending field.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::header,
};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A JSON body, parsed strictly.
#[derive(Debug)]
pub struct StrictJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for StrictJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::Invalid {
                    field: None,
                    message: "the request body could not be read".into(),
                }
            }
        })?;
        parse(&bytes).map(StrictJson)
    }
}

/// Refuses JSON whose shape the contract never has, before serde sees it: serde reads a
/// struct from an array too (`"customer": [null, null]`, an item as `["kayak-2h", 2]`),
/// which the contract does not allow. Every request body is an object, and its only arrays
/// are `items` and `customer.extra`, which hold objects.
fn check_shape(value: &serde_json::Value, path: &str) -> Result<(), AppError> {
    use serde_json::Value;
    let wrong = |at: &str, what: &str| AppError::Invalid {
        field: (!at.is_empty()).then(|| at.to_owned()),
        message: format!("expected {what}"),
    };
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                match (key.as_str(), v) {
                    ("items" | "extra", Value::Array(items)) => {
                        for (i, item) in items.iter().enumerate() {
                            let at = format!("{at}[{i}]");
                            if !item.is_object() {
                                return Err(wrong(&at, "an object"));
                            }
                            check_shape(item, &at)?;
                        }
                    }
                    (_, Value::Array(_)) => {
                        return Err(wrong(&at, "an object or a value, not an array"))
                    }
                    (_, Value::Object(_)) => check_shape(v, &at)?,
                    _ => {}
                }
            }
            Ok(())
        }
        _ if path.is_empty() => Err(wrong("", "a JSON object")),
        _ => Ok(()),
    }
}

/// Parses JSON, reporting the path of the first bad field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
        check_shape(&value, "")?;
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = if inner.is_syntax() || inner.is_eof() {
            format!("the body is not valid JSON: {inner}")
        } else {
            inner.to_string()
        };
        AppError::Invalid { field: (path != ".").then_some(path), message }
    })
}

#[cfg(test)]
mod tests {
    use kassa_wire::CreateSession;

    use super::*;

    #[test]
    fn a_price_in_the_body_is_refused_by_name() {
        let body = br#"{"items":[{"sku":"a","quantity":1,"price":1}],"method":"m","return_url":"https://x"}"#;
        let err = parse::<CreateSession>(body).unwrap_err();
        assert_eq!(err.field(), Some("items[0].price"));
        assert!(err.to_string().contains("price"), "{err}");
    }

    #[test]
    fn a_wrong_type_names_the_field() {
        let body =
            br#"{"items":[{"sku":"a","quantity":-1}],"method":"m","return_url":"https://x"}"#;
        assert_eq!(parse::<CreateSession>(body).unwrap_err().field(), Some("items[0].quantity"));
    }

    #[test]
    fn arrays_where_the_contract_has_objects_are_refused_by_path() {
        let body = br#"{"items":[{"sku":"a","quantity":1}],"method":"m","return_url":"https://x","customer":[null,null]}"#;
        assert_eq!(parse::<CreateSession>(body).unwrap_err().field(), Some("customer"));
        let body = br#"{"items":[["a",1]],"method":"m","return_url":"https://x"}"#;
        assert_eq!(parse::<CreateSession>(body).unwrap_err().field(), Some("items[0]"));
        assert!(parse::<CreateSession>(br#"[["a",1]],"m","https://x"]"#).is_err());
        assert!(parse::<CreateSession>(br#"[[["a",1]],"m","https://x"]"#).is_err());
    }

    #[test]
    fn malformed_json_says_so() {
        let err = parse::<CreateSession>(b"{\"items\": [").unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{err}");
    }
}
