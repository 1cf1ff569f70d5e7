//! The multi-bind workload, bindery against raw sqlx in the same process.
//!
//! ```text
//! cargo run --release -p bindery-bench -- --backend sqlite|server \
//!     [--models 300] [--rows 10000] [--gets 10000] [--runs 1]
//! ```
//!
//! M models round-robin over three binds (the default, `auth`, `shop`), each with the
//! columns `id` (generated integer key), `name` VARCHAR(64), `qty` INTEGER, `price` DOUBLE,
//! `note` VARCHAR(255) NULL. Phases: `create_all`; R rows into the first model of each bind
//! (commit every 1,000); the query phases (`queries.rs`, `raw/queries.rs`): 600 filtered
//! projections of two columns over those three, 300 grouped aggregates and 100 loader pages
//! across binds over users (`auth`) and orders (`shop`) made once per process
//! (`fixture.rs`); G gets by key spread at random over the three; `drop_all`.
//! `sqlite`: three SQLite files. `server`: the default bind and `auth` on PostgreSQL (two
//! databases), `shop` on MariaDB; the bench creates and drops its own databases.
//!
//! Every timed phase runs in small blocks, bindery's and raw sqlx's taking turns
//! (`interleave.rs`): inserts one 1,000-row commit a block, gets 500, projections 50,
//! aggregates 25, loader pages 10; the side going first swaps from pair to pair. Each side's
//! figure is its work over the sum of its own blocks' times, so both meet the same state
//! of the machine within milliseconds. Raw sqlx works on its own copies of the tables
//! (`raw_bench_t…`, its hand-written DDL) in the same databases; both read the same users
//! and orders. `create_all` and `drop_all` are one call each: one side's, then the
//! other's, the first taking turns from run to run.
//!
//! Prints one JSON line per implementation and run (bindery's first), then (with
//! `--runs N > 1`) the medians of each figure, then one line of ratios (bindery / raw;
//! higher is better for rates, lower for times): each ratio taken per run, then their
//! median, and as `…_range` their lowest and highest; and, as `…_paired`, the median
//! over every pair of blocks of every run of bindery's rate over raw's in that pair (a
//! slow stretch of one side's threads moves a few pairs, not the median). Raw sqlx's
//! `gets_per_s` and
//! `insert_batched_rows_per_s` run on one connection per bind acquired once for the
//! phase, as a session holds one: the floors. Its `gets_pool_per_s`,
//! `insert_batched_pool_rows_per_s` and per-row `insert_rows_per_s` (a pool connection
//! per statement, for comparison only) run on their own after the interleaved reads.
//!
//! `--replicas PRIMARY_URL REPLICA_URL` compares reads on a replica with reads on its
//! primary instead (`replicas.rs`).
//!
//! `--two-phase POSTGRES_URL MARIADB_URL` compares a commit across two binds (a row on
//! each of PostgreSQL and MariaDB) in two phases with the same commit made bind by bind
//! instead (`two_phase.rs`); PostgreSQL needs `max_prepared_transactions` above 0.
//!
//! `--load` runs the concurrency test instead: 64 tasks × 1,000 mixed operations (get,
//! insert, filtered count, read-modify-write, one session each) over the three binds, at
//! most 5 connections per bind; it prints throughput, p50/p99/max latency and errors.

mod fixture;
mod interleave;
mod load;
mod phases;
mod queries;
mod raw;
mod replicas;
mod servers;
mod two_phase;
mod workload;

use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;

use crate::workload::{Bench, Metrics, median};

#[derive(Debug, Clone)]
struct Args {
    backend: Backend,
    models: usize,
    rows: usize,
    gets: usize,
    runs: usize,
    /// `--load`: the concurrency run instead of the workload.
    load: bool,
    /// `--replicas PRIMARY_URL REPLICA_URL`: the replica comparison instead (`replicas.rs`).
    replicas: Option<(String, String)>,
    /// `--two-phase POSTGRES_URL MARIADB_URL`: two-phase commit against ordered commit
    /// instead (`two_phase.rs`).
    two_phase: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Server,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Server => "server",
        }
    }
}

