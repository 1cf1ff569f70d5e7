//! A replica killed mid-run (SIGKILL, on this binary's own replica): no read fails, the
//! primary serves them, and the replica serves again once restarted, without a new
//! `Db`.

// Replicas are a server's: nothing here without a server driver.
#![cfg(any(feature = "postgres", feature = "mysql"))]
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/replica_note.rs"]
mod replica_note;

use std::time::{Duration, Instant};

use bindery::{Db, Model};
use common::replicated::Replicated;
use replica_note::{Note, setup};

on_every_backend!(a_dead_replica_is_skipped_then_rejoins: postgres, mariadb);

/// Reads through a `Db` and a session with a causal token, before, during and after the
/// replica's death: every one answers with the row.
async fn a_dead_replica_is_skipped_then_rejoins(fixture: &Replicated) {
    let db = &fixture.db;
    let mut session = db.session();
    let note = session.insert(Note::new("kept")).await.unwrap();
    session.commit().await.unwrap();
    reads_find(db, &mut session, &note, 5).await;
    let before = db.read_counters(None).unwrap();
    assert!(before.replicas[0] > 0, "{before:?}");

    fixture.set.kill_replica();
    let started = Instant::now();
    reads_find(db, &mut session, &note, 50).await;
    let during = db.read_counters(None).unwrap();
    println!(
        "{}: 100 reads with the replica dead in {:?}; {during:?}",
        fixture.server.name(),
        started.elapsed()
    );
    assert!(during.primary >= before.primary + 100, "{during:?}");
    let status = db.replica_status(None).await.unwrap();
    assert!(
        !status[0].up && status[0].last_failure.is_some(),
        "{status:?}"
    );

    fixture.set.start_replica().unwrap();
    let started = Instant::now();
    loop {
        reads_find(db, &mut session, &note, 1).await;
        if db.read_counters(None).unwrap().replicas[0] > during.replicas[0] {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the replica never served again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "{}: the replica served again {:?} after its restart",
        fixture.server.name(),
        started.elapsed()
    );
}

/// `times` reads of `note` through `db` and through `session`: none fails, and the
/// session's (which waits for its commit's causal token) finds it. A `Db` read has no
/// token: a replica just restarted may not have replayed the row yet.
async fn reads_find(db: &Db, session: &mut bindery::Session, note: &Note, times: usize) {
    for _ in 0..times {
        let by_id = bindery::find::<Note>().filter(Note::COLUMNS.id.eq(note.id));
        let found = by_id.all(db).await.unwrap();
        assert!(
            found.is_empty() || found == std::slice::from_ref(note),
            "{found:?}"
        );
        assert_eq!(
            session.get::<Note>(note.id).await.unwrap().as_ref(),
            Some(note)
        );
    }
}
