//! A database dies mid-run and comes back. The test starts its own MariaDB (own data
//! folder and port, so the shared servers are never disturbed) for bind `shop`, with the
//! default bind on SQLite and `auth` on PostgreSQL; kills it with SIGKILL while sessions
//! work; checks that the other binds keep working, that the dead bind fails fast with a
//! typed error, that it recovers once restarted without restarting the program, and that
//! every committed row is there afterwards and no uncommitted one is. The timeline is
//! printed (run with `--nocapture`); no time is asserted.

// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
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
    let inserted = match bind {
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
    };
    let result = match inserted {
        Ok(()) => session.commit().await,
        Err(error) => Err(error),
    };
    (result, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bind_dies_and_comes_back() {
    let Some(mut maria) = OwnMariaDb::start("outage") else {
        return;
    };
    maria.ready("shop").await;
    let Some(auth) = ScratchDb::new(Server::Postgres, "outage_auth").await else {
        return;
    };
    let dir = ScratchDir::new("outage");
    let fast = PoolOptions {
        acquire_timeout: Some(Duration::from_secs(2)),
        ..PoolOptions::default()
    };
    let config = Config::new()
        .database_uri("sqlite:///default.db")
        .bind("auth", auth.url())
        .bind_with("shop", &maria.url("shop"), fast)
        .sqlite_base_dir(dir.path());
    let db = Db::build(config).unwrap();
    db.create_all(Binds::All).await.unwrap();

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
            matches!(&error, Error::Unavailable { bind, .. } | Error::Database { bind, .. } if bind == "bind \"shop\""),
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
