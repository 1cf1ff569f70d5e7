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

/// Rows on two binds commit together: both are there; `orders` was prepared and the
/// default bind, which keeps the decision log, committed the decision row with its own
/// rows as the last resource, then `orders` committed; nothing is left prepared.
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
    let trail = trail(&db);
    let at = |bind: Option<&str>, what: &[&str]| positions(&trail, bind, what);
    const PREPARE: &[&str] = &["PREPARE TRANSACTION", "XA PREPARE"];
    let prepared = at(Some("orders"), PREPARE);
    let decided = at(None, &["INSERT INTO"]);
    let last = at(None, &["COMMIT"]);
    let committed = at(Some("orders"), &["COMMIT"]);
    assert_eq!(at(None, PREPARE), Vec::<usize>::new(), "{trail:#?}");
    assert_eq!((prepared.len(), committed.len()), (1, 1), "{trail:#?}");
    // The decision row is the second INSERT on the default bind (after the account's).
    assert_eq!(decided.len(), 2, "{trail:#?}");
    assert!(prepared[0] < decided[1] && decided[1] < last[0] && last[0] < committed[0]);
    assert_eq!(binds.prepared(), Vec::<String>::new());
    let report = db.recover().await.unwrap();
    assert!(report.actions.is_empty() && report.is_clean(), "{report}");
    db.close().await;
}

/// The statements `db` recorded since it was last asked, each with its bind.
fn trail(db: &Db) -> Vec<(Option<String>, String)> {
    db.take_recorded_queries()
        .into_iter()
        .map(|q| (q.bind.into_inner(), q.sql))
        .collect()
}

/// Where in `trail` the statements on `bind` holding one of `what` are.
fn positions(trail: &[(Option<String>, String)], bind: Option<&str>, what: &[&str]) -> Vec<usize> {
    let found = trail
        .iter()
        .enumerate()
        .filter(|(_, (b, sql))| b.as_deref() == bind && what.iter().any(|w| sql.contains(w)));
    found.map(|(i, _)| i).collect()
}

on_every_pair!(a_commit_of_one_bind_stays_one_phase);

/// A transaction on one bind needs no second phase: no PREPARE, no decision; on MariaDB
/// its XA branch commits in one phase.
async fn a_commit_of_one_bind_stays_one_phase(binds: &TwoBinds) {
    let db = binds.db("single");
    let mut session = db.session();
    for id in [21, 22] {
        session.add(Order { id, amount: id });
        // Flushed one by one: a transaction, not one INSERT sent alone.
        session.flush().await.unwrap();
    }
    session.commit().await.unwrap();
    for id in [21, 22] {
        assert_eq!(binds.count(1, "tp_order", id), 1);
    }
    let sql: Vec<String> = db
        .take_recorded_queries()
        .into_iter()
        .map(|q| q.sql)
        .collect();
    let any = |what: &str| sql.iter().any(|s| s.contains(what));
    assert!(!any("PREPARE") && !any("bindery_two_phase_log"), "{sql:#?}");
    let mariadb = binds.pair != Pair::PostgresPostgres;
    assert_eq!(any("XA COMMIT") && any("ONE PHASE"), mariadb, "{sql:#?}");
    db.close().await;
}

on_every_pair!(a_failed_prepare_rolls_back_every_bind: postgres_mariadb, postgres_postgres);

/// A deferred constraint that fails at PostgreSQL's PREPARE, 20 times: each commit fails
/// naming it, neither bind has the rows, nothing is prepared, and the session goes on.
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
    let mut session = db.session();
    for round in 0..20 {
        let id = 1 + 3 * round;
        session.add(Account {
            id,
            name: format!("twice {round}"),
        });
        session.add(Account {
            id: id + 1,
            name: format!("twice {round}"),
        });
        session.add(Order { id, amount: 1 });
        let error = session.commit().await.unwrap_err();
        assert!(
            matches!(&error, Error::Constraint { .. }),
            "round {round}, not the deferred constraint: {error:?}"
        );
        let rows = [
            binds.count(0, "tp_account", id),
            binds.count(0, "tp_account", id + 1),
            binds.count(1, "tp_order", id),
        ];
        assert_eq!(rows, [0, 0, 0], "round {round}");
        assert_eq!(binds.prepared(), Vec::<String>::new(), "round {round}");
        session.add(Order {
            id: id + 2,
            amount: 1,
        });
        session.commit().await.unwrap();
        assert_eq!(binds.count(1, "tp_order", id + 2), 1);
    }
    eprintln!(
        "{:?}: 20 failed PREPAREs, every bind rolled back each time",
        binds.pair
    );
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

/// A server bind (its scratch database on the private primary) with the bind `orders`
/// on a SQLite file: SQLite cannot prepare, so it joins as the last resource.
struct WithSqlite {
    server: common::two_phase::TwoBinds,
    dir: common::ScratchDir,
}

