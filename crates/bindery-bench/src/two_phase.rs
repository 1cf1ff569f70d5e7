//! `--two-phase POSTGRES_URL MARIADB_URL`: what a two-phase commit across two binds costs
//! against the same work committed in order, in the same run, on servers that can prepare
//! (the tests' private servers: `cargo test --test two_phase_crash -- --ignored
//! bench_two_phase_on_private_servers`; PostgreSQL needs `max_prepared_transactions`
//! above 0).
//!
//! A cycle: one session adds a row on the default bind (PostgreSQL) and a row on the
//! bind `orders` (MariaDB), then commits. Two `Db`s over the same two databases and
//! tables run it, one with [`Config::two_phase`] on (PREPARE TRANSACTION and XA PREPARE,
//! the decision logged, COMMIT PREPARED and XA COMMIT, the decision forgotten), one
//! without (each bind's COMMIT in turn). Each side keeps one session for the whole run,
//! warmed up by one untimed cycle, and each cycle writes new keys, odd on one side and
//! even on the other. 6 blocks of 50 cycles a side per run, taking turns (`interleave.rs`).
//!
//! Prints one JSON line: `two_phase_commit_vs_ordered`, the median over every pair of
//! blocks of every run of the two-phase side's time over the ordered side's (lower is
//! better), `by_run` the same median run by run, `cycle_ms` each side's milliseconds per
//! cycle (the median of the runs'), and `statements_per_cycle` the statements (each one
//! message, one round trip) of a cycle on each side and bind, counted over 50 cycles of
//! two more `Db`s with [`Config::record_queries`] on, untimed. Those statements, with the
//! median time of each, go to stderr.
//!
//! The tables `bench_two_phase_account` and `bench_two_phase_order` are dropped before
//! and after; the decision log's table `bindery_two_phase_log` stays (empty).

use std::collections::BTreeMap;
use std::time::Duration;

use bindery::{Binds, Config, Db, Model, PoolOptions, RecordedQuery, Registry, Session};
use serde_json::json;

use crate::interleave::interleave;
use crate::workload::median;

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "bench_two_phase_account")]
struct Account {
    #[model(primary_key, autoincrement = false)]
    id: i64,
    #[model(length = 40)]
    name: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "bench_two_phase_order", bind_key = "orders")]
struct Order {
    #[model(primary_key, autoincrement = false)]
    id: i64,
    amount: i64,
}

/// Cycles per block.
const CYCLES_BLOCK: usize = 50;
/// Blocks per side and run.
const BLOCKS: usize = 6;
/// Cycles whose statements are counted.
const PROBE_CYCLES: usize = 50;

/// One side: its session, kept for the whole run, and the key of its next cycle.
struct Side {
    session: Session,
    next_id: i64,
}

impl Side {
    /// A side of `db` whose keys start at `first` (1 or 2) and go up by 2.
    fn new(db: &Db, first: i64) -> Side {
        Side {
            session: db.session(),
            next_id: first,
        }
    }

    /// One cycle: a row on each bind, committed.
    async fn cycle(&mut self) -> Result<(), String> {
        let id = self.next_id;
        self.next_id += 2;
        self.session.add(Account {
            id,
            name: "cycle".into(),
        });
        self.session.add(Order { id, amount: 10 });
        self.session.commit().await.map_err(|e| e.to_string())
    }

    async fn block(&mut self) -> Result<(), String> {
        for _ in 0..CYCLES_BLOCK {
            self.cycle().await?;
        }
        Ok(())
    }

    /// Whether its last cycle's rows are there, on both binds.
    async fn check_last(&mut self) -> Result<(), String> {
        let id = self.next_id - 2;
        let account = self.session.get::<Account>(id).await;
        let order = self.session.get::<Order>(id).await;
        match (account, order) {
            (Ok(Some(_)), Ok(Some(_))) => Ok(()),
            other => Err(format!("the rows of cycle {id} are not there: {other:?}")),
        }
    }
}

/// Runs the comparison `runs` times and prints one JSON line.
pub(crate) async fn run(postgres: &str, mariadb: &str, runs: usize) -> Result<(), String> {
    let pool = PoolOptions {
        acquire_timeout: Some(Duration::from_secs(5)),
        ..PoolOptions::default()
    };
    let config = Config::new()
        .database_uri(postgres)
        .bind("orders", mariadb)
        .pool(pool);
    let build = |config: Config| {
        let tables = Registry::from_tables([Account::TABLE, Order::TABLE]);
        Db::build_with_registry(config, tables).map_err(|e| e.to_string())
    };
    let two_phase = build(config.clone().two_phase(true))?;
    let ordered = build(config.clone())?;
    // A server that cannot prepare is refused here, with the reason.
    two_phase
        .check_two_phase()
        .await
        .map_err(|e| e.to_string())?;
    ordered
        .drop_all(Binds::All)
        .await
        .map_err(|e| e.to_string())?;
    ordered
        .create_all(Binds::All)
        .await
        .map_err(|e| e.to_string())?;

    let timed = time_cycles(&two_phase, &ordered, runs).await;
    let counted = match &timed {
        Ok(_) => count_statements(&config).await,
        Err(_) => Ok(BTreeMap::new()),
    };
    ordered
        .drop_all(Binds::All)
        .await
        .map_err(|e| e.to_string())?;
    let (pairs, by_run, cycle_ms) = timed?;
    let counted = counted?;
    println!(
        "{}",
        json!({
            "two_phase_commit_vs_ordered": round(median(pairs)),
            "by_run": by_run.into_iter().map(round).collect::<Vec<_>>(),
            "cycle_ms": {
                "two_phase": round(median(cycle_ms.0)),
                "ordered": round(median(cycle_ms.1)),
            },
            "runs": runs,
            "cycles_per_run": BLOCKS * CYCLES_BLOCK,
            "statements_per_cycle": counted,
        })
    );
    Ok(())
}

