//! One engine per bind: a typed sqlx pool (not `sqlx::Any`, which loses dates, decimals
//! and MySQL's TINYINT), built lazily so an unreachable database delays nothing.

use core::fmt;
use std::path::Path;
#[cfg(feature = "sqlite")]
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[cfg(any(feature = "postgres", feature = "mysql"))]
use sqlx::ConnectOptions as _;
#[cfg(feature = "mysql")]
use sqlx::mysql::MySqlConnectOptions;
#[cfg(feature = "postgres")]
use sqlx::postgres::PgConnectOptions;
#[cfg(feature = "sqlite")]
use std::str::FromStr;

#[cfg(feature = "sqlite")]
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::backend::{Fault, Pool};
use crate::config::{
    DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT, PING_AFTER_IDLE, PoolOptions, TlsOptions,
};
use crate::url::DatabaseUrl;
use crate::{BindName, Dialect, Role};

/// MySQL drops connections idle for 8 hours; Flask-SQLAlchemy recycles them after 2.
#[cfg(feature = "mysql")]
const MYSQL_MAX_LIFETIME: Duration = Duration::from_secs(7200);

/// One connection a live session holds (see [`Engine::hold`]).
pub(crate) struct SessionHold(Arc<AtomicUsize>);

impl Drop for SessionHold {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs `work` on one connection of `pool` within `deadline`. If the deadline passes, the
/// connection is closed, never returned to the pool (where it would wait, mid-answer, for
/// a hung server).
pub(crate) async fn within_deadline<DB, T, F>(
    pool: &sqlx::Pool<DB>,
    deadline: Duration,
    work: F,
) -> Result<T, Fault>
where
    DB: sqlx::Database,
    F: for<'c> FnOnce(
        &'c mut DB::Connection,
    ) -> futures_util::future::BoxFuture<'c, Result<T, sqlx::Error>>,
{
    let mut conn = pool.acquire().await.map_err(Fault::Database)?;
    match tokio::time::timeout(deadline, work(&mut conn)).await {
        Ok(result) => result.map_err(Fault::Database),
        Err(_) => {
            // Out of the pool and its socket dropped, not closed gracefully: over TLS,
            // sqlx's close waits for the server (see `backend::Owned`).
            drop(conn.detach());
            Err(Fault::Deadline)
        }
    }
}

/// [`within_deadline`], for callers that report sqlx errors: a passed deadline is an I/O
/// time-out saying so.
pub(crate) async fn bounded<DB, T, F>(
    pool: &sqlx::Pool<DB>,
    deadline: Duration,
    work: F,
) -> Result<T, sqlx::Error>
where
    DB: sqlx::Database,
    F: for<'c> FnOnce(
        &'c mut DB::Connection,
    ) -> futures_util::future::BoxFuture<'c, Result<T, sqlx::Error>>,
{
    within_deadline(pool, deadline, work)
        .await
        .map_err(|fault| fault.into_sqlx(deadline))
}

/// How long closing one idle connection may take (a hung server never answers).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The engine of one bind: its key, its URL (printed masked) and its pool.
#[derive(Clone)]
pub struct Engine {
    key: Option<String>,
    url: DatabaseUrl,
    /// The TLS settings in force (the URL's, with the configuration's over them).
    tls: TlsOptions,
    pool: Pool,
    /// The longest one statement, COMMIT or ROLLBACK may take on this bind.
    statement_timeout: Duration,
    /// How many connections live sessions hold: `close` does not wait for those.
    session_holds: Arc<AtomicUsize>,
    /// For MySQL-dialect binds: whether the server is MariaDB, learnt on first need.
    mariadb: std::sync::OnceLock<bool>,
    /// For MySQL-dialect binds: the server's `max_allowed_packet`, read on first need.
    max_allowed_packet: std::sync::OnceLock<u64>,
    /// When this `Db` last changed the bind's schema (see [`SchemaChanges`]).
    schema_changes: Arc<SchemaChanges>,
    /// Which of the bind's servers this is.
    role: Role,
}

/// When a bind's schema last changed through its `Db` (`create_all`, `drop_all`, a
/// migration): PostgreSQL refuses to run a statement a connection prepared before its
/// table's columns changed ("cached plan must not change result type"), so a pooled
/// connection opened before the last change is closed as it is handed out, and a new one
/// takes its place. (SQLite and MySQL prepare such a statement again by themselves.)
pub(crate) struct SchemaChanges {
    /// The pool's own start, from which the times below are counted.
    since: Instant,
    /// Microseconds from `since` to the last change; 0: none.
    last: AtomicU64,
}

