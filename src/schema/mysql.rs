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

use super::{Failed, Plan, Ran, SchemaOperation, Step};
use crate::catalog::tables_query;
use crate::{Dialect, TableInfo};

/// The most connections one bind's DDL takes from its pool: beyond four, the server's
/// disk is the limit and the extra connections only cost their handshake.
const MAX_CONNECTIONS: usize = 4;

/// The bind's schema lock (migration steps take it too): a user lock named after the database (user locks are
/// server-wide), hashed so that the name stays within the 64 characters MySQL allows.
pub(crate) const LOCK_NAME: &str = "CONCAT('bindery:schema:', SHA1(COALESCE(DATABASE(), '')))";

/// `1050 Table '…' already exists`.
const TABLE_EXISTS: u16 = 1050;
/// `1051 Unknown table '…'`.
const UNKNOWN_TABLE: u16 = 1051;

/// Takes the bind's schema lock (waiting at most `lock_timeout_seconds`), reads which
/// tables exist, and runs the plan made from that wave by wave, each wave's tables spread
/// over up to [`MAX_CONNECTIONS`] connections. If a creation fails, every table this run
/// created is dropped again, and no other.
///
/// The lock makes two bindery processes take turns, so the second reads what the first
/// made. DDL from outside bindery does not take it: a table that appears (disappears)
/// between the read and its statement makes that statement fail with 1050 (1051), and is
/// then counted as already there (gone) if the catalog agrees, a base table of that name
/// (none). Not `IF NOT EXISTS`: MariaDB answers it with only a note when a *view* has the
/// name, which would count a view as the table.
pub(super) async fn run(
    pool: &sqlx::MySqlPool,
    lock_timeout_seconds: u128,
    tables: &[&'static TableInfo],
    operation: SchemaOperation,
) -> Result<Ran, Failed> {
    let first = pool.acquire().await.map_err(|e| (None, e, true))?;
    let mut connections = Connections {
        all: vec![first],
        released: false,
    };
    let conn = &mut connections.all[0];
    lock(conn, lock_timeout_seconds)
        .await
        .map_err(|e| (None, e, true))?;
    let existing: Vec<String> = sqlx::query_scalar(tables_query(Dialect::MySql))
        .fetch_all(&mut **conn)
        .await
        .map_err(|e| (None, e, true))?;
    let plan = Plan::new(tables, operation, &existing);
    let batch = plan.steps(Dialect::MySql, operation);
    let waves = waves(&plan.todo, operation);
    let widest = waves.iter().map(Vec::len).max().unwrap_or(1);
    let extra = connect_extra(pool, widest.min(MAX_CONNECTIONS) - 1).await;
    let setup = lock_wait(lock_timeout_seconds);
    let set = futures_util::future::join_all(extra.into_iter().map(|mut conn| {
        let setup = &setup;
        async move { execute(&mut conn, setup).await.map(|()| conn) }
    }))
    .await;
    // An extra connection that cannot be set up only makes the run narrower.
    for conn in set.into_iter().flatten() {
        connections.all.push(conn);
    }
    let result = run_waves(&mut connections.all, &waves, &batch, operation).await;
    connections.release().await;
    result.map(|found| (plan, found))
}

/// Waits for the bind's schema lock, at most `timeout_seconds`, after setting the
/// session's `lock_wait_timeout` to the same (the DDL that follows waits no longer for a
/// table's metadata lock). [`unlock`] undoes both.
pub(crate) async fn lock(
    conn: &mut MySqlConnection,
    timeout_seconds: u128,
) -> Result<(), sqlx::Error> {
    execute(conn, &lock_wait(timeout_seconds)).await?;
    let timeout = i64::try_from(timeout_seconds).unwrap_or(i64::MAX);
    let got: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT GET_LOCK({LOCK_NAME}, ?)"
    )))
    .bind(timeout)
    .fetch_one(&mut *conn)
    .await?;
    match got {
        Some(1) => Ok(()),
        _ => Err(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "another create_all, drop_all or migration held this database's schema \
                 lock ({timeout} s ddl_lock_timeout)"
            ),
        ))),
    }
}

/// How long the session's DDL waits for a table's metadata lock.
fn lock_wait(timeout_seconds: u128) -> String {
    format!("SET SESSION lock_wait_timeout = {timeout_seconds}")
}

/// Releases the schema lock [`lock`] took and restores the session's lock timeout, so
/// that the connection can go back to the pool: whether that worked.
pub(crate) async fn unlock(conn: &mut MySqlConnection) -> bool {
    let release = format!("SET SESSION lock_wait_timeout = DEFAULT; DO RELEASE_LOCK({LOCK_NAME})");
    execute(conn, &release).await.is_ok()
}

/// The connections of one run. The first holds the schema lock and a changed lock
/// timeout; the others were taken for this run only. Unless [`Connections::release`]
/// succeeded (an error on the way, or the caller's future dropped), the first is closed
/// rather than returned to the pool: that frees the lock, and no pooled connection keeps
/// the run's settings.
struct Connections {
    all: Vec<PoolConnection<MySql>>,
    released: bool,
}

impl Connections {
    /// Releases the lock and restores the first connection's lock timeout, so that it can
    /// go back to the pool.
    async fn release(&mut self) {
        let Some(first) = self.all.first_mut() else {
            return;
        };
        if unlock(first).await {
            self.released = true;
        }
    }
}

impl Drop for Connections {
    fn drop(&mut self) {
        // The extra connections leave the pool at the size it had, so the sessions that
        // follow prepare their statements on fewer connections.
        let keep = usize::from(self.released);
        for conn in self.all.iter_mut().skip(keep) {
            conn.close_on_drop();
        }
    }
}

