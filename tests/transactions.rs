//! A session's transactions on every backend: a failed statement needs an explicit
//! rollback, lock waits and statements are bounded, and `Db::close` does not wait for open
//! sessions. Each scenario runs on SQLite, PostgreSQL and MariaDB through one generator.

// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bindery::{Db, Dialect, Error, Model, PoolOptions};
use common::{OnBackend, Server};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "tx_item", bind_key = "t")]
struct Item {
    #[model(primary_key)]
    id: i64,
    #[model(length = 40, unique)]
    name: String,
}

fn item(name: &str) -> Item {
    Item {
        id: 0,
        name: name.to_owned(),
    }
}

/// Short bounds, so that the scenarios that meet them end quickly.
fn pool() -> PoolOptions {
    PoolOptions {
        acquire_timeout: Some(Duration::from_secs(5)),
        lock_timeout: Some(Duration::from_millis(500)),
        // Longer than MySQL's lock wait, which counts whole seconds.
        statement_timeout: Some(Duration::from_secs(3)),
        ..PoolOptions::default()
    }
}

/// Bind `t` on `server` (or a SQLite file), its table created.
async fn setup(server: Option<Server>, tag: &str) -> Option<OnBackend> {
    OnBackend::new(server, tag, "t", pool()).await
}

async fn names(db: &Db) -> Vec<String> {
    let mut names: Vec<String> = db
        .session()
        .all::<Item>()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    names.sort();
    names
}

on_every_backend!(a_failed_statement_needs_a_rollback);

/// PostgreSQL would answer this COMMIT with ROLLBACK and lose `first`; MySQL and SQLite
/// would commit `first`. bindery refuses the COMMIT on all three until `rollback()`.
async fn a_failed_statement_needs_a_rollback(db: &Db) {
    let mut session = db.session();
    session.insert(item("first")).await.unwrap();
    let error = session.insert(item("first")).await.unwrap_err();
    assert!(matches!(error, Error::Constraint { .. }), "{error:?}");
    assert!(session.needs_rollback());

    for error in [
        session.commit().await.unwrap_err(),
        session.all::<Item>().await.unwrap_err(),
        session.insert(item("second")).await.unwrap_err(),
    ] {
        assert!(
            matches!(&error, Error::PendingRollback { bind, .. } if *bind == "t"),
            "{error:?}"
        );
        assert!(error.to_string().contains("call rollback()"), "{error}");
    }
    session.rollback().await.unwrap();
    assert!(!session.needs_rollback());
    assert!(names(db).await.is_empty(), "the first row was rolled back");

    // The same session works again.
    session.insert(item("second")).await.unwrap();
    session.commit().await.unwrap();
    assert_eq!(names(db).await, ["second"]);
}

on_every_backend!(a_failed_flush_needs_a_rollback);

/// Queued rows sent by a read's flush: the failing batch leaves the session needing a
/// rollback, so the rows before it cannot be committed alone.
async fn a_failed_flush_needs_a_rollback(db: &Db) {
    let mut session = db.session();
    session.insert(item("taken")).await.unwrap();
    session.add_all([item("fresh"), item("taken")]);
    let error = session.all::<Item>().await.unwrap_err();
    assert!(matches!(error, Error::Constraint { .. }), "{error:?}");
    let error = session.commit().await.unwrap_err();
    assert!(matches!(error, Error::PendingRollback { .. }), "{error:?}");
    session.rollback().await.unwrap();
    assert!(names(db).await.is_empty());
}

on_every_backend!(a_lock_wait_is_bounded);

