//! Orders in SQL, on SQLite or PostgreSQL, chosen by the database URL.
//!
//! One set of portable queries (and one set of migrations), so both backends pass the same
//! tests (`tests/reliability/store.rs`). Each transaction is written once against
//! [`sql::Db`]; on a SQLite file it runs through `rusqlite` on a thread of its own (writes on
//! the [`writer`], reads on a blocking thread, [`lite`]), elsewhere through sqlx's `Any`
//! driver, which also runs the migrations. Every state change is a
//! compare-and-set (`UPDATE … WHERE state = $old`) inside a write transaction that also logs
//! the transition, so concurrent requests, webhooks and several backend processes can never
//! move an order twice or backwards; the pure rules live in [`kassa_wire::SessionState::apply`].
//!
//! The two backends need different care to give the same guarantees (R-S2):
//! - SQLite runs in WAL mode with a busy timeout, and every transaction that may write starts
//!   with `BEGIN IMMEDIATE`: a deferred transaction that reads and then writes can fail with
//!   `SQLITE_BUSY` whatever the busy timeout says, which would surface as a 500.
//! - PostgreSQL relies on UNIQUE constraints (`ON CONFLICT DO NOTHING`) and compare-and-set
//!   updates that re-read and retry when another transaction won the row.

use std::time::Duration;

use anyhow::Context as _;
use futures::future::BoxFuture;
use kassa_wire::SessionState;
use sqlx::{any::AnyPoolOptions, AnyPool, Executor as _};

mod inbox;
mod lite;
mod order;
mod orders;
mod outbox;
mod search;
pub(crate) mod sql;
mod writer;

pub use inbox::{Change, InboxKey, Noted};
pub use order::{NewOrder, Order};
pub use outbox::{
    event_type, now_ms, Delivery, DeliveryFilter, DeliveryState, DueDelivery, OutboxCounts,
    OutboxEvent,
};
pub use search::{OrderFilter, Transition};
pub use writer::Unavailable;

/// How long a request may hold an order while it calls the provider. Longer than an
/// adapter's whole retry deadline (10 s by default), so a live call never loses its lease;
/// short, so that after a crash the order is picked up again soon (R-S4).
pub const LEASE_SECS: i64 = 15;

/// How durably a write transaction is committed before its caller hears back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// On disk before the caller continues (SQLite `synchronous = FULL`, PostgreSQL's
    /// `synchronous_commit = on`): every write but the one below.
    Durable,
    /// Committed and visible at once, on disk with the next durable commit (SQLite
    /// `synchronous = NORMAL` in WAL mode, PostgreSQL `synchronous_commit = off` for this
    /// transaction; either keeps the database consistent, and either makes it durable when a
    /// later transaction commits durably, because that flush covers every earlier one).
    ///
    /// Only for an order's first write ([`Store::insert_order`]): nobody outside learns of
    /// that order before its next write, which is durable. The customer is answered only
    /// after the provider's session is recorded (or the failure noted), and only the answer
    /// carries the provider's page. So a power cut that loses the first write loses an
    /// order nobody can pay: its provider session, if one was made, has no customer and
    /// expires, and the customer, who got no answer, retries. What this saves is one disk
    /// flush per session creation (`docs/bench/cpu.md`).
    Deferred,
}

/// Which database the URL named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:…`: one file, one machine.
    Sqlite,
    /// `postgres://…` or `postgresql://…`: several backend processes may share it.
    Postgres,
}

impl Backend {
    /// The backend a database URL names.
    pub fn of(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!(
                "server.database_url must start with sqlite: or postgres://, not `{}`",
                redact(url)
            )
        }
    }

    /// The statement that opens a transaction which may write.
    fn begin_write(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }
}

/// The order store.
///
/// On a SQLite file every write transaction runs on the writer thread ([`writer`]), which
/// owns the one write connection: writers queue there, in order and without sleeping,
/// instead of meeting at SQLite's single write lock, and the transactions that queued
/// while one committed commit together. Reads run on reader connections of their own
/// ([`lite::Readers`]), which WAL lets run beside the writer. On PostgreSQL (and an
/// in-memory SQLite database) reads and writes use `pool`.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    sqlite: Option<SqliteFile>,
    backend: Backend,
}

/// A store on a SQLite file: its writer thread and its readers.
#[derive(Clone, Debug)]
struct SqliteFile {
    writer: writer::Writer,
    readers: std::sync::Arc<lite::Readers>,
}

/// What applying an event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The order moved to this state.
    Moved(SessionState),
    /// The event changed nothing (duplicate, stale, or a final state).
    Unchanged(SessionState),
}

/// Result of inserting an order under an idempotency key.
#[derive(Debug)]
pub enum Inserted {
    /// A new order was stored.
    New(Order),
    /// The key was used before; this is that order.
    Existing(Order),
}

