//! A database dies, or hangs, mid-run and comes back. The test starts its own MariaDB
//! (own data folder and port, so the shared servers are never disturbed; once for the
//! binary) for bind `shop`, with the default bind on SQLite and `auth` on PostgreSQL.
//!
//! * Killed with SIGKILL while sessions work: the other binds keep working, the dead bind
//!   fails fast with a typed error, it recovers once restarted without restarting the
//!   program, and every committed row is there afterwards and no uncommitted one is.
//! * Hung, which is not dead: the MariaDB stopped with SIGSTOP, or the network to
//!   PostgreSQL frozen (a proxy of the test's own stops forwarding, connections open). A
//!   session's open transaction fails within the statement timeout with
//!   `Error::Deadline`, the other binds are unaffected, and after SIGCONT (or the thaw)
//!   the bind serves again without a new `Db`.
//!
//! The timeline is printed (run with `--nocapture`); no time is asserted.

// Its fixtures hold binds on all three drivers at once.
#![cfg(all(feature = "sqlite", feature = "postgres", feature = "mysql"))]
// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bindery::{Binds, Config, Db, Error, Model, PoolOptions};
use common::{ScratchDb, ScratchDir, Server, servers_required};

bindery::link!(accounts, shop, audit);

/// A MariaDB server of the test's own.
struct OwnMariaDb {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl OwnMariaDb {
    /// Installs and starts one; `None` (after a notice) without MariaDB's programs,
    /// unless servers are required.
    fn start(tag: &str) -> Option<OwnMariaDb> {
        let dir = std::env::temp_dir().join(common::unique_name(tag));
        let installed = Command::new("mariadb-install-db")
            .args([
                "--no-defaults",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ])
            .arg(format!("--datadir={}", dir.join("data").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !matches!(installed, Ok(status) if status.success()) {
            let message = format!("cannot install a MariaDB of the test's own: {installed:?}");
            assert!(!servers_required(), "{message} (BINDERY_REQUIRE_SERVERS=1)");
            eprintln!("skipping: {message}");
            return None;
        }
        // A free port, released for the server to take.
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let mut server = OwnMariaDb {
            dir,
            port,
            child: None,
        };
        server.spawn();
        Some(server)
    }

    fn spawn(&mut self) {
        let child = Command::new("/usr/sbin/mariadbd")
            .args([
                "--no-defaults",
                "--user=root",
                "--skip-grant-tables",
                "--bind-address=127.0.0.1",
            ])
            .args(["--innodb-buffer-pool-size=16M", "--skip-log-bin"])
            .arg(format!("--port={}", self.port))
            .arg(format!("--datadir={}", self.dir.join("data").display()))
            .arg(format!("--socket={}", self.dir.join("sock").display()))
            .arg(format!("--pid-file={}", self.dir.join("pid").display()))
            .arg(format!(
                "--log-error={}",
                self.dir.join("error.log").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    fn url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.port)
    }

    /// Waits until the server answers (at most 30 s), then creates `database`.
    async fn ready(&self, database: &str) {
        use bindery::sqlx::Connection as _;
        let started = Instant::now();
        loop {
            match bindery::sqlx::MySqlConnection::connect(&self.url("mysql")).await {
                Ok(mut conn) => {
                    let create = format!("CREATE DATABASE IF NOT EXISTS `{database}`");
                    bindery::sqlx::raw_sql(bindery::sqlx::AssertSqlSafe(create))
                        .execute(&mut conn)
                        .await
                        .unwrap();
                    return;
                }
                Err(e) if started.elapsed() > Duration::from_secs(30) => {
                    panic!("the test's MariaDB did not start: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Sends `signal` (`STOP`, `CONT`) to the server process.
    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().map(Child::id).unwrap();
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal} {pid}");
        // `kill` returns once the signal is queued: wait until the kernel shows the
        // process stopped (state T) or running again, so the scenario starts from the
        // state it names.
        let stopped = signal == "STOP";
        let state = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| stat.rsplit(')').next().map(str::to_owned))
                .and_then(|rest| rest.split_whitespace().next().map(str::to_owned))
        };
        for _ in 0..200 {
            if (state().as_deref() == Some("T")) == stopped {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!(
            "after kill -{signal} {pid}, the server's state is {:?}",
            state()
        );
    }

    /// SIGKILL: no shutdown, no flush, as a crash.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnMariaDb {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn store(name: &str) -> shop::Store {
    shop::Store {
        id: 0,
        name: name.to_owned(),
    }
}

/// One committed insert on `bind` ("default", "auth" or "shop"); the time it took.
async fn write(db: &Db, bind: &str, name: &str) -> (Result<(), Error>, Duration) {
    let started = Instant::now();
    let mut session = db.session();
    let result = match insert_on(&mut session, bind, name).await {
        Ok(()) => session.commit().await,
        Err(error) => Err(error),
    };
    (result, started.elapsed())
}

/// Inserts (and flushes) one row named `name` on `bind`, in `session`'s transaction.
async fn insert_on(session: &mut bindery::Session, bind: &str, name: &str) -> Result<(), Error> {
    match bind {
        "default" => session
            .insert(audit::AuditLog {
                id: 0,
                action: name.to_owned(),
                actor_id: None,
            })
            .await
            .map(drop),
        "auth" => session
            .insert(accounts::User {
                id: 0,
                name: name.to_owned(),
                email: None,
                role_id: None,
            })
            .await
            .map(drop),
        _ => session.insert(store(name)).await.map(drop),
    }
}

/// How many rows of `bind`'s model are named `name`.
async fn count_named(db: &Db, bind: &str, name: &str) -> u64 {
    let mut session = db.session();
    match bind {
        "default" => {
            let c = audit::AuditLog::COLUMNS;
            let query = session.query::<audit::AuditLog>().filter(c.action.eq(name));
            query.count().await.unwrap()
        }
        "auth" => {
            let c = accounts::User::COLUMNS;
            let query = session.query::<accounts::User>().filter(c.name.eq(name));
            query.count().await.unwrap()
        }
        _ => {
            let c = shop::Store::COLUMNS;
            let query = session.query::<shop::Store>().filter(c.name.eq(name));
            query.count().await.unwrap()
        }
    }
}

/// Short bounds for the bind that fails: the scenarios wait for them.
fn fast() -> PoolOptions {
    PoolOptions {
        acquire_timeout: Some(Duration::from_secs(2)),
        statement_timeout: Some(Duration::from_secs(2)),
        lock_timeout: Some(Duration::from_secs(1)),
        ..PoolOptions::default()
    }
}

/// One MariaDB of the test's own for every scenario that needs its process, run one
/// after the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_mariadb_dies_or_hangs() {
    let Some(mut maria) = OwnMariaDb::start("outage") else {
        return;
    };
    a_bind_dies_and_comes_back(&mut maria).await;
    a_stopped_mariadb_fails_the_open_transaction(&mut maria).await;
}

/// The default bind on SQLite, `auth` on a scratch PostgreSQL database, `shop` on
/// database `shop` of the test's own MariaDB with short bounds; every table created. The
/// scratch database and folder live as long as the returned guards.
async fn three_binds(
    maria: &OwnMariaDb,
    shop: &str,
    tag: &str,
) -> Option<(Db, ScratchDb, ScratchDir)> {
    maria.ready(shop).await;
    let auth = ScratchDb::new(Server::Postgres, &format!("{tag}_auth")).await?;
    let dir = ScratchDir::new(tag);
    let config = Config::new()
        .database_uri("sqlite:///default.db")
        .bind("auth", auth.url())
        .bind_with("shop", &maria.url(shop), fast())
        .ddl_lock_timeout(Duration::from_secs(1))
        .sqlite_base_dir(dir.path());
    let db = Db::build(config).unwrap();
    db.create_all(Binds::All).await.unwrap();
    Some((db, auth, dir))
}

async fn a_bind_dies_and_comes_back(maria: &mut OwnMariaDb) {
    let Some((db, _auth, _dir)) = three_binds(maria, "shop", "outage").await else {
        return;
    };

    let mut committed = [0_u64; 3];
    let binds = ["default", "auth", "shop"];
    for i in 0..10 {
        for (b, bind) in binds.iter().enumerate() {
            let (result, _) = write(&db, bind, &format!("before {i}")).await;
            result.unwrap();
            committed[b] += 1;
        }
    }
    // A session with a flushed but uncommitted row on `shop` when the server dies.
    let mut pending = db.session();
    pending.insert(store("never committed")).await.unwrap();

    let t0 = Instant::now();
    maria.kill();
    eprintln!("t=0 ms: shop's MariaDB killed (SIGKILL)");

    // The outage: the other binds keep working; `shop` fails fast, typed.
    let mut failures = Vec::new();
    for i in 0..5 {
        for (b, bind) in binds.iter().enumerate().take(2) {
            let (result, _) = write(&db, bind, &format!("during {i}")).await;
            result.unwrap();
            committed[b] += 1;
        }
        let (result, took) = write(&db, "shop", &format!("during {i}")).await;
        let error = result.expect_err("the dead bind cannot take a write");
        assert!(
            matches!(&error, Error::Unavailable { bind, .. } | Error::Database { bind, .. } if *bind == "shop"),
            "{error:?}"
        );
        assert!(!format!("{error}").is_empty());
        failures.push(took);
    }
    let error = pending.commit().await.expect_err("its server died");
    eprintln!(
        "t={} ms: 10 writes on the live binds succeeded; 5 writes on shop failed, in {:?} ms; the pending commit failed: {error}",
        t0.elapsed().as_millis(),
        failures.iter().map(Duration::as_millis).collect::<Vec<_>>()
    );

    // Back up, same data folder and port: the bind recovers without a new Db.
    maria.spawn();
    let restarted = t0.elapsed();
    eprintln!("t={} ms: shop's MariaDB restarted", restarted.as_millis());
    let recovered = loop {
        let (result, _) = write(&db, "shop", "after").await;
        match result {
            Ok(()) => {
                committed[2] += 1;
                break t0.elapsed();
            }
            Err(_) if t0.elapsed() < restarted + Duration::from_secs(60) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("shop did not recover within 60 s: {error}"),
        }
    };
    eprintln!(
        "t={} ms: first write on shop succeeded again ({} ms after the restart)",
        recovered.as_millis(),
        (recovered - restarted).as_millis()
    );

    // Every committed row is there, and the uncommitted one is not.
    let mut session = db.session();
    assert_eq!(
        session.query::<audit::AuditLog>().count().await.unwrap(),
        committed[0]
    );
    assert_eq!(
        session.query::<accounts::User>().count().await.unwrap(),
        committed[1]
    );
    assert_eq!(
        session.query::<shop::Store>().count().await.unwrap(),
        committed[2]
    );
    let c = shop::Store::COLUMNS;
    let ghosts = session
        .query::<shop::Store>()
        .filter(c.name.eq("never committed"))
        .count()
        .await
        .unwrap();
    assert_eq!(ghosts, 0);
    session.commit().await.unwrap();
    eprintln!(
        "rows after recovery: {committed:?} (default, auth, shop) — all committed, none lost, no uncommitted row"
    );
    db.close().await;
}

/// A way to make one bind's server stop answering while its connections stay open.
trait Hang {
    fn freeze(&mut self);
    fn thaw(&mut self);
    fn what(&self) -> &'static str;
}

impl Hang for OwnMariaDb {
    fn freeze(&mut self) {
        self.signal("STOP");
    }
    fn thaw(&mut self) {
        self.signal("CONT");
    }
    fn what(&self) -> &'static str {
        "shop's MariaDB stopped (SIGSTOP)"
    }
}

/// A TCP proxy of the test's own in front of a server: frozen, it keeps every connection
/// open and forwards nothing, as a network that drops packets without resetting.
struct FrozenNetwork {
    frozen: Arc<AtomicBool>,
    port: u16,
    accepting: tokio::task::JoinHandle<()>,
}

impl FrozenNetwork {
    async fn start(upstream: u16) -> FrozenNetwork {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let frozen = Arc::new(AtomicBool::new(false));
        let flag = frozen.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pump(client_read, server_write, flag.clone()));
                tokio::spawn(pump(server_read, client_write, flag.clone()));
            }
        });
        FrozenNetwork {
            frozen,
            port,
            accepting,
        }
    }

