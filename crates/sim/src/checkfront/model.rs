//! Checkfront's catalogue, SLIPs, cart sessions and bookings, and their JSON shapes.
//!
//! A SLIP is the opaque string a rated item query hands out and the cart takes back. Here it is
//! `{item_id}.{YYYYMMDD}X{days}-{param}.{n}…`, like the docs' `18.20171005X1-adults.1-children.0`;
//! clients must not parse it, and the simulator is the only one that does. Money is integer
//! minor units, written as decimal strings (`"450.00"`) as Checkfront does.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::decimal::format_minor;

/// One bookable item of the simulated account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckfrontItem {
    /// `item_id`.
    pub item_id: u32,
    /// `sku`.
    pub sku: String,
    /// `name`.
    pub name: String,
    /// Price per unit of any booking parameter, minor units.
    pub price: i64,
    /// Units available per date.
    pub stock: u32,
}

/// The default catalogue of the demo account.
pub fn default_items() -> Vec<CheckfrontItem> {
    vec![
        CheckfrontItem {
            item_id: 1,
            sku: "kayak-tour".into(),
            name: "Fjord kayak tour".into(),
            price: 45_000,
            stock: 12,
        },
        CheckfrontItem {
            item_id: 2,
            sku: "glacier-hike".into(),
            name: "Glacier hike".into(),
            price: 89_000,
            stock: 8,
        },
        CheckfrontItem {
            item_id: 3,
            sku: "bike-rental".into(),
            name: "Bike rental (day)".into(),
            price: 30_000,
            stock: 20,
        },
    ]
}

/// A parsed SLIP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slip {
    /// The item.
    pub item_id: u32,
    /// First day, days since 1970-01-01.
    pub start: i64,
    /// Number of days (at least 1).
    pub days: i64,
    /// Booking parameters and their counts, in order.
    pub params: Vec<(String, u32)>,
}

impl Slip {
    /// Total units booked.
    pub fn qty(&self) -> u32 {
        self.params.iter().map(|(_, n)| *n).sum()
    }

    /// The last day.
    pub fn end(&self) -> i64 {
        self.start + self.days - 1
    }

    /// The SLIP text.
    pub fn encode(&self) -> String {
        let mut text = format!("{}.{}X{}", self.item_id, compact(self.start), self.days);
        for (name, n) in &self.params {
            text.push_str(&format!("-{name}.{n}"));
        }
        text
    }

