//! `create_all` and `drop_all` on MySQL, whose DDL commits itself.
//!
//! With no transaction to make a bind's change atomic, the tables created before a failure
//! are dropped again instead. And with no transaction tying the statements to one
//! connection, the independent ones run on several connections at once: a CREATE TABLE
//! on InnoDB waits on the disk (a file made and synced per table) far more than on the CPU,
//! so a bind of many tables is done in about half the time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sqlx::pool::PoolConnection;
use sqlx::{MySql, MySqlConnection};

use super::{Failed, SchemaOperation, Step};
use crate::{Dialect, TableInfo};

/// The most connections one bind's DDL takes from its pool: beyond four, the server's
/// disk is the limit and the extra connections only cost their handshake.
const MAX_CONNECTIONS: usize = 4;

/// Runs `batch` (tables and their statements, in creation or drop order) wave by wave,
/// each wave's tables spread over up to [`MAX_CONNECTIONS`] connections. If a creation
/// fails, every table created so far is dropped again.
pub(super) async fn run(
    pool: &sqlx::MySqlPool,
    lock_timeout_seconds: u128,
    batch: &[Step],
    operation: SchemaOperation,
) -> Result<(), Failed> {
    let Some(first) = batch.first().map(|(table, _)| table.name) else {
        return Ok(());
    };
    let tables: Vec<&TableInfo> = batch.iter().map(|&(table, _)| table).collect();
    let waves = waves(&tables, operation);
    let widest = waves.iter().map(Vec::len).max().unwrap_or(1);
    let mut connections = connect(pool, widest.min(MAX_CONNECTIONS))
        .await
        .map_err(|e| (first, e, true))?;
    let setup = format!("SET SESSION lock_wait_timeout = {lock_timeout_seconds}");
    let set =
        futures_util::future::join_all(connections.iter_mut().map(|conn| execute(conn, &setup)))
            .await;
    let result = match set.into_iter().find_map(Result::err) {
        Some(error) => Err((first, error, true)),
        None => run_waves(&mut connections, &waves, batch, operation).await,
    };
    // The extra connections were for this run only. Closing them leaves the pool at the
    // size it had, so the sessions that follow prepare their statements on fewer
    // connections. The first goes back to the pool with its usual timeout.
    if let Some((kept, extra)) = connections.split_first_mut() {
        for conn in extra {
            conn.close_on_drop();
        }
        let _ = execute(kept, "SET SESSION lock_wait_timeout = DEFAULT").await;
    }
    result
}

/// Up to `wanted` connections, but never more than the pool can give without making
/// anyone wait: the first is acquired as usual, the others only if the pool has room.
async fn connect(
    pool: &sqlx::MySqlPool,
    wanted: usize,
) -> Result<Vec<PoolConnection<MySql>>, sqlx::Error> {
    let max = usize::try_from(pool.options().get_max_connections()).unwrap_or(usize::MAX);
    let size = usize::try_from(pool.size()).unwrap_or(usize::MAX);
    let room = pool.num_idle() + max.saturating_sub(size);
    let extra = wanted.min(room).saturating_sub(1);
    let (first, others) = futures_util::future::join(
        pool.acquire(),
        futures_util::future::join_all((0..extra).map(|_| pool.acquire())),
    )
    .await;
    // An extra connection that cannot be had only makes the run narrower.
    let mut connections = vec![first?];
    connections.extend(others.into_iter().filter_map(Result::ok));
    Ok(connections)
}

/// Splits `tables` (in creation or drop order) into waves whose tables do not depend on
/// each other: a table is created after the tables it references, and dropped after the
/// tables that reference it. A reference to a table later in the order (a cycle) or to
/// itself does not hold a table back.
fn waves(tables: &[&TableInfo], operation: SchemaOperation) -> Vec<Vec<usize>> {
    let position: HashMap<&str, usize> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name, i))
        .collect();
    let mut wave = vec![0_usize; tables.len()];
    for (i, table) in tables.iter().enumerate() {
        let referenced = table
            .columns
            .iter()
            .filter_map(|c| c.references.and_then(|fk| position.get(fk.table)).copied());
        for j in referenced {
            match operation {
                // `table` waits for what it references.
                SchemaOperation::CreateAll if j < i => wave[i] = wave[i].max(wave[j] + 1),
                // What `table` references waits for `table` to be gone.
                SchemaOperation::DropAll if j > i => wave[j] = wave[j].max(wave[i] + 1),
                _ => {}
            }
        }
    }
    let mut waves = vec![Vec::new(); wave.iter().max().map_or(0, |w| w + 1)];
    for (i, w) in wave.into_iter().enumerate() {
        waves[w].push(i);
    }
    waves
}

