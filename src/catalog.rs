//! What a bind's database holds, read from its own catalog: the tables of the current
//! schema (PostgreSQL), database (MySQL) or file (SQLite), and their columns.

use crate::backend::Pool;
use crate::engine::{Engine, bounded};
use crate::{Dialect, SqlType};

/// A table as the database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveTable {
    /// Its name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<LiveColumn>,
}

/// A column as the database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveColumn {
    /// Its name.
    pub name: String,
    /// Its type as the database spells it (`character varying(64)`, `varchar(64)`, …).
    pub declared_type: String,
    /// The bindery type that type stands for; `None` for a type bindery does not map.
    pub sql_type: Option<SqlType>,
    /// Whether it accepts NULL.
    pub nullable: bool,
}

const SQLITE_TABLES: &str = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
const POSTGRES_TABLES: &str =
    "SELECT tablename::text FROM pg_catalog.pg_tables WHERE schemaname = current_schema()";
const MYSQL_TABLES: &str = "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'";

const SQLITE_COLUMNS: &str = "SELECT m.name, p.name, p.type, p.\"notnull\" \
     FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     ORDER BY m.name, p.cid";
const POSTGRES_COLUMNS: &str = "SELECT c.table_name::text, c.column_name::text, c.data_type::text, \
     c.character_maximum_length::int4, c.numeric_precision::int4, c.numeric_scale::int4, \
     c.is_nullable = 'YES' \
     FROM information_schema.columns AS c \
     JOIN pg_catalog.pg_tables AS t ON t.schemaname = c.table_schema AND t.tablename = c.table_name \
     WHERE c.table_schema = current_schema() \
     ORDER BY c.table_name, c.ordinal_position";
