//! The SQLite writer: one thread that owns the database's one write connection and runs
//! whole write transactions there, committing several at a time.
//!
//! Why not sqlx here: sqlx runs each SQLite connection on a worker thread of its own and
//! sends it every statement (and every row back) across a channel, so a checkout's write
//! transaction of five statements cost ten or more sleeps and wake-ups between threads.
//! `perf` put 35–39 % of the server's CPU in those hand-offs (`docs/bench/cpu.md`). Here a
//! transaction is one closure sent once; its statements run on this thread, one after the
//! other, without waiting on anything (`rusqlite`, on the same SQLite library sqlx links;
//! [`super::lite`]).
//!
//! Group commit: the jobs that queued while the last group committed run in one SQLite
//! transaction, each inside a savepoint of its own. A job that fails is rolled back to its
//! savepoint and answered with its error; the others commit together, with one fsync for
//! all of them, and every job hears back only after that COMMIT returned. So durability is
//! what `synchronous = FULL` gives each transaction alone: no caller is told its write is
//! done before it is on disk. Jobs never see each other's uncommitted writes out of order:
//! they run one after another on one connection.
//!
//! The one exception is a job sent [`Durability::Deferred`]: a group of only such jobs
//! commits with `synchronous = NORMAL`, so its COMMIT writes the WAL without waiting for the
//! disk. Its writes are visible at once and survive the process crashing; they reach the
//! disk with the next group that commits with `FULL` (whose fsync covers the whole WAL file,
//! every earlier frame included), or with a checkpoint (which NORMAL syncs as well, so the
//! database stays consistent whatever happens). [`Durability`] says who may ask for that.
//!
//! Reads run on connections of their own ([`super::lite::Readers`]; WAL lets them run beside
//! this writer); they see a group's writes once it committed, which is before any of its
//! callers continue.

use std::{panic::AssertUnwindSafe, path::Path};

use anyhow::Context as _;
use futures::future::BoxFuture;
use rusqlite::Connection;

use super::{
    lite::{self, run_to_end, LiteDb},
    sql::Db,
    Durability,
};

/// The most jobs committed together: enough to share one fsync among a burst, few enough
/// that the first caller of a group does not wait long for the last.
const MAX_GROUP: usize = 64;
/// Jobs that may wait for the writer before callers wait to hand theirs over.
const QUEUE: usize = 1024;

/// A write transaction's body, as the store's methods write it (see [`super::Store::write`]).
pub type Work<T> =
    Box<dyn for<'c> FnOnce(&'c mut dyn Db) -> BoxFuture<'c, anyhow::Result<T>> + Send>;

/// A job as the writer thread runs it: with the connection to run it on, or with `None` when
/// no transaction could be opened (then it only reports). What it answers delivers its
/// result once the group's COMMIT is known.
type Run = Box<dyn FnOnce(Option<&mut LiteDb<'_>>) -> Finish + Send>;

/// A job and how durably its commit must be written before its caller hears back.
struct Job {
    durability: Durability,
    run: Run,
}

/// A job that ran: whether it succeeded, and how to tell its caller once the group's
/// COMMIT returned (`Err` with the reason when that COMMIT failed).
struct Finish {
    ok: bool,
    deliver: Box<dyn FnOnce(Result<(), String>) + Send>,
}

/// The writer thread's front: sends jobs, awaits their answers.
#[derive(Clone, Debug)]
pub struct Writer {
    jobs: flume::Sender<Job>,
}

/// The writer thread is gone or its database cannot be written (for the error mapping:
/// the request may succeed when retried, R-R2).
#[derive(Debug, thiserror::Error)]
#[error("the SQLite writer is unavailable: {0}")]
pub struct Unavailable(pub String);

impl Writer {
    /// Opens the database file at `path` for writing (it exists: the migrations ran) and
    /// starts the writer thread, which ends when the last [`Writer`] is dropped.
    pub fn open(path: &Path) -> anyhow::Result<Writer> {
        let conn = lite::open(path)?;
        let (jobs, queue) = flume::bounded::<Job>(QUEUE);
        std::thread::Builder::new()
            .name("kassa-sqlite-writer".into())
            .spawn(move || serve(conn, &queue))
            .context("starting the SQLite writer thread")?;
        Ok(Writer { jobs })
    }

    /// Runs `work` as one write transaction (within a group) and answers its result once
    /// it is committed.
    pub async fn run<T: Send + 'static>(
        &self,
        durability: Durability,
        work: Work<T>,
    ) -> anyhow::Result<T> {
        let (answer, answered) = tokio::sync::oneshot::channel::<anyhow::Result<T>>();
        let run: Run = Box::new(move |db| {
            let result = match db {
                Some(db) => run_to_end(work(db)),
                None => {
                    Err(anyhow::Error::new(Unavailable("no transaction could be opened".into())))
                }
            };
            Finish {
                ok: result.is_ok(),
                deliver: Box::new(move |committed| {
                    let result = match committed {
                        Ok(()) => result,
                        Err(reason) => result.and(Err(anyhow::Error::new(Unavailable(reason)))),
                    };
                    let _ = answer.send(result);
                }),
            }
        });
        self.jobs
            .send_async(Job { durability, run })
            .await
            .map_err(|_| Unavailable("the writer thread stopped".into()))?;
        answered.await.map_err(|_| Unavailable("the writer thread stopped".into()))?
    }
}

