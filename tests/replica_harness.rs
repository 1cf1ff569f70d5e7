//! The replica harness's own check (`tests/common/replicas.rs`): for each flavor, a row
//! written on the primary reaches the replica, the replica refuses a write from its
//! plain user, it can be killed and started again and catches up, an apply delay holds
//! a fresh row back until it is removed, and a killed primary restarts with its prepared
//! transactions. Start-up time is printed (`--nocapture`).

#![cfg(all(feature = "postgres", feature = "mysql"))]
// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use bindery::sqlx::{self, AssertSqlSafe, Connection as _, MySqlConnection, PgConnection};
use common::replicas::{self, Flavor, ReplicaSet};
use tokio::sync::Mutex;

/// How long a replica may take to show a committed row.
const CATCH_UP: Duration = Duration::from_secs(10);

/// One test at a time on each set (the binary's): one kills a server under the other.
static POSTGRES_TURN: Mutex<()> = Mutex::const_new(());
static MARIADB_TURN: Mutex<()> = Mutex::const_new(());

fn assert_refused(set: &ReplicaSet) {
    let addr = ([127, 0, 0, 1], set.replica_port()).into();
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
        "the killed replica's port still answers"
    );
}

async fn pg_execute(conn: &mut PgConnection, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(conn)
        .await
        .map(drop)
}

/// Inserts `id` on the primary; the WAL position after its commit, read in a statement
/// of its own (read within the INSERT, it comes before the commit record).
async fn pg_insert(primary: &mut PgConnection, id: i32) -> String {
    pg_execute(primary, &format!("INSERT INTO t VALUES ({id})"))
        .await
        .unwrap();
    sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
        .fetch_one(primary)
        .await
        .unwrap()
}

async fn pg_count(replica: &mut PgConnection, id: i32) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM t WHERE id = $1")
        .bind(id)
        .fetch_one(replica)
        .await
        .unwrap()
}

