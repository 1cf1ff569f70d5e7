//! The statements a session runs, as text with placeholders: identifiers quoted by the
//! dialect, every value a bound parameter. The fixed ones are built once per model and
//! dialect and cached ([`StatementCache`]).

use std::sync::{Arc, OnceLock};

use crate::{ColumnInfo, Dialect, TableInfo};

/// Writes SQL text, numbering placeholders as the dialect wants (`$1` or `?`).
#[derive(Debug)]
pub struct SqlWriter {
    dialect: Dialect,
    sql: String,
    params: usize,
}

impl SqlWriter {
    /// An empty statement.
    pub fn new(dialect: Dialect) -> SqlWriter {
        SqlWriter {
            dialect,
            sql: String::with_capacity(128),
            params: 0,
        }
    }

    /// Appends SQL that bindery wrote (keywords, punctuation).
    pub fn push(&mut self, sql: &str) -> &mut SqlWriter {
        self.sql.push_str(sql);
        self
    }

    /// Appends an identifier, quoted.
    pub fn ident(&mut self, name: &str) -> &mut SqlWriter {
        self.sql.push_str(&self.dialect.quote(name));
        self
    }

    /// Appends the next placeholder.
    pub fn param(&mut self) -> &mut SqlWriter {
        self.params += 1;
        match self.dialect {
            Dialect::Postgres => {
                self.sql.push('$');
                self.sql.push_str(&self.params.to_string());
            }
            Dialect::Sqlite | Dialect::MySql => self.sql.push('?'),
        }
        self
    }

    /// Appends `"a", "b", …` for these columns.
    pub fn columns<'c>(
        &mut self,
        columns: impl IntoIterator<Item = &'c ColumnInfo>,
    ) -> &mut SqlWriter {
        for (i, column) in columns.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.ident(column.name);
        }
        self
    }

    /// Appends `"a" = ? AND "b" = ?` for the primary key.
    pub fn key_condition(&mut self, table: &TableInfo) -> &mut SqlWriter {
        for (i, column) in table.primary_key().enumerate() {
            if i > 0 {
                self.sql.push_str(" AND ");
            }
            self.ident(column.name).push(" = ").param();
        }
        self
    }

    /// How many placeholders were written.
    pub fn param_count(&self) -> usize {
        self.params
    }

    /// The statement.
    pub fn finish(self) -> String {
        self.sql
    }
}

/// The column the database generates on insert, if the table has one.
pub fn generated_column(table: &TableInfo) -> Option<usize> {
    table
        .columns
        .iter()
        .position(|c| c.primary_key && c.autoincrement)
}

/// The most parameters one statement may carry on each dialect (SQLite 3.32+: 32,766;
/// PostgreSQL and MySQL: 65,535), and the most rows bindery puts in one INSERT.
const fn max_params(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Sqlite => 32_766,
        Dialect::Postgres | Dialect::MySql => 65_535,
    }
}
const MAX_ROWS_PER_INSERT: usize = 1_000;

/// How many rows of `table` fit in one INSERT on `dialect`.
pub fn rows_per_insert(dialect: Dialect, table: &TableInfo) -> usize {
    let per_row = table.columns.len() - usize::from(generated_column(table).is_some());
    (max_params(dialect) / per_row.max(1)).clamp(1, MAX_ROWS_PER_INSERT)
}

/// `INSERT INTO t (cols) VALUES (…), (…)` for `rows` rows, without the generated column,
/// with `RETURNING "id"` when `returning` and the table has a generated column.
pub fn insert(dialect: Dialect, table: &TableInfo, rows: usize, returning: bool) -> String {
    let generated = generated_column(table);
    let columns = || {
        table
            .columns
            .iter()
            .enumerate()
            .filter(move |(i, _)| Some(*i) != generated)
            .map(|(_, c)| c)
    };
    let mut w = SqlWriter::new(dialect);
    w.push("INSERT INTO ")
        .ident(table.name)
        .push(" (")
        .columns(columns())
        .push(") VALUES ");
    let per_row = columns().count();
    for row in 0..rows {
        if row > 0 {
            w.push(", ");
        }
        w.push("(");
        for i in 0..per_row {
            if i > 0 {
                w.push(", ");
            }
            w.param();
        }
        w.push(")");
    }
    if let (true, Some(g)) = (returning, generated) {
        w.push(" RETURNING ").ident(table.columns[g].name);
    }
    w.finish()
}

/// `SELECT cols FROM t` (every column, in order).
pub(crate) fn select(dialect: Dialect, table: &TableInfo) -> SqlWriter {
    let mut w = SqlWriter::new(dialect);
    w.push("SELECT ")
        .columns(table.columns)
        .push(" FROM ")
        .ident(table.name);
    w
}

