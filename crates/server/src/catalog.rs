//! Pricing: turns a page's cart (SKUs, quantities, dates) into a [`Quote`].
//!
//! Prices come only from the merchant's catalog; the browser never states an amount.
//! Every sum is checked arithmetic on minor units.

use std::collections::HashMap;

use kassa_wire::{CartItem, Currency, Money, Quote, QuoteLine, MAX_CART_LINES, MAX_QUANTITY};

use crate::{config::CatalogEntry, error::AppError};

/// A priced product.
#[derive(Clone, Debug)]
struct Product {
    name: String,
    unit_price: Money,
    requires_dates: bool,
}

/// The merchant's products by SKU.
#[derive(Clone, Debug)]
pub struct Catalog {
    currency: Currency,
    products: HashMap<String, Product>,
}

impl Catalog {
    /// Builds the catalog from validated settings.
    pub fn new(currency: Currency, entries: &[CatalogEntry]) -> anyhow::Result<Self> {
        let mut products = HashMap::new();
        for e in entries {
            let unit_price = Money::parse_major(&e.unit_price, currency)?;
            products.insert(
                e.sku.clone(),
                Product { name: e.name.clone(), unit_price, requires_dates: e.requires_dates },
            );
        }
        Ok(Catalog { currency, products })
    }

    /// Every SKU, sorted (the served OpenAPI document lists them).
    pub fn skus(&self) -> Vec<&str> {
        let mut skus: Vec<&str> = self.products.keys().map(String::as_str).collect();
        skus.sort_unstable();
        skus
    }

    /// Prices `items`, naming the first offending field on error.
    pub fn quote(&self, items: &[CartItem]) -> Result<Quote, AppError> {
        if items.is_empty() {
            return Err(AppError::invalid("items", "the cart is empty"));
        }
        if items.len() > MAX_CART_LINES {
            return Err(AppError::invalid(
                "items",
                format!("a cart has at most {MAX_CART_LINES} lines"),
            ));
        }
        let mut lines = Vec::with_capacity(items.len());
        let mut total = Money::zero(self.currency);
        for (i, item) in items.iter().enumerate() {
            let product = self.products.get(&item.sku).ok_or_else(|| AppError::UnknownSku {
                field: format!("items[{i}].sku"),
                sku: item.sku.clone(),
            })?;
            if !(1..=MAX_QUANTITY).contains(&item.quantity) {
                return Err(AppError::invalid(
                    format!("items[{i}].quantity"),
                    format!("quantity must be between 1 and {MAX_QUANTITY}, not {}", item.quantity),
                ));
            }
            check_dates(i, item, product.requires_dates)?;
            let line_total =
                product.unit_price.checked_mul(item.quantity).map_err(AppError::money)?;
            total = total.checked_add(line_total).map_err(AppError::money)?;
            lines.push(QuoteLine {
                sku: item.sku.clone(),
                name: product.name.clone(),
                quantity: item.quantity,
                unit_price: product.unit_price,
                line_total,
                start_date: item.start_date.clone(),
                end_date: item.end_date.clone(),
            });
        }
        Ok(Quote { lines, total })
    }
}

fn check_dates(i: usize, item: &CartItem, required: bool) -> Result<(), AppError> {
    if required && item.start_date.is_none() {
        return Err(AppError::invalid(
            format!("items[{i}].start_date"),
            "this item is booked for a date; give start_date",
        ));
    }
    let start = item.start_date.as_deref().map(|d| parse_date(i, "start_date", d)).transpose()?;
    let end = item.end_date.as_deref().map(|d| parse_date(i, "end_date", d)).transpose()?;
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            return Err(AppError::invalid(
                format!("items[{i}].end_date"),
                "end_date is before start_date",
            ));
        }
    }
    Ok(())
}

/// Parses `YYYY-MM-DD` into a comparable number, checking the calendar.
fn parse_date(i: usize, field: &str, text: &str) -> Result<u32, AppError> {
    let bad = || {
        AppError::invalid(
            format!("items[{i}].{field}"),
            format!("`{text}` is not a date like 2026-12-01"),
        )
    };
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num =
        |s: &str| s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse::<u32>().ok()).flatten();
    let (y, m, d) = (
        num(&text[0..4]).ok_or_else(bad)?,
        num(&text[5..7]).ok_or_else(bad)?,
        num(&text[8..10]).ok_or_else(bad)?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if d == 0 || d > days {
        return Err(bad());
    }
    Ok(y * 10_000 + m * 100 + d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let entries = vec![
            CatalogEntry {
                sku: "kayak-2h".into(),
                name: "Kayak".into(),
                unit_price: "650.00".into(),
                requires_dates: true,
            },
            CatalogEntry {
                sku: "life-jacket".into(),
                name: "Life jacket".into(),
                unit_price: "75.50".into(),
                requires_dates: false,
            },
        ];
        Catalog::new(Currency::NOK, &entries).unwrap()
    }

    fn item(sku: &str, quantity: u32, date: Option<&str>) -> CartItem {
        CartItem { sku: sku.into(), quantity, start_date: date.map(Into::into), end_date: None }
    }

    #[test]
    fn prices_lines_and_total_from_the_catalog() {
        let q = catalog()
            .quote(&[item("kayak-2h", 2, Some("2026-12-01")), item("life-jacket", 2, None)])
            .unwrap();
        assert_eq!(q.lines[0].line_total.minor(), 130_000);
        assert_eq!(q.lines[1].line_total.minor(), 15_100);
        assert_eq!(q.total.minor(), 145_100);
    }

    #[test]
    fn unknown_sku_names_the_field() {
        let err =
            catalog().quote(&[item("life-jacket", 1, None), item("canoe", 1, None)]).unwrap_err();
        assert!(
            matches!(err, AppError::UnknownSku { ref field, .. } if field == "items[1].sku"),
            "{err:?}"
        );
    }

    #[test]
    fn quantities_outside_one_to_ninety_nine_are_refused() {
        for q in [0, 100, 10_000] {
            let err = catalog().quote(&[item("life-jacket", q, None)]).unwrap_err();
            assert_eq!(err.field(), Some("items[0].quantity"), "quantity {q}");
        }
    }

    #[test]
    fn bookings_need_a_real_date() {
        assert_eq!(
            catalog().quote(&[item("kayak-2h", 1, None)]).unwrap_err().field(),
            Some("items[0].start_date")
        );
        for bad in ["2026-02-30", "2026-13-01", "26-12-01", "2026-1-01", "tomorrow"] {
            let err = catalog().quote(&[item("kayak-2h", 1, Some(bad))]).unwrap_err();
            assert_eq!(err.field(), Some("items[0].start_date"), "{bad}");
        }
        assert!(catalog().quote(&[item("kayak-2h", 1, Some("2028-02-29"))]).is_ok());
    }

    #[test]
    fn empty_and_oversized_carts_are_refused() {
        assert_eq!(catalog().quote(&[]).unwrap_err().field(), Some("items"));
        let many: Vec<_> = (0..=MAX_CART_LINES).map(|_| item("life-jacket", 1, None)).collect();
        assert_eq!(catalog().quote(&many).unwrap_err().field(), Some("items"));
    }
}