impl WithSqlite {
    /// `log_on_sqlite`: the decision log on the SQLite bind instead of the server's.
    fn db(&self, log_on_sqlite: bool) -> Db {
        std::fs::create_dir_all(self.dir.path()).unwrap();
        let file = self.dir.path().join("orders.db");
        let server = &self.server.parts[0];
        let mut config = Config::new()
            .database_uri(&server.set.primary_url(&server.name))
            .bind("orders", &format!("sqlite:///{}", file.display()))
            .two_phase(true)
            .two_phase_instance(self.server.instance("last"))
            .record_queries(true);
        if log_on_sqlite {
            config = config.two_phase_log("orders");
        }
        Db::build(config).unwrap()
    }
}

macro_rules! with_sqlite_last {
    ($scenario:ident: $($pair:ident),+) => {
        mod $scenario {
            $(
                #[cfg(feature = "sqlite")]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $pair() {
                    let pair = super::Pair::from_name(stringify!($pair));
                    let tag = super::common::short_tag(stringify!($scenario), stringify!($pair));
                    if let Some(server) = super::TwoBinds::new(pair, &tag) {
                        let fixture = super::WithSqlite {
                            server,
                            dir: super::common::ScratchDir::new(&tag),
                        };
                        for log_on_sqlite in [false, true] {
                            let db = fixture.db(log_on_sqlite);
                            db.create_all(bindery::Binds::All).await.unwrap();
                            super::$scenario(&fixture, &db, log_on_sqlite).await;
                            db.drop_all(bindery::Binds::All).await.unwrap();
                            db.close().await;
                        }
                    }
                }
            )+
        }
    };
}

with_sqlite_last!(sqlite_commits_as_the_last_resource: postgres_mariadb, mariadb_mariadb);

/// The server bind prepares, the decision is logged, SQLite commits, then the server
/// commits: in that order. With the log on SQLite, the decision is written inside
/// SQLite's own transaction, before its COMMIT.
async fn sqlite_commits_as_the_last_resource(fixture: &WithSqlite, db: &Db, log_on_sqlite: bool) {
    let mut session = write_both(db, 11).await;
    session.commit().await.unwrap();
    assert_eq!(fixture.server.count(0, "tp_account", 11), 1);
    assert_eq!(
        db.session()
            .get::<Order>(11)
            .await
            .unwrap()
            .map(|o| o.amount),
        Some(110)
    );
    let trail = trail(db);
    // The first statement on `bind` holding one of `what`.
    let at = |bind: Option<&str>, what: &[&str]| {
        let found = positions(&trail, bind, what).first().copied();
        found.unwrap_or_else(|| panic!("no {what:?} on {bind:?}: {trail:#?}"))
    };
    let prepared = at(None, &["PREPARE"]);
    let log = if log_on_sqlite { Some("orders") } else { None };
    let decided = at(
        log,
        &[
            "INSERT INTO \"bindery_two_phase_log\"",
            "INSERT INTO `bindery_two",
        ],
    );
    let last = at(Some("orders"), &["COMMIT"]);
    let committed = at(None, &["COMMIT PREPARED", "XA COMMIT"]);
    assert!(
        prepared < decided && decided < last && last < committed,
        "{trail:#?}"
    );
    assert_eq!(fixture.server.prepared(), Vec::<String>::new());
}

/// Two binds that cannot prepare (two SQLite files): the commit is refused, naming both,
/// and neither has the rows.
#[cfg(feature = "sqlite")]
#[tokio::test]
async fn two_binds_that_cannot_prepare_are_refused_naming_both() {
    let dir = common::ScratchDir::new("tp_two_sqlite");
    std::fs::create_dir_all(dir.path()).unwrap();
    let config = Config::sqlite_per_bind(dir.path(), [None, Some("orders")]).two_phase(true);
    let db = Db::build(config).unwrap();
    db.create_all(bindery::Binds::All).await.unwrap();
    let mut session = write_both(&db, 1).await;
    let error = session.commit().await.unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(error, Error::TwoPhase { ref binds, .. } if binds.len() == 2),
        "{error:?}"
    );
    assert!(
        text.contains("default bind") && text.contains("orders"),
        "{text}"
    );
    assert_eq!(db.session().get::<Order>(1).await.unwrap(), None);
    assert_eq!(db.session().get::<Account>(1).await.unwrap(), None);
    db.close().await;
}

/// `Db::connect` with two-phase commit on refuses a Galera node (Galera refuses XA),
/// naming the bind; the same configuration without two-phase commit connects.
#[cfg(feature = "sqlite")]
#[tokio::test]
async fn connect_refuses_a_galera_node() {
    let Some(node) = common::galera::galera() else {
        return;
    };
    let name = common::unique_name("tp_galera");
    node.create_database(&name).unwrap();
    let config = |two_phase| {
        Config::new()
            .database_uri("sqlite:///:memory:")
            .bind("orders", &node.url(&name))
            .two_phase(two_phase)
    };
    let error = Db::connect(config(true)).await.unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(&error, Error::Build(build) if build.problems().iter().any(|p| matches!(
            p,
            bindery::BuildProblem::TwoPhase { bind, reason }
                if bind.as_deref() == Some("orders") && reason.contains("Galera")
        ))),
        "{error:?}"
    );
    assert!(text.contains("orders") && text.contains("Galera"), "{text}");
    let db = Db::connect(config(false)).await.unwrap();
    db.close().await;
    // On a panic above the node's folder goes at exit, the database with it.
    node.drop_database(&name).unwrap();
}
