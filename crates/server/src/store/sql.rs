//! One way to run a write transaction's statements, whichever connection runs them.
//!
//! Every write of the store is written once, as an async function over [`Db`], and runs on
//! one of two connections:
//! - on a SQLite file, on the store's writer thread ([`super::writer`]), which owns a
//!   `rusqlite` connection and runs the whole transaction there, so a write costs one
//!   hand-off between threads instead of one per statement;
//! - on PostgreSQL (and on an in-memory SQLite database, which cannot have a second
//!   connection), in a sqlx transaction on the pool.
//!
//! The SQL is the same text for both: `$1`, `$2`, … name the arguments, which both drivers
//! bind by their number.

use anyhow::Context as _;
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use sqlx::{any::AnyRow, AnyConnection, Row as _};

/// One argument of a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// An integer, or NULL.
    Int(Option<i64>),
    /// Text, or NULL.
    Text(Option<String>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_owned))
    }
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}

/// The arguments of a statement, in the order of their numbers: `args![a, b]` binds `$1`
/// to `a` and `$2` to `b`.
macro_rules! args {
    ($($arg:expr),* $(,)?) => {
        vec![$($crate::store::sql::Arg::from($arg)),*]
    };
}
pub(crate) use args;

/// A value read from a SQLite row on the writer thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
}

/// A row read on the writer thread: its columns' names and values.
#[derive(Clone, Debug)]
pub struct LiteRow {
    pub(super) names: std::sync::Arc<[String]>,
    pub(super) values: Vec<Value>,
}

/// A row, from whichever connection read it.
#[derive(Clone)]
pub enum Row {
    /// From sqlx.
    Any(AnyRow),
    /// From the SQLite writer thread.
    Lite(LiteRow),
}

/// Reading a row's columns by name, whichever driver read it.
pub trait Columns {
    /// An integer column (NULL is `None`).
    fn int(&self, name: &str) -> anyhow::Result<Option<i64>>;
    /// A text column (NULL is `None`).
    fn text(&self, name: &str) -> anyhow::Result<Option<String>>;

    /// An integer column that may not be NULL.
    fn int_of(&self, name: &str) -> anyhow::Result<i64> {
        self.int(name)?.with_context(|| format!("column {name} is NULL"))
    }

    /// A text column that may not be NULL.
    fn text_of(&self, name: &str) -> anyhow::Result<String> {
        self.text(name)?.with_context(|| format!("column {name} is NULL"))
    }

    /// A JSON text column read into a `T` (NULL is `None`).
    fn json<T: DeserializeOwned>(&self, name: &str) -> anyhow::Result<Option<T>> {
        self.text(name)?
            .map(|text| serde_json::from_str(&text).with_context(|| format!("column {name}")))
            .transpose()
    }
}

impl Columns for AnyRow {
    fn int(&self, name: &str) -> anyhow::Result<Option<i64>> {
        Ok(self.try_get(name)?)
    }

    fn text(&self, name: &str) -> anyhow::Result<Option<String>> {
        Ok(self.try_get(name)?)
    }
}

impl LiteRow {
    fn value(&self, name: &str) -> anyhow::Result<&Value> {
        let i = self
            .names
            .iter()
            .position(|n| n == name)
            .with_context(|| format!("no column {name} in the row"))?;
        Ok(&self.values[i])
    }
}

impl Columns for LiteRow {
    fn int(&self, name: &str) -> anyhow::Result<Option<i64>> {
        match self.value(name)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            Value::Text(_) => anyhow::bail!("column {name} holds text, not an integer"),
        }
    }

    fn text(&self, name: &str) -> anyhow::Result<Option<String>> {
        match self.value(name)? {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v.clone())),
            Value::Int(_) => anyhow::bail!("column {name} holds an integer, not text"),
        }
    }
}

impl Columns for Row {
    fn int(&self, name: &str) -> anyhow::Result<Option<i64>> {
        match self {
            Row::Any(row) => row.int(name),
            Row::Lite(row) => row.int(name),
        }
    }

    fn text(&self, name: &str) -> anyhow::Result<Option<String>> {
        match self {
            Row::Any(row) => row.text(name),
            Row::Lite(row) => row.text(name),
        }
    }
}

/// A connection inside a write transaction.
pub trait Db: Send {
    /// Runs a statement; answers how many rows it changed.
    fn execute<'a>(
        &'a mut self,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> BoxFuture<'a, anyhow::Result<u64>>;

    /// Runs a query; answers its rows.
    fn fetch<'a>(
        &'a mut self,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Row>>>;
}

/// Runs a query that answers at most one row.
pub async fn fetch_optional(
    db: &mut dyn Db,
    sql: &str,
    args: Vec<Arg>,
) -> anyhow::Result<Option<Row>> {
    Ok(db.fetch(sql, args).await?.into_iter().next())
}

/// Runs a query that answers exactly one row.
pub async fn fetch_one(db: &mut dyn Db, sql: &str, args: Vec<Arg>) -> anyhow::Result<Row> {
    fetch_optional(db, sql, args).await?.context("the query answered no row")
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for arg in args {
        query = match arg {
            Arg::Int(v) => query.bind(v),
            Arg::Text(v) => query.bind(v),
        };
    }
    query
}

impl Db for AnyConnection {
    fn execute<'a>(
        &'a mut self,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> BoxFuture<'a, anyhow::Result<u64>> {
        Box::pin(async move {
            let done = bind_all(sqlx::query(sql), args).execute(&mut *self).await?;
            Ok(done.rows_affected())
        })
    }

    fn fetch<'a>(
        &'a mut self,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Row>>> {
        Box::pin(async move {
            let rows = bind_all(sqlx::query(sql), args).fetch_all(&mut *self).await?;
            Ok(rows.into_iter().map(Row::Any).collect())
        })
    }
}
