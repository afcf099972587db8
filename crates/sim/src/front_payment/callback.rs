//! Front Payment's callback: query parameters appended to `callbackUrl`, with a checksum.
//!
//! Parameters go in the documented example's order (`orderUuid`, `status`, `paymentMethod`,
//! `amount`, `createdAt`, `timestamp`, then `checksum`). The checksum follows the formula of
//! the configured docs revision (`docs/providers.md` §4.7); the current one hashes every value but `checksum`, in
//! order, followed by the secret key. `timestamp` is the wall-clock send time of each attempt.

use sha2::{Digest, Sha256};

use super::ChecksumFormula;
use crate::{
    clock,
    delivery::{Message, Outgoing},
};

/// The values a callback reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// `orderUuid`.
    pub order_uuid: String,
    /// `status`, e.g. `PAID`.
    pub status: String,
    /// `paymentMethod`, e.g. `Visa`.
    pub payment_method: String,
    /// `amount`, decimal text.
    pub amount: String,
    /// `createdAt`, unix seconds.
    pub created_at: i64,
}

/// The checksum of `params` (name, value pairs in send order, without `checksum`).
pub fn checksum(formula: ChecksumFormula, params: &[(String, String)], secret: &str) -> String {
    let get = |name: &str| {
        params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
    };
    let input = match formula {
        ChecksumFormula::Current => {
            let mut all: String = params.iter().map(|(_, v)| v.as_str()).collect();
            all.push_str(secret);
            all
        }
        ChecksumFormula::Rev1179 => format!(
            "{}{}{}{}{}{secret}",
            get("orderUuid"),
            get("status"),
            get("createdAt"),
            get("amount"),
            get("timestamp")
        ),
        ChecksumFormula::Rev936 => {
            format!("{}{}{}{secret}", get("orderUuid"), get("status"), get("createdAt"))
        }
        ChecksumFormula::Rev934 => {
            format!("{}{}{}", get("orderUuid"), get("status"), get("createdAt"))
        }
    };
    hex::encode(Sha256::digest(input.as_bytes()))
}

/// One callback on its way; rebuilt with a fresh `timestamp` on every attempt.
#[derive(Clone, Debug)]
pub struct Callback {
    /// `callbackUrl` as the merchant gave it.
    pub url: String,
    /// What to report.
    pub notice: Notice,
    /// GET or POST.
    pub method: reqwest::Method,
    /// Which checksum revision.
    pub formula: ChecksumFormula,
    /// Whether `callbackUrl`'s own query values count in the checksum.
    pub include_url_params: bool,
    /// The merchant's secret key.
    pub secret: String,
}

impl Callback {
    /// The full URL for a send at `timestamp`.
    pub fn url_at(&self, timestamp: i64) -> Option<String> {
        let mut url = url::Url::parse(&self.url).ok()?;
        let existing: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let ours = vec![
            ("orderUuid".to_owned(), self.notice.order_uuid.clone()),
            ("status".to_owned(), self.notice.status.clone()),
            ("paymentMethod".to_owned(), self.notice.payment_method.clone()),
            ("amount".to_owned(), self.notice.amount.clone()),
            ("createdAt".to_owned(), self.notice.created_at.to_string()),
            ("timestamp".to_owned(), timestamp.to_string()),
        ];
        let mut hashed = if self.include_url_params { existing } else { vec![] };
        hashed.extend(ours.iter().cloned());
        let sum = checksum(self.formula, &hashed, &self.secret);
        {
            let mut query = url.query_pairs_mut();
            for (k, v) in &ours {
                query.append_pair(k, v);
            }
            query.append_pair("checksum", &sum);
        }
        Some(url.into())
    }
}

impl Message for Callback {
    fn build(&self) -> Option<Outgoing> {
        Some(Outgoing {
            method: self.method.clone(),
            url: self.url_at(clock::wall_secs())?,
            headers: vec![("accept".into(), "application/json".into())],
            body: vec![],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> Notice {
        Notice {
            order_uuid: "ODR123".into(),
            status: "PAID".into(),
            payment_method: "Visa".into(),
            amount: "100".into(),
            created_at: 1_755_764_131,
        }
    }

    fn sha(text: &str) -> String {
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    fn callback(formula: ChecksumFormula, include: bool) -> Callback {
        Callback {
            url: "https://merchant.example/cb?order_identifier=abc".into(),
            notice: notice(),
            method: reqwest::Method::GET,
            formula,
            include_url_params: include,
            secret: "s3cret".into(),
        }
    }

    fn query(url: &str) -> Vec<(String, String)> {
        url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
    }

    #[test]
    fn current_formula_hashes_the_values_in_order_then_the_secret() {
        let url = callback(ChecksumFormula::Current, false).url_at(1_755_764_200).unwrap();
        let q = query(&url);
        let names: Vec<_> = q.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "order_identifier",
                "orderUuid",
                "status",
                "paymentMethod",
                "amount",
                "createdAt",
                "timestamp",
                "checksum"
            ]
        );
        let expected = sha("ODR123PAIDVisa10017557641311755764200s3cret");
        assert_eq!(q.last().unwrap().1, expected);
    }

    #[test]
    fn the_merchants_own_params_count_when_configured() {
        let url = callback(ChecksumFormula::Current, true).url_at(1_755_764_200).unwrap();
        let expected = sha("abcODR123PAIDVisa10017557641311755764200s3cret");
        assert_eq!(query(&url).last().unwrap().1, expected);
    }

    #[test]
    fn historical_formulas() {
        let sum = |f| query(&callback(f, false).url_at(9).unwrap()).last().unwrap().1.clone();
        assert_eq!(sum(ChecksumFormula::Rev934), sha("ODR123PAID1755764131"));
        assert_eq!(sum(ChecksumFormula::Rev936), sha("ODR123PAID1755764131s3cret"));
        assert_eq!(sum(ChecksumFormula::Rev1179), sha("ODR123PAID17557641311009s3cret"));
    }
}
