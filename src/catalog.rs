//! What a bind's database holds, read from its own catalog: the tables of the current
//! schema (PostgreSQL), database (MySQL) or file (SQLite), and their columns.

#[cfg(feature = "mysql")]
use bindery_core::mysql_type;
#[cfg(feature = "postgres")]
use bindery_core::postgres_type;
#[cfg(feature = "sqlite")]
use bindery_core::sqlite_type;
use bindery_core::{LiveColumn, LiveForeignKey, LiveIndex, LiveTable};

use crate::Dialect;
use crate::backend::Pool;
use crate::engine::Engine;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use crate::engine::bounded;

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
     CAST(c.COLUMN_DEFAULT AS CHAR), CAST(c.EXTRA LIKE '%auto_increment%' AS SIGNED) \
     FROM information_schema.COLUMNS AS c \
     WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME IN (SELECT t.TABLE_NAME \
       FROM information_schema.TABLES AS t \
       WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE') \
     ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION";

// Indexes, one row per indexed column: (table, index, unique, the constraint it backs,
// column, definition), ordered by table, index and position. A primary key's is left out.
#[cfg(feature = "sqlite")]
const SQLITE_INDEXES: &str = "SELECT m.name, il.name, il.\"unique\", \
     CASE WHEN il.origin = 'u' THEN il.name END, ii.name, x.sql \
     FROM sqlite_master AS m JOIN pragma_index_list(m.name) AS il \
     JOIN pragma_index_info(il.name) AS ii \
     LEFT JOIN sqlite_master AS x ON x.type = 'index' AND x.name = il.name \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND il.origin <> 'pk' \
     ORDER BY m.name, il.name, ii.seqno";
#[cfg(feature = "postgres")]
const POSTGRES_INDEXES: &str = "SELECT t.relname::text, i.relname::text, ix.indisunique, \
     (SELECT c.conname::text FROM pg_catalog.pg_constraint AS c \
       WHERE c.conindid = ix.indexrelid AND c.conrelid = t.oid AND c.contype IN ('u', 'x')), \
     a.attname::text, pg_catalog.pg_get_indexdef(ix.indexrelid) \
     FROM pg_catalog.pg_index AS ix \
     JOIN pg_catalog.pg_class AS t ON t.oid = ix.indrelid \
     JOIN pg_catalog.pg_class AS i ON i.oid = ix.indexrelid \
     JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace \
     CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, position) \
     LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = t.oid AND a.attnum = k.attnum \
     WHERE n.nspname = current_schema() AND t.relkind = 'r' AND NOT ix.indisprimary \
     ORDER BY 1, 2, k.position";
#[cfg(feature = "mysql")]
const MYSQL_INDEXES: &str = "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), \
     CAST(NON_UNIQUE = 0 AS SIGNED), CAST(COLUMN_NAME AS CHAR) \
     FROM information_schema.STATISTICS \
     WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY' \
     ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX";

// Foreign keys, one row per column: (table, key, name, column, referenced table,
// referenced column), ordered by table, key and position.
#[cfg(feature = "sqlite")]
const SQLITE_FOREIGN_KEYS: &str = "SELECT m.name, f.id, f.\"from\", f.\"table\", f.\"to\" \
     FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     ORDER BY m.name, f.id, f.seq";
#[cfg(feature = "postgres")]
const POSTGRES_FOREIGN_KEYS: &str = "SELECT t.relname::text, c.conname::text, a.attname::text, \
     r.relname::text, ra.attname::text \
     FROM pg_catalog.pg_constraint AS c \
     JOIN pg_catalog.pg_class AS t ON t.oid = c.conrelid \
     JOIN pg_catalog.pg_class AS r ON r.oid = c.confrelid \
     JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace \
     CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, refnum, position) \
     JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
     JOIN pg_catalog.pg_attribute AS ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum \
     WHERE c.contype = 'f' AND n.nspname = current_schema() \
     ORDER BY 1, 2, k.position";
#[cfg(feature = "mysql")]
const MYSQL_FOREIGN_KEYS: &str = "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), \
     CAST(COLUMN_NAME AS CHAR), CAST(REFERENCED_TABLE_NAME AS CHAR), \
     CAST(REFERENCED_COLUMN_NAME AS CHAR) \
     FROM information_schema.KEY_COLUMN_USAGE \
     WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL \
     ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION";

/// SQLite: each table's `CREATE TABLE` statement, as the file keeps it.
#[cfg(feature = "sqlite")]
const SQLITE_DEFINITIONS: &str = "SELECT name, sql FROM sqlite_master \
     WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

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
    // Ordered by table.
    let rows: Vec<(String, LiveColumn)> = match *engine.pool() {
        #[cfg(feature = "sqlite")]
        Pool::Sqlite(ref pool) => {
            type Row = (String, String, String, i64, Option<String>);
            let rows: Vec<Row> = bounded(pool, deadline, |c| {
                Box::pin(sqlx::query_as(SQLITE_COLUMNS).fetch_all(c))
            })
            .await?;
            rows.into_iter()
                .map(|(table, column, declared, not_null, default)| {
                    let column = LiveColumn {
                        name: column,
                        sql_type: sqlite_type(&declared),
                        declared_type: declared,
                        nullable: not_null == 0,
                        default,
                        auto_increment: false,
                    };
                    (table, column)
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
                        let column = LiveColumn {
                            name: column,
                            declared_type: declared,
                            sql_type,
                            nullable,
                            default,
                            auto_increment: false,
                        };
                        (table, column)
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
                        default,
                        auto_increment,
                    )| {
                        let sql_type =
                            mysql_type(&data_type, &column_type, length, precision, scale);
                        let column = LiveColumn {
                            name: column,
                            declared_type: column_type,
                            sql_type,
                            nullable: nullable != 0,
                            default,
                            auto_increment: auto_increment != 0,
                        };
                        (table, column)
                    },
                )
                .collect()
        }
    };
    let mut tables: Vec<LiveTable> = Vec::new();
    for (table, column) in rows {
        match tables.last_mut() {
            Some(last) if last.name == table => last.columns.push(column),
            _ => tables.push(LiveTable {
                name: table,
                columns: vec![column],
                ..LiveTable::default()
            }),
        }
    }
    let keys = read_keys(engine).await?;
    // Each key's table found by name once, not by a walk of every table per key.
    let at: std::collections::HashMap<String, usize> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect();
    for (table, index) in keys.indexes {
        if let Some(&i) = at.get(&table) {
            tables[i].indexes.push(index);
        }
    }
    for (table, foreign_key) in keys.foreign_keys {
        if let Some(&i) = at.get(&table) {
            tables[i].foreign_keys.push(foreign_key);
        }
    }
    for (table, definition) in keys.definitions {
        if let Some(&i) = at.get(&table) {
            tables[i].definition = Some(definition);
        }
    }
    Ok(tables)
}

