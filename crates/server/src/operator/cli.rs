//! `kassa-server orders list|show|deliveries|replay`: the orders API's reads and replay for an
//! operator at a shell.
//!
//! It talks to the database directly (the `server.database_url` of the same configuration
//! file and `KASSA_*` environment), not to a running backend: it works when the backend is
//! down, which is when an operator most needs it, and it needs no token, since whoever can
//! read the configuration can read the database anyway. A replay only marks deliveries due;
//! a running backend's worker sends them.

use std::path::Path;

use anyhow::Context as _;
use clap::Subcommand;
use figment::{
    providers::{Env, Format as _, Toml},
    Figment,
};
use kassa_wire::SessionState;

use super::views;
use crate::store::{DeliveryFilter, DeliveryState, OrderFilter, Store};

/// `kassa-server orders …`.
#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// Lists orders, newest first.
    List {
        /// Only orders in this state (created, open, paid, failed, cancelled, expired, invoiced).
        #[arg(long)]
        state: Option<String>,
        /// Only this provider's (stripe, payfect, front_payment, checkfront, bokamera).
        #[arg(long)]
        provider: Option<String>,
        /// Only the order with this id or provider reference.
        #[arg(long)]
        reference: Option<String>,
        /// Created at or after (unix seconds).
        #[arg(long)]
        from: Option<i64>,
        /// Created before (unix seconds).
        #[arg(long)]
        to: Option<i64>,
        /// At most this many (1 to 500; 50 when not given).
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=views::MAX_LIMIT))]
        limit: Option<i64>,
    },
    /// Shows one order with its provider attempts, state changes, events and deliveries (JSON).
    Show {
        /// The order id (ks_…).
        id: String,
    },
    /// Lists merchant-event deliveries, newest first.
    Deliveries {
        /// Only this state (pending, delivered, dead).
        #[arg(long)]
        state: Option<String>,
        /// Only this endpoint.
        #[arg(long)]
        endpoint: Option<String>,
        /// Only this order's.
        #[arg(long)]
        order: Option<String>,
        /// At most this many (1 to 500; 50 when not given).
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=views::MAX_LIMIT))]
        limit: Option<i64>,
    },
    /// Sends deliveries again: one event's (`--event`), or every dead one; `--endpoint`
    /// narrows either to one endpoint.
    Replay {
        /// The event id (evt_…).
        #[arg(long)]
        event: Option<String>,
        /// Only to this endpoint.
        #[arg(long)]
        endpoint: Option<String>,
    },
}

/// Runs `command` against the database named by the configuration at `config`; answers the
/// text to print.
pub async fn run(config: &Path, command: OrdersCommand) -> anyhow::Result<String> {
    let url: String = Figment::new()
        .merge(Toml::file_exact(config))
        .merge(Env::prefixed("KASSA_").split("__").only(&["server.database_url"]))
        .extract_inner("server.database_url")
        .with_context(|| format!("{}: server.database_url", config.display()))?;
    let store = Store::connect(&url).await?;
    execute(&store, command).await
}

/// Runs `command` on `store`.
pub async fn execute(store: &Store, command: OrdersCommand) -> anyhow::Result<String> {
    match command {
        OrdersCommand::List { state, provider, reference, from, to, limit } => {
            let filter = OrderFilter {
                state: state
                    .map(|s| {
                        SessionState::parse(&s).with_context(|| format!("--state: no state `{s}`"))
                    })
                    .transpose()?,
                provider,
                reference,
                created_from: from,
                created_to: to,
                limit: views::limit(limit),
            };
            let orders = store.search_orders(&filter).await?;
            let mut out = format!(
                "{:<38} {:<10} {:<14} {:>14} {:<4} {:<12}\n",
                "ORDER", "STATE", "PROVIDER", "TOTAL", "CUR", "CREATED"
            );
            for o in &orders {
                out.push_str(&format!(
                    "{:<38} {:<10} {:<14} {:>14} {:<4} {:<12}\n",
                    o.id,
                    o.state.as_str(),
                    o.provider.as_str(),
                    o.total.minor(),
                    o.total.currency().code(),
                    o.created_at
                ));
            }
            out.push_str(&format!("{} order(s)\n", orders.len()));
            Ok(out)
        }
        OrdersCommand::Show { id } => match views::detail(store, &id).await? {
            Some(body) => Ok(format!("{}\n", serde_json::to_string_pretty(&body)?)),
            None => anyhow::bail!("there is no order `{id}`"),
        },
        OrdersCommand::Deliveries { state, endpoint, order, limit } => {
            let filter = DeliveryFilter {
                state: state
                    .map(|s| {
                        DeliveryState::parse(&s).with_context(|| {
                            format!("--state: `{s}` is not pending, delivered or dead")
                        })
                    })
                    .transpose()?,
                endpoint,
                order_id: order,
                limit: views::limit(limit),
            };
            let list = store.deliveries(&filter).await?;
            let mut out = format!(
                "{:<36} {:<12} {:<38} {:<16} {:<9} {:>8} {}\n",
                "EVENT", "ENDPOINT", "ORDER", "TYPE", "STATE", "ATTEMPTS", "LAST ERROR"
            );
            for d in &list {
                out.push_str(&format!(
                    "{:<36} {:<12} {:<38} {:<16} {:<9} {:>8} {}\n",
                    d.event_id,
                    d.endpoint,
                    d.order_id,
                    d.event_type,
                    d.state.as_str(),
                    d.attempts,
                    d.last_error.as_deref().unwrap_or("-")
                ));
            }
            out.push_str(&format!("{} deliveries\n", list.len()));
            Ok(out)
        }
        OrdersCommand::Replay { event, endpoint } => {
            let n = store.replay(event.as_deref(), endpoint.as_deref()).await?;
            Ok(format!("{n} deliveries queued again; a running kassa-server sends them\n"))
        }
    }
}
