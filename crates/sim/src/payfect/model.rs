//! Payfect's checkout object and its camelCase rendering (`docs/providers.md` §3.2).
//!
//! Payfect mixes encodings, and the simulator keeps them: `amountTotal` is a decimal string,
//! `createdAt`/`updatedAt` are epoch *seconds* with a fraction as strings, and `expiresAt` is
//! epoch *milliseconds* as a string. Amounts are held as integer minor units.

use serde_json::{json, Value};

use crate::decimal::format_minor;

/// `status` of a checkout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Awaiting payment.
    Open,
    /// Paid.
    Complete,
    /// Past `expiresAt` without payment.
    Expired,
}

impl Status {
    /// The API value.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Complete => "complete",
            Status::Expired => "expired",
        }
    }
}

/// `price_data` of an invoice item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceData {
    /// As sent.
    pub currency: String,
    /// Minor units.
    pub unit_amount: i64,
    /// `product_data.name`.
    pub name: String,
    /// `product_data.description`.
    pub description: Option<String>,
    /// `product_data.images`.
    pub images: Vec<String>,
}

/// One invoice item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceItem {
    /// UUID.
    pub id: String,
    /// A price id, when the item named a stored price.
    pub price: Option<String>,
    /// The price details.
    pub price_data: PriceData,
    /// At least 1.
    pub quantity: i64,
    /// `unit_amount × quantity`, minor units.
    pub amount: i64,
}

/// A checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkout {
    /// UUID.
    pub id: String,
    /// Lines.
    pub invoice_items: Vec<InvoiceItem>,
    /// Minor units.
    pub amount_total: i64,
    /// Open, complete or expired.
    pub status: Status,
    /// Epoch microseconds.
    pub created_at_us: i64,
    /// Epoch microseconds.
    pub updated_at_us: i64,
    /// Epoch milliseconds.
    pub expires_at_ms: i64,
    /// Echoed.
    pub client_reference_id: Option<String>,
    /// As sent (case kept).
    pub currency: String,
    /// Browser redirect after payment.
    pub success_url: Option<String>,
    /// Browser redirect on cancel.
    pub cancel_url: Option<String>,
    /// Server callback (falls back to the dashboard URL).
    pub callback_url: Option<String>,
    /// UUID.
    pub payment_intent: String,
    /// e.g. `["crypto", "card"]`.
    pub payment_method_types: Vec<String>,
    /// `(currency, network)` of the crypto payment method, e.g. `("usdt", "tron")`.
    pub crypto: (String, String),
    /// The payment method UUID, once paid.
    pub payment_method_id: Option<String>,
    /// Echoed object.
    pub metadata: Value,
}

/// `1690532072288761` µs → `"1690532072.288761"`.
pub fn epoch_seconds_text(micros: i64) -> String {
    format!("{}.{:06}", micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000))
}

impl Checkout {
    /// The object as the API returns it.
    pub fn to_json(&self, merchant_id: &str, merchant_name: &str, url: &str, scale: u32) -> Value {
        let items: Vec<Value> = self
            .invoice_items
            .iter()
            .map(|item| {
                json!({
                    "id": item.id,
                    "price": item.price,
                    "priceData": {
                        "currency": item.price_data.currency,
                        "unitAmount": format_minor(item.price_data.unit_amount, scale),
                        "productData": {
                            "name": item.price_data.name,
                            "description": item.price_data.description,
                            "images": item.price_data.images,
                        },
                    },
                    "quantity": item.quantity,
                    "amount": format_minor(item.amount, scale),
                })
            })
            .collect();
        let (crypto_currency, network) = &self.crypto;
        json!({
            "id": self.id,
            "merchant": { "id": merchant_id, "name": merchant_name },
            "nameCollection": false,
            "emailCollection": false,
            "phoneNumberCollection": false,
            "shippingAddressCollection": null,
            "invoiceItems": items,
            "amountTotal": format_minor(self.amount_total, scale),
            "status": self.status.as_str(),
            "createdAt": epoch_seconds_text(self.created_at_us),
            "updatedAt": epoch_seconds_text(self.updated_at_us),
            "clientReferenceId": self.client_reference_id,
            "currency": self.currency,
            "successUrl": self.success_url,
            "cancelUrl": self.cancel_url,
            "expiresAt": self.expires_at_ms.to_string(),
            "paymentIntent": self.payment_intent,
            "paymentMethodTypes": self.payment_method_types,
            "paymentMethodOptions": {
                "crypto": [{
                    "currency": {
                        "value": crypto_currency,
                        "name": crypto_currency.to_ascii_uppercase(),
                        "logo": null,
                    },
                    "networks": [{ "value": network, "name": capitalise(network) }],
                }],
                "card": null,
            },
            "url": url,
            "metadata": self.metadata,
            "isLivemode": false,
        })
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_keep_six_fraction_digits() {
        assert_eq!(epoch_seconds_text(1_690_532_072_288_761), "1690532072.288761");
        assert_eq!(epoch_seconds_text(1_690_532_072_000_001), "1690532072.000001");
    }
}
