//! Payfect's server callback: a snake_case JSON POST to `callback_url`, signed with
//! `X-Payfect-Signature`, a Fernet token whose plaintext is the same JSON (`docs/providers.md` §3.3).
//!
//! The receiver decrypts the token with the merchant's Fernet key and compares the decrypted
//! JSON with the body. Each attempt makes a fresh token (new timestamp and IV), as a retry at
//! the real provider would.

use serde_json::{json, Value};

use super::model::Checkout;
use crate::{
    decimal::format_minor,
    delivery::{Message, Outgoing},
};

/// The callback body for a checkout; `status` is `succeeded` (or `failed`, see
/// `PayfectSim::failure_callbacks`); `charged` is the currency and amount it names (see
/// `PayfectSim::callback_currency`).
pub fn body(
    checkout: &Checkout,
    status: &str,
    charged: (&str, i64),
    merchant_id: &str,
    scale: u32,
) -> Value {
    let (currency, network) = &checkout.crypto;
    json!({
        "id": checkout.id,
        "amount": format_minor(charged.1, scale),
        "status": status,
        "currency": charged.0,
        "merchant": merchant_id,
        "is_livemode": false,
        "payment_intent": checkout.payment_intent,
        "payment_method": {
            "id": checkout.payment_method_id,
            "payment_method_detail": { "network": network, "currency": currency },
        },
        "client_reference_id": checkout.client_reference_id,
    })
}

/// One callback on its way.
#[derive(Clone)]
pub struct SignedCallback {
    /// Where it goes.
    pub url: String,
    /// The JSON body, sent byte for byte and encrypted into the signature.
    pub body: Vec<u8>,
    /// The merchant's Fernet key.
    pub fernet: std::sync::Arc<fernet::Fernet>,
}

impl std::fmt::Debug for SignedCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedCallback").field("url", &self.url).finish_non_exhaustive()
    }
}

impl Message for SignedCallback {
    fn build(&self) -> Option<Outgoing> {
        Some(Outgoing {
            method: reqwest::Method::POST,
            url: self.url.clone(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-payfect-signature".into(), self.fernet.encrypt(&self.body)),
            ],
            body: self.body.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_decrypts_to_the_body() {
        let key = fernet::Fernet::generate_key();
        let fernet = std::sync::Arc::new(fernet::Fernet::new(&key).unwrap());
        let callback = SignedCallback {
            url: "http://127.0.0.1:1/cb".into(),
            body: br#"{"status":"succeeded"}"#.to_vec(),
            fernet: fernet.clone(),
        };
        let outgoing = callback.build().unwrap();
        let token = &outgoing.headers.iter().find(|(k, _)| k == "x-payfect-signature").unwrap().1;
        assert_eq!(fernet.decrypt(token).unwrap(), outgoing.body);
    }
}