/// Each side's figures: per pair of blocks, the two-phase time over the ordered time;
/// the median of those run by run; and each run's milliseconds per cycle on each side.
type Figures = (Vec<f64>, Vec<f64>, (Vec<f64>, Vec<f64>));

async fn time_cycles(two_phase: &Db, ordered: &Db, runs: usize) -> Result<Figures, String> {
    let mut two = Side::new(two_phase, 1);
    let mut one_by_one = Side::new(ordered, 2);
    // Untimed: the sessions' connections opened, the decision log's table known.
    two.cycle().await?;
    one_by_one.cycle().await?;
    let (mut pairs, mut by_run, mut cycle_ms) = (Vec::new(), Vec::new(), (Vec::new(), Vec::new()));
    let per_cycle = |seconds: f64| seconds * 1000.0 / (BLOCKS * CYCLES_BLOCK) as f64;
    for run in 0..runs {
        let times = interleave(
            run,
            BLOCKS,
            async |_| two.block().await,
            async |_| one_by_one.block().await,
        )
        .await?;
        // `pairs` holds the ordered side's time over the two-phase side's.
        let ratios: Vec<f64> = times.pairs.iter().map(|rate| 1.0 / rate).collect();
        by_run.push(median(ratios.clone()));
        pairs.extend(ratios);
        cycle_ms.0.push(per_cycle(times.bindery));
        cycle_ms.1.push(per_cycle(times.raw));
    }
    two.check_last().await?;
    one_by_one.check_last().await?;
    Ok((pairs, by_run, cycle_ms))
}

/// The statements of a cycle on each side, per bind, counted over [`PROBE_CYCLES`]
/// cycles of two more `Db`s that record them (untimed; keys from 1,000,000,001 and
/// 1,000,000,002). Each statement with its count per cycle and median time goes to
/// stderr.
async fn count_statements(config: &Config) -> Result<BTreeMap<&'static str, Counts>, String> {
    let mut counted = BTreeMap::new();
    for (name, two_phase, first) in [
        ("two_phase", true, 1_000_000_001),
        ("ordered", false, 1_000_000_002),
    ] {
        let config = config.clone().two_phase(two_phase).record_queries(true);
        let tables = Registry::from_tables([Account::TABLE, Order::TABLE]);
        let db = Db::build_with_registry(config, tables).map_err(|e| e.to_string())?;
        let mut side = Side::new(&db, first);
        side.cycle().await?;
        db.take_recorded_queries();
        for _ in 0..PROBE_CYCLES {
            side.cycle().await?;
        }
        let recorded = db.take_recorded_queries();
        let prepares = recorded.iter().any(|q| q.sql.contains("PREPARE"));
        if prepares != two_phase {
            return Err(format!(
                "the {name} side {} PREPARE",
                if prepares { "ran" } else { "never ran" }
            ));
        }
        eprintln!("{name}: statements of one cycle (median ms):");
        counted.insert(name, counts(&recorded));
        drop(side);
        db.close().await;
    }
    Ok(counted)
}

/// Statements per cycle on each bind (`postgres`: the default bind; `mariadb`:
/// `orders`), and in all.
type Counts = BTreeMap<&'static str, f64>;

fn counts(recorded: &[RecordedQuery]) -> Counts {
    let mut kinds: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for query in recorded {
        kinds
            .entry((query.bind.to_string(), kind(&query.sql)))
            .or_default()
            .push(query.duration.as_secs_f64() * 1000.0);
    }
    for ((bind, kind), times) in &kinds {
        eprintln!(
            "  {:>5.2} × {:>7.3} ms  {bind}: {kind}",
            times.len() as f64 / PROBE_CYCLES as f64,
            median(times.clone())
        );
    }
    let per_cycle = |n: usize| n as f64 / PROBE_CYCLES as f64;
    let on = |default: bool| {
        recorded
            .iter()
            .filter(move |q| q.bind.is_default() == default)
    };
    BTreeMap::from([
        ("postgres", per_cycle(on(true).count())),
        ("mariadb", per_cycle(on(false).count())),
        ("total", per_cycle(recorded.len())),
    ])
}

/// A statement without its transaction id (the text up to its first quote), short.
fn kind(sql: &str) -> String {
    let text = sql.split('\'').next().unwrap_or(sql).trim();
    match text.char_indices().nth(90) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
