//! The fixture of the two-phase commit tests: two binds, each a scratch database on a
//! private primary (`replicas.rs`: PostgreSQL with `max_prepared_transactions` above 0,
//! MariaDB), the default bind keeping the decision log; and what the tests ask the
//! servers directly (the prepared transactions, a table's rows).

#![allow(dead_code, unreachable_pub)] // each test file uses a different part of this

use std::time::{Duration, Instant};

use bindery::{Config, Db, RecoveryAction};

use super::replicas::{self, Flavor, ReplicaSet};
use super::unique_name;

/// Which servers the two binds are on: the default bind's, then `orders`'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pair {
    PostgresMariaDb,
    PostgresPostgres,
    MariaDbMariaDb,
}

impl Pair {
    pub fn from_name(name: &str) -> Pair {
        match name {
            "postgres_mariadb" => Pair::PostgresMariaDb,
            "postgres_postgres" => Pair::PostgresPostgres,
            "mariadb_mariadb" => Pair::MariaDbMariaDb,
            other => panic!("no pair {other}"),
        }
    }

    fn flavors(self) -> [Flavor; 2] {
        match self {
            Pair::PostgresMariaDb => [Flavor::Postgres, Flavor::MariaDb],
            Pair::PostgresPostgres => [Flavor::Postgres, Flavor::Postgres],
            Pair::MariaDbMariaDb => [Flavor::MariaDb, Flavor::MariaDb],
        }
    }
}

/// Where a fixture's decision log is (see [`TwoBinds::config_in`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogMode {
    OnDefault,
    Apart,
}

/// The URL of the SQLite file of the log kept apart, in `dir` (made if missing).
pub fn log_url(dir: &super::ScratchDir) -> String {
    std::fs::create_dir_all(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    format!("sqlite:///{}", dir.path().join("log.db").display())
}

/// One bind's scratch database.
pub struct Part {
    pub set: &'static ReplicaSet,
    pub name: String,
}

/// Two scratch databases, dropped with this (after rolling back whatever bindery left
/// prepared in them, which would keep a PostgreSQL database from being dropped).
pub struct TwoBinds {
    pub pair: Pair,
    /// The default bind's, then `orders`'.
    pub parts: [Part; 2],
    /// What the fixture's instance names end with (`-` and six hex digits): tests run at
    /// once on one MariaDB server, whose `XA RECOVER` lists every test's transactions.
    tag: String,
    /// The folder of the log kept apart.
    dir: super::ScratchDir,
}

fn set_of(flavor: Flavor) -> Option<&'static ReplicaSet> {
    match flavor {
        Flavor::Postgres => replicas::postgres(),
        Flavor::MariaDb => replicas::mariadb(),
    }
}

impl TwoBinds {
    /// `None` when the private servers cannot start and servers are not required.
    pub fn new(pair: Pair, tag: &str) -> Option<TwoBinds> {
        let [a, b] = pair.flavors();
        let parts = [(a, "a"), (b, "b")].map(|(flavor, side)| {
            let set = set_of(flavor)?;
            let name = unique_name(&format!("{tag}{side}"));
            set.create_database(&name).unwrap_or_else(|e| panic!("{e}"));
            Some(Part { set, name })
        });
        let [Some(a), Some(b)] = parts else {
            return None;
        };
        let tag = format!("-{:06x}", fastrand_tag());
        Some(TwoBinds {
            pair,
            parts: [a, b],
            dir: super::ScratchDir::new(&format!("{tag}log")),
            tag,
        })
    }

    /// The instance name `name` (at most 9 characters) of this fixture.
    pub fn instance(&self, name: &str) -> String {
        format!("{name}{}", self.tag)
    }

    /// Two-phase commit on, the log on the default bind, instance `instance` (of this
    /// fixture's); queries recorded, short bounds.
    pub fn config(&self, instance: &str) -> Config {
        let [a, b] = &self.parts;
        Config::new()
            .database_uri(&a.set.primary_url(&a.name))
            .bind("orders", &b.set.primary_url(&b.name))
            .two_phase(true)
            .two_phase_instance(self.instance(instance))
            .record_queries(true)
            .pool(super::short_bounds())
    }

