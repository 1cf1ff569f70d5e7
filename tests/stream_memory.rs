//! A stream of 100,000 rows keeps memory flat (issue 14.8), on SQLite, PostgreSQL and
//! MariaDB: this binary counts every heap allocation, and the heap's peak while the rows
//! stream stays a small fraction of what the same rows take collected.
//!
//! The allocator's counters are the whole process's, so the scenarios take turns (one
//! lock, held for a whole scenario) and nothing else runs in this binary.

// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bindery::{Model, PoolOptions, find};
use common::{OnBackend, Server};
use futures_util::TryStreamExt as _;

/// The system allocator, counting the bytes live now and the most live since the last
/// [`reset_peak`].
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call goes to `System` unchanged; the counters only observe it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The bytes live now, after making that the peak.
fn reset_peak() -> usize {
    let live = LIVE.load(Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

/// One scenario at a time: the counters are the process's.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "sample", bind_key = "s")]
struct Sample {
    #[model(primary_key)]
    id: i64,
    #[model(length = 100)]
    payload: String,
}

const ROWS: usize = 100_000;

async fn setup(server: Option<Server>, tag: &str) -> Option<OnBackend> {
    OnBackend::new(server, tag, "s", PoolOptions::default()).await
}

on_every_backend!(a_stream_of_100_000_rows_keeps_memory_flat);

async fn a_stream_of_100_000_rows_keeps_memory_flat(db: &OnBackend) {
    let _turn = TURN.lock().await;
    let mut session = db.session();
    for start in (0..ROWS).step_by(10_000) {
        session.add_all((start..start + 10_000).map(|i| Sample {
            id: 0,
            payload: format!("{i:0>100}"),
        }));
        session.commit().await.unwrap();
    }
    drop(session);

    let before = reset_peak();
    let mut rows = find::<Sample>().stream(&db.db).await.unwrap();
    let (mut count, mut bytes) = (0, 0);
    while let Some(sample) = rows.try_next().await.unwrap() {
        count += 1;
        bytes += sample.payload.len();
    }
    drop(rows);
    let streamed = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    assert_eq!((count, bytes), (ROWS, ROWS * 100));

    let before = reset_peak();
    let all = find::<Sample>().all(&db.db).await.unwrap();
    let collected = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    assert_eq!(all.len(), ROWS);
    drop(all);
    println!(
        "{}: heap peak while streaming {ROWS} rows {} KiB, collecting them {} KiB",
        db.engine(Some("s")).unwrap().dialect(),
        streamed / 1024,
        collected / 1024
    );
    assert!(
        streamed * 10 < collected,
        "streaming peaked at {streamed} bytes, collecting at {collected}"
    );
}
