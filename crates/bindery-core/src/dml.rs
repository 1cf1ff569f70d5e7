//! The statements a session runs, as text with placeholders: identifiers quoted by the
//! dialect, every value a bound parameter. The fixed ones are built once per model and
//! dialect and cached ([`StatementCache`]).

use std::sync::{Arc, OnceLock};

use crate::{ColumnInfo, Dialect, TableInfo, Value};

/// Writes SQL text, numbering placeholders as the dialect wants (`$1` or `?`).
#[derive(Debug)]
pub struct SqlWriter {
    dialect: Dialect,
    sql: String,
    params: usize,
    /// The table that column names are qualified with (`"t"."c"`), in a statement that
    /// reads two tables (a join).
    qualifier: Option<&'static str>,
}

impl SqlWriter {
    /// An empty statement.
    pub fn new(dialect: Dialect) -> SqlWriter {
        SqlWriter {
            dialect,
            sql: String::with_capacity(128),
            params: 0,
            qualifier: None,
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

    /// Appends a column name, quoted, and qualified with the table of
    /// [`SqlWriter::qualify`] if there is one.
    pub fn column(&mut self, name: &str) -> &mut SqlWriter {
        if let Some(table) = self.qualifier {
            self.ident(table).push(".");
        }
        self.ident(name)
    }

    /// Qualifies the column names written next with `table` (`None`: bare); returns the
    /// qualifier it replaces.
    pub fn qualify(&mut self, table: Option<&'static str>) -> Option<&'static str> {
        std::mem::replace(&mut self.qualifier, table)
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

    /// The dialect the statement is written for.
    pub fn dialect(&self) -> Dialect {
        self.dialect
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
    rows_per_insert_of(dialect, per_row)
}

/// What a bound value costs in a statement's message besides its payload: MySQL's
/// COM_STMT_EXECUTE spends 2 type bytes, a NULL-bitmap bit and up to 9 length bytes per
/// parameter; PostgreSQL's Bind 4 length bytes and a format code. 16 covers both.
pub const VALUE_OVERHEAD: usize = 16;

/// About how many bytes `value` takes on the wire: its payload plus [`VALUE_OVERHEAD`].
/// Exact for text and bytes (which are what can be large); a fixed upper bound for every
/// other kind, so estimating a batch costs a match per value and no allocation.
pub fn value_bytes(value: &Value) -> usize {
    VALUE_OVERHEAD
        + match value {
            Value::Text(text) => text.len(),
            Value::Blob(bytes) => bytes.len(),
            #[cfg(feature = "json")]
            Value::Json(json) => json_bytes(json),
            // Numbers, dates and UUIDs take at most 16 bytes in any driver's encoding; a
            // decimal, sent as text to MySQL, at most 31 (28 digits, sign, point, zero).
            _ => 32,
        }
}

/// The bytes of a JSON document's text, counted without building it.
#[cfg(feature = "json")]
fn json_bytes(json: &serde_json::Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing to a counter cannot fail; were it to, the count so far is still a size.
    let _ = serde_json::to_writer(&mut count, json);
    count.0
}

/// How many bytes of values one statement, and one row, may carry on a bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteLimits {
    /// The most bytes of values (as [`value_bytes`] counts them) in one statement.
    pub statement: usize,
    /// The most bytes of values in one row; a larger row cannot be written at all.
    pub row: usize,
}

/// Room left in a statement's message for what is not a value: the statement text
/// (sent with the values when a driver does not prepare), headers and framing.
pub const STATEMENT_HEADROOM: usize = 64 * 1024;

/// PostgreSQL refuses a protocol message longer than 1 GiB − 1 (and a value longer than
/// 1 GiB); SQLite refuses a value or a row longer than `SQLITE_MAX_LENGTH` (10⁹ bytes, as
/// sqlx's bundled SQLite is built) but puts no limit on a statement's bound values.
const POSTGRES_MESSAGE_MAX: usize = (1 << 30) - 1;
const SQLITE_MAX_LENGTH: usize = 1_000_000_000;

impl ByteLimits {
    /// The limits of `dialect`; for MySQL, from the server's `max_allowed_packet`, which
    /// caps a whole statement's message, values and text together.
    pub fn new(dialect: Dialect, max_allowed_packet: Option<u64>) -> ByteLimits {
        match dialect {
            Dialect::Sqlite => ByteLimits {
                statement: usize::MAX,
                row: SQLITE_MAX_LENGTH,
            },
            Dialect::Postgres => {
                let statement = POSTGRES_MESSAGE_MAX - STATEMENT_HEADROOM;
                ByteLimits {
                    statement,
                    row: statement,
                }
            }
            Dialect::MySql => {
                // MySQL's own default (64 MiB) when the server did not say.
                let packet = max_allowed_packet
                    .map_or(64 << 20, |p| usize::try_from(p).unwrap_or(usize::MAX));
                let statement = packet.saturating_sub(STATEMENT_HEADROOM);
                ByteLimits {
                    statement,
                    row: statement,
                }
            }
        }
    }
}

/// How many of the leading rows (whose sizes are `sizes`) go in the next INSERT: at most
/// `max_rows`, and no more bytes than `limit`, but always at least one row (a row larger
/// than the limit is refused before any batching, see [`ByteLimits::row`]). PyMySQL splits
/// `executemany` by statement length the same way.
pub fn next_batch(sizes: &[usize], max_rows: usize, limit: usize) -> usize {
    let mut bytes = 0_usize;
    let mut rows = 0;
    for size in sizes.iter().take(max_rows.max(1)) {
        bytes = bytes.saturating_add(*size);
        if rows > 0 && bytes > limit {
            break;
        }
        rows += 1;
    }
    rows
}

/// `INSERT INTO t (cols) VALUES (…), (…)` for `rows` rows, without the generated column,
/// with `RETURNING "id"` when `returning` and the table has a generated column.
pub fn insert(dialect: Dialect, table: &TableInfo, rows: usize, returning: bool) -> String {
    let generated: Vec<usize> = generated_column(table).into_iter().collect();
    insert_leaving_out(dialect, table, &generated, rows, returning)
}

/// The columns an INSERT of a row of `table` with these `values` (every column's, in
/// order) leaves out, for the database to fill: the generated key, unless the row gives
/// one (an `Option` key that is `Some`), and every `none_is_unset` column that is `None`.
/// Sorted.
pub fn left_out(table: &TableInfo, values: &[Value]) -> Vec<usize> {
    let generated = generated_column(table);
    table
        .columns
        .iter()
        .enumerate()
        .filter(|&(i, column)| {
            let null = matches!(values.get(i), Some(Value::Null(_)) | None);
            if Some(i) == generated {
                !column.none_is_unset || null
            } else {
                column.none_is_unset && null
            }
        })
        .map(|(i, _)| i)
        .collect()
}

/// How many rows of `width` values fit in one INSERT on `dialect`.
pub fn rows_per_insert_of(dialect: Dialect, width: usize) -> usize {
    (max_params(dialect) / width.max(1)).clamp(1, MAX_ROWS_PER_INSERT)
}

/// [`insert`] for rows that leave out the columns at `left_out` (sorted indexes): the
/// database fills them. `RETURNING` the generated key when `returning` and the key is
/// one of them.
pub fn insert_leaving_out(
    dialect: Dialect,
    table: &TableInfo,
    left_out: &[usize],
    rows: usize,
    returning: bool,
) -> String {
    let generated = generated_column(table).filter(|g| left_out.contains(g));
    let columns = || {
        table
            .columns
            .iter()
            .enumerate()
            .filter(move |(i, _)| !left_out.contains(i))
            .map(|(_, c)| c)
    };
    let mut w = SqlWriter::new(dialect);
    w.push("INSERT INTO ").ident(table.name);
    let per_row = columns().count();
    match (per_row, left_out.first()) {
        (0, Some(&first)) => {
            let rowid = Some(first) == generated;
            empty_rows(&mut w, dialect, table.columns[first].name, rowid, rows);
        }
        _ => {
            w.push(" (").columns(columns()).push(") VALUES ");
            value_rows(&mut w, rows, per_row);
        }
    }
    if let (true, Some(g)) = (returning, generated) {
        w.push(" RETURNING ").ident(table.columns[g].name);
    }
    w.finish()
}

/// Whether [`insert_leaving_out`] can put more than one such row in one statement: not
/// on SQLite when every column is left out and the first is no generated key (SQLite
/// has `DEFAULT VALUES` for one row, and no `DEFAULT` in a VALUES list).
pub fn batches_rows(dialect: Dialect, table: &TableInfo, left_out: &[usize]) -> bool {
    let every_column = left_out.len() == table.columns.len();
    !(dialect == Dialect::Sqlite
        && every_column
        && left_out.first().copied() != generated_column(table))
}

/// The rows of an INSERT that binds nothing: every column is the database's (a table
/// whose only column is its generated key, say). No dialect takes MySQL's
/// `() VALUES ()` but MySQL; `DEFAULT VALUES` is one row only; SQLite has no `DEFAULT`
/// in a VALUES list, but a NULL rowid key there is generated.
fn empty_rows(w: &mut SqlWriter, dialect: Dialect, first: &str, rowid: bool, rows: usize) {
    let each = match dialect {
        Dialect::MySql => {
            w.push(" () VALUES ");
            "()"
        }
        Dialect::Postgres | Dialect::Sqlite
            if rows == 1 || (dialect == Dialect::Sqlite && !rowid) =>
        {
            // (SQLite without a rowid key: `batches_rows` keeps such inserts to one row.)
            w.push(" DEFAULT VALUES");
            return;
        }
        Dialect::Postgres => {
            w.push(" (").ident(first).push(") VALUES ");
            "(DEFAULT)"
        }
        Dialect::Sqlite => {
            w.push(" (").ident(first).push(") VALUES ");
            "(NULL)"
        }
    };
    for row in 0..rows {
        if row > 0 {
            w.push(", ");
        }
        w.push(each);
    }
}

/// Whether `columns` (names) are exactly `table`'s primary key or one of its unique
/// constraints, in any order: what an upsert may name as its conflict, since MySQL's
/// `ON DUPLICATE KEY` takes whichever unique key a row collides with.
pub fn is_unique_key(table: &TableInfo, columns: &[&str]) -> bool {
    let same = |key: &mut dyn Iterator<Item = &str>| {
        let mut key: Vec<&str> = key.collect();
        let mut asked: Vec<&str> = columns.to_vec();
        key.sort_unstable();
        asked.sort_unstable();
        asked.dedup();
        !key.is_empty() && key == asked
    };
    same(&mut table.primary_key().map(|c| c.name))
        || table
            .columns
            .iter()
            .any(|c| c.unique && same(&mut std::iter::once(c.name)))
        || table
            .indexes
            .iter()
            .any(|i| i.unique && same(&mut i.columns.iter().copied()))
}

/// How an upsert hands back the key of each row it inserted or updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertKey<'a> {
    /// Nothing is handed back.
    None,
    /// `RETURNING key, conflict columns…` (PostgreSQL, SQLite, MariaDB): every row, new
    /// or stored, is listed with the values it collided on, to be matched by them (the
    /// order of RETURNING is not promised).
    Returning(&'a str),
    /// MySQL without RETURNING: `key = LAST_INSERT_ID(key)` among the assignments, so that
    /// `LAST_INSERT_ID()` after a one-row statement is the stored row's key as well as a
    /// new one's.
    LastInsertId(&'a str),
}

/// What follows an INSERT's VALUES to make it an upsert: on a row that collides with
/// `conflict` (a unique key), set `update` from the row that was to be inserted —
/// `ON CONFLICT (…) DO UPDATE SET c = excluded.c` (PostgreSQL, SQLite 3.24+), or
/// `ON DUPLICATE KEY UPDATE c = VALUES(c)` (MySQL, MariaDB) — and hand back `key`. With
/// nothing to update, the existing row is kept (by a no-op assignment where the key must
/// come back: `DO NOTHING` lists no row).
pub fn upsert_clause(
    dialect: Dialect,
    conflict: &[&str],
    update: &[&str],
    key: UpsertKey<'_>,
) -> String {
    let mut w = SqlWriter::new(dialect);
    // A no-op assignment that keeps a stored row as it is.
    let keep = &conflict[..conflict.len().min(1)];
    let assign = |w: &mut SqlWriter, columns: &[&str], from: &str, close: &str| {
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                w.push(", ");
            }
            w.ident(column)
                .push(" = ")
                .push(from)
                .ident(column)
                .push(close);
        }
    };
    match dialect {
        Dialect::Postgres | Dialect::Sqlite => {
            w.push(" ON CONFLICT (");
            for (i, column) in conflict.iter().enumerate() {
                if i > 0 {
                    w.push(", ");
                }
                w.ident(column);
            }
            w.push(")");
            match (update.is_empty(), key) {
                (true, UpsertKey::None) => {
                    w.push(" DO NOTHING");
                }
                (true, _) => {
                    w.push(" DO UPDATE SET ");
                    assign(&mut w, keep, "excluded.", "");
                }
                (false, _) => {
                    w.push(" DO UPDATE SET ");
                    assign(&mut w, update, "excluded.", "");
                }
            }
        }
        Dialect::MySql => {
            w.push(" ON DUPLICATE KEY UPDATE ");
            match (update.is_empty(), key) {
                (true, UpsertKey::LastInsertId(_)) => {}
                // Nothing to update: a no-op assignment keeps the row (no DO NOTHING).
                (true, _) => assign(&mut w, keep, "VALUES(", ")"),
                (false, _) => assign(&mut w, update, "VALUES(", ")"),
            }
            if let UpsertKey::LastInsertId(key) = key {
                if !update.is_empty() {
                    w.push(", ");
                }
                w.ident(key).push(" = LAST_INSERT_ID(").ident(key).push(")");
            }
        }
    }
    if let UpsertKey::Returning(key) = key {
        w.push(" RETURNING ").ident(key);
        for column in conflict {
            w.push(", ").ident(column);
        }
    }
    w.finish()
}

/// `(?, ?), (?, ?)`: `rows` rows of `per_row` parameters.
fn value_rows(w: &mut SqlWriter, rows: usize, per_row: usize) {
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

    const TICKET: TableInfo = TableInfo {
        columns: &[ColumnInfo {
            primary_key: true,
            autoincrement: true,
            ..ColumnInfo::new("id", SqlType::BigInt)
        }],
        ..TableInfo::new("ticket", "t::Ticket")
    };

    #[test]
    fn upserts_per_dialect() {
        let none = UpsertKey::None;
        assert_eq!(
            upsert_clause(Dialect::Postgres, &["name"], &["order"], none),
            r#" ON CONFLICT ("name") DO UPDATE SET "order" = excluded."order""#
        );
        assert_eq!(
            upsert_clause(Dialect::Sqlite, &["name"], &[], none),
            " ON CONFLICT (`name`) DO NOTHING"
        );
        assert_eq!(
            upsert_clause(Dialect::MySql, &["name"], &["order"], none),
            " ON DUPLICATE KEY UPDATE `order` = VALUES(`order`)"
        );
        assert_eq!(
            upsert_clause(Dialect::MySql, &["name"], &[], none),
            " ON DUPLICATE KEY UPDATE `name` = VALUES(`name`)"
        );
    }

    #[test]
    fn upserts_that_hand_back_keys() {
        let returning = UpsertKey::Returning("id");
        assert_eq!(
            upsert_clause(Dialect::Postgres, &["a", "b"], &["c"], returning),
            r#" ON CONFLICT ("a", "b") DO UPDATE SET "c" = excluded."c" RETURNING "id", "a", "b""#
        );
        // DO NOTHING would list no stored row: a no-op assignment instead.
        assert_eq!(
            upsert_clause(Dialect::Sqlite, &["name"], &[], returning),
            " ON CONFLICT (`name`) DO UPDATE SET `name` = excluded.`name` RETURNING `id`, `name`"
        );
        assert_eq!(
            upsert_clause(Dialect::MySql, &["name"], &["c"], returning),
            " ON DUPLICATE KEY UPDATE `c` = VALUES(`c`) RETURNING `id`, `name`"
        );
        let last = UpsertKey::LastInsertId("id");
        assert_eq!(
            upsert_clause(Dialect::MySql, &["name"], &["c"], last),
            " ON DUPLICATE KEY UPDATE `c` = VALUES(`c`), `id` = LAST_INSERT_ID(`id`)"
        );
        assert_eq!(
            upsert_clause(Dialect::MySql, &["name"], &[], last),
            " ON DUPLICATE KEY UPDATE `id` = LAST_INSERT_ID(`id`)"
        );
        assert!(is_unique_key(&USER, &["id"]));
        assert!(!is_unique_key(&USER, &["name"]), "not unique");
        assert!(!is_unique_key(&USER, &[]));
    }

    #[test]
    fn key_only_inserts_per_dialect() {
        let cases = [
            (
                Dialect::Sqlite,
                1,
                "INSERT INTO `ticket` DEFAULT VALUES RETURNING `id`",
            ),
            (
                Dialect::Sqlite,
                2,
                "INSERT INTO `ticket` (`id`) VALUES (NULL), (NULL) RETURNING `id`",
            ),
            (
                Dialect::Postgres,
                1,
                r#"INSERT INTO "ticket" DEFAULT VALUES RETURNING "id""#,
            ),
            (
                Dialect::Postgres,
                2,
                r#"INSERT INTO "ticket" ("id") VALUES (DEFAULT), (DEFAULT) RETURNING "id""#,
            ),
            (
                Dialect::MySql,
                1,
                "INSERT INTO `ticket` () VALUES () RETURNING `id`",
            ),
            (
                Dialect::MySql,
                2,
                "INSERT INTO `ticket` () VALUES (), () RETURNING `id`",
            ),
        ];
        for (dialect, rows, sql) in cases {
            assert_eq!(
                insert(dialect, &TICKET, rows, true),
                sql,
                "{dialect:?} × {rows}"
            );
        }
    }

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
    fn batches_split_by_bytes() {
        // 20 rows of 1 MiB under a 16 MiB packet: 15 rows, then 5.
        let limits = ByteLimits::new(Dialect::MySql, Some(16 << 20));
        let sizes = vec![(1 << 20) + VALUE_OVERHEAD; 20];
        assert_eq!(next_batch(&sizes, 1_000, limits.statement), 15);
        assert_eq!(next_batch(&sizes[15..], 1_000, limits.statement), 5);
        // The row count still caps a batch of small rows, and a batch holds one row even
        // when that row alone is over the limit.
        assert_eq!(next_batch(&[10; 50], 7, usize::MAX), 7);
        assert_eq!(next_batch(&[100, 1], 10, 50), 1);
        assert_eq!(next_batch(&[], 10, 50), 0);
        assert_eq!(ByteLimits::new(Dialect::Sqlite, None).statement, usize::MAX);
        assert!(ByteLimits::new(Dialect::Postgres, None).row < 1 << 30);
        // A server whose packet is smaller than the headroom leaves no room for a row.
        assert_eq!(ByteLimits::new(Dialect::MySql, Some(1024)).row, 0);
    }

    #[test]
    fn value_bytes_count_payloads() {
        assert_eq!(
            value_bytes(&Value::Text("héllo".into())),
            6 + VALUE_OVERHEAD
        );
        assert_eq!(
            value_bytes(&Value::Blob(vec![0; 1000])),
            1000 + VALUE_OVERHEAD
        );
        assert_eq!(value_bytes(&Value::BigInt(1)), 32 + VALUE_OVERHEAD);
        #[cfg(feature = "json")]
        assert_eq!(
            value_bytes(&Value::Json(serde_json::json!({"a": [1, "é"]}))),
            r#"{"a":[1,"é"]}"#.len() + VALUE_OVERHEAD
        );
    }

    #[test]
    fn the_cache_builds_once() {
        let cache = StatementCache::new();
        let a = cache.get(Dialect::Sqlite, &USER, true);
        let b = cache.get(Dialect::Sqlite, &USER, true);
        assert!(Arc::ptr_eq(&a.get, &b.get));
    }
}
