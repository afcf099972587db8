//! The harness: databases on either backend, and (in `app`) the backend against the
//! provider simulator.

pub mod app;
pub mod pg;
pub mod receiver;

use self::pg::PgServer;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the test binary's own PostgreSQL server.
    Postgres,
}

/// A database for one test; a SQLite file is deleted when this is dropped.
#[derive(Debug)]
pub struct Database {
    /// The `database_url`.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl Database {
    /// A database at `url` that someone else cleans up.
    pub fn at(url: String) -> Database {
        Database { url, _dir: None }
    }
}

impl Backend {
    /// A new, empty database.
    pub async fn database(self) -> Database {
        match self {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("kassa.db").display());
                Database { url, _dir: Some(dir) }
            }
            Backend::Postgres => {
                Database { url: PgServer::shared().fresh_database().await, _dir: None }
            }
        }
    }
}

/// Declares each listed `async fn name(backend: Backend)` as two tests, `sqlite::name` and
/// `postgres::name`, so one suite runs on both backends (R-S2).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::support::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::support::Backend::Postgres).await
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;