/// A write behind another session's lock fails after the bind's `lock_timeout`, naming
/// bind and table, and the holder is unaffected.
async fn a_lock_wait_is_bounded(db: &Db) {
    let mut setup = db.session();
    let mut row = setup.insert(item("locked")).await.unwrap();
    setup.commit().await.unwrap();

    let mut holder = db.session();
    row.name = "held".to_owned();
    assert!(holder.update(&row).await.unwrap());

    let mut waiter = db.session();
    let mut other = row.clone();
    other.name = "waiter".to_owned();
    let error = waiter.update(&other).await.unwrap_err();
    assert!(
        matches!(&error, Error::LockTimeout { bind, table: Some("tx_item"), .. } if *bind == "t"),
        "{error:?}"
    );
    assert!(error.to_string().contains("tx_item"), "{error}");

    holder.commit().await.unwrap();
    waiter.rollback().await.unwrap();
    assert!(waiter.update(&other).await.unwrap());
    waiter.commit().await.unwrap();
    assert_eq!(names(db).await, ["waiter"]);
}

on_every_backend!(close_does_not_wait_for_open_sessions);

/// `Db::close` returns while a session holds a connection in a transaction; every later
/// use fails with `Error::Closed`, and the open transaction is not committed.
async fn close_does_not_wait_for_open_sessions(db: &Db) {
    let mut open = db.session();
    open.insert(item("never committed")).await.unwrap();
    // A bound on a hang, not a timing assertion: sqlx's own close would wait for ever.
    let closed = tokio::time::timeout(Duration::from_secs(60), db.close()).await;
    assert!(closed.is_ok(), "close waited for the open session");
    assert!(db.is_closed());

    let error = open.commit().await.unwrap_err();
    assert!(matches!(&error, Error::Closed { .. }), "{error:?}");
    let error = db.session().all::<Item>().await.unwrap_err();
    assert!(matches!(&error, Error::Closed { .. }), "{error:?}");
    for ping in db.ping().await {
        let error = ping.result.unwrap_err();
        assert!(matches!(&error, Error::Closed { .. }), "{error:?}");
    }
}

on_every_backend!(a_slow_statement_passes_the_deadline: postgres, mariadb);

/// A statement that outlasts `statement_timeout` fails with `Error::Deadline`; its
/// connection is closed rather than pooled, the session needs a rollback, and the bind
/// serves the next statement at once. (SQLite has no network to hang; its statements
/// cannot be abandoned mid-way, so it is not run there.)
async fn a_slow_statement_passes_the_deadline(db: &Db) {
    let sleep = match db.engine(Some("t")).unwrap().dialect() {
        Dialect::Postgres => "SELECT 1 FROM pg_sleep(8)",
        _ => "SELECT SLEEP(8)",
    };
    let mut session = db.session();
    session.insert(item("uncommitted")).await.unwrap();
    let error = session
        .fetch_all::<(i64,)>(Some("t"), sleep, Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Deadline { bind, timeout, .. } if *bind == "t" && *timeout == Duration::from_secs(3)),
        "{error:?}"
    );
    assert!(session.needs_rollback());
    session.rollback().await.unwrap();

    let mut next = db.session();
    next.insert(item("next")).await.unwrap();
    next.commit().await.unwrap();
    assert_eq!(names(db).await, ["next"]);
}

on_every_backend!(db_transaction_commits_on_ok_and_rolls_back_on_err);

/// `db.transaction(…)` commits what the closure wrote when it returns `Ok`, and nothing
/// when it returns `Err`.
async fn db_transaction_commits_on_ok_and_rolls_back_on_err(db: &Db) {
    let kept = db
        .transaction(async |tx| tx.insert(item("kept")).await)
        .await
        .unwrap();
    assert!(kept.id > 0);
    let refused: Result<(), Error> = db
        .transaction(async |tx| {
            tx.insert(item("refused")).await?;
            tx.add(item("queued"));
            Err(Error::NoDefaultBind { model: None })
        })
        .await;
    assert!(
        matches!(refused, Err(Error::NoDefaultBind { model: None })),
        "{refused:?}"
    );
    assert_eq!(names(db).await, ["kept"]);
}

on_every_backend!(a_nested_transaction_rolled_back_keeps_the_outer_rows);