impl SchemaChanges {
    fn new() -> SchemaChanges {
        SchemaChanges {
            since: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    fn micros(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.since).as_micros()).unwrap_or(u64::MAX)
    }

    /// Notes that the schema changed now.
    pub(crate) fn changed(&self) {
        self.last
            .fetch_max(self.micros(Instant::now()).max(1), Ordering::AcqRel);
    }

    /// Whether a connection `age` old was opened before the last change.
    fn predates_change(&self, age: Duration) -> bool {
        let last = self.last.load(Ordering::Acquire);
        let opened = Instant::now().checked_sub(age).unwrap_or(self.since);
        last > 0 && self.micros(opened) < last
    }
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("bind", &self.key)
            .field("url", &self.url)
            .field("tls", &self.tls)
            .field("role", &self.role)
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
    #[cfg(feature = "sqlite")]
    SqliteOption(String),
    /// The folder of a SQLite file could not be created.
    #[cfg(feature = "sqlite")]
    Folder { path: PathBuf, reason: String },
    /// The URL's dialect needs a driver this build of bindery left out.
    DriverMissing(Dialect),
}

/// The cargo feature of bindery that brings the driver of `dialect`.
pub(crate) fn driver_feature(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
        Dialect::MySql => "mysql",
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Options(e) => write!(f, "the URL's options are refused: {e}"),
            #[cfg(feature = "sqlite")]
            EngineError::SqliteOption(name) => write!(
                f,
                "SQLite URL option `{name}` is refused; expected mode=ro|rw|rwc, cache=shared|private or immutable=1"
            ),
            #[cfg(feature = "sqlite")]
            EngineError::Folder { path, reason } => {
                write!(f, "cannot create folder {}: {reason}", path.display())
            }
            EngineError::DriverMissing(dialect) => write!(
                f,
                "the URL is {dialect}, but bindery was built without its `{}` feature",
                driver_feature(*dialect)
            ),
        }
    }
}

impl Engine {
    /// Makes the engine of bind `key`. Nothing connects until the pool is first used.
    pub(crate) fn new(
        key: Option<String>,
        url: DatabaseUrl,
        tls: TlsOptions,
        pool: &PoolOptions,
        sqlite_base: &Path,
        role: Role,
    ) -> Result<Engine, EngineError> {
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        let read_only = role != Role::Primary;
        let statement_timeout = pool.statement_timeout.unwrap_or(DEFAULT_STATEMENT_TIMEOUT);
        let schema_changes = Arc::new(SchemaChanges::new());
        let lock_timeout = pool.lock_timeout.unwrap_or(DEFAULT_LOCK_TIMEOUT);
        // Whole milliseconds, at least one: zero would mean "wait for ever" to PostgreSQL.
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        let lock_millis = lock_timeout.as_millis().max(1);
        // Only SQLite reads files; without its driver the base folder has no use.
        #[cfg(not(feature = "sqlite"))]
        let _ = sqlite_base;
        let pool = match url.dialect() {
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => Pool::Sqlite(sqlite_pool(&url, pool, sqlite_base, lock_timeout)?),
            #[cfg(feature = "postgres")]
            Dialect::Postgres => {
                let options = match url.server_url() {
                    Some(server) => {
                        PgConnectOptions::from_url(server).map_err(EngineError::Options)?
                    }
                    None => PgConnectOptions::new(),
                };
                let options = lay_tls(options, &tls);
                // Sent in the startup packet: bounding lock waits costs no round trip.
                let options = options.options([("lock_timeout", format!("{lock_millis}ms"))]);
                // A replica's connections refuse writes themselves (a standby refuses them
                // anyway; this also holds for a replica that was promoted).
                let options = if read_only {
                    options.options([("default_transaction_read_only", "on")])
                } else {
                    options
                };
                let pool = pool_options::<sqlx::Postgres>(pool, None, Some(schema_changes.clone()));
                Pool::Postgres(pool.connect_lazy_with(options))
            }
            #[cfg(feature = "mysql")]
            Dialect::MySql => {
                let options = match url.server_url() {
                    Some(server) => {
                        MySqlConnectOptions::from_url(server).map_err(EngineError::Options)?
                    }
                    None => MySqlConnectOptions::new(),
                };
                let options = lay_tls(options, &tls).charset("utf8mb4");
                // InnoDB counts its row-lock wait in whole seconds.
                let mut set = format!(
                    "SET SESSION innodb_lock_wait_timeout = {}",
                    lock_millis.div_ceil(1000)
                );
                // `read_only` spares a user with READ_ONLY ADMIN (root); a read-only
                // session refuses every user's writes.
                if read_only {
                    set.push_str("; SET SESSION TRANSACTION READ ONLY");
                }
                let pool = pool_options::<sqlx::MySql>(pool, Some(MYSQL_MAX_LIFETIME), None)
                    .after_connect(move |conn, _| {
                        let set = set.clone();
                        Box::pin(async move {
                            sqlx::raw_sql(sqlx::AssertSqlSafe(set))
                                .execute(conn)
                                .await
                                .map(drop)
                        })
                    });
                Pool::MySql(pool.connect_lazy_with(options))
            }
            // A dialect whose driver is off: the URL parsed (parsing knows every
            // dialect), but nothing here can connect to it.
            #[allow(unreachable_patterns)] // with every driver on, the arms above cover all
            dialect => return Err(EngineError::DriverMissing(dialect)),
        };
        Ok(Engine {
            key,
            url,
            tls,
            pool,
            statement_timeout,
            session_holds: Arc::new(AtomicUsize::new(0)),
            mariadb: std::sync::OnceLock::new(),
            max_allowed_packet: std::sync::OnceLock::new(),
            schema_changes,
            role,
        })
    }