/// Every table's indexes, foreign keys and (SQLite) definition, each with its table.
#[derive(Default)]
struct Keys {
    indexes: Vec<(String, LiveIndex)>,
    foreign_keys: Vec<(String, LiveForeignKey)>,
    definitions: Vec<(String, String)>,
}

/// One indexed column: (table, index, unique, the constraint it backs, column — `None`
/// for an expression —, definition).
type IndexRow = (
    String,
    String,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// One column of a foreign key: (table, key, name, column, referenced table, referenced
/// column).
type ForeignKeyRow = (
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
);

/// The rows of a server's foreign keys, whose constraint name is the key: (table, name,
/// column, referenced table, referenced column).
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn named_keys(rows: Vec<(String, String, String, String, Option<String>)>) -> Vec<ForeignKeyRow> {
    rows.into_iter()
        .map(|(table, name, column, target, to)| {
            (table, name.clone(), Some(name), column, target, to)
        })
        .collect()
}

#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(unused_variables, unreachable_code)
)]
async fn read_keys(engine: &Engine) -> Result<Keys, sqlx::Error> {
    let deadline = engine.statement_timeout();
    let (indexes, foreign_keys, definitions): (Vec<IndexRow>, Vec<ForeignKeyRow>, _) =
        match *engine.pool() {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(ref pool) => {
                bounded(pool, deadline, |c| {
                    Box::pin(async move {
                        let indexes: Vec<IndexRow> =
                            sqlx::query_as(SQLITE_INDEXES).fetch_all(&mut *c).await?;
                        type Key = (String, i64, String, String, Option<String>);
                        let keys: Vec<Key> = sqlx::query_as(SQLITE_FOREIGN_KEYS)
                            .fetch_all(&mut *c)
                            .await?;
                        let keys = keys
                            .into_iter()
                            .map(|(table, id, column, target, to)| {
                                (table, id.to_string(), None, column, target, to)
                            })
                            .collect();
                        let definitions: Vec<(String, String)> = sqlx::query_as(SQLITE_DEFINITIONS)
                            .fetch_all(&mut *c)
                            .await?;
                        Ok((indexes, keys, definitions))
                    })
                })
                .await?
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(ref pool) => {
                bounded(pool, deadline, |c| {
                    Box::pin(async move {
                        let indexes: Vec<IndexRow> =
                            sqlx::query_as(POSTGRES_INDEXES).fetch_all(&mut *c).await?;
                        let keys = sqlx::query_as(POSTGRES_FOREIGN_KEYS)
                            .fetch_all(&mut *c)
                            .await?;
                        Ok((indexes, named_keys(keys), Vec::new()))
                    })
                })
                .await?
            }
            #[cfg(feature = "mysql")]
            Pool::MySql(ref pool) => {
                bounded(pool, deadline, |c| {
                    Box::pin(async move {
                        type Index = (String, String, i64, Option<String>);
                        let indexes: Vec<Index> =
                            sqlx::query_as(MYSQL_INDEXES).fetch_all(&mut *c).await?;
                        let indexes = indexes
                            .into_iter()
                            .map(|(table, name, unique, column)| {
                                (table, name, unique != 0, None, column, None)
                            })
                            .collect();
                        let keys = sqlx::query_as(MYSQL_FOREIGN_KEYS)
                            .fetch_all(&mut *c)
                            .await?;
                        Ok((indexes, named_keys(keys), Vec::new()))
                    })
                })
                .await?
            }
        };
    let mut keys = Keys {
        definitions,
        ..Keys::default()
    };
    for (table, name, unique, constraint, column, definition) in indexes {
        match keys.indexes.last_mut() {
            Some((t, index)) if *t == table && index.name == name => {
                index.columns.extend(column);
            }
            _ => keys.indexes.push((
                table,
                LiveIndex {
                    name,
                    columns: column.into_iter().collect(),
                    unique,
                    constraint,
                    definition,
                },
            )),
        }
    }
    let mut last_key = None;
    for (table, key, name, column, target, to) in foreign_keys {
        let same = last_key.as_ref() == Some(&(table.clone(), key.clone()));
        match keys.foreign_keys.last_mut() {
            Some((_, fk)) if same => {
                fk.columns.push(column);
                fk.references_columns.extend(to);
            }
            _ => {
                last_key = Some((table.clone(), key));
                keys.foreign_keys.push((
                    table,
                    LiveForeignKey {
                        name,
                        columns: vec![column],
                        references_table: target,
                        references_columns: to.into_iter().collect(),
                    },
                ));
            }
        }
    }
    Ok(keys)
}