// A subquery, not a join: MariaDB reads a joined `information_schema.TABLES` in every
// database of the server, so the read waited behind any other database's pending `DROP
// DATABASE`; `EXPLAIN` shows "Scanned 1 database" for both sides this way.
const MYSQL_COLUMNS: &str = "SELECT CAST(c.TABLE_NAME AS CHAR), CAST(c.COLUMN_NAME AS CHAR), \
     CAST(c.DATA_TYPE AS CHAR), CAST(c.COLUMN_TYPE AS CHAR), \
     CAST(c.CHARACTER_MAXIMUM_LENGTH AS SIGNED), CAST(c.NUMERIC_PRECISION AS SIGNED), \
     CAST(c.NUMERIC_SCALE AS SIGNED), CAST(c.IS_NULLABLE = 'YES' AS SIGNED) \
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
    // (table, column, declared type, mapped type, nullable), ordered by table.
    let rows: Vec<(String, String, String, Option<SqlType>, bool)> = match engine.pool() {
        Pool::Sqlite(pool) => {
            let rows: Vec<(String, String, String, i64)> = bounded(pool, deadline, |c| {
                Box::pin(sqlx::query_as(SQLITE_COLUMNS).fetch_all(c))
            })
            .await?;
            rows.into_iter()
                .map(|(table, column, declared, not_null)| {
                    let sql_type = sqlite_type(&declared);
                    (table, column, declared, sql_type, not_null == 0)
                })
                .collect()
        }
        Pool::Postgres(pool) => {
            type Row = (
                String,
                String,
                String,
                Option<i32>,
                Option<i32>,
                Option<i32>,
                bool,
            );
            let rows: Vec<Row> = bounded(pool, deadline, |c| {
                Box::pin(sqlx::query_as(POSTGRES_COLUMNS).fetch_all(c))
            })
            .await?;
            rows.into_iter()
                .map(
                    |(table, column, data_type, length, precision, scale, nullable)| {
                        let sql_type = postgres_type(&data_type, length, precision, scale);
                        let declared = match (length, precision, scale) {
                            (Some(n), _, _) => format!("{data_type}({n})"),
                            (None, Some(p), Some(s)) if data_type == "numeric" => {
                                format!("{data_type}({p}, {s})")
                            }
                            _ => data_type,
                        };
                        (table, column, declared, sql_type, nullable)
                    },
                )
                .collect()
        }
        Pool::MySql(pool) => {
            type Row = (
                String,
                String,
                String,
                String,
                Option<i64>,
                Option<i64>,
                Option<i64>,
                i64,
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
                    )| {
                        let sql_type =
                            mysql_type(&data_type, &column_type, length, precision, scale);
                        (table, column, column_type, sql_type, nullable != 0)
                    },
                )
                .collect()
        }
    };
    let mut tables: Vec<LiveTable> = Vec::new();
    for (table, name, declared_type, sql_type, nullable) in rows {
        let column = LiveColumn {
            name,
            declared_type,
            sql_type,
            nullable,
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

fn decimal(precision: Option<i64>, scale: Option<i64>) -> Option<SqlType> {
    Some(SqlType::Decimal {
        precision: u8::try_from(precision?).ok()?,
        scale: u8::try_from(scale.unwrap_or(0)).ok()?,
    })
}

fn sqlite_type(declared: &str) -> Option<SqlType> {
    let upper = declared.trim().to_ascii_uppercase();
    let (name, args) = match upper.split_once('(') {
        Some((name, args)) => (name.trim(), Some(args.trim_end_matches(')'))),
        None => (upper.as_str(), None),
    };
    let numbers: Vec<i64> = args
        .map(|a| a.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_default();
    Some(match name {
        "SMALLINT" => SqlType::SmallInt,
        "INTEGER" | "INT" => SqlType::Integer,
        "BIGINT" => SqlType::BigInt,
        "FLOAT" | "REAL" => SqlType::Float,
        "DOUBLE" | "DOUBLE PRECISION" => SqlType::Double,
        "BOOLEAN" | "BOOL" => SqlType::Boolean,
        "TEXT" | "CLOB" => SqlType::Text,
        "VARCHAR" => match numbers.first() {
            Some(&n) => SqlType::VarChar(u32::try_from(n).ok()?),
            None => SqlType::Text,
        },
        "BLOB" => SqlType::Blob,
        "DATE" => SqlType::Date,
        "TIME" => SqlType::Time,
        "DATETIME" | "TIMESTAMP" => SqlType::Timestamp,
        "JSON" => SqlType::Json,
        "NUMERIC" | "DECIMAL" => {
            return decimal(numbers.first().copied(), numbers.get(1).copied());
        }
        _ => return None,
    })
}

fn postgres_type(
    data_type: &str,
    length: Option<i32>,
    precision: Option<i32>,
    scale: Option<i32>,
) -> Option<SqlType> {
    Some(match data_type {
        "smallint" => SqlType::SmallInt,
        "integer" => SqlType::Integer,
        "bigint" => SqlType::BigInt,
        "real" => SqlType::Float,
        "double precision" => SqlType::Double,
        "boolean" => SqlType::Boolean,
        "text" => SqlType::Text,
        "character varying" => match length {
            Some(n) => SqlType::VarChar(u32::try_from(n).ok()?),
            None => SqlType::Text,
        },
        "bytea" => SqlType::Blob,
        "date" => SqlType::Date,
        "time without time zone" => SqlType::Time,
        "timestamp without time zone" => SqlType::Timestamp,
        "timestamp with time zone" => SqlType::TimestampTz,
        "uuid" => SqlType::Uuid,
        "json" | "jsonb" => SqlType::Json,
        "numeric" => return decimal(precision.map(i64::from), scale.map(i64::from)),
        _ => return None,
    })
}

fn mysql_type(
    data_type: &str,
    column_type: &str,
    length: Option<i64>,
    precision: Option<i64>,
    scale: Option<i64>,
) -> Option<SqlType> {
    Some(match data_type {
        "tinyint" if column_type.starts_with("tinyint(1)") => SqlType::Boolean,
        "smallint" => SqlType::SmallInt,
        "int" => SqlType::Integer,
        "bigint" => SqlType::BigInt,
        "float" => SqlType::Float,
        "double" => SqlType::Double,
        "tinytext" | "text" | "mediumtext" | "longtext" => SqlType::Text,
        "varchar" => SqlType::VarChar(u32::try_from(length?).ok()?),
        "tinyblob" | "blob" | "mediumblob" | "longblob" => SqlType::Blob,
        "binary" if length == Some(16) => SqlType::Uuid,
        "date" => SqlType::Date,
        "time" => SqlType::Time,
        "datetime" | "timestamp" => SqlType::Timestamp,
        "json" => SqlType::Json,
        "decimal" => return decimal(precision, scale),
        _ => return None,
    })
}

/// Whether a live column of type `live` holds what a model column of type `model` needs,
/// on `dialect`, given how bindery's DDL spells `model` there.
pub(crate) fn types_match(dialect: Dialect, model: SqlType, live: SqlType) -> bool {
    if model == live {
        return true;
    }
    match dialect {
        // Integer affinity: SQLite stores every integer alike, and a generated key is
        // always INTEGER. REAL affinity likewise for floats.
        Dialect::Sqlite => {
            (model.is_integer() && live.is_integer())
                || (matches!(model, SqlType::Float | SqlType::Double)
                    && matches!(live, SqlType::Float | SqlType::Double))
                || (model == SqlType::TimestampTz && live == SqlType::Timestamp)
                || (model == SqlType::Uuid && live == SqlType::Blob)
                || (matches!(model, SqlType::Json | SqlType::Decimal { .. })
                    && live == SqlType::Text)
        }
        Dialect::Postgres => false,
        // DATETIME(6) holds both timestamps; MariaDB's JSON is LONGTEXT.
        Dialect::MySql => {
            (model == SqlType::TimestampTz && live == SqlType::Timestamp)
                || (model == SqlType::Json && live == SqlType::Text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_bindery_writes_reads_back_as_itself() {
        let types = [
            SqlType::SmallInt,
            SqlType::Integer,
            SqlType::BigInt,
            SqlType::Float,
            SqlType::Double,
            SqlType::Boolean,
            SqlType::Text,
            SqlType::VarChar(64),
            SqlType::Blob,
            SqlType::Date,
            SqlType::Time,
            SqlType::Timestamp,
            SqlType::TimestampTz,
            SqlType::Uuid,
            SqlType::Json,
            SqlType::Decimal {
                precision: 10,
                scale: 2,
            },
        ];
        for ty in types {
            let declared = Dialect::Sqlite.column_type(ty);
            let read = sqlite_type(&declared).unwrap_or_else(|| panic!("{declared}"));
            assert!(
                types_match(Dialect::Sqlite, ty, read),
                "{ty} read as {read}"
            );
        }
    }
}