/// The writer thread: takes the jobs that are waiting (at most [`MAX_GROUP`]), runs them in
/// one transaction, commits, then answers them all.
fn serve(mut conn: Connection, queue: &flume::Receiver<Job>) {
    // What `lite::open` set; changed only between transactions (SQLite refuses it inside one).
    let mut synchronous = Durability::Durable;
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let durability = if group.iter().all(|job| job.durability == Durability::Deferred) {
            Durability::Deferred
        } else {
            Durability::Durable
        };
        let began = set_synchronous(&conn, &mut synchronous, durability)
            .and_then(|()| conn.execute_batch("BEGIN IMMEDIATE"));
        if let Err(e) = began {
            let reason = format!("starting a transaction: {e}");
            for job in group {
                ((job.run)(None).deliver)(Err(reason.clone()));
            }
            continue;
        }
        let mut finished = Vec::with_capacity(group.len());
        for job in group {
            finished.push(run_in_savepoint(&mut conn, job.run));
        }
        crate::metrics::sqlite_commit(finished.len(), durability);
        let committed = conn.execute_batch("COMMIT").map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            format!("committing: {e}")
        });
        for finish in finished {
            (finish.deliver)(committed.clone());
        }
    }
}

/// Sets `PRAGMA synchronous` for the next transaction when it differs from `current`:
/// `FULL` for a durable group, `NORMAL` for a deferred one.
fn set_synchronous(
    conn: &Connection,
    current: &mut Durability,
    wanted: Durability,
) -> rusqlite::Result<()> {
    if *current != wanted {
        conn.execute_batch(match wanted {
            Durability::Durable => "PRAGMA synchronous = FULL",
            Durability::Deferred => "PRAGMA synchronous = NORMAL",
        })?;
        *current = wanted;
    }
    Ok(())
}