async fn pg_wait_lsn(replica: &mut PgConnection, lsn: &str) {
    let began = Instant::now();
    loop {
        let replayed: bool =
            sqlx::query_scalar("SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)")
                .bind(lsn)
                .fetch_one(&mut *replica)
                .await
                .unwrap();
        if replayed {
            return;
        }
        assert!(
            began.elapsed() < CATCH_UP,
            "the replica did not reach {lsn}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn postgres_primary_and_replica() {
    let _turn = POSTGRES_TURN.lock().await;
    let Some(set) = replicas::postgres() else {
        return;
    };
    let db = common::unique_name("repl");
    set.create_database(&db).unwrap();
    let mut primary = PgConnection::connect(&set.primary_url(&db)).await.unwrap();
    let mut replica = PgConnection::connect(&set.replica_url(&db)).await.unwrap();
    pg_execute(&mut primary, "CREATE TABLE t (id int PRIMARY KEY)")
        .await
        .unwrap();
    let lsn = pg_insert(&mut primary, 1).await;
    pg_wait_lsn(&mut replica, &lsn).await;
    assert_eq!(pg_count(&mut replica, 1).await, 1);
    let refused = pg_execute(&mut replica, "INSERT INTO t VALUES (100)").await;
    println!("write on the replica as reader: {refused:?}");
    assert!(refused.is_err());
    replica.close().await.unwrap();

    set.kill_replica();
    assert_refused(set);
    let began = Instant::now();
    set.start_replica().unwrap();
    println!("PostgreSQL replica restarted in {:?}", began.elapsed());
    let mut replica = PgConnection::connect(&set.replica_url(&db)).await.unwrap();
    let lsn = pg_insert(&mut primary, 2).await;
    pg_wait_lsn(&mut replica, &lsn).await;
    assert_eq!(pg_count(&mut replica, 2).await, 1);

    set.set_apply_delay(Duration::from_secs(2)).unwrap();
    let lsn = pg_insert(&mut primary, 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        pg_count(&mut replica, 3).await,
        0,
        "the delay let it through"
    );
    set.set_apply_delay(Duration::ZERO).unwrap();
    pg_wait_lsn(&mut replica, &lsn).await;
    assert_eq!(pg_count(&mut replica, 3).await, 1);

    replica.close().await.unwrap();
    primary.close().await.unwrap();
    set.drop_database(&db).unwrap();
}

async fn my_execute(conn: &mut MySqlConnection, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(conn)
        .await
        .map(drop)
}

/// Inserts `id` on the primary; the GTID of its commit (same session).
async fn my_insert(primary: &mut MySqlConnection, id: i32) -> String {
    my_execute(primary, &format!("INSERT INTO t VALUES ({id})"))
        .await
        .unwrap();
    sqlx::query_scalar("SELECT CAST(@@last_gtid AS CHAR)")
        .fetch_one(primary)
        .await
        .unwrap()
}

async fn my_count(replica: &mut MySqlConnection, id: i32) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM t WHERE id = ?")
        .bind(id)
        .fetch_one(replica)
        .await
        .unwrap()
}

async fn my_wait_gtid(replica: &mut MySqlConnection, gtid: &str) {
    // 0 once applied, -1 on timeout.
    let waited: i64 = sqlx::query_scalar("SELECT MASTER_GTID_WAIT(?, 10)")
        .bind(gtid)
        .fetch_one(replica)
        .await
        .unwrap();
    assert_eq!(waited, 0, "the replica did not apply {gtid}");
}

#[tokio::test]
async fn mariadb_primary_and_replica() {
    let _turn = MARIADB_TURN.lock().await;
    let Some(set) = replicas::mariadb() else {
        return;
    };
    let db = common::unique_name("repl");
    set.create_database(&db).unwrap();
    let mut primary = MySqlConnection::connect(&set.primary_url(&db))
        .await
        .unwrap();
    let mut replica = MySqlConnection::connect(&set.replica_url(&db))
        .await
        .unwrap();
    my_execute(
        &mut primary,
        "CREATE TABLE t (id int PRIMARY KEY) ENGINE=InnoDB",
    )
    .await
    .unwrap();
    let gtid = my_insert(&mut primary, 1).await;
    my_wait_gtid(&mut replica, &gtid).await;
    assert_eq!(my_count(&mut replica, 1).await, 1);
    let refused = my_execute(&mut replica, "INSERT INTO t VALUES (100)").await;
    println!("write on the replica as reader: {refused:?}");
    assert!(refused.is_err());
    // SLAVE MONITOR: the plain user may read the replica's state and lag.
    my_execute(&mut replica, "SHOW SLAVE STATUS").await.unwrap();
    replica.close().await.unwrap();

    set.kill_replica();
    assert_refused(set);
    let began = Instant::now();
    set.start_replica().unwrap();
    println!("MariaDB replica restarted in {:?}", began.elapsed());
    let mut replica = MySqlConnection::connect(&set.replica_url(&db))
        .await
        .unwrap();
    let gtid = my_insert(&mut primary, 2).await;
    my_wait_gtid(&mut replica, &gtid).await;
    assert_eq!(my_count(&mut replica, 2).await, 1);

    set.set_apply_delay(Duration::from_secs(2)).unwrap();
    let gtid = my_insert(&mut primary, 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        my_count(&mut replica, 3).await,
        0,
        "the delay let it through"
    );
    set.set_apply_delay(Duration::ZERO).unwrap();
    my_wait_gtid(&mut replica, &gtid).await;
    assert_eq!(my_count(&mut replica, 3).await, 1);

    replica.close().await.unwrap();
    primary.close().await.unwrap();
    set.drop_database(&db).unwrap();
}

mod a_killed_primary_restarts_and_keeps_its_prepared_transactions {
    use super::{MARIADB_TURN, POSTGRES_TURN, replicas};

    #[test]
    fn postgres() {
        let _turn = POSTGRES_TURN.blocking_lock();
        if let Some(set) = replicas::postgres() {
            super::a_killed_primary_restarts_and_keeps_its_prepared_transactions(set);
        }
    }

    #[test]
    fn mariadb() {
        let _turn = MARIADB_TURN.blocking_lock();
        if let Some(set) = replicas::mariadb() {
            super::a_killed_primary_restarts_and_keeps_its_prepared_transactions(set);
        }
    }
}

/// A transaction prepared on the primary (PREPARE TRANSACTION, XA PREPARE) outlives its
/// SIGKILL: listed once the primary is started again, then rolled back.
fn a_killed_primary_restarts_and_keeps_its_prepared_transactions(set: &ReplicaSet) {
    let db = common::unique_name("crash");
    set.create_database(&db).unwrap();
    let sql = |statement: &str| set.primary_sql_in(&db, statement).unwrap();
    let (prepare, list, rollback) = match set.flavor() {
        Flavor::Postgres => (
            "BEGIN; INSERT INTO t VALUES (1); PREPARE TRANSACTION 'harness_probe'",
            "SELECT gid FROM pg_prepared_xacts",
            "ROLLBACK PREPARED 'harness_probe'",
        ),
        // One client run: its disconnection after XA PREPARE leaves the branch prepared.
        Flavor::MariaDb => (
            "XA START 'harness_probe'; INSERT INTO t VALUES (1); \
             XA END 'harness_probe'; XA PREPARE 'harness_probe'",
            "XA RECOVER",
            "XA ROLLBACK 'harness_probe'",
        ),
    };
    sql("CREATE TABLE t (id int PRIMARY KEY)");
    sql(prepare);
    let began = Instant::now();
    set.kill_primary();
    let killed = began.elapsed();
    set.start_primary().unwrap();
    println!(
        "{:?} primary killed in {killed:?}, answering and replicated to again {:?} later",
        set.flavor(),
        began.elapsed() - killed
    );
    let listed = sql(list);
    assert!(listed.contains("harness_probe"), "not kept: {listed:?}");
    sql(rollback);
    assert_eq!(sql(list), "");
    assert_eq!(sql("SELECT count(*) FROM t"), "0");
    set.drop_database(&db).unwrap();
}

/// The bench's replica comparison (`bindery-bench --replicas`) on this binary's private
/// servers: `cargo build --release -p bindery-bench`, then
/// `cargo test --test replica_harness -- --ignored bench_on_private_replicas --nocapture`.
/// Prints the bench's JSON line for each server.
#[test]
#[ignore = "a benchmark: run by hand, see the README's Benchmarks"]
fn bench_on_private_replicas() {
    for set in [replicas::postgres(), replicas::mariadb()]
        .into_iter()
        .flatten()
    {
        let name = common::unique_name("bench_repl");
        set.create_database(&name).unwrap();
        let printed = common::run_bench(&[
            "--replicas",
            &set.primary_url(&name),
            &set.replica_url(&name),
            "--runs",
            "5",
        ]);
        set.drop_database(&name).unwrap();
        println!("{:?}: {printed}", set.flavor());
    }
}
