//! Streams inside a session (issue 14.8): `find::<M>().stream(&mut session)` reads on the
//! session's connection of the bind, sees the session's own uncommitted rows, leaves the
//! transaction usable when dropped mid-way, and a failure leaves the session needing a
//! rollback. Each scenario runs on SQLite, PostgreSQL and MariaDB through one generator.
//! (Streams on a `Db` are in `tests/queries.rs`.)

// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bindery::{Db, Dialect, Error, Model, On, PoolOptions, Session, Value, find};
use common::{OnBackend, Server, count};
use futures_util::{StreamExt as _, TryStreamExt as _};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "reading", bind_key = "s")]
struct Reading {
    #[model(primary_key)]
    id: i64,
    #[model(length = 20)]
    label: String,
    seq: i32,
}

/// A model whose table the failing scenario replaces by one it cannot read.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "tally", bind_key = "s")]
struct Tally {
    #[model(primary_key)]
    id: i64,
    n: i32,
}

/// Bind `s` on `server` (or a SQLite file), its tables created; statements have 5 s.
async fn setup(server: Option<Server>, tag: &str) -> Option<OnBackend> {
    let pool = PoolOptions {
        statement_timeout: Some(DEADLINE),
        lock_timeout: Some(Duration::from_secs(2)),
        ..PoolOptions::default()
    };
    OnBackend::new(server, tag, "s", pool).await
}

const DEADLINE: Duration = Duration::from_secs(5);

/// Readings `seq` in `range`, labelled `{prefix}{seq}`.
fn readings(prefix: &str, range: std::ops::RangeInclusive<i32>) -> Vec<Reading> {
    range
        .map(|seq| Reading {
            id: 0,
            label: format!("{prefix}{seq}"),
            seq,
        })
        .collect()
}

/// The labels of every reading, in `seq` order, streamed on `on`.
async fn labels<'a>(on: impl Into<On<'a>>) -> Vec<String> {
    find::<Reading>()
        .order_by(Reading::COLUMNS.seq.asc())
        .stream(on)
        .await
        .unwrap()
        .map_ok(|reading| reading.label)
        .try_collect()
        .await
        .unwrap()
}

/// `n` readings, committed.
async fn committed(db: &Db, n: i32) {
    let mut session = db.session();
    session.add_all(readings("c", 1..=n));
    session.commit().await.unwrap();
}

on_every_backend!(a_session_stream_sees_its_own_uncommitted_rows);

/// Rows added to a session, not committed, come out of its stream (the stream flushes
/// them first) and are recorded like any query; once committed, another reader sees
/// them too.
async fn a_session_stream_sees_its_own_uncommitted_rows(db: &Db) {
    let mut session = db.session();
    session.add_all(readings("u", 1..=5));
    assert_eq!(labels(&mut session).await, ["u1", "u2", "u3", "u4", "u5"]);
    assert_eq!(
        find::<Reading>().count(db).await.unwrap(),
        0,
        "not committed"
    );
    assert!(
        db.recorded_queries()
            .iter()
            .any(|q| q.sql.starts_with("SELECT") && q.sql.contains("reading")),
        "the stream's SELECT is recorded"
    );
    session.commit().await.unwrap();
    assert_eq!(count::<Reading>(db).await, 5);
}

on_every_backend!(a_dropped_session_stream_leaves_the_transaction_usable);

/// A stream dropped after a few of its rows (on SQLite, on the connection the session
/// holds for reads, before it writes) leaves the session usable: an insert and a commit
/// in the same session then work, and every row is there.
async fn a_dropped_session_stream_leaves_the_transaction_usable(db: &Db) {
    committed(db, 1_000).await;
    let mut session = db.session();
    let mut rows = find::<Reading>().stream(&mut session).await.unwrap();
    for _ in 0..3 {
        assert!(rows.try_next().await.unwrap().is_some());
    }
    drop(rows);
    session.insert_all(readings("after", 1..=2)).await.unwrap();
    // A second stream, now in the transaction, dropped mid-way too.
    let mut again = find::<Reading>().stream(&mut session).await.unwrap();
    assert!(again.try_next().await.unwrap().is_some());
    drop(again);
    assert_eq!(session.query::<Reading>().count().await.unwrap(), 1_002);
    session.commit().await.unwrap();
    assert!(!session.needs_rollback());
    assert_eq!(count::<Reading>(db).await, 1_002);
}

on_every_backend!(a_session_streams_a_large_table);

/// 20,000 rows streamed in a session, in order, none missing; the session goes on after.
async fn a_session_streams_a_large_table(db: &Db) {
    const ROWS: i32 = 20_000;
    let mut session = db.session();
    session.add_all(readings("l", 1..=ROWS));
    session.commit().await.unwrap();
    let mut session = db.session();
    let mut rows = find::<Reading>()
        .order_by(Reading::COLUMNS.seq.asc())
        .stream(&mut session)
        .await
        .unwrap();
    let (mut seen, mut last) = (0, 0);
    while let Some(reading) = rows.try_next().await.unwrap() {
        assert!(reading.seq > last, "in order");
        (seen, last) = (seen + 1, reading.seq);
    }
    drop(rows);
    assert_eq!(seen, ROWS);
    session.add(readings("more", 1..=1).remove(0));
    session.commit().await.unwrap();
    assert_eq!(count::<Reading>(db).await, u64::try_from(ROWS).unwrap() + 1);
}