    pub fn db(&self, instance: &str) -> Db {
        Db::build(self.config(instance)).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Where the decision log is: on the default bind, which then commits last without
    /// preparing, its COMMIT carrying the decision; or on a SQLite file of a bind `log`
    /// that takes no part, so that both binds prepare and the decision is logged apart.
    pub fn config_in(&self, mode: LogMode, instance: &str) -> Config {
        let config = self.config(instance);
        match mode {
            LogMode::OnDefault => config,
            LogMode::Apart => config.bind("log", &self.log_url()).two_phase_log("log"),
        }
    }

    /// The URL of the SQLite file of the log kept apart.
    pub fn log_url(&self) -> String {
        log_url(&self.dir)
    }

    /// The branches held prepared for this fixture: PostgreSQL's in its databases;
    /// MariaDB's of its instances, or naming one of its databases (the server lists every
    /// test's).
    pub fn prepared(&self) -> Vec<String> {
        let mut found = Vec::new();
        for part in &self.parts {
            let listed = match part.set.flavor() {
                Flavor::Postgres => part.set.primary_sql(&format!(
                    "SELECT gid FROM pg_prepared_xacts WHERE database = '{}'",
                    part.name
                )),
                Flavor::MariaDb => part.set.primary_sql("XA RECOVER"),
            };
            let listed = listed.unwrap_or_else(|e| panic!("{e}"));
            let mine = |line: &&str| {
                line.contains(&format!("{}:", self.tag))
                    || self.parts.iter().any(|p| line.contains(&p.name))
            };
            found.extend(listed.lines().filter(mine).map(str::to_owned));
        }
        found.sort();
        found.dedup();
        found
    }

    /// How many rows of `table` in bind `side`'s database (0: default, 1: orders) have
    /// id `id`.
    pub fn count(&self, side: usize, table: &str, id: i64) -> i64 {
        let part = &self.parts[side];
        let sql = format!("SELECT count(*) FROM {table} WHERE id = {id}");
        let out = part
            .set
            .primary_sql_in(&part.name, &sql)
            .unwrap_or_else(|e| panic!("{e}"));
        out.trim()
            .parse()
            .unwrap_or_else(|_| panic!("count of {table}: {out:?}"))
    }
}

/// Recovers until nothing is left in doubt, on the servers' word too: a server may take
/// a moment to notice that the killed process's connections are gone, and MariaDB lists
/// (and lets another connection finish) a prepared XA branch only once its connection
/// is. Returns how many branches it committed and rolled back.
pub async fn recover_until_clean(db: &Db, binds: &TwoBinds) -> (usize, usize) {
    let started = Instant::now();
    let mut done = (0, 0);
    loop {
        let report = db.recover().await.unwrap();
        for found in &report.actions {
            match found.action {
                RecoveryAction::Committed => done.0 += 1,
                RecoveryAction::RolledBack => done.1 += 1,
                _ => {}
            }
        }
        if report.is_clean() && binds.prepared().is_empty() {
            return done;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "recovery left work:\n{report}\nprepared: {:?}",
            binds.prepared()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Six hex digits no other fixture of this run has.
fn fastrand_tag() -> u32 {
    let name = unique_name("");
    name.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    }) & 0xff_ffff
}

impl Drop for TwoBinds {
    fn drop(&mut self) {
        for part in &self.parts {
            // What a failed test left prepared would keep a PostgreSQL drop from working.
            if part.set.flavor() == Flavor::Postgres {
                let listed = format!(
                    "SELECT gid FROM pg_prepared_xacts WHERE database = '{}'",
                    part.name
                );
                let gids = part.set.primary_sql(&listed).unwrap_or_default();
                for gid in gids.lines().filter(|l| !l.is_empty()) {
                    let rollback = format!("ROLLBACK PREPARED '{gid}'");
                    let _ = part.set.primary_sql_in(&part.name, &rollback);
                }
            }
            if let Err(e) = part.set.drop_database(&part.name) {
                eprintln!(
                    "warning: scratch database {} was not dropped: {e}",
                    part.name
                );
            }
        }
    }
}

/// One test per pair of servers for `scenario`, an `async fn(&TwoBinds)`, after the test
/// file's `async fn setup(&TwoBinds)`.
#[macro_export]
macro_rules! on_every_pair {
    ($scenario:ident) => {
        $crate::on_every_pair!($scenario: postgres_mariadb, postgres_postgres, mariadb_mariadb);
    };
    ($scenario:ident: $($pair:ident),+) => {
        mod $scenario {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $pair() {
                    let pair = $crate::common::two_phase::Pair::from_name(stringify!($pair));
                    let tag = $crate::common::short_tag(stringify!($scenario), stringify!($pair));
                    if let Some(binds) = $crate::common::two_phase::TwoBinds::new(pair, &tag) {
                        super::setup(&binds).await;
                        super::$scenario(&binds).await;
                    }
                }
            )+
        }
    };
}
