//! Every timed phase runs in small blocks, bindery's and raw sqlx's taking turns, so that
//! both meet the same state of the machine within milliseconds: on a shared machine one
//! implementation's rate moves 2–4× between phases seconds apart, and comparing two
//! whole phases run one after the other measured the machine, not the code.

use std::ops::Range;
use std::time::Instant;

/// Gets per block.
pub(crate) const GETS_BLOCK: usize = 500;
/// Projections per block.
pub(crate) const PROJECTIONS_BLOCK: usize = 50;
/// Aggregates per block.
pub(crate) const AGGREGATES_BLOCK: usize = 25;
/// Loader pages per block.
pub(crate) const PAGES_BLOCK: usize = 10;

/// How many blocks of `size` items `total` items make.
pub(crate) fn blocks(total: usize, size: usize) -> usize {
    total.div_ceil(size)
}

/// One block of a phase, as each side is handed it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Block {
    /// From 0 to the phase's number of blocks.
    pub(crate) index: usize,
    /// The phase's first block of this side: where it takes what it holds for the phase
    /// (a session, connections), timed as before.
    pub(crate) first: bool,
    /// Its last block: where it gives them back (a session's `commit`) and checks what it
    /// read, timed as before.
    pub(crate) last: bool,
}

impl Block {
    /// The items of this block when the phase's `total` items go `size` to a block.
    pub(crate) fn items(self, size: usize, total: usize) -> Range<usize> {
        (self.index * size).min(total)..((self.index + 1) * size).min(total)
    }
}

/// Each side's time, in seconds, summed over its blocks, and each pair's ratio.
#[derive(Debug, Clone)]
pub(crate) struct Times {
    pub(crate) bindery: f64,
    pub(crate) raw: f64,
    /// For each pair of blocks (the same work on each side, run milliseconds apart), raw
    /// sqlx's time over bindery's: bindery's rate over raw's. A stretch in which the
    /// scheduler slows one side's threads for a while moves these pairs only, where it
    /// moves the sums: their median is the steadier figure on a shared machine.
    pub(crate) pairs: Vec<f64>,
}

/// Runs `blocks` blocks of each side, alternating: bindery's block `b` and raw sqlx's
/// block `b` form a pair, and the side going first swaps from pair to pair (bindery first
/// in pair 0 when `turn` is even: callers pass the run's number, so that across runs each
/// side goes first as often). Only a side's own blocks count towards its time.
pub(crate) async fn interleave(
    turn: usize,
    blocks: usize,
    bindery: impl AsyncFnMut(Block) -> Result<(), String>,
    raw: impl AsyncFnMut(Block) -> Result<(), String>,
) -> Result<Times, String> {
    interleave_settled(turn, blocks, async || Ok(()), bindery, raw).await
}

/// [`interleave`], running `settle` before every block, untimed: what the previous block
/// left to do that the next would otherwise pay for (a SQLite checkpoint).
pub(crate) async fn interleave_settled(
    turn: usize,
    blocks: usize,
    mut settle: impl AsyncFnMut() -> Result<(), String>,
    mut bindery: impl AsyncFnMut(Block) -> Result<(), String>,
    mut raw: impl AsyncFnMut(Block) -> Result<(), String>,
) -> Result<Times, String> {
    let mut times = Times {
        bindery: 0.0,
        raw: 0.0,
        pairs: Vec::with_capacity(blocks),
    };
    for index in 0..blocks {
        let block = Block {
            index,
            first: index == 0,
            last: index + 1 == blocks,
        };
        let bindery_first = (index + turn).is_multiple_of(2);
        let (mut bindery_s, mut raw_s) = (0.0, 0.0);
        for bindery_now in [bindery_first, !bindery_first] {
            settle().await?;
            let started = Instant::now();
            if bindery_now {
                bindery(block).await?;
                bindery_s = started.elapsed().as_secs_f64();
            } else {
                raw(block).await?;
                raw_s = started.elapsed().as_secs_f64();
            }
        }
        times.bindery += bindery_s;
        times.raw += raw_s;
        times.pairs.push(raw_s / bindery_s);
    }
    Ok(times)
}
