//! What the tests that need a database server share: where the servers are, whether to
//! skip when one is missing, and scratch databases that are dropped even if a test panics.
//!
//! Servers come from `BINDERY_TEST_POSTGRES_URL` (default
//! `postgres://root@127.0.0.1:5432/test`) and `BINDERY_TEST_MYSQL_URL` (default
//! `mysql://root@127.0.0.1:3306/test`). Without a server a test prints a notice and
//! passes, unless `BINDERY_REQUIRE_SERVERS=1`, when it fails.

#![allow(dead_code, unreachable_pub)] // each test file uses a different part of this

#[cfg(feature = "mysql")]
pub mod galera;
pub mod private;
pub mod replicas;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub mod replicated;
#[cfg(all(feature = "postgres", feature = "mysql"))]
pub mod two_phase;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bindery::sqlx;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use bindery::sqlx::Connection as _;

/// A database server the tests can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Postgres,
    MySql,
}

impl Server {
    fn admin_url(self) -> String {
        let (var, default) = match self {
            Server::Postgres => (
                "BINDERY_TEST_POSTGRES_URL",
                "postgres://root@127.0.0.1:5432/test",
            ),
            Server::MySql => ("BINDERY_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
        };
        std::env::var(var).unwrap_or_else(|_| default.to_owned())
    }

    pub fn name(self) -> &'static str {
        match self {
            Server::Postgres => "PostgreSQL",
            Server::MySql => "MariaDB/MySQL",
        }
    }
}

/// Pool bounds short enough that a test against a server that is down or killed fails
/// (or recovers) in seconds.
pub fn short_bounds() -> bindery::PoolOptions {
    bindery::PoolOptions {
        acquire_timeout: Some(std::time::Duration::from_secs(3)),
        statement_timeout: Some(std::time::Duration::from_secs(5)),
        lock_timeout: Some(std::time::Duration::from_secs(2)),
        ..bindery::PoolOptions::default()
    }
}

/// Runs the release build of `bindery-bench` with `args` and returns what it printed
/// (its JSON line); fails if it is not built (`cargo build --release -p bindery-bench`,
/// found where cargo puts it: under `CARGO_TARGET_DIR` when set) or does not succeed.
pub fn run_bench(args: &[&str]) -> String {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    let bench = target.join("release/bindery-bench");
    assert!(
        bench.exists(),
        "build it first: cargo build --release -p bindery-bench"
    );
    let output = std::process::Command::new(&bench)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", bench.display()));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Whether a missing server fails the test instead of skipping it.
pub fn servers_required() -> bool {
    std::env::var("BINDERY_REQUIRE_SERVERS").is_ok_and(|v| v == "1")
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name no other test, process or earlier run uses: `bt_<tag>_<pid>_<n>_<salt>`.
pub fn unique_name(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let salt = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() % 100_000);
    format!("bt_{tag}_{}_{n}_{salt}", std::process::id())
}

/// Runs one statement on the server's admin database, on a connection of its own.
#[cfg_attr(
    not(all(feature = "postgres", feature = "mysql")),
    allow(unused_variables) // a server whose driver is off reads neither
)]
async fn admin_execute(server: Server, admin_url: &str, sql: String) -> Result<(), sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql);
    match server {
        #[cfg(feature = "postgres")]
        Server::Postgres => {
            let mut conn = sqlx::PgConnection::connect(admin_url).await?;
            sqlx::raw_sql(sql).execute(&mut conn).await?;
            conn.close().await
        }
        #[cfg(feature = "mysql")]
        Server::MySql => {
            let mut conn = sqlx::MySqlConnection::connect(admin_url).await?;
            sqlx::raw_sql(sql).execute(&mut conn).await?;
            conn.close().await
        }
        // The server's driver is off: no test of this build asks for it (each is gated
        // on its driver), so this only reports a misplaced call.
        #[allow(unreachable_patterns)]
        _ => Err(sqlx::Error::Configuration(
            format!(
                "{} needs bindery's driver feature, off in this build",
                server.name()
            )
            .into(),
        )),
    }
}

