//! Pricing: turns a page's cart (SKUs, quantities, dates) into priced lines (a quote's
//! content; `quotes` gives it its id).
//!
//! Prices come only from the merchant's catalog; the browser never states an amount.
//! Every sum is checked arithmetic on minor units.

use std::collections::HashMap;

use kassa_wire::{
    BookingPeriod, CartItem, Currency, Money, QuoteLine, MAX_CART_LINES, MAX_QUANTITY,
};

use crate::{config::CatalogEntry, error::AppError, quotes::Priced};

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
    pub fn price(&self, items: &[CartItem]) -> Result<Priced, AppError> {
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
        Ok(Priced { lines, total })
    }
}

fn check_dates(i: usize, item: &CartItem, required: bool) -> Result<(), AppError> {
    if required && item.start_date.is_none() {
        return Err(AppError::invalid(
            format!("items[{i}].start_date"),
            "this item is booked for a date; give start_date",
        ));
    }
    BookingPeriod::parse(item.start_date.as_deref(), item.end_date.as_deref())
        .map_err(|e| AppError::invalid(format!("items[{i}].{}", e.field()), e.to_string()))?;
    Ok(())
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
            .price(&[item("kayak-2h", 2, Some("2026-12-01")), item("life-jacket", 2, None)])
            .unwrap();
        assert_eq!(q.lines[0].line_total.minor(), 130_000);
        assert_eq!(q.lines[1].line_total.minor(), 15_100);
        assert_eq!(q.total.minor(), 145_100);
    }

    #[test]
    fn unknown_sku_names_the_field() {
        let err =
            catalog().price(&[item("life-jacket", 1, None), item("canoe", 1, None)]).unwrap_err();
        assert!(
            matches!(err, AppError::UnknownSku { ref field, .. } if field == "items[1].sku"),
            "{err:?}"
        );
    }

    #[test]
    fn quantities_outside_one_to_ninety_nine_are_refused() {
        for q in [0, 100, 10_000] {
            let err = catalog().price(&[item("life-jacket", q, None)]).unwrap_err();
            assert_eq!(err.field(), Some("items[0].quantity"), "quantity {q}");
        }
    }

    #[test]
    fn bookings_need_a_real_date() {
        assert_eq!(
            catalog().price(&[item("kayak-2h", 1, None)]).unwrap_err().field(),
            Some("items[0].start_date")
        );
        for bad in ["2026-02-30", "2026-13-01", "26-12-01", "2026-1-01", "tomorrow"] {
            let err = catalog().price(&[item("kayak-2h", 1, Some(bad))]).unwrap_err();
            assert_eq!(err.field(), Some("items[0].start_date"), "{bad}");
        }
        assert!(catalog().price(&[item("kayak-2h", 1, Some("2028-02-29"))]).is_ok());
    }

    #[test]
    fn empty_and_oversized_carts_are_refused() {
        assert_eq!(catalog().price(&[]).unwrap_err().field(), Some("items"));
        let many: Vec<_> = (0..=MAX_CART_LINES).map(|_| item("life-jacket", 1, None)).collect();
        assert_eq!(catalog().price(&many).unwrap_err().field(), Some("items"));
    }
}
