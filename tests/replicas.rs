//! Read replicas on real streaming replicas (`tests/common/replicas.rs`: a private
//! PostgreSQL primary + standby and a MariaDB primary + GTID replica of this test
//! binary's own): reads routed to the replica, read-your-writes through the causal
//! token, writes that a replica connection refuses, and the startup checks.
//! Lag and outages change the replica for every test of a binary, so they have binaries
//! of their own (`replica_lag.rs`, `replica_failover.rs`).

// Replicas are a server's: nothing here without a server driver.
#![cfg(any(feature = "postgres", feature = "mysql"))]
// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/replica_note.rs"]
mod replica_note;

use std::time::Duration;

use bindery::{Config, Db, Error, Model, Role};
use common::Server;
use common::replicated::Replicated;
use replica_note::{Note, setup};

on_every_backend!(a_session_reads_its_own_writes_on_the_replica: postgres, mariadb);

/// 500 commit-then-read cycles through a session: every read finds the row it just
/// committed, and the replica served them. Beside it, the same cycles as an application
/// without replica support runs them (commit on the primary, read the replica at once)
/// count how often that read is stale.
async fn a_session_reads_its_own_writes_on_the_replica(fixture: &Replicated) {
    let db = &fixture.db;
    let mut stale = 0;
    let mut session = db.session();
    for i in 0..500 {
        let note = session.insert(Note::new(&format!("n{i}"))).await.unwrap();
        session.commit().await.unwrap();
        if session.get::<Note>(note.id).await.unwrap().as_ref() != Some(&note) {
            stale += 1;
        }
    }
    let counters = db.read_counters(None).unwrap();
    let waits = fixture.wait_durations();
    let stale_plain = stale_without_replica_support(fixture).await;
    println!(
        "{}: {stale} stale of 500 through bindery, {stale_plain} of 500 on a plain replica pool; \
         reads {counters:?}; causal wait p50 {:?} p99 {:?}",
        fixture.server.name(),
        common::replicated::percentile(&waits, 50),
        common::replicated::percentile(&waits, 99),
    );
    assert_eq!(stale, 0);
    // The reads were the replica's: a test that read the primary could not fail.
    assert!(counters.replicas[0] >= 450, "{counters:?}");
}

/// The cycles of an application without replica support: a commit on the primary, then
/// at once a read of the replica as a database of its own. How many of 500 were stale.
async fn stale_without_replica_support(fixture: &Replicated) -> usize {
    let primary =
        Db::build(Config::new().database_uri(&fixture.set.primary_url(&fixture.name))).unwrap();
    let replica = fixture.plain_replica_pool().await;
    let mut session = primary.session();
    let mut stale = 0;
    for i in 0..500 {
        let note = session.insert(Note::new(&format!("p{i}"))).await.unwrap();
        session.commit().await.unwrap();
        let by_id = bindery::find::<Note>().filter(Note::COLUMNS.id.eq(note.id));
        if by_id.count(&replica).await.unwrap() == 0 {
            stale += 1;
        }
    }
    stale
}

on_every_backend!(a_replica_connection_refuses_writes: postgres, mariadb);

/// Even reached as the server's superuser (which MariaDB's `read_only` lets write), a
/// replica connection refuses a write: bindery opens it read-only. The startup check
/// names such a user on MariaDB; bindery's own writes go to the primary.
async fn a_replica_connection_refuses_writes(fixture: &Replicated) {
    let db = fixture.with_replica_url(&fixture.set.replica_admin_url(&fixture.name));
    let engines = db.replica_engines(None).unwrap();
    let refused = common::replicated::raw_insert(engines[0].pool(), "rr_note").await;
    assert!(
        refused.is_err(),
        "a write on a replica connection went through"
    );
    println!("{}: {}", fixture.server.name(), refused.unwrap_err());

    let checked = db.check_replicas().await;
    match fixture.server {
        Server::MySql => {
            let error = checked.unwrap_err().to_string();
            assert!(error.contains("READ_ONLY ADMIN"), "{error}");
        }
        // A standby refuses every user's writes.
        Server::Postgres => checked.unwrap(),
    }

    let mut session = db.session();
    session.insert(Note::new("w")).await.unwrap();
    session.commit().await.unwrap();
    let writes: Vec<_> = db.take_recorded_queries();
    assert!(writes.iter().all(|q| q.role == Role::Primary), "{writes:?}");
}