    /// Reads a SLIP this simulator issued.
    pub fn parse(text: &str) -> Option<Slip> {
        let mut parts = text.split('-');
        let head = parts.next()?;
        let (item, rest) = head.split_once('.')?;
        let (date, days) = rest.split_once('X')?;
        let mut params = Vec::new();
        for part in parts {
            let (name, n) = part.rsplit_once('.')?;
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return None;
            }
            params.push((name.to_owned(), n.parse().ok()?));
        }
        let days: i64 = days.parse().ok()?;
        if !(1..=366).contains(&days) {
            return None;
        }
        Some(Slip { item_id: item.parse().ok()?, start: parse_date(date)?, days, params })
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYYMMDD` or `YYYY-MM-DD` → day number.
pub fn parse_date(text: &str) -> Option<i64> {
    let digits: String = text.chars().filter(|c| *c != '-').collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d) =
        (digits[..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..].parse().ok()?);
    let day = days_from_civil(y, m, d);
    (civil_from_days(day) == (y, m, d)).then_some(day)
}

/// Day number → `YYYYMMDD`.
pub fn compact(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}{m:02}{d:02}")
}

/// Day number → `YYYY-MM-DD`.
pub fn iso(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// One cart or booking line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// `"1"`, `"2"`, …
    pub line_id: String,
    /// What is booked.
    pub slip: Slip,
    /// Item name.
    pub name: String,
    /// Item SKU.
    pub sku: String,
    /// Line total, minor units.
    pub total: i64,
}

/// A cart (booking session).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartSession {
    /// Session id.
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// Lines.
    pub lines: Vec<Line>,
    /// Ended sessions take no more lines and cannot be booked.
    pub ended: bool,
}

/// A booking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Booking {
    /// Numeric id.
    pub booking_id: u64,
    /// `ABCD-123456`.
    pub code: String,
    /// Customer token for the pay and receipt pages.
    pub token: String,
    /// Status id (`PEND`, `PAID`, `VOID`, …).
    pub status_id: String,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds a customer pre-booking lapses; `None` for staff bookings.
    pub expires_at: Option<i64>,
    /// Whether it was made acting as a customer.
    pub as_customer: bool,
    /// Lines.
    pub lines: Vec<Line>,
    /// Paid so far, minor units.
    pub paid_total: i64,
    /// `form[…]` fields.
    pub fields: BTreeMap<String, String>,
}

impl Booking {
    /// Sum of the lines.
    pub fn total(&self) -> i64 {
        self.lines.iter().map(|l| l.total).sum()
    }

    /// First and last day.
    pub fn dates(&self) -> (i64, i64) {
        let start = self.lines.iter().map(|l| l.slip.start).min().unwrap_or_default();
        let end = self.lines.iter().map(|l| l.slip.end()).max().unwrap_or_default();
        (start, end)
    }

    fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    /// A one-line summary.
    pub fn summary(&self) -> String {
        self.lines.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// `GET /booking/{code}` → `booking`, without the token (see `CheckfrontSim::token_on_get`).
    pub fn to_json(&self, currency: &str, status_name: &str) -> Value {
        let (start, end) = self.dates();
        let items: BTreeMap<String, Value> =
            self.lines.iter().map(|l| (l.line_id.clone(), line_json(l, 0))).collect();
        json!({
            "booking_id": self.booking_id,
            "id": self.booking_id,
            "code": self.code,
            "status_id": self.status_id,
            "status_name": status_name,
            "created_date": self.created,
            "start_date": compact(start),
            "end_date": compact(end),
            "date_desc": date_desc(start, end),
            "summary": self.summary(),
            "currency_id": currency,
            "sub_total": money(self.total()),
            "tax_total": money(0),
            "total": money(self.total()),
            "paid_total": money(self.paid_total),
            "due": money(self.total() - self.paid_total),
            "customer_name": self.field("customer_name"),
            "customer_email": self.field("customer_email"),
            "customer_phone": self.field("customer_phone"),
            "items": items,
            "fields": self.fields,
        })
    }

    /// A `booking/index` row.
    pub fn index_row(&self, status_name: &str) -> Value {
        let (start, end) = self.dates();
        json!({
            "booking_id": self.booking_id,
            "code": self.code,
            "status_id": self.status_id,
            "status_name": status_name,
            "created_date": self.created,
            "total": money(self.total()),
            "tax_total": money(0),
            "paid_total": money(self.paid_total),
            "customer_id": self.booking_id,
            "customer_name": self.field("customer_name"),
            "customer_email": self.field("customer_email"),
            "summary": self.summary(),
            "date_desc": date_desc(start, end),
            "tid": "",
            "token": self.token,
        })
    }
}

/// Minor units → `"450.00"`.
pub fn money(minor: i64) -> String {
    format_minor(minor, 2)
}

/// `"2026-12-05"` or `"2026-12-05 - 2026-12-07"`.
pub fn date_desc(start: i64, end: i64) -> String {
    if start == end {
        iso(start)
    } else {
        format!("{} - {}", iso(start), iso(end))
    }
}

/// A cart or booking line as Checkfront lists it under `item{<line_id>:…}`.
pub fn line_json(line: &Line, available: u32) -> Value {
    let qty = line.slip.qty();
    let params: BTreeMap<&str, u32> =
        line.slip.params.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    json!({
        "sku": line.sku,
        "item_id": line.slip.item_id,
        "name": line.name,
        "rate": {
            "total": money(line.total),
            "item_total": money(line.total),
            "qty": qty,
            "summary": format!("{qty} × {}", line.name),
        },
        "date": {
            "start_date": compact(line.slip.start),
            "end_date": compact(line.slip.end()),
            "summary": date_desc(line.slip.start, line.slip.end()),
        },
        "param": params,
        "slip": line.slip.encode(),
        "available": available,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(parse_date("20171005"), parse_date("2017-10-05"));
        let day = parse_date("20240229").expect("leap day");
        assert_eq!(compact(day), "20240229");
        assert_eq!(compact(day + 1), "20240301");
        assert_eq!(parse_date("20230229"), None, "not a leap year");
        assert_eq!(parse_date("2023-13-01"), None);
    }

    #[test]
    fn slips_round_trip() {
        let text = "18.20171005X1-adults.1-children.0";
        let slip = Slip::parse(text).expect("parses");
        assert_eq!(slip.item_id, 18);
        assert_eq!(slip.qty(), 1);
        assert_eq!(slip.encode(), text);
        assert!(Slip::parse("18.2017100X1").is_none());
        assert!(Slip::parse("x.20171005X1-qty.1").is_none());
        assert!(Slip::parse("18.20171005X0-qty.1").is_none());
    }
}