/// A database made for one test on a server, dropped when this is dropped.
pub struct ScratchDb {
    server: Server,
    name: String,
    url: String,
    admin_url: String,
}

impl ScratchDb {
    /// Creates a fresh database; `None` (after a printed notice) when the server does
    /// not answer and servers are not required.
    pub async fn new(server: Server, tag: &str) -> Option<ScratchDb> {
        let admin_url = server.admin_url();
        let name = unique_name(tag);
        let create = match server {
            Server::Postgres => format!("CREATE DATABASE \"{name}\""),
            Server::MySql => format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
        };
        let created = tokio::time::timeout(
            Duration::from_secs(10),
            admin_execute(server, &admin_url, create),
        )
        .await;
        let failure = match created {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some("no answer within 10 s".to_owned()),
        };
        if let Some(reason) = failure {
            let message = format!(
                "{} at {} is not usable: {reason}",
                server.name(),
                bindery::DatabaseUrl::parse(&admin_url)
                    .map_or_else(|_| "(unparsable URL)".to_owned(), |u| u.to_string())
            );
            assert!(!servers_required(), "{message} (BINDERY_REQUIRE_SERVERS=1)");
            eprintln!("skipping: {message}; set BINDERY_REQUIRE_SERVERS=1 to fail instead");
            return None;
        }
        let mut url = url::Url::parse(&admin_url).ok()?;
        url.set_path(&format!("/{name}"));
        Some(ScratchDb {
            server,
            name,
            url: url.to_string(),
            admin_url,
        })
    }

    /// The URL of the scratch database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        let (server, name, admin_url) = (self.server, self.name.clone(), self.admin_url.clone());
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread
        // with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let drop = match server {
                Server::Postgres => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                Server::MySql => format!("DROP DATABASE IF EXISTS `{name}`"),
            };
            let dropping = admin_execute(server, &admin_url, drop);
            runtime
                .block_on(dropping)
                .map_err(|e: sqlx::Error| e.to_string())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!(
                "warning: scratch database {} was not dropped: {dropped:?}",
                self.name
            );
        }
    }
}

