//! One run: every phase, bindery's and raw sqlx's blocks taking turns (`interleave`).

use crate::fixture::{AGGREGATES, PAGES, PROJECTIONS};
use crate::interleave::{
    AGGREGATES_BLOCK, GETS_BLOCK, PAGES_BLOCK, PROJECTIONS_BLOCK, blocks, interleave,
    interleave_settled,
};
use crate::raw::Raw;
use crate::servers::Places;
use crate::workload::{Bench, Bindery, Metrics, insert_blocks};

/// Each interleaved phase's pair ratios (see [`crate::interleave::Times::pairs`]), under
/// the key of the ratio it stands beside.
pub(crate) type Pairs = Vec<(&'static str, Vec<f64>)>;

/// Run `turn` (from 0): bindery's figures, raw sqlx's, and the pairs of blocks.
pub(crate) async fn run(
    bench: &Bench,
    places: &Places,
    turn: usize,
) -> Result<(Metrics, Metrics, Pairs), String> {
    let bindery = Bindery::new(bench, places)?;
    let raw = Raw::new(bench, places)?;
    let result = phases(bench, &bindery, &raw, turn).await;
    bindery.close().await;
    raw.close().await;
    result
}

async fn phases(
    bench: &Bench,
    bindery: &Bindery,
    raw: &Raw,
    turn: usize,
) -> Result<(Metrics, Metrics, Pairs), String> {
    // Phase `$phase` of both sides, in `$blocks` blocks.
    macro_rules! interleaved {
        ($blocks:expr, $phase:ident($($arg:expr),*)) => {
            interleave(turn, $blocks, bindery.$phase($($arg),*), raw.$phase($($arg),*)).await?
        };
    }
    // One call each: not split into blocks, but one after the other, the first taking
    // turns from run to run.
    let create_all = interleaved!(1, create_all());
    let rows = 3 * bench.rows;
    // SQLite moves its write-ahead log into the database file when a commit finds the log
    // past 1,000 pages, and that commit pays for every page in it: both sides write into
    // the same files, so one side's commit paid, now and then, for the other's pages (a
    // checkpoint takes several blocks' time; the sums moved 0.83–1.14 from run to run
    // while the pairs' median stayed at 0.96). Checkpointed before every block, each
    // block pays for its own writes; the servers have nothing of the kind to settle.
    let insert = interleave_settled(
        turn,
        insert_blocks(bench.rows),
        async || raw.checkpoint().await,
        bindery.inserts(),
        raw.inserts(),
    )
    .await?;
    let projection = interleaved!(blocks(PROJECTIONS, PROJECTIONS_BLOCK), projections());
    let aggregate = interleaved!(blocks(AGGREGATES, AGGREGATES_BLOCK), aggregates());
    let load = interleaved!(blocks(PAGES, PAGES_BLOCK), loads());
    let plan = bench.get_plan();
    let gets = interleaved!(blocks(plan.len(), GETS_BLOCK), gets(&plan));
    // Raw sqlx's variants for comparison, on their own (after the reads: they add rows).
    let gets_pool = raw.gets_pool(&plan).await?;
    let insert_batched_pool = raw.inserts_pool().await?;
    let insert_per_row = raw.inserts_per_row().await?;
    let drop_all = interleaved!(1, drop_all());

    let per_s = |work: usize, seconds: f64| work as f64 / seconds;
    let bindery = Metrics {
        create_all_s: create_all.bindery,
        insert_rows_per_s: per_s(rows, insert.bindery),
        insert_batched_rows_per_s: None,
        insert_batched_pool_rows_per_s: None,
        gets_per_s: per_s(plan.len(), gets.bindery),
        gets_pool_per_s: None,
        drop_all_s: drop_all.bindery,
        projection_per_s: per_s(PROJECTIONS, projection.bindery),
        aggregate_per_s: per_s(AGGREGATES, aggregate.bindery),
        load_pages_per_s: per_s(PAGES, load.bindery),
    };
    let raw = Metrics {
        create_all_s: create_all.raw,
        insert_rows_per_s: insert_per_row,
        insert_batched_rows_per_s: Some(per_s(rows, insert.raw)),
        insert_batched_pool_rows_per_s: Some(insert_batched_pool),
        gets_per_s: per_s(plan.len(), gets.raw),
        gets_pool_per_s: Some(gets_pool),
        drop_all_s: drop_all.raw,
        projection_per_s: per_s(PROJECTIONS, projection.raw),
        aggregate_per_s: per_s(AGGREGATES, aggregate.raw),
        load_pages_per_s: per_s(PAGES, load.raw),
    };
    let pairs = vec![
        ("insert_vs_raw_batched_held", insert.pairs),
        ("gets_vs_raw_held", gets.pairs),
        ("projection_vs_raw", projection.pairs),
        ("aggregate_vs_raw", aggregate.pairs),
        ("load_across_binds_vs_raw", load.pairs),
    ];
    Ok((bindery, raw, pairs))
}