    /// `url` with its port replaced by the proxy's.
    fn url(&self, url: &str) -> String {
        let mut url = url::Url::parse(url).unwrap();
        url.set_port(Some(self.port)).unwrap();
        url.to_string()
    }
}

impl Hang for FrozenNetwork {
    fn freeze(&mut self) {
        self.frozen.store(true, Ordering::SeqCst);
    }
    fn thaw(&mut self) {
        self.frozen.store(false, Ordering::SeqCst);
    }
    fn what(&self) -> &'static str {
        "the network to auth's PostgreSQL frozen"
    }
}

impl Drop for FrozenNetwork {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// Copies bytes one way; while frozen it neither reads nor delivers what it holds.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: Arc<AtomicBool>,
) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut buffer = vec![0_u8; 16 * 1024];
    let thawed = || async {
        while frozen.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    loop {
        thawed().await;
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        thawed().await;
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

async fn a_stopped_mariadb_fails_the_open_transaction(maria: &mut OwnMariaDb) {
    let Some((db, _auth, _dir)) = three_binds(maria, "shop_hung", "hung").await else {
        return;
    };
    a_hung_bind(&db, "shop", maria).await;
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_network_to_postgres_fails_the_open_transaction() {
    let Some(auth) = ScratchDb::new(Server::Postgres, "frozen_auth").await else {
        return;
    };
    let Some(shop) = ScratchDb::new(Server::MySql, "frozen_shop").await else {
        return;
    };
    let upstream = url::Url::parse(auth.url()).unwrap().port().unwrap_or(5432);
    let mut network = FrozenNetwork::start(upstream).await;
    let dir = ScratchDir::new("frozen");
    let config = Config::new()
        .database_uri("sqlite:///default.db")
        .bind_with("auth", &network.url(auth.url()), fast())
        .bind("shop", shop.url())
        .ddl_lock_timeout(Duration::from_secs(1))
        .sqlite_base_dir(dir.path());
    let db = Db::build(config).unwrap();
    db.create_all(Binds::All).await.unwrap();
    a_hung_bind(&db, "auth", &mut network).await;
    db.close().await;
}

/// The scenario of a hung bind: see the module docs.
async fn a_hung_bind(db: &Db, hung: &str, hang: &mut dyn Hang) {
    const BINDS: [&str; 3] = ["default", "auth", "shop"];
    // A bound on a hang, not a timing assertion.
    const NO_HANG: Duration = Duration::from_secs(120);
    for bind in BINDS {
        write(db, bind, "before").await.0.unwrap();
    }
    let (mut writing, mut committing) = (db.session(), db.session());
    insert_on(&mut writing, hung, "never committed")
        .await
        .unwrap();
    insert_on(&mut committing, hung, "maybe committed")
        .await
        .unwrap();

    hang.freeze();
    let t0 = Instant::now();
    eprintln!("t=0 ms: {}", hang.what());
    let bind_name = hung;
    // A statement in an open transaction: it fails, the session needs a rollback.
    let error = tokio::time::timeout(NO_HANG, insert_on(&mut writing, hung, "never sent"))
        .await
        .expect("the insert hung")
        .unwrap_err();
    assert!(
        matches!(&error, Error::Deadline { bind, timeout, .. } if *bind == bind_name && *timeout == Duration::from_secs(2)),
        "{error:?}"
    );
    eprintln!(
        "t={} ms: the open transaction's insert failed: {error}",
        t0.elapsed().as_millis()
    );
    let error = writing.commit().await.unwrap_err();
    assert!(matches!(&error, Error::PendingRollback { .. }), "{error:?}");
    writing.rollback().await.unwrap();
    // A COMMIT with no answer: its outcome is unknown, and said so.
    let error = tokio::time::timeout(NO_HANG, committing.commit())
        .await
        .expect("the commit hung")
        .unwrap_err();
    assert!(
        matches!(&error, Error::CommitOutcomeUnknown { bind, .. } if *bind == bind_name),
        "{error:?}"
    );
    eprintln!(
        "t={} ms: the other commit failed: {error}",
        t0.elapsed().as_millis()
    );

    for bind in BINDS.iter().filter(|b| **b != hung) {
        write(db, bind, "during").await.0.unwrap();
    }
    let (result, took) = tokio::time::timeout(NO_HANG, write(db, hung, "during"))
        .await
        .expect("a fresh write hung");
    let error = result.unwrap_err();
    assert!(
        matches!(&error, Error::Unavailable { bind, .. } | Error::Deadline { bind, .. } if *bind == bind_name),
        "{error:?}"
    );
    eprintln!(
        "t={} ms: the other binds wrote; a fresh write on {hung} failed in {} ms: {error}",
        t0.elapsed().as_millis(),
        took.as_millis()
    );
    // Schema operations and the drift check are bounded too.
    let drift = tokio::time::timeout(NO_HANG, db.check(hung)).await;
    let error = drift.expect("check hung").unwrap_err();
    let created = tokio::time::timeout(NO_HANG, db.create_all(hung)).await;
    let schema_error = created.expect("create_all hung").unwrap_err();
    eprintln!(
        "t={} ms: check failed ({error}); create_all failed ({schema_error})",
        t0.elapsed().as_millis()
    );

    hang.thaw();
    let thawed = t0.elapsed();
    let recovered = loop {
        match write(db, hung, "after").await.0 {
            Ok(()) => break t0.elapsed(),
            Err(_) if t0.elapsed() < thawed + Duration::from_secs(60) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("{hung} did not recover within 60 s: {error}"),
        }
    };
    eprintln!(
        "t={} ms: thawed; {hung} wrote again {} ms later, same Db; the unanswered COMMIT did {}take effect",
        thawed.as_millis(),
        (recovered - thawed).as_millis(),
        if count_named(db, hung, "maybe committed").await == 1 {
            ""
        } else {
            "not "
        }
    );
    for never in ["never committed", "never sent"] {
        assert_eq!(count_named(db, hung, never).await, 0, "{never}");
    }
    assert_eq!(count_named(db, hung, "after").await, 1);
}
