//! `--replicas PRIMARY_URL REPLICA_URL`: what reading a replica costs against reading the
//! primary, in the same run, on a server with a real replica (the tests' private
//! servers: `cargo test --test replica_harness -- --ignored bench_on_private_replicas`).
//!
//! Two figures, each a median of per-block-pair cost ratios (lower is better):
//! * `replica_gets_vs_primary`: session gets by key routed to the replica, against the
//!   same gets of a session pinned to the primary (`ReadFrom::Primary`), same `Db`.
//! * `causal_cycle_vs_primary_alone`: a commit-then-read cycle (one INSERT committed,
//!   then a get of that row) through a `Db` with the replica, the read waiting for the
//!   commit's causal token there, against the same cycle through a `Db` of the primary
//!   alone (no replica, no token).

use std::time::{Duration, Instant};

use bindery::{Binds, Config, Db, Model, PoolOptions, ReadFrom, Registry, Session};
use serde_json::json;

use crate::interleave::{GETS_BLOCK, interleave};
use crate::workload::median;

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "bench_replica_note")]
struct Note {
    #[model(primary_key)]
    id: i64,
    #[model(length = 64)]
    body: String,
}

/// Rows the gets read.
const ROWS: i64 = 1_000;
/// Commit-then-read cycles per block.
const CYCLES_BLOCK: usize = 50;

/// Runs both comparisons `runs` times and prints one JSON line of medians.
pub(crate) async fn run(primary: &str, replica: &str, runs: usize) -> Result<(), String> {
    let pool = PoolOptions {
        acquire_timeout: Some(Duration::from_secs(5)),
        ..PoolOptions::default()
    };
    let config = Config::new().database_uri(primary).pool(pool);
    let tables = || Registry::from_tables([Note::TABLE]);
    let alone = Db::build_with_registry(config.clone(), tables()).map_err(|e| e.to_string())?;
    let with = config.replicas(None, [replica]);
    let with = Db::build_with_registry(with, tables()).map_err(|e| e.to_string())?;
    with.check_replicas().await.map_err(|e| e.to_string())?;
    with.drop_all(Binds::DEFAULT)
        .await
        .map_err(|e| e.to_string())?;
    with.create_all(Binds::DEFAULT)
        .await
        .map_err(|e| e.to_string())?;
    let mut session = with.session();
    for i in 0..ROWS {
        session.add(Note {
            id: 0,
            body: format!("note {i}"),
        });
    }
    session.commit().await.map_err(|e| e.to_string())?;
    // The replica has the rows once it has replayed the commit's token.
    wait_for_replica(&mut session).await?;

    let (mut gets, mut cycles) = (Vec::new(), Vec::new());
    let mut cycle_ms = (Vec::new(), Vec::new());
    for run in 0..runs {
        gets.extend(gets_pairs(&with, run).await?);
        let (pairs, replicated_ms, alone_ms) = cycle_pairs(&with, &alone, run).await?;
        cycles.extend(pairs);
        cycle_ms.0.push(replicated_ms);
        cycle_ms.1.push(alone_ms);
    }
    let counters = with.read_counters(None).map_err(|e| e.to_string())?;
    println!(
        "{}",
        json!({
            "replica_gets_vs_primary": round(median(gets)),
            "causal_cycle_vs_primary_alone": round(median(cycles)),
            "cycle_ms": {
                "with_replica": round(median(cycle_ms.0)),
                "primary_alone": round(median(cycle_ms.1)),
            },
            "runs": runs,
            "reads": {
                "primary": counters.primary,
                "replica": counters.replicas,
                "causal_waits": counters.causal_waits,
                "fallbacks": counters.fallbacks,
            },
        })
    );
    with.drop_all(Binds::DEFAULT)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn wait_for_replica(session: &mut Session) -> Result<(), String> {
    let started = Instant::now();
    while session
        .get::<Note>(ROWS)
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        if started.elapsed() > Duration::from_secs(30) {
            return Err("the replica never got the rows".into());
        }
    }
    Ok(())
}

/// Per pair of blocks, the replica's time over the primary's for the same gets.
async fn gets_pairs(with: &Db, run: usize) -> Result<Vec<f64>, String> {
    let mut on_replica = with.session();
    let mut on_primary = with.session();
    on_primary.read_from(ReadFrom::Primary);
    let get_block = async |session: &mut Session, block: crate::interleave::Block| {
        for i in block.items(GETS_BLOCK, 4 * GETS_BLOCK) {
            let id = (i as i64 * 7919) % ROWS + 1;
            let found = session.get::<Note>(id).await.map_err(|e| e.to_string())?;
            if found.is_none() {
                return Err(format!("note {id} is missing"));
            }
        }
        Ok(())
    };
    let times = interleave(
        run,
        4,
        async |block| get_block(&mut on_replica, block).await,
        async |block| get_block(&mut on_primary, block).await,
    )
    .await?;
    Ok(times.pairs.iter().map(|rate| 1.0 / rate).collect())
}

/// Per pair of blocks, the time of commit-then-read cycles with the replica and causal
/// tokens over that of the same cycles on the primary alone; and the milliseconds one
/// cycle took on each side.
async fn cycle_pairs(with: &Db, alone: &Db, run: usize) -> Result<(Vec<f64>, f64, f64), String> {
    let mut replicated = with.session();
    let mut single = alone.session();
    let cycle_block = async |session: &mut Session, _block| {
        for _ in 0..CYCLES_BLOCK {
            let note = session
                .insert(Note {
                    id: 0,
                    body: "cycle".into(),
                })
                .await
                .map_err(|e| e.to_string())?;
            session.commit().await.map_err(|e| e.to_string())?;
            if session
                .get::<Note>(note.id)
                .await
                .map_err(|e| e.to_string())?
                != Some(note)
            {
                return Err("a cycle did not read its own write".into());
            }
        }
        Ok(())
    };
    const BLOCKS: usize = 6;
    let times = interleave(
        run,
        BLOCKS,
        async |block| cycle_block(&mut replicated, block).await,
        async |block| cycle_block(&mut single, block).await,
    )
    .await?;
    let per_cycle = |seconds: f64| seconds * 1000.0 / (BLOCKS * CYCLES_BLOCK) as f64;
    Ok((
        times.pairs.iter().map(|rate| 1.0 / rate).collect(),
        per_cycle(times.bindery),
        per_cycle(times.raw),
    ))
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