/// A nested transaction that fails — by the closure's own error, or by a statement that
/// fails (a UNIQUE violation, which aborts the whole transaction on PostgreSQL) — undoes
/// only its own rows; the outer transaction goes on and commits.
async fn a_nested_transaction_rolled_back_keeps_the_outer_rows(db: &Db) {
    let outcome: Result<(), Error> = db
        .transaction(async |tx| {
            tx.insert(item("outer")).await?;
            let inner: Result<(), Error> = tx
                .transaction(async |inner| {
                    inner.insert(item("inner")).await?;
                    Err(Error::NoDefaultBind { model: None })
                })
                .await;
            assert!(
                matches!(inner, Err(Error::NoDefaultBind { model: None })),
                "{inner:?}"
            );
            let clash = tx
                .transaction(async |inner| inner.insert(item("outer")).await)
                .await;
            assert!(matches!(clash, Err(Error::Constraint { .. })), "{clash:?}");
            assert!(!tx.needs_rollback(), "the savepoint took the failure back");
            let kept = tx.transaction(async |inner| inner.insert(item("nested ok")).await);
            kept.await?;
            tx.insert(item("after")).await?;
            Ok(())
        })
        .await;
    outcome.unwrap();
    assert_eq!(names(db).await, ["after", "nested ok", "outer"]);
}

on_every_backend!(a_panic_in_a_transaction_rolls_it_back);

/// A closure that panics leaves nothing: the dropped session rolls back.
async fn a_panic_in_a_transaction_rolls_it_back(db: &Db) {
    let panicking = db.clone();
    let joined = tokio::spawn(async move {
        panicking
            .transaction(async |tx| {
                tx.insert(item("panicked")).await?;
                if tx.needs_rollback() {
                    return Ok::<(), Error>(());
                }
                panic!("the work panics after its insert");
            })
            .await
    })
    .await;
    assert!(joined.unwrap_err().is_panic());
    assert!(names(db).await.is_empty());
    // Its rollback freed the bind: a write goes through (on SQLite it needs the lock).
    db.transaction(async |tx| tx.insert(item("next")).await)
        .await
        .unwrap();
}

on_every_backend!(a_query_value_runs_on_a_session_a_db_and_a_transaction);

/// One query, built once, run on a `Db` (a pure read: no BEGIN, no COMMIT recorded), on a
/// session and inside `db.transaction`, with the same answer each time.
async fn a_query_value_runs_on_a_session_a_db_and_a_transaction(db: &Db) {
    db.transaction(async |tx| {
        tx.add_all([item("ann"), item("bob"), item("cy")]);
        Ok::<(), Error>(())
    })
    .await
    .unwrap();
    let c = Item::COLUMNS;
    let not_bob = bindery::find::<Item>()
        .filter(c.name.ne("bob"))
        .order_by(c.name.desc());
    let names = |items: Vec<Item>| items.into_iter().map(|i| i.name).collect::<Vec<_>>();

    db.take_recorded_queries();
    assert_eq!(names(not_bob.all(db).await.unwrap()), ["cy", "ann"]);
    let recorded: Vec<String> = db
        .take_recorded_queries()
        .into_iter()
        .map(|q| q.sql)
        .collect();
    assert_eq!(recorded.len(), 1, "{recorded:#?}");
    assert!(recorded[0].starts_with("SELECT"), "{recorded:#?}");

    let mut session = db.session();
    assert_eq!(
        names(not_bob.all(&mut session).await.unwrap()),
        ["cy", "ann"]
    );
    assert_eq!(not_bob.count(&mut session).await.unwrap(), 2);
    session.commit().await.unwrap();
    let in_tx = db
        .transaction(async |tx| {
            let first = not_bob.first(&mut *tx).await?;
            let one = not_bob.clone().filter(c.name.eq("ann")).one(tx).await?;
            Ok::<_, Error>((first.map(|i| i.name), one.name))
        })
        .await
        .unwrap();
    assert_eq!(in_tx, (Some("cy".to_owned()), "ann".to_owned()));
    let none = not_bob
        .clone()
        .filter(c.name.eq("bob"))
        .one(db)
        .await
        .unwrap_err();
    assert!(
        matches!(none, Error::NotOne { found: "none", .. }),
        "{none}"
    );
}