/// A folder for one test's SQLite files, removed when this is dropped.
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    pub fn new(tag: &str) -> ScratchDir {
        let path = std::env::temp_dir().join(unique_name(tag));
        ScratchDir { path }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// One `#[tokio::test]` per backend for an async scenario: `on_every_backend!(scenario)`
/// makes `mod scenario { sqlite, postgres, mariadb }`, each calling the test file's own
/// `async fn setup(server: Option<Server>, tag: &str) -> Option<F>` (`None` when the server
/// is missing and not required), then `scenario(&fixture).await`. Name the backends to run
/// on fewer: `on_every_backend!(scenario: postgres, mariadb)`.
///
/// Only the backends whose driver bindery is built with get a test ([`backend_test!`]):
/// `sqlite` with feature `sqlite`, `postgres` with `postgres`, `mariadb` with `mysql`.
///
/// Multi-threaded: when a scenario fails with a session open, the session's rollback runs
/// on another worker while the scratch database's drop waits for its locks (on one thread
/// a failing MariaDB test would hang instead of failing).
#[macro_export]
macro_rules! on_every_backend {
    ($scenario:ident) => {
        $crate::on_every_backend!($scenario: sqlite, postgres, mariadb);
    };
    ($scenario:ident: $($backend:ident),+) => {
        mod $scenario {
            $(
                $crate::backend_test!($backend, $scenario);
            )+

            // With a feature subset that generates none of this scenario's tests, the
            // scenario and its setup would be dead code: an allowed item counts as used.
            #[allow(dead_code)]
            fn scenario_is_used() {
                let _ = super::$scenario;
                let _ = super::setup;
            }
        }
    };
}

/// The test of one backend for [`on_every_backend!`], wrapped in the `#[cfg]` of the
/// bindery feature that brings its driver: one arm per backend.
#[macro_export]
macro_rules! backend_test {
    (sqlite, $scenario:ident) => {
        #[cfg(feature = "sqlite")]
        $crate::backend_test!(@test sqlite, $scenario);
    };
    (postgres, $scenario:ident) => {
        #[cfg(feature = "postgres")]
        $crate::backend_test!(@test postgres, $scenario);
    };
    (mariadb, $scenario:ident) => {
        #[cfg(feature = "mysql")]
        $crate::backend_test!(@test mariadb, $scenario);
    };
    (@test $backend:ident, $scenario:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $backend() {
            let server = $crate::common::server_of(stringify!($backend));
            let tag = $crate::common::short_tag(stringify!($scenario), stringify!($backend));
            if let Some(fixture) = super::setup(server, &tag).await {
                super::$scenario(&fixture).await;
            }
        }
    };
}

/// Whether bindery is built with the driver of `dialect` (its cargo feature): a test
/// that walks URLs of every dialect builds a `Db` only from those.
pub fn driver_on(dialect: bindery::Dialect) -> bool {
    match dialect {
        bindery::Dialect::Sqlite => cfg!(feature = "sqlite"),
        bindery::Dialect::Postgres => cfg!(feature = "postgres"),
        bindery::Dialect::MySql => cfg!(feature = "mysql"),
    }
}

/// The server of a backend named in `on_every_backend!` (`None`: SQLite).
pub fn server_of(backend: &str) -> Option<Server> {
    match backend {
        "postgres" => Some(Server::Postgres),
        "mariadb" => Some(Server::MySql),
        _ => None,
    }
}

/// A database-name tag for a scenario on a backend, short enough that the unique name
/// stays under PostgreSQL's 63 bytes.
pub fn short_tag(scenario: &str, backend: &str) -> String {
    let scenario: String = scenario.chars().take(16).collect();
    format!("{scenario}_{}", &backend[..2])
}

/// A `Db` with one bind on a backend (a SQLite file, or a scratch database on a server),
/// its tables created; the folder and the scratch database live as long as this does.
pub struct OnBackend {
    pub db: bindery::Db,
    _dir: ScratchDir,
    _server: Option<ScratchDb>,
}

impl std::ops::Deref for OnBackend {
    type Target = bindery::Db;

    fn deref(&self) -> &bindery::Db {
        &self.db
    }
}

impl OnBackend {
    /// Bind `bind` on `server` (or SQLite) with `pool`, every statement recorded.
    pub async fn new(
        server: Option<Server>,
        tag: &str,
        bind: &str,
        pool: bindery::PoolOptions,
    ) -> Option<OnBackend> {
        let dir = ScratchDir::new(tag);
        let scratch = match server {
            Some(server) => Some(ScratchDb::new(server, tag).await?),
            None => None,
        };
        let url = scratch
            .as_ref()
            .map_or_else(|| format!("sqlite:///{bind}.db"), |s| s.url().to_owned());
        let config = bindery::Config::new()
            .bind_with(bind, &url, pool)
            .sqlite_base_dir(dir.path())
            .record_queries(true);
        let db = bindery::Db::build(config).expect("the test's configuration builds");
        db.create_all(bindery::Binds::All)
            .await
            .expect("create_all on a fresh database");
        Some(OnBackend {
            db,
            _dir: dir,
            _server: scratch,
        })
    }
}

/// The placeholder `n` of bind `bind`: `$n` on PostgreSQL, `?` elsewhere.
pub fn placeholder(db: &bindery::Db, bind: &str, n: usize) -> String {
    match db.engine(Some(bind)).map(bindery::Engine::dialect) {
        Ok(bindery::Dialect::Postgres) => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// How many rows of `M` its bind holds, read in a session of its own.
pub async fn count<M: bindery::Model>(db: &bindery::Db) -> u64 {
    let mut session = db.session();
    let n = session.query::<M>().count().await.expect("count");
    session.commit().await.expect("commit after count");
    n
}
