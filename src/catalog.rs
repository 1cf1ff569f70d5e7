//! What a bind's database holds, read from its own catalog: the tables of the current
//! schema (PostgreSQL), database (MySQL) or file (SQLite), and their columns.

#[cfg(feature = "mysql")]
use bindery_core::mysql_type;
#[cfg(feature = "postgres")]
use bindery_core::postgres_type;
#[cfg(feature = "sqlite")]
use bindery_core::sqlite_type;
use bindery_core::{LiveColumn, LiveTable};

use crate::backend::Pool;
use crate::engine::Engine;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use crate::engine::bounded;
use crate::{Dialect, SqlType};

const SQLITE_TABLES: &str = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
const POSTGRES_TABLES: &str =
    "SELECT tablename::text FROM pg_catalog.pg_tables WHERE schemaname = current_schema()";
const MYSQL_TABLES: &str = "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'";

#[cfg(feature = "sqlite")]
const SQLITE_COLUMNS: &str = "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value \
     FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     ORDER BY m.name, p.cid";
#[cfg(feature = "postgres")]
const POSTGRES_COLUMNS: &str = "SELECT c.table_name::text, c.column_name::text, c.data_type::text, \
     c.character_maximum_length::int4, c.numeric_precision::int4, c.numeric_scale::int4, \
     c.is_nullable = 'YES', c.column_default::text \
     FROM information_schema.columns AS c \
     JOIN pg_catalog.pg_tables AS t ON t.schemaname = c.table_schema AND t.tablename = c.table_name \
     WHERE c.table_schema = current_schema() \
     ORDER BY c.table_name, c.ordinal_position";
#[cfg(feature = "mysql")]
// A subquery, not a join: MariaDB reads a joined `information_schema.TABLES` in every
// database of the server, so the read waited behind any other database's pending `DROP
// DATABASE`; `EXPLAIN` shows "Scanned 1 database" for both sides this way.
const MYSQL_COLUMNS: &str = "SELECT CAST(c.TABLE_NAME AS CHAR), CAST(c.COLUMN_NAME AS CHAR), \
     CAST(c.DATA_TYPE AS CHAR), CAST(c.COLUMN_TYPE AS CHAR), \
     CAST(c.CHARACTER_MAXIMUM_LENGTH AS SIGNED), CAST(c.NUMERIC_PRECISION AS SIGNED), \
     CAST(c.NUMERIC_SCALE AS SIGNED), CAST(c.IS_NULLABLE = 'YES' AS SIGNED), \
     CAST(c.COLUMN_DEFAULT AS CHAR) \
     FROM information_schema.COLUMNS AS c \
     WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME IN (SELECT t.TABLE_NAME \
       FROM information_schema.TABLES AS t \
       WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE') \
     ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION";

/// The query that lists the names of the tables that exist now, for running on a
/// connection of the caller's (inside a transaction, or under a lock).
pub(crate) fn tables_query(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => SQLITE_TABLES,
        Dialect::Postgres => POSTGRES_TABLES,
        Dialect::MySql => MYSQL_TABLES,
    }
}

/// Every table that exists now, with its columns, by table name.
pub(crate) async fn live_tables(engine: &Engine) -> Result<Vec<LiveTable>, sqlx::Error> {
    let deadline = engine.statement_timeout();
    // (table, column, declared type, mapped type, nullable, default), ordered by table.
    type Column = (
        String,
        String,
        String,
        Option<SqlType>,
        bool,
        Option<String>,
    );
    let rows: Vec<Column> = match *engine.pool() {
        #[cfg(feature = "sqlite")]
        Pool::Sqlite(ref pool) => {
            type Row = (String, String, String, i64, Option<String>);
            let rows: Vec<Row> = bounded(pool, deadline, |c| {
                Box::pin(sqlx::query_as(SQLITE_COLUMNS).fetch_all(c))
            })
            .await?;
            rows.into_iter()
                .map(|(table, column, declared, not_null, default)| {
                    let sql_type = sqlite_type(&declared);
                    (table, column, declared, sql_type, not_null == 0, default)
                })
                .collect()
        }
        #[cfg(feature = "postgres")]
        Pool::Postgres(ref pool) => {
            type Row = (
                String,
                String,
                String,
                Option<i32>,
                Option<i32>,
                Option<i32>,
                bool,
                Option<String>,
            );
            let rows: Vec<Row> = bounded(pool, deadline, |c| {
                Box::pin(sqlx::query_as(POSTGRES_COLUMNS).fetch_all(c))
            })
            .await?;
            rows.into_iter()
                .map(
                    |(table, column, data_type, length, precision, scale, nullable, default)| {
                        let sql_type = postgres_type(&data_type, length, precision, scale);
                        let declared = match (length, precision, scale) {
                            (Some(n), _, _) => format!("{data_type}({n})"),
                            (None, Some(p), Some(s)) if data_type == "numeric" => {
                                format!("{data_type}({p}, {s})")
                            }
                            _ => data_type,
                        };
                        (table, column, declared, sql_type, nullable, default)
                    },
                )
                .collect()
        }
        #[cfg(feature = "mysql")]
        Pool::MySql(ref pool) => {
            type Row = (
                String,
                String,
                String,
                String,
                Option<i64>,
                Option<i64>,
                Option<i64>,
                i64,
                Option<String>,
            );
            let rows: Vec<Row> = bounded(pool, deadline, |c| {
                Box::pin(sqlx::query_as(MYSQL_COLUMNS).fetch_all(c))
            })
            .await?;
            rows.into_iter()
                .map(
                    |(
                        table,
                        column,
                        data_type,
                        column_type,
                        length,
                        precision,
                        scale,
                        nullable,
                        default,
                    )| {
                        let sql_type =
                            mysql_type(&data_type, &column_type, length, precision, scale);
                        (table, column, column_type, sql_type, nullable != 0, default)
                    },
                )
                .collect()
        }
    };
    let mut tables: Vec<LiveTable> = Vec::new();
    for (table, name, declared_type, sql_type, nullable, default) in rows {
        let column = LiveColumn {
            name,
            declared_type,
            sql_type,
            nullable,
            default,
        };
        match tables.last_mut() {
            Some(last) if last.name == table => last.columns.push(column),
            _ => tables.push(LiveTable {
                name: table,
                columns: vec![column],
            }),
        }
    }
    Ok(tables)
}