/// Drops table `tally` and runs `sql` (which makes another in its place), committed.
async fn replace_tally(db: &Db, sql: &[&str]) {
    let mut setup = db.session();
    for sql in std::iter::once(&"DROP TABLE tally").chain(sql) {
        setup
            .execute(Some("s"), sql, Vec::<Value>::new())
            .await
            .unwrap();
    }
    setup.commit().await.unwrap();
}

/// The error a stream of `Tally` in `session` (with a row pending) fails with at its first
/// row, checking that the stream ends there; with how many connections the pool had
/// open while the stream ran.
async fn failed_stream(db: &Db, session: &mut Session) -> (Error, u32) {
    session.add(readings("lost", 1..=1).remove(0));
    let mut rows = find::<Tally>().stream(session).await.unwrap();
    let open = open_connections(db);
    let error = rows.next().await.unwrap().unwrap_err();
    assert!(rows.next().await.is_none(), "the stream ends at its fault");
    (error, open)
}

/// How many connections bind `s`'s pool has open, idle or in use.
fn open_connections(db: &Db) -> u32 {
    match db.pool_for::<Reading>().unwrap() {
        #[cfg(feature = "sqlite")]
        bindery::Pool::Sqlite(pool) => pool.size(),
        #[cfg(feature = "postgres")]
        bindery::Pool::Postgres(pool) => pool.size(),
        #[cfg(feature = "mysql")]
        bindery::Pool::MySql(pool) => pool.size(),
    }
}

on_every_backend!(a_failed_session_stream_needs_a_rollback);

/// A row the stream cannot read (text where the model has an integer) ends the stream
/// with the error and leaves the session needing a rollback: a commit is refused with
/// `Error::PendingRollback`; after the rollback the session works again.
async fn a_failed_session_stream_needs_a_rollback(db: &Db) {
    replace_tally(
        db,
        &[
            "CREATE TABLE tally (id BIGINT PRIMARY KEY, n VARCHAR(10))",
            "INSERT INTO tally (id, n) VALUES (1, 'x')",
        ],
    )
    .await;
    let mut session = db.session();
    let (error, _) = failed_stream(db, &mut session).await;
    assert!(matches!(&error, Error::Database { .. }), "{error:?}");
    assert!(session.needs_rollback());
    let refused = session.commit().await.unwrap_err();
    assert!(
        matches!(&refused, Error::PendingRollback { bind, .. } if *bind == "s"),
        "{refused:?}"
    );
    session.rollback().await.unwrap();
    session.add(readings("kept", 1..=1).remove(0));
    session.commit().await.unwrap();
    assert_eq!(labels(db).await, ["kept1"]);
}

on_every_backend!(a_session_stream_past_the_deadline_is_cut_off: postgres, mariadb);

/// A stream whose rows do not come within the statement timeout (its table replaced by
/// a view that sleeps) ends with `Error::Deadline` and leaves the session needing a
/// rollback; its connection was closed, not used again: the rollback does not wait for
/// the sleep. (SQLite's statements cannot be abandoned mid-way; not run there.)
async fn a_session_stream_past_the_deadline_is_cut_off(db: &Db) {
    let view = match db.engine(Some("s")).unwrap().dialect() {
        Dialect::Postgres => "CREATE VIEW tally AS SELECT 1::bigint AS id, 1 AS n FROM pg_sleep(8)",
        _ => "CREATE VIEW tally AS SELECT CAST(1 AS SIGNED) AS id, SLEEP(8) AS n",
    };
    replace_tally(db, &[view]).await;
    let mut session = db.session();
    let (error, open) = failed_stream(db, &mut session).await;
    assert!(
        matches!(&error, Error::Deadline { bind, timeout, .. } if *bind == "s" && *timeout == DEADLINE),
        "{error:?}"
    );
    assert!(session.needs_rollback());
    tokio::time::timeout(Duration::from_secs(1), session.rollback())
        .await
        .expect("no ROLLBACK waits on the cut-off connection")
        .unwrap();
    // Closed, not pooled (the pool counts it until its close is done).
    let closed = async {
        while open_connections(db) >= open {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(2), closed)
        .await
        .expect("the cut-off connection is closed");
    session.add(readings("next", 1..=1).remove(0));
    session.commit().await.unwrap();
    assert_eq!(count::<Reading>(db).await, 1);
}

/// In-memory SQLite has a pool of one connection, which a session does not hold for reads:
/// a stream before the session writes reads on that connection and gives it back when
/// dropped, so the session's transaction can begin on it; a stream in the transaction
/// then reads there.
#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_streams_on_in_memory_sqlite() {
    let db = Db::build(bindery::Config::new().bind("s", "sqlite::memory:")).unwrap();
    db.create_all(bindery::Binds::All).await.unwrap();
    committed(&db, 10).await;
    let mut session = db.session();
    let mut rows = find::<Reading>().stream(&mut session).await.unwrap();
    assert!(rows.try_next().await.unwrap().is_some());
    drop(rows);
    session.add_all(readings("w", 1..=2));
    assert_eq!(labels(&mut session).await.len(), 12);
    session.commit().await.unwrap();
    assert_eq!(count::<Reading>(&db).await, 12);
}