    /// Which of the bind's servers this engine reaches.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Notes that this bind's schema changed (see [`SchemaChanges`]).
    pub(crate) fn schema_changed(&self) {
        self.schema_changes.changed();
    }

    /// Counts one connection as held by a live session until the hold is dropped.
    pub(crate) fn hold(&self) -> SessionHold {
        self.session_holds.fetch_add(1, Ordering::AcqRel);
        SessionHold(self.session_holds.clone())
    }

    /// Closes the idle connections now and refuses new acquires. Then waits, at most the
    /// statement timeout, for the connections in use that no live session holds (a
    /// dropped session's rollback, a statement finishing) to come back and be closed; a
    /// connection a live session holds is closed when that session lets it go, by a task
    /// on the runtime. Never waits for a live session.
    pub(crate) async fn close(&self) {
        match self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(ref pool) => self.close_pool(pool).await,
            #[cfg(feature = "postgres")]
            Pool::Postgres(ref pool) => self.close_pool(pool).await,
            #[cfg(feature = "mysql")]
            Pool::MySql(ref pool) => self.close_pool(pool).await,
        }
    }

    async fn close_pool<DB: sqlx::Database>(&self, pool: &sqlx::Pool<DB>) {
        // sqlx closes idle connections only once every connection in use is back: take
        // the idle ones out first and close them here.
        while let Some(conn) = pool.try_acquire() {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, conn.close()).await;
        }
        // Marks the pool closed at once: new acquires fail, returned connections close.
        drop(pool.close());
        let give_up = Instant::now() + self.statement_timeout;
        loop {
            let in_use = (pool.size() as usize).saturating_sub(pool.num_idle());
            let held = self.session_holds.load(Ordering::Acquire);
            if in_use <= held || Instant::now() >= give_up {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if pool.size() > 0 {
            let pool = pool.clone();
            tokio::spawn(async move { pool.close().await });
        }
    }

    /// The longest one statement, COMMIT or ROLLBACK may take on this bind
    /// ([`PoolOptions::statement_timeout`]).
    pub fn statement_timeout(&self) -> Duration {
        self.statement_timeout
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

    /// The TLS settings in force: the URL's, with the configuration's over them. They
    /// print as the mode and the paths.
    pub fn tls(&self) -> &TlsOptions {
        &self.tls
    }

    /// Whether a connection of this bind is encrypted, asked of the server on a pooled
    /// connection (PostgreSQL's `pg_stat_ssl`, MySQL's `Ssl_cipher`); SQLite never is.
    pub async fn encrypted(&self) -> Result<bool, crate::Error> {
        let outcome: Result<bool, sqlx::Error> = match self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(_) => Ok(false),
            #[cfg(feature = "postgres")]
            Pool::Postgres(ref pool) => {
                bounded(pool, self.statement_timeout, |conn| {
                    Box::pin(async move {
                        sqlx::query_scalar::<_, bool>(
                            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                        )
                        .fetch_optional(&mut *conn)
                        .await
                        .map(|ssl| ssl.unwrap_or(false))
                    })
                })
                .await
            }
            #[cfg(feature = "mysql")]
            Pool::MySql(ref pool) => {
                bounded(pool, self.statement_timeout, |conn| {
                    Box::pin(async move {
                        let row: Option<(String, String)> =
                            sqlx::query_as("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
                                .fetch_optional(&mut *conn)
                                .await?;
                        Ok(row.is_some_and(|(_, cipher)| !cipher.is_empty()))
                    })
                })
                .await
            }
        };
        outcome.map_err(|source| self.explain(crate::Error::database(self.bind(), source)))
    }

    /// `error` with what this bind's settings tell of it: a MySQL `1045 Access denied`
    /// on a bind that did not ask for TLS may be a server that requires secure transport
    /// (MariaDB's `require_secure_transport` answers a plain connection so, not with a
    /// TLS error).
    pub(crate) fn explain(&self, error: crate::Error) -> crate::Error {
        let asked = self.tls.mode.is_some_and(crate::TlsMode::needs_tls);
        match error {
            crate::Error::Database { bind, source }
                if !asked && self.dialect() == Dialect::MySql && is_access_denied(&source) =>
            {
                crate::Error::TlsMayBeRequired { bind, source }
            }
            crate::Error::Database { bind, source } if is_untrusted_certificate(&source) => {
                crate::Error::UntrustedCertificate { bind, source }
            }
            other => other,
        }
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

    /// This MySQL-dialect bind's `max_allowed_packet`, if already read.
    pub(crate) fn max_allowed_packet(&self) -> Option<u64> {
        self.max_allowed_packet.get().copied()
    }

    pub(crate) fn set_max_allowed_packet(&self, bytes: u64) {
        let _ = self.max_allowed_packet.set(bytes);
    }

    /// Connects (or takes an idle connection) and runs `SELECT 1`, within the acquire
    /// timeout and then the statement timeout. A connection that does not answer in
    /// time is closed, not returned to the pool.
    pub async fn ping(&self) -> Result<Duration, crate::Error> {
        let started = Instant::now();
        let deadline = self.statement_timeout;
        let outcome = match self.pool.acquire().await {
            Ok(mut conn) => conn.control("SELECT 1", deadline).await,
            Err(source) => Err(Fault::Database(source)),
        };
        outcome.map_err(|fault| self.explain(fault.into_error(self.key(), None, deadline)))?;
        Ok(started.elapsed())
    }
}

/// Whether `source` is rustls refusing the server's certificate (`invalid peer
/// certificate: UnknownIssuer`, `NotValidForName`, …): sqlx hands it on as I/O or TLS.
fn is_untrusted_certificate(source: &sqlx::Error) -> bool {
    matches!(source, sqlx::Error::Io(_) | sqlx::Error::Tls(_))
        && source.to_string().contains("invalid peer certificate")
}

/// Whether `source` is MySQL's `1045 Access denied`.
fn is_access_denied(source: &sqlx::Error) -> bool {
    #[cfg(feature = "mysql")]
    if let sqlx::Error::Database(db) = source {
        return db
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .is_some_and(|my| my.number() == 1045);
    }
    #[cfg(not(feature = "mysql"))]
    let _ = source;
    false
}

/// What [`lay_tls`] sets, on either server's connect options: sqlx names the setters
/// alike but they share no trait.
#[cfg(any(feature = "postgres", feature = "mysql"))]
trait TlsTarget: Sized {
    fn mode(self, mode: crate::TlsMode) -> Self;
    fn ca(self, path: &Path) -> Self;
    fn cert(self, path: &Path) -> Self;
    fn key(self, path: &Path) -> Self;
}

#[cfg(feature = "postgres")]
impl TlsTarget for PgConnectOptions {
    fn mode(self, mode: crate::TlsMode) -> Self {
        use crate::TlsMode;
        use sqlx::postgres::PgSslMode;
        self.ssl_mode(match mode {
            TlsMode::Disable => PgSslMode::Disable,
            TlsMode::Prefer => PgSslMode::Prefer,
            TlsMode::Require => PgSslMode::Require,
            TlsMode::VerifyCa => PgSslMode::VerifyCa,
            TlsMode::VerifyFull => PgSslMode::VerifyFull,
        })
    }
    fn ca(self, path: &Path) -> Self {
        self.ssl_root_cert(path)
    }
    fn cert(self, path: &Path) -> Self {
        self.ssl_client_cert(path)
    }
    fn key(self, path: &Path) -> Self {
        self.ssl_client_key(path)
    }
}

#[cfg(feature = "mysql")]
impl TlsTarget for MySqlConnectOptions {
    fn mode(self, mode: crate::TlsMode) -> Self {
        use crate::TlsMode;
        use sqlx::mysql::MySqlSslMode;
        self.ssl_mode(match mode {
            TlsMode::Disable => MySqlSslMode::Disabled,
            TlsMode::Prefer => MySqlSslMode::Preferred,
            TlsMode::Require => MySqlSslMode::Required,
            TlsMode::VerifyCa => MySqlSslMode::VerifyCa,
            TlsMode::VerifyFull => MySqlSslMode::VerifyIdentity,
        })
    }
    fn ca(self, path: &Path) -> Self {
        self.ssl_ca(path)
    }
    fn cert(self, path: &Path) -> Self {
        self.ssl_client_cert(path)
    }
    fn key(self, path: &Path) -> Self {
        self.ssl_client_key(path)
    }
}

/// `tls` laid over a server's connect options, which hold the URL's own `sslmode`, …
/// already: what the configuration sets wins.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn lay_tls<O: TlsTarget>(mut options: O, tls: &TlsOptions) -> O {
    if let Some(mode) = tls.mode {
        options = options.mode(mode);
    }
    if let Some(ca) = &tls.ca {
        options = options.ca(ca);
    }
    if let Some(cert) = &tls.cert {
        options = options.cert(cert);
    }
    if let Some(key) = &tls.key {
        options = options.key(key);
    }
    options
}

/// The pool of `options`; with `changes`, a connection opened before the bind's schema
/// last changed is closed as it is handed out (see [`SchemaChanges`]).
fn pool_options<DB: sqlx::Database>(
    options: &PoolOptions,
    default_lifetime: Option<Duration>,
    changes: Option<Arc<SchemaChanges>>,
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
    // A connection back in the pool a moment ago was answering a moment ago: pinging it
    // again costs a round trip on every acquire (a session takes one per commit) to learn
    // almost nothing. Unless told always or never, ping only one that has sat idle
    // (HikariCP's `aliveBypassWindowMs`, sqlx's own `before_acquire` example); a server
    // that dies inside the window fails the next statement, as it would fail one just
    // after a ping.
    let ping_idle = options.test_before_acquire.is_none();
    let pool = pool.test_before_acquire(options.test_before_acquire.unwrap_or(false));
    if !ping_idle && changes.is_none() {
        return pool;
    }
    pool.before_acquire(move |conn, meta| {
        let stale = changes
            .as_ref()
            .is_some_and(|changes| changes.predates_change(meta.age));
        let ping = ping_idle && meta.idle_for >= PING_AFTER_IDLE;
        Box::pin(async move {
            if stale {
                // Closed by the pool, which opens another in its place.
                return Ok(false);
            }
            if ping {
                sqlx::Connection::ping(conn).await?;
            }
            Ok(true)
        })
    })
}

#[cfg(feature = "sqlite")]
fn sqlite_pool(
    url: &DatabaseUrl,
    options: &PoolOptions,
    base: &Path,
    lock_timeout: Duration,
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
            .max_lifetime(None)
            // In this process, never dropped: a ping would check nothing (see below).
            .test_before_acquire(false);
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
    // sqlx opens with SQLITE_OPEN_URI, so a name starting `file:` would be read as a URI:
    // `sqlite:///file:x.db` without `uri=true` is the file `file:x.db`, as in SQLAlchemy.
    let path = if path.to_str().is_some_and(|p| p.starts_with("file:")) {
        Path::new(".").join(path)
    } else {
        path
    };
    let mut connect = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(lock_timeout)
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
    // A SQLite connection is a file in this process: no network or server to have dropped
    // it, so a ping before an acquire checks nothing and costs a round trip to the
    // connection's worker thread (a statement's worth, for a get), however long it sat idle.
    let options = PoolOptions {
        test_before_acquire: Some(options.test_before_acquire.unwrap_or(false)),
        ..options.clone()
    };
    Ok(pool_options::<sqlx::Sqlite>(&options, None, None).connect_lazy_with(connect))
}