on_every_backend!(the_startup_check_reports_every_replica_problem: postgres, mariadb);

/// The replicas are checked at once: a fit replica passes, a "replica" that is the
/// primary itself is named with what is wrong, and so is one that does not answer.
async fn the_startup_check_reports_every_replica_problem(fixture: &Replicated) {
    fixture.db.check_replicas().await.unwrap();
    let schemas = fixture
        .db
        .check_replica_schemas(bindery::Binds::All)
        .await
        .unwrap();
    assert_eq!(schemas.len(), 1);
    assert!(schemas[0].drift.is_empty(), "{schemas:?}");
    let primary = fixture.set.primary_url(&fixture.name);
    let nowhere = primary.replace(&fixture.set.primary_port().to_string(), "1");
    let config = fixture.config().replicas(
        None,
        [fixture.set.replica_url(&fixture.name), primary, nowhere],
    );
    let error = Db::connect(config).await.unwrap_err();
    let Error::Build(build) = &error else {
        panic!("{error:?}");
    };
    let text = error.to_string();
    println!("{text}");
    assert!(build.problems().len() >= 2, "{text}");
    assert!(
        text.contains("replica 1") && text.contains("replica 2"),
        "{text}"
    );
    assert!(!text.contains("replica 0"), "{text}");
    assert!(!text.contains(common::replicas::READER_PASSWORD), "{text}");
}

on_every_backend!(queries_choose_their_server: postgres, mariadb);

/// `on_primary` reads the primary; a `Db` read and a session's read before it writes go
/// to the replica; a read in a transaction that wrote goes to the primary; a session
/// pinned to the primary stays there.
async fn queries_choose_their_server(fixture: &Replicated) {
    let db = &fixture.db;
    let mut session = db.session();
    let note = session.insert(Note::new("x")).await.unwrap();
    session.commit().await.unwrap();
    db.take_recorded_queries();

    let roles = |db: &Db| -> Vec<Role> {
        db.take_recorded_queries()
            .into_iter()
            .filter(|q| q.sql.starts_with("SELECT \"") || q.sql.starts_with("SELECT `"))
            .map(|q| q.role)
            .collect()
    };
    bindery::find::<Note>().on_primary().all(db).await.unwrap();
    assert_eq!(roles(db), [Role::Primary]);
    bindery::find::<Note>().all(&mut session).await.unwrap();
    assert_eq!(roles(db), [Role::Replica(0)]);

    session
        .update(&Note {
            body: "y".into(),
            ..note.clone()
        })
        .await
        .unwrap();
    let seen = session.get::<Note>(note.id).await.unwrap().unwrap();
    assert_eq!(seen.body, "y");
    assert_eq!(roles(db).last(), Some(&Role::Primary));
    session.commit().await.unwrap();

    let mut pinned = db.session();
    pinned.read_from(bindery::ReadFrom::Primary);
    pinned.get::<Note>(note.id).await.unwrap();
    assert_eq!(roles(db), [Role::Primary]);
    let _ = Duration::ZERO;
}

#[cfg(feature = "cli")]
on_every_backend!(the_cli_lists_each_replica: postgres, mariadb);

/// `binds` shows the replica under its bind, with its health and lag, and never its
/// password; the configuration comes from a TOML file's `database_replicas`.
#[cfg(feature = "cli")]
async fn the_cli_lists_each_replica(fixture: &Replicated) {
    let dir = common::ScratchDir::new("rr_cli");
    std::fs::create_dir_all(dir.path()).unwrap();
    let file = dir.path().join("bindery.toml");
    let toml = format!(
        "database_uri = {:?}\ndatabase_replicas = [{:?}]\n",
        fixture.set.primary_url(&fixture.name),
        fixture.set.replica_url(&fixture.name)
    );
    std::fs::write(&file, toml).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let args = ["bindery", "--config", file.to_str().unwrap(), "binds"];
    let code = bindery::cli::run_with_streams_async(args, &mut out, &mut err).await;
    let (out, err) = (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    );
    println!("{out}{err}");
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{err}");
    assert!(
        out.contains("replica 0") && out.contains("up, lag"),
        "{out}"
    );
    assert!(!out.contains(common::replicas::READER_PASSWORD), "{out}");
}
