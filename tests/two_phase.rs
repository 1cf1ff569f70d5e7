//! Two-phase commit across binds on the private servers (PostgreSQL with prepared
//! transactions, MariaDB with XA), nothing crashing: a commit lands on both binds, a
//! failed PREPARE rolls every bind back, recovery leaves other applications' prepared
//! transactions alone, SQLite joins as the last resource, and the startup checks.
//! Crashes are in `two_phase_crash.rs`.

#![cfg(all(feature = "postgres", feature = "mysql"))]
// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/two_phase_models.rs"]
mod two_phase_models;

use bindery::{Config, Db, Error};
use common::two_phase::{Pair, TwoBinds};
use two_phase_models::{Account, Order, setup, write_both};

on_every_pair!(a_commit_lands_on_both_binds_and_leaves_nothing_prepared);

/// Rows on two binds commit together: both are there, each bind was prepared and
/// committed as a branch, and nothing is left prepared or in the decision log.
async fn a_commit_lands_on_both_binds_and_leaves_nothing_prepared(binds: &TwoBinds) {
    let db = binds.db("plain");
    let mut session = write_both(&db, 7).await;
    session.commit().await.unwrap();
    assert_eq!(
        (
            binds.count(0, "tp_account", 7),
            binds.count(1, "tp_order", 7)
        ),
        (1, 1)
    );
    let sql: Vec<String> = db
        .take_recorded_queries()
        .into_iter()
        .map(|q| q.sql)
        .collect();
    for (prepare, commit) in [
        ("PREPARE TRANSACTION", "COMMIT PREPARED"),
        ("XA PREPARE", "XA COMMIT"),
    ] {
        let expected = match (binds.pair, prepare) {
            (Pair::MariaDbMariaDb, "PREPARE TRANSACTION") => 0,
            (Pair::PostgresPostgres, "XA PREPARE") => 0,
            (Pair::PostgresMariaDb, _) => 1,
            _ => 2,
        };
        let count = |what: &str| sql.iter().filter(|s| s.contains(what)).count();
        assert_eq!(
            (count(prepare), count(commit)),
            (expected, expected),
            "{sql:#?}"
        );
    }
    assert_eq!(binds.prepared(), Vec::<String>::new());
    let report = db.recover().await.unwrap();
    assert!(report.actions.is_empty() && report.is_clean(), "{report}");
    assert_eq!(report.forgotten, 0, "the commit forgot its own decision");
    db.close().await;
}

on_every_pair!(a_failed_prepare_rolls_back_every_bind: postgres_mariadb, postgres_postgres);

/// A deferred constraint that fails at PostgreSQL's PREPARE: the commit fails naming it,
/// and neither bind has the rows, nothing is prepared, and the session goes on.
async fn a_failed_prepare_rolls_back_every_bind(binds: &TwoBinds) {
    let [account_side, _] = &binds.parts;
    account_side
        .set
        .primary_sql_in(
            &account_side.name,
            "ALTER TABLE tp_account ADD CONSTRAINT tp_name_once UNIQUE (name) \
             DEFERRABLE INITIALLY DEFERRED",
        )
        .unwrap();
    let db = binds.db("failing");
    let mut session = write_both(&db, 1).await;
    session.add(Account {
        id: 2,
        name: "account 1".into(),
    });
    let error = session.commit().await.unwrap_err();
    assert!(
        matches!(&error, Error::Constraint { .. }),
        "not the deferred constraint: {error:?}"
    );
    for id in [1, 2] {
        assert_eq!(binds.count(0, "tp_account", id), 0);
    }
    assert_eq!(binds.count(1, "tp_order", 1), 0);
    assert_eq!(binds.prepared(), Vec::<String>::new());
    session.add(Order { id: 3, amount: 1 });
    session.commit().await.unwrap();
    assert_eq!(binds.count(1, "tp_order", 3), 1);
    db.close().await;
}

on_every_pair!(recovery_leaves_other_applications_prepared_transactions_alone);

/// A prepared transaction bindery did not make, on each server: recovery lists none of
/// them and they are still there after it.
async fn recovery_leaves_other_applications_prepared_transactions_alone(binds: &TwoBinds) {
    for (i, part) in binds.parts.iter().enumerate() {
        let gid = format!("foreign_{}", part.name);
        let sql = match part.set.flavor() {
            common::replicas::Flavor::Postgres => format!(
                "BEGIN; INSERT INTO {} VALUES (99, {}); PREPARE TRANSACTION '{gid}'",
                ["tp_account", "tp_order"][i],
                ["'foreign'", "1"][i]
            ),
            common::replicas::Flavor::MariaDb => format!(
                "XA START '{gid}'; INSERT INTO {} VALUES (99, {}); XA END '{gid}'; \
                 XA PREPARE '{gid}'",
                ["tp_account", "tp_order"][i],
                ["'foreign'", "1"][i]
            ),
        };
        part.set.primary_sql_in(&part.name, &sql).unwrap();
    }
    let before = binds.prepared();
    assert_eq!(before.len(), 2, "{before:?}");
    let db = binds.db("neighbour");
    let report = db.recover().await.unwrap();
    assert!(report.actions.is_empty(), "{report}");
    assert_eq!(binds.prepared(), before);
    for part in &binds.parts {
        let gid = format!("foreign_{}", part.name);
        let sql = match part.set.flavor() {
            common::replicas::Flavor::Postgres => format!("ROLLBACK PREPARED '{gid}'"),
            common::replicas::Flavor::MariaDb => format!("XA ROLLBACK '{gid}'"),
        };
        part.set.primary_sql_in(&part.name, &sql).unwrap();
    }
    db.close().await;
}

/// `Db::connect` with two-phase commit on refuses a PostgreSQL whose
/// `max_prepared_transactions` is 0 (the shared server's), naming the bind.
#[cfg(feature = "sqlite")]
#[tokio::test]
async fn connect_refuses_a_postgres_that_cannot_prepare() {
    let Some(url) = std::env::var("BINDERY_TEST_POSTGRES_URL").ok() else {
        assert!(
            !common::servers_required(),
            "BINDERY_TEST_POSTGRES_URL is not set"
        );
        return;
    };
    let config = Config::new()
        .database_uri("sqlite:///:memory:")
        .bind("orders", &url)
        .two_phase(true);
    let error = Db::connect(config).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("orders") && text.contains("max_prepared_transactions is 0"),
        "{text}"
    );
}
