//! One engine per bind: a typed sqlx pool (not `sqlx::Any`, which loses dates, decimals
//! and MySQL's TINYINT), built lazily so an unreachable database delays nothing.

use core::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::ConnectOptions as _;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool};
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::config::PoolOptions;
use crate::url::DatabaseUrl;
use crate::{BindName, Dialect};

/// MySQL drops connections idle for 8 hours; Flask-SQLAlchemy recycles them after 2.
const MYSQL_MAX_LIFETIME: Duration = Duration::from_secs(7200);

/// A typed sqlx pool: what a bind's engine holds, for your own sqlx queries.
///
/// Match it exhaustively: a new backend would be a breaking change, announced as one.
#[derive(Debug, Clone)]
pub enum Pool {
    /// A SQLite database.
    Sqlite(SqlitePool),
    /// A PostgreSQL database.
    Postgres(PgPool),
    /// A MySQL or MariaDB database.
    MySql(MySqlPool),
}

impl Pool {
    /// The dialect of the pool.
    pub fn dialect(&self) -> Dialect {
        match self {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
            Pool::MySql(_) => Dialect::MySql,
        }
    }

    /// Closes every connection; later uses fail.
    pub async fn close(&self) {
        match self {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
            Pool::MySql(pool) => pool.close().await,
        }
    }
}

/// The engine of one bind: its key, its URL (printed masked) and its pool.
#[derive(Clone)]
pub struct Engine {
    key: Option<String>,
    url: DatabaseUrl,
    pool: Pool,
    /// For MySQL-dialect binds: whether the server is MariaDB, learnt on first need.
    mariadb: std::sync::OnceLock<bool>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("bind", &self.key)
            .field("url", &self.url)
            .field("dialect", &self.pool.dialect())
            .finish_non_exhaustive()
    }
}

/// Why an engine could not be made from a URL (found when `Db` is built).
#[derive(Debug)]
pub(crate) enum EngineError {
    /// sqlx refused the URL's options.
    Options(sqlx::Error),
    /// A SQLite query option bindery does not know.
    SqliteOption(String),
    /// The folder of a SQLite file could not be created.
    Folder { path: PathBuf, reason: String },
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Options(e) => write!(f, "the URL's options are refused: {e}"),
            EngineError::SqliteOption(name) => write!(
                f,
                "SQLite URL option `{name}` is refused; expected mode=ro|rw|rwc, cache=shared|private or immutable=1"
            ),
            EngineError::Folder { path, reason } => {
                write!(f, "cannot create folder {}: {reason}", path.display())
            }
        }
    }
}

impl Engine {
    /// Makes the engine of bind `key`. Nothing connects until the pool is first used.
    pub(crate) fn new(
        key: Option<String>,
        url: DatabaseUrl,
        pool: &PoolOptions,
        sqlite_base: &Path,
    ) -> Result<Engine, EngineError> {
        let pool = match url.dialect() {
            Dialect::Sqlite => Pool::Sqlite(sqlite_pool(&url, pool, sqlite_base)?),
            Dialect::Postgres => {
                let options = match url.server_url() {
                    Some(server) => {
                        PgConnectOptions::from_url(server).map_err(EngineError::Options)?
                    }
                    None => PgConnectOptions::new(),
                };
                Pool::Postgres(
                    pool_options::<sqlx::Postgres>(pool, None).connect_lazy_with(options),
                )
            }
            Dialect::MySql => {
                let options = match url.server_url() {
                    Some(server) => {
                        MySqlConnectOptions::from_url(server).map_err(EngineError::Options)?
                    }
                    None => MySqlConnectOptions::new(),
                };
                let options = options.charset("utf8mb4");
                let pool = pool_options::<sqlx::MySql>(pool, Some(MYSQL_MAX_LIFETIME));
                Pool::MySql(pool.connect_lazy_with(options))
            }
        };
        Ok(Engine {
            key,
            url,
            pool,
            mariadb: std::sync::OnceLock::new(),
        })
    }

    /// The bind key; `None` for the default bind.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The bind, ready to print.
    pub fn bind(&self) -> BindName<'_> {
        BindName(self.key.as_deref())
    }

    /// The URL; it prints with its password masked.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.pool.dialect()
    }

    /// The typed pool, for your own sqlx queries.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Whether this MySQL-dialect bind is MariaDB, if already known.
    pub(crate) fn is_mariadb(&self) -> Option<bool> {
        self.mariadb.get().copied()
    }

    pub(crate) fn set_mariadb(&self, mariadb: bool) {
        let _ = self.mariadb.set(mariadb);
    }

    /// Connects (or takes an idle connection) and runs `SELECT 1`.
    pub async fn ping(&self) -> Result<Duration, sqlx::Error> {
        let started = Instant::now();
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::raw_sql("SELECT 1").execute(pool).await.map(drop)?,
            Pool::Postgres(pool) => sqlx::raw_sql("SELECT 1").execute(pool).await.map(drop)?,
            Pool::MySql(pool) => sqlx::raw_sql("SELECT 1").execute(pool).await.map(drop)?,
        }
        Ok(started.elapsed())
    }
}

fn pool_options<DB: sqlx::Database>(
    options: &PoolOptions,
    default_lifetime: Option<Duration>,
) -> sqlx::pool::PoolOptions<DB> {
    let mut pool = sqlx::pool::PoolOptions::<DB>::new();
    if let Some(n) = options.max_connections {
        pool = pool.max_connections(n);
    }
    if let Some(n) = options.min_connections {
        pool = pool.min_connections(n);
    }
    if let Some(t) = options.acquire_timeout {
        pool = pool.acquire_timeout(t);
    }
    if let Some(t) = options.idle_timeout {
        pool = pool.idle_timeout(t);
    }
    if let Some(t) = options.max_lifetime.or(default_lifetime) {
        pool = pool.max_lifetime(t);
    }
    if let Some(b) = options.test_before_acquire {
        pool = pool.test_before_acquire(b);
    }
    pool
}

fn sqlite_pool(
    url: &DatabaseUrl,
    options: &PoolOptions,
    base: &Path,
) -> Result<SqlitePool, EngineError> {
    let Some((path, query)) = url.sqlite_file() else {
        // One connection that never closes: every session sees the one in-memory database
        // (SQLAlchemy's StaticPool). Only the acquire timeout is the user's to choose.
        let connect =
            SqliteConnectOptions::from_str("sqlite::memory:").map_err(EngineError::Options)?;
        let mut pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .idle_timeout(None)
            .max_lifetime(None);
        if let Some(t) = options.acquire_timeout {
            pool = pool.acquire_timeout(t);
        }
        return Ok(pool.connect_lazy_with(connect));
    };
    let path = if path.is_absolute() {
        path.to_owned()
    } else {
        base.join(path)
    };
    let mut connect = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal);
    for (name, value) in query {
        connect = match (name.as_str(), value.as_str()) {
            ("mode", "ro") => connect.read_only(true).create_if_missing(false),
            ("mode", "rw") => connect.create_if_missing(false),
            ("mode", "rwc") => connect,
            ("cache", "shared") => connect.shared_cache(true),
            ("cache", "private") => connect.shared_cache(false),
            ("immutable", "1" | "true") => connect.immutable(true),
            // `DatabaseUrl::parse` refuses these already; the name only, as the value
            // may be a secret (`?password=…`).
            _ => return Err(EngineError::SqliteOption(name.clone())),
        };
    }
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(|e| EngineError::Folder {
            path: folder.to_owned(),
            reason: e.to_string(),
        })?;
    }
    Ok(pool_options::<sqlx::Sqlite>(options, None).connect_lazy_with(connect))
}