impl Store {
    /// Connects (creating a SQLite file if needed) and runs the migrations.
    pub async fn connect(database_url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(database_url)?;
        let url = if backend == Backend::Sqlite && !database_url.contains("mode=") {
            let sep = if database_url.contains('?') { '&' } else { '?' };
            format!("{database_url}{sep}mode=rwc")
        } else {
            database_url.to_owned()
        };
        let options = |connections: u32| {
            let options = AnyPoolOptions::new()
                .max_connections(connections)
                // A database that does not answer makes requests fail fast (503), not hang (R-R2).
                .acquire_timeout(Duration::from_secs(5));
            if backend != Backend::Sqlite {
                return options;
            }
            // A SQLite connection is a file handle in this process: nothing between it and
            // the database can drop it, so the pool need not ping it (a round trip to its
            // worker thread) every time it is taken (docs/bench/cpu.md).
            options.test_before_acquire(false).after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL lets readers run beside the one writer; the busy timeout makes a
                    // writer of another process (or the migrations) wait instead of failing.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    // FULL, not NORMAL, although NORMAL would save an fsync per commit: in
                    // WAL mode NORMAL keeps the database consistent but may lose the last
                    // commits on a power cut or an OS crash, and a lost commit here is an
                    // order whose customer already went to the provider's page (or a paid
                    // state the provider will not announce again). Measured in
                    // docs/bench/cpu.md: NORMAL would save about a fifth of a creation's
                    // CPU (0.83 -> 0.66 ms), nothing per webhook (group commit shares it).
                    // The one write that can do without its own flush says so
                    // ([`Durability::Deferred`]); the writer thread then uses NORMAL for it.
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    Ok(())
                })
            })
        };
        let opening = || format!("opening the database at {}", redact(database_url));
        let sqlite = backend == Backend::Sqlite;
        let pool =
            options(if sqlite { 4 } else { 16 }).connect(&url).await.with_context(opening)?;
        sqlx::migrate!("./migrations").run(&pool).await.context("running database migrations")?;
        // An in-memory SQLite database exists once per connection: it cannot be split.
        let sqlite = if sqlite && !url.contains(":memory:") && !url.contains("mode=memory") {
            let file = url
                .parse::<sqlx::sqlite::SqliteConnectOptions>()
                .with_context(opening)?
                .get_filename()
                .to_owned();
            let writer = writer::Writer::open(&file).with_context(opening)?;
            Some(SqliteFile { writer, readers: lite::Readers::open(&file).with_context(opening)? })
        } else {
            None
        };
        tracing::info!(database = %redact(database_url), ?backend, "store ready");
        Ok(Store { pool, sqlite, backend })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs `work` as one write transaction and answers its result once it is committed;
    /// an error rolls back everything `work` wrote. `work` must await nothing but `db`
    /// (on SQLite it runs on the writer thread, see [`writer`]).
    async fn write<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut dyn sql::Db) -> BoxFuture<'c, anyhow::Result<T>> + Send + 'static,
    {
        self.write_as(Durability::Durable, work).await
    }

    /// [`Store::write`], committed as `durability` says.
    async fn write_as<T, F>(&self, durability: Durability, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut dyn sql::Db) -> BoxFuture<'c, anyhow::Result<T>> + Send + 'static,
    {
        match &self.sqlite {
            Some(file) => file.writer.run(durability, Box::new(work)).await,
            None => {
                let mut tx = self
                    .pool
                    .begin_with(self.backend.begin_write())
                    .await
                    .context("starting a transaction")?;
                if durability == Durability::Deferred && self.backend == Backend::Postgres {
                    (&mut *tx)
                        .execute("SET LOCAL synchronous_commit = off")
                        .await
                        .context("deferring the commit's flush")?;
                }
                match work(&mut *tx).await {
                    Ok(value) => {
                        tx.commit().await.context("committing")?;
                        Ok(value)
                    }
                    Err(e) => {
                        let _ = tx.rollback().await;
                        Err(e)
                    }
                }
            }
        }
    }

    /// Runs `work`, which only reads, on a connection of its own (no transaction: each
    /// statement sees what was committed when it ran).
    async fn read<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut dyn sql::Db) -> BoxFuture<'c, anyhow::Result<T>> + Send + 'static,
    {
        match &self.sqlite {
            Some(file) => file.readers.run(Box::new(work)).await,
            None => {
                let mut conn = self.pool.acquire().await.context("taking a connection")?;
                work(&mut *conn).await
            }
        }
    }

    /// The rows of one query.
    async fn fetch(
        &self,
        query: impl Into<std::borrow::Cow<'static, str>>,
        args: Vec<sql::Arg>,
    ) -> anyhow::Result<Vec<sql::Row>> {
        let query = query.into();
        self.read(move |db| Box::pin(async move { db.fetch(&query, args).await })).await
    }

    /// The row of a query that answers at most one.
    async fn fetch_optional(
        &self,
        query: impl Into<std::borrow::Cow<'static, str>>,
        args: Vec<sql::Arg>,
    ) -> anyhow::Result<Option<sql::Row>> {
        Ok(self.fetch(query, args).await?.into_iter().next())
    }

    /// The row of a query that answers exactly one.
    async fn fetch_one(
        &self,
        query: impl Into<std::borrow::Cow<'static, str>>,
        args: Vec<sql::Arg>,
    ) -> anyhow::Result<sql::Row> {
        self.fetch_optional(query, args).await?.context("the query answered no row")
    }

    /// Runs one statement as a write transaction of its own; answers how many rows it
    /// changed.
    async fn execute(&self, statement: &'static str, args: Vec<sql::Arg>) -> anyhow::Result<u64> {
        self.write(move |db| db.execute(statement, args)).await
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A database URL with any password removed, fit for logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_picks_the_backend() {
        assert_eq!(Backend::of("sqlite://kassa.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of("sqlite::memory:").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of("postgres://u@h/db").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of("postgresql://u@h/db").unwrap(), Backend::Postgres);
        let err = Backend::of("mysql://u:hunter2@h/db").unwrap_err().to_string();
        assert!(err.contains("sqlite:") && !err.contains("hunter2"), "{err}");
    }

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact("postgres://kassa:s3cret@db:5432/kassa"),
            "postgres://kassa:***@db:5432/kassa"
        );
        assert_eq!(redact("sqlite://kassa.db"), "sqlite://kassa.db");
    }
}
