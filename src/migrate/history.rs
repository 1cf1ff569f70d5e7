//! A bind's history table, `bindery_migrations`, and the statements that read and write
//! it: written once, generic over the driver, every name quoted by the dialect and every
//! value a bound parameter.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::AssertSqlSafe;

use crate::backend::Backend;
use crate::{Dialect, HistoryRow, HistoryState, Migration, Sql, Value, ValueKind};

/// The history table's name.
pub(crate) const TABLE: &str = "bindery_migrations";

/// `CREATE TABLE IF NOT EXISTS` for the history table: every column an integer or text,
/// so that it reads the same on every driver. `dirty`: 0 applied, 1 its up script
/// stopped part-way, 2 its down script did (MySQL); `statements_done` how far it got.
pub(crate) fn create(dialect: Dialect) -> String {
    let q = |name: &str| dialect.quote(name);
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({} BIGINT NOT NULL PRIMARY KEY, {} VARCHAR(255) NOT NULL, \
         {} VARCHAR(64) NOT NULL, {} BIGINT NOT NULL, {} BIGINT NOT NULL, {} BIGINT NOT NULL, \
         {} BIGINT NOT NULL)",
        q(TABLE),
        q("version"),
        q("name"),
        q("checksum"),
        q("dirty"),
        q("statements_done"),
        q("applied_at"),
        q("execution_ms"),
    )
}

const COLUMNS: [&str; 7] = [
    "version",
    "name",
    "checksum",
    "dirty",
    "statements_done",
    "applied_at",
    "execution_ms",
];

const KINDS: [ValueKind; 7] = [
    ValueKind::BigInt,
    ValueKind::Text,
    ValueKind::Text,
    ValueKind::BigInt,
    ValueKind::BigInt,
    ValueKind::BigInt,
    ValueKind::BigInt,
];

/// Every row of the history, by version.
pub(crate) async fn read<DB: Backend>(
    conn: &mut DB::Connection,
) -> Result<Vec<HistoryRow>, sqlx::Error> {
    let mut select = Sql::new("SELECT ");
    for (i, column) in COLUMNS.iter().enumerate() {
        if i > 0 {
            select = select.text(", ");
        }
        select = select.ident(*column);
    }
    let select = select
        .text(" FROM ")
        .ident(TABLE)
        .text(" ORDER BY ")
        .ident("version");
    let (sql, _) = select.render(DB::DIALECT);
    let rows = sqlx::query(AssertSqlSafe(sql))
        .fetch_all(DB::executor(conn))
        .await?;
    rows.iter()
        .map(|row| {
            let values = KINDS
                .iter()
                .enumerate()
                .map(|(i, kind)| DB::decode(row, i, *kind))
                .collect::<Result<Vec<Value>, sqlx::Error>>()?;
            Ok(row_of(values))
        })
        .collect()
}

fn row_of(values: Vec<Value>) -> HistoryRow {
    let int = |v: Option<&Value>| match v {
        Some(Value::BigInt(i)) => *i,
        _ => 0,
    };
    let text = |v: Option<&Value>| match v {
        Some(Value::Text(t)) => t.clone(),
        _ => String::new(),
    };
    HistoryRow {
        version: u64::try_from(int(values.first())).unwrap_or(0),
        name: text(values.get(1)),
        checksum: text(values.get(2)),
        state: HistoryState::from_columns(int(values.get(3)), int(values.get(4))),
        applied_at_ms: int(values.get(5)),
        execution_ms: int(values.get(6)),
    }
}

/// Records `migration` as run, in `state`.
pub(crate) fn insert(migration: &Migration, state: HistoryState, took: Duration) -> Sql {
    let (dirty, done) = state.to_columns();
    let mut sql = Sql::new("INSERT INTO ").ident(TABLE).text(" (");
    for (i, column) in COLUMNS.iter().enumerate() {
        if i > 0 {
            sql = sql.text(", ");
        }
        sql = sql.ident(*column);
    }
    sql.text(") VALUES (")
        .value(version(migration))
        .text(", ")
        .value(migration.name.clone())
        .text(", ")
        .value(migration.checksum.clone())
        .text(", ")
        .value(dirty)
        .text(", ")
        .value(done)
        .text(", ")
        .value(now_ms())
        .text(", ")
        .value(millis(took))
        .text(")")
}

/// Sets the state of `migration`'s row (and, once it completed, how long it took): the
/// running record of MySQL, whose migrations are not one transaction.
#[cfg(feature = "mysql")]
pub(crate) fn set_state(migration: &Migration, state: HistoryState, took: Duration) -> Sql {
    let (dirty, done) = state.to_columns();
    Sql::new("UPDATE ")
        .ident(TABLE)
        .text(" SET ")
        .ident("dirty")
        .text(" = ")
        .value(dirty)
        .text(", ")
        .ident("statements_done")
        .text(" = ")
        .value(done)
        .text(", ")
        .ident("execution_ms")
        .text(" = ")
        .value(millis(took))
        .text(" WHERE ")
        .ident("version")
        .text(" = ")
        .value(version(migration))
}

/// Deletes `migration`'s row: it was reverted.
pub(crate) fn delete(migration: &Migration) -> Sql {
    Sql::new("DELETE FROM ")
        .ident(TABLE)
        .text(" WHERE ")
        .ident("version")
        .text(" = ")
        .value(version(migration))
}

/// Marks a dirty migration resolved by hand: the row made clean (`applied`), or deleted
/// (it is undone). Only a dirty row: one statement, so that it needs no lock.
pub(crate) fn resolve(version: u64, applied: bool) -> Sql {
    let version = i64::try_from(version).unwrap_or(i64::MAX);
    let sql = if applied {
        Sql::new("UPDATE ")
            .ident(TABLE)
            .text(" SET ")
            .ident("dirty")
            .text(" = 0, ")
            .ident("statements_done")
            .text(" = 0")
    } else {
        Sql::new("DELETE FROM ").ident(TABLE)
    };
    sql.text(" WHERE ")
        .ident("version")
        .text(" = ")
        .value(version)
        .text(" AND ")
        .ident("dirty")
        .text(" <> 0")
}

/// Runs `sql` with its values bound.
pub(crate) async fn execute<DB: Backend>(
    conn: &mut DB::Connection,
    sql: &Sql,
) -> Result<(), sqlx::Error> {
    execute_counting::<DB>(conn, sql).await.map(drop)
}

/// Runs `sql` with its values bound: how many rows it changed.
pub(crate) async fn execute_counting<DB: Backend>(
    conn: &mut DB::Connection,
    sql: &Sql,
) -> Result<u64, sqlx::Error> {
    let (text, params) = sql.render(DB::DIALECT);
    let args = DB::arguments(params).map_err(sqlx::Error::Encode)?;
    let done = sqlx::query_with(AssertSqlSafe(text), args)
        .execute(DB::executor(conn))
        .await?;
    Ok(DB::rows_affected(&done))
}

/// The version as the table stores it: file names hold at most `i64::MAX`.
fn version(migration: &Migration) -> i64 {
    i64::try_from(migration.version).unwrap_or(i64::MAX)
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}
