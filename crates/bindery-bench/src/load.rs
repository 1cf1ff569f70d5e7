//! `--load`: many tasks, each running short sessions of mixed operations over the three
//! binds, with few connections per bind. Reports throughput, latency percentiles, errors.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bindery::{Binds, Config, Db, PoolOptions, Registry};
use serde_json::json;

use crate::servers::Places;
use crate::workload::{Bench, T0, T1, T2, row};

/// Rows put in each of the three tables before the load starts, for gets and updates.
const SEED_ROWS: usize = 1_000;

pub(crate) struct Load {
    pub(crate) tasks: usize,
    pub(crate) ops_per_task: usize,
    pub(crate) max_connections: u32,
}

/// One operation, on the model `which` names; `n` picks the row and the variant.
async fn operation(db: &Db, which: usize, n: usize) -> Result<(), bindery::Error> {
    let mut session = db.session();
    let id = i32::try_from(n % SEED_ROWS + 1).unwrap_or(1);
    macro_rules! on {
        ($model:ty) => {{
            match n % 4 {
                // Read by key.
                0 => {
                    session.get::<$model>(id).await?;
                }
                // Insert one row.
                1 => {
                    session.insert(<$model>::from(row(n))).await?;
                }
                // Filtered count.
                2 => {
                    let c = <$model as bindery::Model>::COLUMNS;
                    session
                        .query::<$model>()
                        .filter(c.qty.lt(i32::try_from(n % 500).unwrap_or(0)))
                        .count()
                        .await?;
                }
                // Read, change, write back.
                _ => {
                    if let Some(mut found) = session.get::<$model>(id).await? {
                        found.qty += 1;
                        session.update(&found).await?;
                    }
                }
            }
        }};
    }
    match which {
        0 => on!(T0),
        1 => on!(T1),
        _ => on!(T2),
    }
    session.commit().await
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank].as_secs_f64() * 1_000.0
}

pub(crate) async fn run(
    load: &Load,
    bench: &Bench,
    places: &Places,
    backend: &str,
) -> Result<(), String> {
    let [default, auth, shop] = &places.urls;
    let mut config = Config::new()
        .database_uri(default)
        .bind("auth", auth)
        .bind("shop", shop)
        .pool(PoolOptions {
            max_connections: Some(load.max_connections),
            ..PoolOptions::default()
        });
    if let Some(dir) = &places.sqlite_dir {
        config = config.sqlite_base_dir(dir);
    }
    let registry = Registry::from_tables(bench.tables.iter().take(3).copied());
    let db = Db::build_with_registry(config, registry).map_err(|e| e.to_string())?;
    db.create_all(Binds::All).await.map_err(|e| e.to_string())?;
    let mut seed = db.session();
    seed.add_all((0..SEED_ROWS).map(|i| T0::from(row(i))));
    seed.add_all((0..SEED_ROWS).map(|i| T1::from(row(i))));
    seed.add_all((0..SEED_ROWS).map(|i| T2::from(row(i))));
    seed.commit().await.map_err(|e| e.to_string())?;

    let db = Arc::new(db);
    let started = Instant::now();
    let mut handles = Vec::with_capacity(load.tasks);
    for task in 0..load.tasks {
        let db = Arc::clone(&db);
        let ops = load.ops_per_task;
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(ops);
            let mut errors = Vec::new();
            for i in 0..ops {
                let n = task * 7_919 + i * 31;
                let op_started = Instant::now();
                if let Err(e) = operation(&db, (task + i) % 3, n).await {
                    errors.push(e.to_string());
                }
                latencies.push(op_started.elapsed());
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for handle in handles {
        let (l, e) = handle.await.map_err(|e| e.to_string())?;
        latencies.extend(l);
        errors.extend(e);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    db.drop_all(Binds::All).await.map_err(|e| e.to_string())?;
    db.close().await;
    println!(
        "{}",
        json!({"load": {
            "backend": backend,
            "tasks": load.tasks,
            "ops_per_task": load.ops_per_task,
            "max_connections_per_bind": load.max_connections,
            "ops": latencies.len(),
            "errors": errors.len(),
            "ops_per_s": (latencies.len() as f64 / elapsed).round(),
            "p50_ms": (percentile(&latencies, 0.50) * 1000.0).round() / 1000.0,
            "p99_ms": (percentile(&latencies, 0.99) * 1000.0).round() / 1000.0,
            "max_ms": (percentile(&latencies, 1.0) * 1000.0).round() / 1000.0,
        }})
    );
    if let Some(first) = errors.first() {
        return Err(format!(
            "{} operations failed; the first: {first}",
            errors.len()
        ));
    }
    Ok(())
}