/// Up to `wanted` more connections, but only those the pool can give without making
/// anyone wait.
async fn connect_extra(pool: &sqlx::MySqlPool, wanted: usize) -> Vec<PoolConnection<MySql>> {
    let max = usize::try_from(pool.options().get_max_connections()).unwrap_or(usize::MAX);
    let size = usize::try_from(pool.size()).unwrap_or(usize::MAX);
    let room = pool.num_idle() + max.saturating_sub(size);
    let extra = wanted.min(room);
    let others = futures_util::future::join_all((0..extra).map(|_| pool.acquire())).await;
    // An extra connection that cannot be had only makes the run narrower.
    others.into_iter().filter_map(Result::ok).collect()
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

/// Runs the waves; the tables found already there (gone) when their statement ran.
async fn run_waves(
    connections: &mut [PoolConnection<MySql>],
    waves: &[Vec<usize>],
    batch: &[Step],
    operation: SchemaOperation,
) -> Result<Vec<&'static str>, Failed> {
    let mut done: Vec<usize> = Vec::with_capacity(batch.len());
    let mut found = Vec::new();
    for wave in waves {
        let outcome = run_wave(connections, wave, batch, operation).await;
        done.extend(outcome.done);
        found.extend(outcome.found.iter().map(|&i| batch[i].0.name));
        let Some((failed, error)) = outcome.failure else {
            continue;
        };
        let rolled_back = match operation {
            // Only the tables this run created, the latest first: a table whose CREATE
            // failed is someone else's, or no table at all.
            SchemaOperation::CreateAll => {
                let conn = &mut connections[0];
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
        return Err((Some(batch[failed].0.name), error, rolled_back));
    }
    Ok(found)
}

/// What one wave did: the tables it created (dropped), the ones it found already there
/// (gone), and the first one that failed.
struct WaveOutcome {
    done: Vec<usize>,
    found: Vec<usize>,
    failure: Option<(usize, sqlx::Error)>,
}

/// What became of one table.
enum TableOutcome {
    /// Its first statement created (dropped) it; an index after it may still have failed.
    Done,
    /// Someone else made (dropped) it first.
    Found,
}

/// Runs the statements of `wave`'s tables, each connection taking the next table as it
/// becomes free. After a failure no table is started, and the ones under way finish.
async fn run_wave(
    connections: &mut [PoolConnection<MySql>],
    wave: &[usize],
    batch: &[Step],
    operation: SchemaOperation,
) -> WaveOutcome {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let workers = connections.iter_mut().map(|conn| {
        let (next, stop) = (&next, &stop);
        async move {
            let mut outcomes = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let Some(&table) = wave.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    break;
                };
                let (result, outcome) = run_table(conn, &batch[table], operation).await;
                if let Some(outcome) = outcome {
                    outcomes.push((table, outcome));
                }
                if let Err(error) = result {
                    stop.store(true, Ordering::Relaxed);
                    return (outcomes, Some((table, error)));
                }
            }
            (outcomes, None)
        }
    });
    let mut wave_outcome = WaveOutcome {
        done: Vec::new(),
        found: Vec::new(),
        failure: None,
    };
    for (outcomes, failure) in futures_util::future::join_all(workers).await {
        for (table, outcome) in outcomes {
            match outcome {
                TableOutcome::Done => wave_outcome.done.push(table),
                TableOutcome::Found => wave_outcome.found.push(table),
            }
        }
        // Of several failures, the one earliest in the order is reported.
        if let Some((table, error)) = failure
            && wave_outcome
                .failure
                .as_ref()
                .is_none_or(|(t, _)| table < *t)
        {
            wave_outcome.failure = Some((table, error));
        }
    }
    wave_outcome
}

/// Runs one table's statements. Whether its first statement (the CREATE or DROP TABLE)
/// changed it or found it changed already, and then whether the rest went through.
async fn run_table(
    conn: &mut MySqlConnection,
    (info, statements): &Step,
    operation: SchemaOperation,
) -> (Result<(), sqlx::Error>, Option<TableOutcome>) {
    let mut outcome = None;
    for statement in statements {
        tracing::debug!(table = info.name, sql = %statement, "ddl");
        match execute(conn, statement).await {
            Ok(()) => {
                outcome.get_or_insert(TableOutcome::Done);
            }
            Err(error) if outcome.is_none() => {
                return match found_changed(conn, info.name, operation, &error).await {
                    true => (Ok(()), Some(TableOutcome::Found)),
                    false => (Err(error), None),
                };
            }
            Err(error) => return (Err(error), outcome),
        }
    }
    (Ok(()), outcome)
}

/// Whether `error`, from the first statement of table `name`, says that someone else
/// created (dropped) the table first, and the catalog agrees.
async fn found_changed(
    conn: &mut MySqlConnection,
    name: &str,
    operation: SchemaOperation,
    error: &sqlx::Error,
) -> bool {
    let number = error
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
        .map(sqlx::mysql::MySqlDatabaseError::number);
    let expected = match operation {
        SchemaOperation::CreateAll => TABLE_EXISTS,
        SchemaOperation::DropAll => UNKNOWN_TABLE,
    };
    if number != Some(expected) {
        return false;
    }
    let exists: Result<Vec<String>, _> = sqlx::query_scalar(tables_query(Dialect::MySql))
        .fetch_all(&mut *conn)
        .await;
    match exists {
        Ok(tables) => {
            let there = tables.iter().any(|t| t == name);
            there == (operation == SchemaOperation::CreateAll)
        }
        Err(_) => false,
    }
}

/// Runs `sql` over the simple protocol: DDL through prepared statements is ten times
/// slower, and some statements cannot be prepared at all.
pub(crate) async fn execute(conn: &mut MySqlConnection, sql: &str) -> Result<(), sqlx::Error> {
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
