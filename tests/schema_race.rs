//! Two OS processes running `create_all` (then `drop_all`) on one bind at the same moment,
//! round after round, on a shared SQLite file, PostgreSQL and MariaDB: every round must end
//! with the whole schema (or none of it), both processes must report success, and between
//! them each table must be reported created (or dropped) exactly once.
//!
//! Two tasks in one process are not two processes: they would share a pool, and the race
//! is between connections that know nothing of each other. So the test re-executes its own
//! binary (`--exact <test> --nocapture`) with `BINDERY_RACE_OP` set, and that child acts as
//! one racer. Both children connect first, then wait for the same wall-clock instant.

// The models' tables are written by hand; in a test, an unwrap that fails is the test
// failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bindery::{Binds, ColumnInfo, Config, Db, ForeignKey, IndexInfo, Registry, SqlType, TableInfo};
use common::{ScratchDb, ScratchDir, Server};

/// Rounds per operation and backend.
const ROUNDS: usize = 20;
/// How long a pair of racers may take before they are killed and the round fails.
const PAIR_DEADLINE: Duration = Duration::from_secs(20);
/// How far ahead of now the racers are told to start: enough for both to start and connect.
const START_DELAY: Duration = Duration::from_millis(400);

const ID: ColumnInfo = ColumnInfo {
    primary_key: true,
    ..ColumnInfo::new("id", SqlType::Integer)
};

const fn fk(name: &'static str, table: &'static str) -> ColumnInfo {
    ColumnInfo {
        nullable: true,
        references: Some(ForeignKey {
            table,
            column: "id",
        }),
        ..ColumnInfo::new(name, SqlType::Integer)
    }
}

const fn table(
    name: &'static str,
    columns: &'static [ColumnInfo],
    indexes: &'static [IndexInfo],
) -> TableInfo {
    TableInfo {
        columns,
        indexes,
        ..TableInfo::new(name, name)
    }
}

/// Twelve tables, most referencing others (one itself), some with indexes; `order` needs
/// quoting everywhere.
static TABLES: [TableInfo; 12] = [
    table("region", &[ID], &[]),
    table("customer", &[ID, fk("region_id", "region")], &[]),
    table("supplier", &[ID, fk("region_id", "region")], &[]),
    table("category", &[ID, fk("parent_id", "category")], &[]),
    table(
        "product",
        &[
            ID,
            fk("category_id", "category"),
            fk("supplier_id", "supplier"),
        ],
        &[IndexInfo {
            name: "ix_product_supplier_id",
            columns: &["supplier_id"],
            unique: false,
        }],
    ),
    table("warehouse", &[ID, fk("region_id", "region")], &[]),
    table(
        "stock",
        &[
            ID,
            fk("product_id", "product"),
            fk("warehouse_id", "warehouse"),
        ],
        &[IndexInfo {
            name: "uq_stock_product_id_warehouse_id",
            columns: &["product_id", "warehouse_id"],
            unique: true,
        }],
    ),
    table(
        "order",
        &[ID, fk("customer_id", "customer")],
        &[IndexInfo {
            name: "ix_order_customer_id",
            columns: &["customer_id"],
            unique: false,
        }],
    ),
    table(
        "order_line",
        &[ID, fk("order_id", "order"), fk("product_id", "product")],
        &[],
    ),
    table("payment", &[ID, fk("order_id", "order")], &[]),
    table(
        "shipment",
        &[ID, fk("order_id", "order"), fk("warehouse_id", "warehouse")],
        &[],
    ),
    table(
        "review",
        &[
            ID,
            fk("product_id", "product"),
            fk("customer_id", "customer"),
        ],
        &[],
    ),
];

fn model_names() -> BTreeSet<String> {
    TABLES.iter().map(|t| t.name.to_owned()).collect()
}

