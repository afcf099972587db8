//! SQLite through `rusqlite`, for a store on a SQLite file: the connection type every
//! statement of [`super::sql::Db`] runs on there, and the readers.
//!
//! Reads run whole on a blocking thread of the runtime, each on a connection of its own
//! (WAL lets them run beside the writer, [`super::writer`]); one hand-off per read, where
//! sqlx's SQLite driver sent each statement, and each row back, to a worker thread of its
//! own (`docs/bench/cpu.md`).

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    task::{Context, Poll, Waker},
    time::Duration,
};

use anyhow::Context as _;
use futures::future::BoxFuture;
use rusqlite::{types::ValueRef, Connection, OpenFlags};

use super::{
    sql::{Arg, Db, LiteRow, Row, Value},
    writer::{Unavailable, Work},
};

/// How long a connection waits for another's lock (as sqlx's connections did).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle reader connections kept open for the next reads.
const IDLE_READERS: usize = 8;

/// Opens the database file at `path` with the store's settings (`Store::connect` says why
/// `synchronous = FULL`).
pub fn open(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Connections for reads, opened as needed and kept for the next.
#[derive(Debug)]
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// Readers of the database file at `path`; the first is opened now, so a file that
    /// cannot be read fails at start-up.
    pub fn open(path: &Path) -> anyhow::Result<Arc<Readers>> {
        let first = Self::reader(path)?;
        Ok(Arc::new(Readers { path: path.to_owned(), idle: Mutex::new(vec![first]) }))
    }

    fn reader(path: &Path) -> anyhow::Result<Connection> {
        let conn = open(path)?;
        // A reader never writes: SQLite refuses it if a bug ever tried.
        conn.pragma_update(None, "query_only", "ON")?;
        Ok(conn)
    }

    /// Runs `work` on a reader connection, on a blocking thread.
    pub async fn run<T: Send + 'static>(self: &Arc<Self>, work: Work<T>) -> anyhow::Result<T> {
        let readers = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let taken = readers.idle.lock().ok().and_then(|mut idle| idle.pop());
            let mut conn = match taken {
                Some(conn) => conn,
                None => Self::reader(&readers.path)?,
            };
            let result = run_to_end(work(&mut LiteDb { conn: &mut conn }));
            if let Ok(mut idle) = readers.idle.lock() {
                if idle.len() < IDLE_READERS {
                    idle.push(conn);
                }
            }
            result
        })
        .await
        .map_err(|e| Unavailable(format!("a read stopped: {e}")))?
    }
}

/// Polls a transaction body to its end. Every statement future of [`LiteDb`] is ready at
/// once, so the body finishes in one poll; one that waits on anything else is a bug, told
/// as an error rather than a thread that hangs.
pub fn run_to_end<T>(mut body: BoxFuture<'_, anyhow::Result<T>>) -> anyhow::Result<T> {
    let mut cx = Context::from_waker(Waker::noop());
    match body.as_mut().poll(&mut cx) {
        Poll::Ready(result) => result,
        Poll::Pending => {
            anyhow::bail!("a write transaction waited on something other than the database")
        }
    }
}

/// The writer's connection inside the open transaction.
pub struct LiteDb<'c> {
    pub(super) conn: &'c mut Connection,
}

impl LiteDb<'_> {
    fn prepare(&self, sql: &str, args: &[Arg]) -> anyhow::Result<rusqlite::CachedStatement<'_>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        for i in 1..=stmt.parameter_count() {
            let name = stmt.parameter_name(i).unwrap_or_default();
            let n: usize = name
                .strip_prefix('$')
                .and_then(|n| n.parse().ok())
                .with_context(|| format!("parameter `{name}` is not of the form $N"))?;
            match args.get(n - 1).with_context(|| format!("no argument for ${n}"))? {
                Arg::Int(v) => stmt.raw_bind_parameter(i, v)?,
                Arg::Text(v) => stmt.raw_bind_parameter(i, v)?,
            }
        }
        Ok(stmt)
    }

    fn execute_now(&self, sql: &str, args: &[Arg]) -> anyhow::Result<u64> {
        let mut stmt = self.prepare(sql, args)?;
        Ok(u64::try_from(stmt.raw_execute()?)?)
    }

    fn fetch_now(&self, sql: &str, args: &[Arg]) -> anyhow::Result<Vec<Row>> {
        let mut stmt = self.prepare(sql, args)?;
        let names: Arc<[String]> = stmt.column_names().into_iter().map(str::to_owned).collect();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(names.len());
            for i in 0..names.len() {
                values.push(match row.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Text(t) => Value::Text(std::str::from_utf8(t)?.to_owned()),
                    ValueRef::Real(_) | ValueRef::Blob(_) => {
                        anyhow::bail!("column {} holds a type the store never writes", names[i])
                    }
                });
            }
            out.push(Row::Lite(LiteRow { names: Arc::clone(&names), values }));
        }
        Ok(out)
    }
}

impl Db for LiteDb<'_> {
    fn execute<'a>(
        &'a mut self,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> BoxFuture<'a, anyhow::Result<u64>> {
        let result = self.execute_now(sql, &args);
        Box::pin(std::future::ready(result))
    }

    fn fetch<'a>(
        &'a mut self,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Row>>> {
        let result = self.fetch_now(sql, &args);
        Box::pin(std::future::ready(result))
    }
}
