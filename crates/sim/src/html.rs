//! Server-rendered HTML for the providers' hosted pages.
//!
//! Every hosted page is plain HTML with inline CSS and no external assets, so it works offline
//! and under any test browser. The pieces here keep the pages uniform: a heading naming the
//! provider and amount, a table of lines, and one POST form whose buttons have exactly the
//! accessible names the tests look for ("Pay", "Decline", "Cancel", "Expire session").
//!
//! Why this stays hand-made rather than a template engine (issue 13 weighed `askama` and
//! `maud`): what these helpers do beyond `format!` is escaping, which is [`escape`] (five
//! characters, tested below), and a page skeleton with one style sheet. A template engine
//! would be worth its build time and macro weight if pages grew logic; today each provider's
//! page is a few `format!` calls over these helpers, and porting some 75 call sites in five
//! providers would be a large diff with no behaviour to gain. The rule that keeps it safe:
//! every piece of text from a request goes through [`escape`] (or a helper that calls it).

use axum::response::{Html, IntoResponse, Response};

/// Escapes text for use in HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A whole page: `title` goes into `<title>`, `body` is trusted HTML built by the caller.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>\n",
        title = escape(title),
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1a1a1a}\
main{max-width:32rem;margin:1.5rem auto;background:#fff;padding:1.5rem;border-radius:8px;\
box-shadow:0 1px 3px rgba(0,0,0,.15)}h1{font-size:1.3rem;margin-top:0}\
table{width:100%;border-collapse:collapse;margin:1rem 0}td,th{padding:.3rem 0;text-align:left}\
td.amount,th.amount{text-align:right}tfoot td{font-weight:bold;border-top:1px solid #ccc}\
form{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:1rem}\
button{font-size:1rem;padding:.5rem 1rem;border-radius:4px;border:1px solid #888;background:#fff;cursor:pointer}\
button[value=pay]{background:#2f6fde;color:#fff;border-color:#2f6fde}\
.note{color:#555;font-size:.9rem}.error{color:#b00020}";

/// One row of the order table: a description, quantity and formatted line amount.
#[derive(Clone, Debug)]
pub struct Line {
    /// What is bought.
    pub name: String,
    /// How many.
    pub quantity: String,
    /// The line total, already formatted with its currency.
    pub amount: String,
}

/// The order table with a total row.
pub fn lines_table(lines: &[Line], total: &str) -> String {
    let mut rows = String::new();
    for line in lines {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"amount\">{}</td></tr>",
            escape(&line.name),
            escape(&line.quantity),
            escape(&line.amount)
        ));
    }
    format!(
        "<table><thead><tr><th>Item</th><th>Qty</th><th class=\"amount\">Amount</th></tr></thead>\
         <tbody>{rows}</tbody><tfoot><tr><td colspan=\"2\">Total</td>\
         <td class=\"amount\" data-total>{}</td></tr></tfoot></table>",
        escape(total)
    )
}

/// A POST form to `action` with one submit button per `(value, label)`; the button's text is
/// its accessible name. `extra` is trusted HTML placed before the buttons (e.g. a select).
pub fn action_form(action: &str, buttons: &[(&str, &str)], extra: &str) -> String {
    let mut html = format!("<form method=\"post\" action=\"{}\">{extra}<div>", escape(action));
    for (value, label) in buttons {
        html.push_str(&format!(
            "<button type=\"submit\" name=\"action\" value=\"{}\">{}</button> ",
            escape(value),
            escape(label)
        ));
    }
    html.push_str("</div></form>");
    html
}

/// The four standard hosted-page buttons.
pub const STANDARD_BUTTONS: [(&str, &str); 4] =
    [("pay", "Pay"), ("decline", "Decline"), ("cancel", "Cancel"), ("expire", "Expire session")];

/// "Payment declined" with a link back to the merchant.
pub fn declined_page(provider: &str, return_url: Option<&str>, retry_url: &str) -> String {
    let back = return_link(return_url);
    page(
        &format!("{provider}: payment declined"),
        &format!(
            "<h1>Payment declined</h1><p class=\"error\">{}: your payment was declined.</p>\
             {back}<p class=\"note\"><a href=\"{}\">Try again</a></p>",
            escape(provider),
            escape(retry_url)
        ),
    )
}

/// "Session expired" with a link back to the merchant.
pub fn expired_page(provider: &str, return_url: Option<&str>) -> String {
    page(
        &format!("{provider}: session expired"),
        &format!(
            "<h1>Session expired</h1><p>{}: this payment session has expired.</p>{}",
            escape(provider),
            return_link(return_url)
        ),
    )
}

/// A finished or closed session: no Pay button, only the state and a way back.
pub fn state_page(provider: &str, heading: &str, text: &str, return_url: Option<&str>) -> String {
    page(
        &format!("{provider}: {heading}"),
        &format!("<h1>{}</h1><p>{}</p>{}", escape(heading), escape(text), return_link(return_url)),
    )
}

fn return_link(url: Option<&str>) -> String {
    match url {
        Some(url) => format!("<p><a href=\"{}\">Return to merchant</a></p>", escape(url)),
        None => String::new(),
    }
}

/// A 404 page for an unknown session id.
pub fn not_found(provider: &str) -> Response {
    (
        axum::http::StatusCode::NOT_FOUND,
        Html(page(
            &format!("{provider}: not found"),
            "<h1>Not found</h1><p>No such payment session.</p>",
        )),
    )
        .into_response()
}

/// The exponent (digits after the point) of an ISO 4217 currency, case-insensitive; 2 for
/// codes the table does not know (such as crypto tickers like `usdt`).
pub fn currency_exponent(code: &str) -> u32 {
    iso_currency::Currency::from_code(&code.to_ascii_uppercase())
        .and_then(|c| c.exponent())
        .map_or(2, u32::from)
}

/// `1250`, `eur` → `"12.50 EUR"`.
pub fn money(amount: i64, currency: &str) -> String {
    format!(
        "{} {}",
        crate::decimal::format_minor(amount, currency_exponent(currency)),
        currency.to_ascii_uppercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn formats_money_with_the_currency_exponent() {
        assert_eq!(money(1250, "eur"), "12.50 EUR");
        assert_eq!(money(1250, "jpy"), "1250 JPY");
        assert_eq!(money(1250, "kwd"), "1.250 KWD");
        assert_eq!(money(2050, "usdt"), "20.50 USDT");
    }

    #[test]
    fn buttons_carry_their_exact_labels() {
        let form = action_form("/x", &STANDARD_BUTTONS, "");
        for label in ["Pay", "Decline", "Cancel", "Expire session"] {
            assert!(form.contains(&format!(">{label}</button>")), "{label} button present");
        }
    }
}