/// A `Db` whose one (default) bind is `url`, holding [`TABLES`].
fn race_db(url: &str, base_dir: &str) -> Db {
    let config = Config::new()
        .database_uri(url)
        .sqlite_base_dir(base_dir)
        .ddl_lock_timeout(Duration::from_secs(5));
    Db::build_with_registry(config, Registry::from_tables(TABLES.iter())).unwrap()
}

/// The model tables that exist now, read from the database's catalog.
async fn live(db: &Db) -> BTreeSet<String> {
    let reflected = db.reflect(Binds::DEFAULT).await.unwrap();
    let names: BTreeSet<String> = reflected[0].tables.iter().map(|t| t.name.clone()).collect();
    names.intersection(&model_names()).cloned().collect()
}

/// The operation of one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Create,
    Drop,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Drop => "drop",
        }
    }
}

/// One racer, in the child process: connect, wait for the start instant, run the
/// operation, print one `RACE-RESULT` line. Exits non-zero (a failed test) on an error.
async fn racer(op: &str) {
    let url = std::env::var("BINDERY_RACE_URL").unwrap();
    let base_dir = std::env::var("BINDERY_RACE_BASE").unwrap();
    let start: u128 = std::env::var("BINDERY_RACE_START")
        .unwrap()
        .parse()
        .unwrap();
    let db = race_db(&url, &base_dir);
    // Connected before the start, so that the race is between the statements.
    db.engine(None).unwrap().ping().await.unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let wait = u64::try_from(start.saturating_sub(now)).unwrap();
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let result = match op {
        "create" => db.create_all(Binds::DEFAULT).await,
        _ => db.drop_all(Binds::DEFAULT).await,
    };
    db.close().await;
    match result {
        Ok(report) => {
            let bind = &report.binds[0];
            println!(
                "RACE-RESULT ok changed={} skipped={}",
                bind.changed.join(","),
                bind.skipped.join(",")
            );
        }
        Err(error) => {
            let text = error.to_string().replace('\n', " | ");
            println!("RACE-RESULT err {text}");
            panic!("racer failed: {text}");
        }
    }
}

/// Starts one racer: this test binary, running only `test`, as a child process.
fn spawn_racer(test: &str, op: Op, url: &str, base_dir: &str, start: u128) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("BINDERY_RACE_OP", op.name())
        .env("BINDERY_RACE_URL", url)
        .env("BINDERY_RACE_BASE", base_dir)
        .env("BINDERY_RACE_START", start.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits for `child` until `deadline`, killing it then. Its `RACE-RESULT` line, or why
/// there is none.
fn finish(mut child: Child, deadline: Instant) -> Result<(Vec<String>, Vec<String>), String> {
    use std::io::Read as _;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("timed out and was killed".to_owned());
            }
        }
    };
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    let line = out
        .lines()
        // libtest may print the test's name on the same line first.
        .find_map(|l| l.split_once("RACE-RESULT ").map(|(_, result)| result))
        .ok_or_else(|| format!("exited with {status} and no result"))?;
    let Some(ok) = line.strip_prefix("ok ") else {
        return Err(line.to_owned());
    };
    let list = |key: &str| -> Vec<String> {
        ok.split(' ')
            .find_map(|part| part.strip_prefix(key))
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    Ok((list("changed="), list("skipped=")))
}