/// The statements of one model on one dialect, built once.
#[derive(Debug)]
pub struct Statements {
    /// `SELECT … WHERE key = ?`.
    pub get: Arc<str>,
    /// `SELECT …` of every row.
    pub all: Arc<str>,
    /// `UPDATE t SET every non-key column = ? WHERE key = ?`.
    pub update: Arc<str>,
    /// `DELETE FROM t WHERE key = ?`.
    pub delete: Arc<str>,
    /// The INSERT of a full batch, and how many rows a full batch holds.
    pub insert_batch: (usize, Arc<str>),
    /// The INSERT of one row.
    pub insert_one: Arc<str>,
}

impl Statements {
    fn build(dialect: Dialect, table: &TableInfo, returning: bool) -> Statements {
        let get = {
            let mut w = select(dialect, table);
            w.push(" WHERE ").key_condition(table);
            w.finish()
        };
        let update = {
            let mut w = SqlWriter::new(dialect);
            w.push("UPDATE ").ident(table.name).push(" SET ");
            for (i, column) in table.columns.iter().filter(|c| !c.primary_key).enumerate() {
                if i > 0 {
                    w.push(", ");
                }
                w.ident(column.name).push(" = ").param();
            }
            w.push(" WHERE ").key_condition(table);
            w.finish()
        };
        let delete = {
            let mut w = SqlWriter::new(dialect);
            w.push("DELETE FROM ")
                .ident(table.name)
                .push(" WHERE ")
                .key_condition(table);
            w.finish()
        };
        let batch = rows_per_insert(dialect, table);
        Statements {
            get: get.into(),
            all: select(dialect, table).finish().into(),
            update: update.into(),
            delete: delete.into(),
            insert_batch: (batch, insert(dialect, table, batch, returning).into()),
            insert_one: insert(dialect, table, 1, returning).into(),
        }
    }
}

/// The per-model cache of [`Statements`], one slot per dialect and RETURNING support.
/// `#[derive(Model)]` gives every model a static one.
#[derive(Debug)]
pub struct StatementCache {
    slots: [OnceLock<Statements>; 6],
}

impl Default for StatementCache {
    fn default() -> StatementCache {
        StatementCache::new()
    }
}

impl StatementCache {
    /// An empty cache.
    pub const fn new() -> StatementCache {
        StatementCache {
            slots: [const { OnceLock::new() }; 6],
        }
    }

    /// The statements of `table` on `dialect`, built on first use.
    pub fn get(&self, dialect: Dialect, table: &TableInfo, returning: bool) -> &Statements {
        let slot = dialect as usize * 2 + usize::from(returning);
        self.slots[slot].get_or_init(|| Statements::build(dialect, table, returning))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqlType;

    const USER: TableInfo = TableInfo {
        columns: &[
            ColumnInfo {
                primary_key: true,
                autoincrement: true,
                ..ColumnInfo::new("id", SqlType::BigInt)
            },
            ColumnInfo::new("name", SqlType::Text),
            ColumnInfo::new("order", SqlType::Integer),
        ],
        ..TableInfo::new("user", "t::User")
    };

    #[test]
    fn statements_per_dialect() {
        let pg = Statements::build(Dialect::Postgres, &USER, true);
        assert_eq!(
            &*pg.get,
            r#"SELECT "id", "name", "order" FROM "user" WHERE "id" = $1"#
        );
        assert_eq!(
            &*pg.update,
            r#"UPDATE "user" SET "name" = $1, "order" = $2 WHERE "id" = $3"#
        );
        assert_eq!(&*pg.delete, r#"DELETE FROM "user" WHERE "id" = $1"#);
        assert_eq!(
            &*pg.insert_one,
            r#"INSERT INTO "user" ("name", "order") VALUES ($1, $2) RETURNING "id""#
        );
        assert_eq!(pg.insert_batch.0, 1_000);

        let my = Statements::build(Dialect::MySql, &USER, false);
        assert_eq!(
            &*my.insert_one,
            "INSERT INTO `user` (`name`, `order`) VALUES (?, ?)"
        );
        assert_eq!(
            insert(Dialect::Sqlite, &USER, 2, true),
            "INSERT INTO `user` (`name`, `order`) VALUES (?, ?), (?, ?) RETURNING `id`"
        );
    }

    #[test]
    fn batches_respect_the_parameter_limit() {
        let wide_columns: Vec<ColumnInfo> = (0..100)
            .map(|i| ColumnInfo::new(format!("c{i}").leak(), SqlType::Integer))
            .collect();
        let wide = TableInfo {
            columns: wide_columns.leak(),
            ..TableInfo::new("wide", "t::Wide")
        };
        assert_eq!(rows_per_insert(Dialect::Sqlite, &wide), 327);
        assert_eq!(rows_per_insert(Dialect::Postgres, &wide), 655);
    }

    #[test]
    fn the_cache_builds_once() {
        let cache = StatementCache::new();
        let a = cache.get(Dialect::Sqlite, &USER, true);
        let b = cache.get(Dialect::Sqlite, &USER, true);
        assert!(Arc::ptr_eq(&a.get, &b.get));
    }
}