const USAGE: &str = "usage: bindery-bench --backend sqlite|server [--models M] [--rows R] [--gets G] [--runs N] [--load]\n       bindery-bench --replicas PRIMARY_URL REPLICA_URL [--runs N]\n       bindery-bench --two-phase POSTGRES_URL MARIADB_URL [--runs N]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        backend: Backend::Sqlite,
        models: 300,
        rows: 10_000,
        gets: 10_000,
        runs: 1,
        load: false,
        replicas: None,
        two_phase: None,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let mut value = || {
            given
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        let number = |v: String| {
            v.parse::<usize>()
                .map_err(|_| format!("{flag} takes a whole number, not {v:?}"))
        };
        match flag.as_str() {
            "--backend" => {
                args.backend = match value()?.as_str() {
                    "sqlite" => Backend::Sqlite,
                    "server" => Backend::Server,
                    other => return Err(format!("unknown backend {other:?}\n{USAGE}")),
                }
            }
            "--models" => args.models = number(value()?)?,
            "--rows" => args.rows = number(value()?)?,
            "--gets" => args.gets = number(value()?)?,
            "--runs" => args.runs = number(value()?)?,
            "--load" => args.load = true,
            "--replicas" => args.replicas = Some((value()?, value()?)),
            "--two-phase" => args.two_phase = Some((value()?, value()?)),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if args.models < 3 || args.rows == 0 || args.runs == 0 {
        return Err(format!(
            "--models must be at least 3, --rows and --runs at least 1\n{USAGE}"
        ));
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bindery-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<(), String> {
    if let Some((primary, replica)) = &args.replicas {
        return replicas::run(primary, replica, args.runs).await;
    }
    if let Some((postgres, mariadb)) = &args.two_phase {
        return two_phase::run(postgres, mariadb, args.runs).await;
    }
    let started = Instant::now();
    let places = servers::Places::create(args.backend).await?;
    let result = run_all(args, &places).await;
    places.drop_all().await;
    eprintln!("bench finished in {:.1} s", started.elapsed().as_secs_f64());
    result
}

async fn run_all(args: &Args, places: &servers::Places) -> Result<(), String> {
    let bench = Bench::new(args.models, args.rows, args.gets);
    if args.load {
        let load = load::Load {
            tasks: 64,
            ops_per_task: 1_000,
            max_connections: 5,
        };
        return load::run(&load, &bench, places, args.backend.name()).await;
    }
    fixture::create(places).await?;
    let mut bindery_runs = Vec::new();
    let mut raw_runs = Vec::new();
    let mut ratio_runs = Vec::new();
    let mut pairs: Vec<(&'static str, Vec<f64>)> = Vec::new();
    for run in 0..args.runs {
        let (bindery, raw, run_pairs) = phases::run(&bench, places, run).await?;
        for (key, ratios) in run_pairs {
            match pairs.iter_mut().find(|(k, _)| *k == key) {
                Some((_, all)) => all.extend(ratios),
                None => pairs.push((key, ratios)),
            }
        }
        println!("{}", line("bindery", args, &bindery));
        println!("{}", line("raw-sqlx", args, &raw));
        ratio_runs.push(ratios(&bindery, &raw));
        bindery_runs.push(bindery);
        raw_runs.push(raw);
    }
    if args.runs > 1 {
        let bindery = Metrics::median(&bindery_runs);
        let raw = Metrics::median(&raw_runs);
        println!("{}", line_with("bindery", args, &bindery, Some(args.runs)));
        println!("{}", line_with("raw-sqlx", args, &raw, Some(args.runs)));
    }
    let mut line = serde_json::Map::new();
    for (i, (key, _)) in ratio_runs[0].iter().enumerate() {
        let of_runs: Vec<f64> = ratio_runs.iter().map(|r| r[i].1).collect();
        let low = of_runs.iter().copied().fold(f64::INFINITY, f64::min);
        let high = of_runs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        line.insert((*key).to_owned(), json!(round(median(of_runs))));
        line.insert(format!("{key}_range"), json!([round(low), round(high)]));
    }
    // Over every pair of blocks of every run: the median of bindery's rate over raw's.
    for (key, ratios) in pairs {
        line.insert(format!("{key}_paired"), json!(round(median(ratios))));
    }
    println!("{}", json!({ "ratios": line }));
    Ok(())
}

/// One run's ratios, bindery's figure over raw sqlx's: against the floors (a connection
/// per bind held for the phase), and, labelled `_pool`, against the variants acquiring a
/// pool connection per statement. The ratios line gives, for each, the median over the
/// runs and (`_range`) the lowest and highest.
fn ratios(bindery: &Metrics, raw: &Metrics) -> Vec<(&'static str, f64)> {
    let nan = f64::NAN;
    vec![
        ("create_all_s", bindery.create_all_s / raw.create_all_s),
        ("drop_all_s", bindery.drop_all_s / raw.drop_all_s),
        ("gets_vs_raw_held", bindery.gets_per_s / raw.gets_per_s),
        (
            "gets_vs_raw_pool",
            bindery.gets_per_s / raw.gets_pool_per_s.unwrap_or(nan),
        ),
        (
            "insert_vs_raw_batched_held",
            bindery.insert_rows_per_s / raw.insert_batched_rows_per_s.unwrap_or(nan),
        ),
        (
            "insert_vs_raw_batched_pool",
            bindery.insert_rows_per_s / raw.insert_batched_pool_rows_per_s.unwrap_or(nan),
        ),
        (
            "insert_vs_raw_per_row",
            bindery.insert_rows_per_s / raw.insert_rows_per_s,
        ),
        (
            "projection_vs_raw",
            bindery.projection_per_s / raw.projection_per_s,
        ),
        (
            "aggregate_vs_raw",
            bindery.aggregate_per_s / raw.aggregate_per_s,
        ),
        (
            "load_across_binds_vs_raw",
            bindery.load_pages_per_s / raw.load_pages_per_s,
        ),
    ]
}

fn line(implementation: &str, args: &Args, metrics: &Metrics) -> serde_json::Value {
    line_with(implementation, args, metrics, None)
}

/// One implementation's figures, in the issue's exact keys (`median_of` added for medians).
fn line_with(
    implementation: &str,
    args: &Args,
    metrics: &Metrics,
    median_of: Option<usize>,
) -> serde_json::Value {
    let mut line = json!({
        "impl": implementation,
        "backend": args.backend.name(),
        "models": args.models,
        "rows": args.rows,
        "gets": args.gets,
        "create_all_s": round(metrics.create_all_s),
        "insert_rows_per_s": round(metrics.insert_rows_per_s),
        "gets_per_s": round(metrics.gets_per_s),
        "drop_all_s": round(metrics.drop_all_s),
        "projection_per_s": round(metrics.projection_per_s),
        "aggregate_per_s": round(metrics.aggregate_per_s),
        "load_pages_per_s": round(metrics.load_pages_per_s),
    });
    if let Some(batched) = metrics.insert_batched_rows_per_s {
        line["insert_batched_rows_per_s"] = json!(round(batched));
    }
    if let Some(batched) = metrics.insert_batched_pool_rows_per_s {
        line["insert_batched_pool_rows_per_s"] = json!(round(batched));
    }
    if let Some(gets) = metrics.gets_pool_per_s {
        line["gets_pool_per_s"] = json!(round(gets));
    }
    if let Some(runs) = median_of {
        line["median_of"] = json!(runs);
    }
    line
}

fn round(x: f64) -> f64 {
    if x >= 100.0 {
        x.round()
    } else {
        (x * 10_000.0).round() / 10_000.0
    }
}
