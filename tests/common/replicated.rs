//! The fixture of the replica tests: a scratch database on a private primary + replica
//! (`replicas.rs`), and a `Db` whose default bind reads that replica, its tables
//! created and replicated.

#![allow(dead_code, unreachable_pub)] // each test file uses a different part of this

use std::time::{Duration, Instant};

use bindery::{Config, Db, Pool};

use super::replicas::{self, ReplicaSet};
use super::{Server, unique_name};

/// A scratch database on a primary with a replica, and a `Db` over both; the database
/// is dropped with this.
pub struct Replicated {
    pub db: Db,
    pub set: &'static ReplicaSet,
    pub name: String,
    pub server: Server,
}

impl Replicated {
    /// `None` when the private servers cannot start and servers are not required.
    pub async fn new(server: Server, tag: &str) -> Option<Replicated> {
        let set = match server {
            Server::Postgres => replicas::postgres()?,
            Server::MySql => replicas::mariadb()?,
        };
        let name = unique_name(tag);
        set.create_database(&name).unwrap_or_else(|e| panic!("{e}"));
        let db = Db::build(config(set, &name));
        let fixture = Replicated {
            db: db.unwrap_or_else(|e| panic!("{e}")),
            set,
            name,
            server,
        };
        fixture
            .db
            .create_all(bindery::Binds::DEFAULT)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        fixture.wait_for_tables().await;
        fixture.db.take_recorded_queries();
        Some(fixture)
    }

    /// The configuration of the fixture's `Db` (see [`config`]).
    pub fn config(&self) -> Config {
        config(self.set, &self.name)
    }

    /// A `Db` over the same primary whose replica is reached at `url` instead.
    pub fn with_replica_url(&self, url: &str) -> Db {
        let config = self.config().replicas(None, [url]);
        Db::build(config).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A `Db` that reads the replica as if it were a database of its own: what an
    /// application without replica support reads there.
    pub async fn plain_replica_pool(&self) -> Db {
        let config = Config::new().database_uri(&self.set.replica_url(&self.name));
        Db::build(config).unwrap_or_else(|e| panic!("{e}"))
    }

    /// How long each causal wait the `Db` recorded took.
    pub fn wait_durations(&self) -> Vec<Duration> {
        let mut waits: Vec<Duration> = self
            .db
            .recorded_queries()
            .into_iter()
            .filter(|q| {
                q.sql.contains("pg_last_wal_replay_lsn") || q.sql.contains("MASTER_GTID_WAIT")
            })
            .map(|q| q.duration)
            .collect();
        waits.sort();
        waits
    }

    /// Waits until the replica has the tables `create_all` made on the primary.
    async fn wait_for_tables(&self) {
        let started = Instant::now();
        let replica = self.plain_replica_pool().await;
        loop {
            let ready = match replica.reflect(bindery::Binds::DEFAULT).await {
                Ok(reflected) => reflected.iter().any(|bind| !bind.tables.is_empty()),
                Err(_) => false,
            };
            if ready {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the replica never got the tables"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Replicated {
    fn drop(&mut self) {
        if let Err(e) = self.set.drop_database(&self.name) {
            eprintln!(
                "warning: scratch database {} was not dropped: {e}",
                self.name
            );
        }
    }
}

/// The configuration of a fixture's `Db` on database `name` of `set`: the primary, one
/// replica reached as a user that cannot write, queries recorded, short bounds.
fn config(set: &ReplicaSet, name: &str) -> Config {
    Config::new()
        .database_uri(&set.primary_url(name))
        .replicas(None, [set.replica_url(name)])
        .record_queries(true)
        .pool(super::short_bounds())
}

/// An INSERT sent straight through `pool` (sqlx, no bindery in between).
pub async fn raw_insert(pool: &Pool, table: &str) -> Result<u64, String> {
    let sql = format!("INSERT INTO {table} (body) VALUES ('raw')");
    let sql = sqlx::AssertSqlSafe(sql);
    let done: Result<u64, sqlx::Error> = match pool {
        #[cfg(feature = "postgres")]
        Pool::Postgres(pool) => sqlx::query(sql)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
        #[cfg(feature = "mysql")]
        Pool::MySql(pool) => sqlx::query(sql)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
        #[allow(unreachable_patterns)] // with both server drivers, the arms above cover all
        other => panic!("no replicas on {other:?}"),
    };
    done.map_err(|e| e.to_string())
}

/// The `p`th percentile of sorted `durations`.
pub fn percentile(durations: &[Duration], p: usize) -> Option<Duration> {
    let last = durations.len().checked_sub(1)?;
    durations.get(last * p / 100).copied()
}