/// Runs one job inside a savepoint: kept when it succeeds, rolled back when it fails or
/// panics (the panic becomes that job's error; the thread and the group go on).
fn run_in_savepoint(conn: &mut Connection, job: Run) -> Finish {
    if let Err(e) = conn.execute_batch("SAVEPOINT job") {
        let reason = format!("opening a savepoint: {e}");
        let finish = job(None);
        return Finish { ok: false, deliver: Box::new(move |_| (finish.deliver)(Err(reason))) };
    }
    let finish = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut db = LiteDb { conn: &mut *conn };
        job(Some(&mut db))
    }));
    let finish = match finish {
        Ok(finish) => finish,
        Err(_) => Finish {
            ok: false,
            // The job's answer channel went down with it: its caller hears the writer
            // stopped, and nothing of its work is kept.
            deliver: Box::new(|_| ()),
        },
    };
    let end = if finish.ok { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
    if let Err(e) = conn.execute_batch(end) {
        tracing::error!(error = %e, "ending a write job's savepoint");
    }
    finish
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{self, args, Columns as _};

    /// A writer on a fresh file with one table, and the file's directory (kept alive).
    fn writer() -> (Writer, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)")
            .unwrap();
        (Writer::open(&path).unwrap(), dir)
    }

    async fn insert(w: &Writer, k: &str, n: i64) -> anyhow::Result<u64> {
        insert_as(w, Durability::Durable, k, n).await
    }

    async fn insert_as(w: &Writer, durability: Durability, k: &str, n: i64) -> anyhow::Result<u64> {
        let k = k.to_owned();
        w.run(
            durability,
            Box::new(move |db| db.execute("INSERT INTO t (k, n) VALUES ($1, $2)", args![k, n])),
        )
        .await
    }

    /// The integer column `column` of the one row `query` answers, read as a job of
    /// `durability`, inside its transaction.
    async fn read_int(
        w: &Writer,
        durability: Durability,
        query: &'static str,
        column: &'static str,
    ) -> i64 {
        w.run(
            durability,
            Box::new(move |db| {
                Box::pin(async move { sql::fetch_one(db, query, vec![]).await?.int_of(column) })
            }),
        )
        .await
        .unwrap()
    }

    async fn count(w: &Writer) -> i64 {
        read_int(w, Durability::Durable, "SELECT COUNT(*) AS n FROM t", "n").await
    }

    #[tokio::test]
    async fn concurrent_writes_all_commit_and_each_hears_its_own_result() {
        let (w, _dir) = writer();
        let writes = (0..200).map(|i| {
            let w = w.clone();
            tokio::spawn(async move { insert(&w, &format!("k{i}"), i).await })
        });
        for done in futures::future::join_all(writes).await {
            assert_eq!(done.unwrap().unwrap(), 1);
        }
        assert_eq!(count(&w).await, 200);
        // A key written twice fails alone, with the database's reason.
        let again = insert(&w, "k7", 0).await.unwrap_err();
        assert!(format!("{again:#}").contains("UNIQUE"), "{again:#}");
        assert_eq!(count(&w).await, 200);
    }

    #[tokio::test]
    async fn a_failing_transaction_keeps_nothing_and_its_neighbours_commit() {
        let (w, _dir) = writer();
        let failing = w.run::<()>(
            Durability::Durable,
            Box::new(|db| {
                Box::pin(async move {
                    db.execute("INSERT INTO t (k, n) VALUES ('half', 1)", vec![]).await?;
                    anyhow::bail!("the second step failed")
                })
            }),
        );
        let fine = insert(&w, "whole", 2);
        let (failing, fine) = tokio::join!(failing, fine);
        assert_eq!(failing.unwrap_err().to_string(), "the second step failed");
        assert_eq!(fine.unwrap(), 1);
        let keys = w
            .run(
                Durability::Durable,
                Box::new(|db| {
                    Box::pin(async move {
                        let rows = db.fetch("SELECT k FROM t ORDER BY k", vec![]).await?;
                        rows.iter().map(|r| r.text_of("k")).collect::<anyhow::Result<Vec<_>>>()
                    })
                }),
            )
            .await
            .unwrap();
        assert_eq!(keys, ["whole"]);
    }

    #[tokio::test]
    async fn a_panicking_transaction_is_rolled_back_and_the_writer_goes_on() {
        let (w, _dir) = writer();
        let panicked = w
            .run::<u64>(
                Durability::Durable,
                Box::new(|db| {
                    Box::pin(async move {
                        db.execute("INSERT INTO t (k, n) VALUES ('lost', 1)", vec![]).await?;
                        panic!("a bug in a transaction body")
                    })
                }),
            )
            .await
            .unwrap_err();
        assert!(panicked.is::<Unavailable>(), "{panicked:#}");
        assert_eq!(insert(&w, "next", 1).await.unwrap(), 1);
        assert_eq!(count(&w).await, 1);
    }

    #[tokio::test]
    async fn a_body_that_waits_on_anything_but_the_database_is_refused() {
        let (w, _dir) = writer();
        let refused = w
            .run::<()>(
                Durability::Durable,
                Box::new(|_db| {
                    Box::pin(async move {
                        tokio::task::yield_now().await;
                        Ok(())
                    })
                }),
            )
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("something other than the database"), "{refused}");
    }

    #[tokio::test]
    async fn arguments_bind_by_their_number_and_nulls_read_back() {
        let (w, _dir) = writer();
        let row = w
            .run(
                Durability::Durable,
                Box::new(|db| {
                    Box::pin(async move {
                        db.execute("INSERT INTO t (n, k) VALUES ($2, $1)", args!["a", None::<i64>])
                            .await?;
                        sql::fetch_one(db, "SELECT k, n FROM t WHERE k = $1 AND $1 = k", args!["a"])
                            .await
                    })
                }),
            )
            .await
            .unwrap();
        assert_eq!(row.text("k").unwrap().as_deref(), Some("a"));
        assert_eq!(row.int("n").unwrap(), None);
        assert!(row.int("k").is_err(), "text is not read as an integer");
    }

    /// `PRAGMA synchronous` as a job of `durability` sees it inside its transaction.
    async fn synchronous_seen(w: &Writer, durability: Durability) -> i64 {
        read_int(w, durability, "PRAGMA synchronous", "synchronous").await
    }

    #[tokio::test]
    async fn a_deferred_group_commits_without_waiting_for_the_disk_and_a_durable_one_with() {
        let (w, _dir) = writer();
        // 2 is FULL (the WAL is flushed at every commit), 1 is NORMAL (only at checkpoints).
        assert_eq!(synchronous_seen(&w, Durability::Durable).await, 2);
        assert_eq!(synchronous_seen(&w, Durability::Deferred).await, 1);
        assert_eq!(synchronous_seen(&w, Durability::Durable).await, 2, "set back for the next");
        assert_eq!(synchronous_seen(&w, Durability::Deferred).await, 1);
        // A deferred write is committed and visible at once.
        assert_eq!(insert_as(&w, Durability::Deferred, "deferred", 1).await.unwrap(), 1);
        assert_eq!(count(&w).await, 1);
    }

    #[tokio::test]
    async fn a_group_with_any_durable_job_commits_durably() {
        let (w, _dir) = writer();
        // Many at once, so that groups form; every durable job must see FULL whatever it
        // was grouped with, and a deferred one NORMAL only in a group of deferred jobs.
        let jobs = (0..200).map(|i| {
            let w = w.clone();
            let durability = if i % 2 == 0 { Durability::Durable } else { Durability::Deferred };
            tokio::spawn(async move { (durability, synchronous_seen(&w, durability).await) })
        });
        for done in futures::future::join_all(jobs).await {
            let (durability, seen) = done.unwrap();
            if durability == Durability::Durable {
                assert_eq!(seen, 2, "a durable job ran in a group committed with NORMAL");
            } else {
                assert!(seen == 1 || seen == 2, "{seen}");
            }
        }
    }
}