async fn run_waves(
    connections: &mut [PoolConnection<MySql>],
    waves: &[Vec<usize>],
    batch: &[Step],
    operation: SchemaOperation,
) -> Result<(), Failed> {
    let mut done: Vec<usize> = Vec::with_capacity(batch.len());
    for wave in waves {
        let outcome = run_wave(connections, wave, batch).await;
        done.extend(outcome.done);
        let Some((failed, error)) = outcome.failure else {
            continue;
        };
        let rolled_back = match operation {
            SchemaOperation::CreateAll => {
                // The failing table may exist without its indexes, or not at all: drop it
                // if it is there, then the ones created before it, the latest first.
                let conn = &mut connections[0];
                let _ = execute(conn, &Dialect::MySql.drop_table(batch[failed].0)).await;
                let mut clean = true;
                for &i in done.iter().rev() {
                    let drop = Dialect::MySql.drop_table(batch[i].0);
                    clean &= execute(conn, &drop).await.is_ok();
                }
                clean
            }
            // Nothing can bring a dropped table back.
            SchemaOperation::DropAll => done.is_empty(),
        };
        return Err((batch[failed].0.name, error, rolled_back));
    }
    Ok(())
}

/// What one wave did: the tables it finished, and the first one that failed.
struct WaveOutcome {
    done: Vec<usize>,
    failure: Option<(usize, sqlx::Error)>,
}

/// Runs the statements of `wave`'s tables, each connection taking the next table as it
/// becomes free. After a failure no table is started, and the ones under way finish.
async fn run_wave(
    connections: &mut [PoolConnection<MySql>],
    wave: &[usize],
    batch: &[Step],
) -> WaveOutcome {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let workers = connections.iter_mut().map(|conn| {
        let (next, stop) = (&next, &stop);
        async move {
            let mut done = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let Some(&table) = wave.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    break;
                };
                let (info, statements) = &batch[table];
                for statement in statements {
                    tracing::debug!(table = info.name, sql = %statement, "ddl");
                    if let Err(error) = execute(conn, statement).await {
                        stop.store(true, Ordering::Relaxed);
                        return (done, Some((table, error)));
                    }
                }
                done.push(table);
            }
            (done, None)
        }
    });
    let mut outcome = WaveOutcome {
        done: Vec::new(),
        failure: None,
    };
    for (done, failure) in futures_util::future::join_all(workers).await {
        outcome.done.extend(done);
        // Of several failures, the one earliest in the order is reported.
        if let Some((table, error)) = failure
            && outcome.failure.as_ref().is_none_or(|(t, _)| table < *t)
        {
            outcome.failure = Some((table, error));
        }
    }
    outcome
}

/// Runs `sql` over the simple protocol: DDL through prepared statements is ten times
/// slower.
async fn execute(conn: &mut MySqlConnection, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(conn)
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ColumnInfo, ForeignKey, SqlType};

    const fn fk(name: &'static str, table: &'static str) -> ColumnInfo {
        ColumnInfo {
            references: Some(ForeignKey {
                table,
                column: "id",
            }),
            ..ColumnInfo::new(name, SqlType::Integer)
        }
    }

    const STORE: TableInfo = TableInfo::new("store", "t::Store");
    const USER: TableInfo = TableInfo::new("user", "t::User");
    const ORDER: TableInfo = TableInfo {
        columns: &[fk("store_id", "store"), fk("user_id", "user")],
        ..TableInfo::new("order", "t::Order")
    };
    const LINE: TableInfo = TableInfo {
        columns: &[fk("order_id", "order"), fk("parent_id", "line")],
        ..TableInfo::new("line", "t::Line")
    };
    const NOTE: TableInfo = TableInfo::new("note", "t::Note");

    #[test]
    fn creation_waits_for_what_a_table_references() {
        let tables = [&STORE, &USER, &ORDER, &LINE, &NOTE];
        assert_eq!(
            waves(&tables, SchemaOperation::CreateAll),
            [vec![0, 1, 4], vec![2], vec![3]]
        );
    }

    #[test]
    fn dropping_waits_for_what_references_a_table() {
        let tables = [&NOTE, &LINE, &ORDER, &USER, &STORE];
        assert_eq!(
            waves(&tables, SchemaOperation::DropAll),
            [vec![0, 1], vec![2], vec![3, 4]]
        );
    }

    #[test]
    fn a_cycle_does_not_hold_a_table_back() {
        const A: TableInfo = TableInfo {
            columns: &[fk("b_id", "b")],
            ..TableInfo::new("a", "t::A")
        };
        const B: TableInfo = TableInfo {
            columns: &[fk("a_id", "a")],
            ..TableInfo::new("b", "t::B")
        };
        assert_eq!(
            waves(&[&A, &B], SchemaOperation::CreateAll),
            [vec![0], vec![1]]
        );
        assert_eq!(
            waves(&[], SchemaOperation::CreateAll),
            Vec::<Vec<usize>>::new()
        );
    }
}