/// One round: two racers run `op` on `url` at the same instant. `Err` says what went wrong.
async fn round(test: &str, op: Op, url: &str, base_dir: &str, db: &Db) -> Result<(), String> {
    let start = (SystemTime::now() + START_DELAY)
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let racers = [0, 1].map(|_| spawn_racer(test, op, url, base_dir, start));
    let deadline = Instant::now() + PAIR_DEADLINE;
    let results = racers.map(|child| finish(child, deadline));
    let mut problems = Vec::new();
    let mut changed = Vec::new();
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok((mine, skipped)) => {
                if mine.len() + skipped.len() != TABLES.len() {
                    problems.push(format!("racer {i} reported {mine:?} and {skipped:?}"));
                }
                changed.extend(mine);
            }
            Err(error) => problems.push(format!("racer {i}: {error}")),
        }
    }
    let left = live(db).await;
    let expected = match op {
        Op::Create => model_names(),
        Op::Drop => BTreeSet::new(),
    };
    if left != expected {
        problems.push(format!("{} tables left: {left:?}", left.len()));
    }
    // Each table was created (dropped) by exactly one of the two.
    changed.sort();
    let all: Vec<String> = model_names().into_iter().collect();
    if problems.is_empty() && changed != all {
        problems.push(format!("tables reported changed: {changed:?}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Puts the bind in the state a round of `op` starts from: empty before a create race,
/// full before a drop race.
async fn prepare(db: &Db, op: Op) {
    let _ = match op {
        Op::Create => db.drop_all(Binds::DEFAULT).await,
        Op::Drop => db.create_all(Binds::DEFAULT).await,
    };
}

/// The whole race on one bind: [`ROUNDS`] create races, each followed by a drop race.
async fn race(test: &str, url: &str, base_dir: &str) {
    let db = race_db(url, base_dir);
    let started = Instant::now();
    let mut failed: Vec<(Op, usize, String)> = Vec::new();
    for n in 0..ROUNDS {
        for op in [Op::Create, Op::Drop] {
            prepare(&db, op).await;
            if let Err(problem) = round(test, op, url, base_dir, &db).await {
                eprintln!("round {n} {}: {problem}", op.name());
                failed.push((op, n, problem));
            }
        }
    }
    db.close().await;
    let count = |op| failed.iter().filter(|(o, _, _)| *o == op).count();
    eprintln!(
        "{test}: create_all failed in {}/{ROUNDS} rounds, drop_all in {}/{ROUNDS}, {:.1} s",
        count(Op::Create),
        count(Op::Drop),
        started.elapsed().as_secs_f64()
    );
    assert!(failed.is_empty(), "{failed:#?}");
}

/// Runs as the racer when the parent said so, else as the parent of two racers.
async fn race_or_racer(test: &str, server: Option<Server>) {
    if let Ok(op) = std::env::var("BINDERY_RACE_OP") {
        racer(&op).await;
        return;
    }
    let dir = ScratchDir::new("race");
    let base_dir = dir.path().to_str().unwrap().to_owned();
    let Some(server) = server else {
        return race(test, "sqlite:///race.db", &base_dir).await;
    };
    let Some(scratch) = ScratchDb::new(server, "race").await else {
        return;
    };
    race(test, scratch.url(), &base_dir).await;
}

/// One test per backend, the same scenario.
macro_rules! race_test {
    ($($name:ident: $server:expr, $feature:tt;)*) => {$(
        #[cfg(feature = $feature)]
        #[tokio::test]
        async fn $name() {
            race_or_racer(stringify!($name), $server).await;
        }
    )*};
}

race_test! {
    two_processes_race_on_sqlite: None, "sqlite";
    two_processes_race_on_postgres: Some(Server::Postgres), "postgres";
    two_processes_race_on_mariadb: Some(Server::MySql), "mysql";
}

/// Two tables that reference nothing, for the tests below: DDL from outside bindery, which
/// does not take bindery's schema lock, lands on one while bindery's run waits on the other.
#[cfg(any(feature = "postgres", feature = "mysql"))]
static PAIR: [TableInfo; 2] = [table("gone", &[ID], &[]), table("held", &[ID], &[])];

/// A `Db` over `url` holding [`PAIR`], on a pool of one connection (so that MySQL drops
/// the two one after the other, `held` first).
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn pair_db(url: &str) -> Db {
    let config = Config::new()
        .database_uri(url)
        .ddl_lock_timeout(Duration::from_secs(5))
        .pool(bindery::PoolOptions {
            max_connections: Some(1),
            ..bindery::PoolOptions::default()
        });
    Db::build_with_registry(config, Registry::from_tables(PAIR.iter())).unwrap()
}

/// Polls `sql` (how many sessions wait on a lock) on `conn` every 10 ms until it is
/// positive: at most 10 s, then the test fails.
#[cfg(any(feature = "postgres", feature = "mysql"))]
macro_rules! until_waiting {
    ($conn:expr, $sql:expr) => {{
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let waiting: i64 = sqlx::query_scalar($sql)
                .fetch_one(&mut $conn)
                .await
                .unwrap();
            if waiting > 0 {
                break;
            }
            assert!(Instant::now() < deadline, "no session ever waited");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }};
}

/// PostgreSQL: another session creates `held` in a transaction that commits only once
/// `create_all` waits on it. The waiting statement then fails (a unique violation in
/// `pg_type`); the run is rolled back and tried again on a fresh read of the catalog, and
/// reports `held` as already there.
#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_retries_a_run_that_lost_a_race() {
    use bindery::sqlx::{self, Connection as _};
    let Some(scratch) = ScratchDb::new(Server::Postgres, "retry").await else {
        return;
    };
    let db = pair_db(scratch.url());
    let mut other = sqlx::PgConnection::connect(scratch.url()).await.unwrap();
    let mut watcher = sqlx::PgConnection::connect(scratch.url()).await.unwrap();
    sqlx::raw_sql("BEGIN; CREATE TABLE held (id INTEGER PRIMARY KEY)")
        .execute(&mut other)
        .await
        .unwrap();
    let interloper = async {
        until_waiting!(
            watcher,
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'"
        );
        sqlx::raw_sql("COMMIT").execute(&mut other).await.unwrap();
    };
    let (report, ()) = tokio::join!(db.create_all(Binds::DEFAULT), interloper);
    let report = report.unwrap();
    assert_eq!(report.binds[0].changed, ["gone"]);
    assert_eq!(report.binds[0].skipped, ["held"]);
    db.close().await;
}

/// MariaDB: another session drops `gone` while `drop_all` waits to drop `held` (a third
/// session reads `held` in an open transaction). `DROP TABLE gone` then answers `1051
/// Unknown table`, and the run reports `gone` as not there instead of failing.
#[cfg(feature = "mysql")]
#[tokio::test]
async fn mariadb_counts_a_table_dropped_meanwhile_as_not_there() {
    use bindery::sqlx::{self, Connection as _};
    let Some(scratch) = ScratchDb::new(Server::MySql, "gone").await else {
        return;
    };
    let db = pair_db(scratch.url());
    db.create_all(Binds::DEFAULT).await.unwrap();
    let mut reader = sqlx::MySqlConnection::connect(scratch.url()).await.unwrap();
    let mut other = sqlx::MySqlConnection::connect(scratch.url()).await.unwrap();
    sqlx::raw_sql("START TRANSACTION; SELECT * FROM held")
        .execute(&mut reader)
        .await
        .unwrap();
    let interloper = async {
        until_waiting!(
            other,
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
             WHERE DB = DATABASE() AND STATE = 'Waiting for table metadata lock'"
        );
        sqlx::raw_sql("DROP TABLE gone")
            .execute(&mut other)
            .await
            .unwrap();
        sqlx::raw_sql("COMMIT").execute(&mut reader).await.unwrap();
    };
    let (report, ()) = tokio::join!(db.drop_all(Binds::DEFAULT), interloper);
    let report = report.unwrap();
    assert_eq!(report.binds[0].changed, ["held"]);
    assert_eq!(report.binds[0].skipped, ["gone"]);
    assert!(live_pair(&db).await.is_empty());
    db.close().await;
}

#[cfg(feature = "mysql")]
async fn live_pair(db: &Db) -> Vec<String> {
    let reflected = db.reflect(Binds::DEFAULT).await.unwrap();
    reflected[0].tables.iter().map(|t| t.name.clone()).collect()
}
