//! Reading orders for the operator (the orders API and `kassa-server orders`): filtered
//! lists and an order's logged transitions.

use super::{
    sql::{args, Columns as _},
    Order, Store,
};
use anyhow::Context as _;
use kassa_wire::SessionState;

/// Which orders to list. Every filter is optional; times are unix seconds.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    /// Only orders in this state.
    pub state: Option<SessionState>,
    /// Only this provider's (`stripe`, …).
    pub provider: Option<String>,
    /// Only the order with this id or this provider reference.
    pub reference: Option<String>,
    /// Created at or after.
    pub created_from: Option<i64>,
    /// Created before.
    pub created_to: Option<i64>,
    /// At most this many, newest first.
    pub limit: i64,
}

/// One logged state change.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Transition {
    /// The state before.
    pub from: SessionState,
    /// The state after.
    pub to: SessionState,
    /// Why (`provider notification`, `customer cancelled`, …).
    pub cause: String,
    /// When (unix seconds).
    pub at: i64,
}

impl Store {
    /// Orders matching `filter`, newest first.
    pub async fn search_orders(&self, filter: &OrderFilter) -> anyhow::Result<Vec<Order>> {
        let select = format!(
            "SELECT {} FROM orders WHERE ($1 IS NULL OR state = $1) \
             AND ($2 IS NULL OR provider = $2) \
             AND ($3 IS NULL OR id = $3 OR provider_ref = $3) \
             AND ($4 IS NULL OR created_at >= $4) AND ($5 IS NULL OR created_at < $5) \
             ORDER BY created_at DESC, id LIMIT $6",
            Order::COLUMNS
        );
        let args = args![
            filter.state.map(SessionState::as_str),
            filter.provider.as_deref(),
            filter.reference.as_deref(),
            filter.created_from,
            filter.created_to,
            filter.limit.max(1),
        ];
        let rows = self.fetch(select, args).await.context("searching orders")?;
        rows.iter().map(Order::from_row).collect()
    }

    /// The order's state changes, oldest first.
    pub async fn transitions(&self, order_id: &str) -> anyhow::Result<Vec<Transition>> {
        let rows = self
            .fetch(
                "SELECT from_state, to_state, cause, at FROM order_events WHERE order_id = $1 \
                 ORDER BY at",
                args![order_id],
            )
            .await
            .context("reading an order's transitions")?;
        let parse =
            |s: String| SessionState::parse(&s).with_context(|| format!("stored state `{s}`"));
        let mut out: Vec<Transition> = rows
            .iter()
            .map(|r| {
                Ok(Transition {
                    from: parse(r.text_of("from_state")?)?,
                    to: parse(r.text_of("to_state")?)?,
                    cause: r.text_of("cause")?,
                    at: r.int_of("at")?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        // Several changes within one second: follow the chain of states, as `history` does.
        let mut chained = Vec::with_capacity(out.len());
        let mut last = SessionState::Created;
        while !out.is_empty() {
            let i = out.iter().position(|t| t.from == last).unwrap_or(0);
            let t = out.remove(i);
            last = t.to;
            chained.push(t);
        }
        Ok(chained)
    }
}
