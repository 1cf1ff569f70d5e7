//! DDL text per dialect, from the metadata alone.
//!
//! Column types are bindery's own choice per dialect — the ones Flask-SQLAlchemy creates,
//! so a Python application sharing the database sees the schema it expects — while
//! bindery writes every statement's text itself, each identifier through
//! [`Dialect::quote`]; sea-query only escapes the literal defaults.

use core::fmt;
use std::collections::{HashMap, HashSet};

use sea_query::{MysqlQueryBuilder, PostgresQueryBuilder, QueryBuilder as _, SqliteQueryBuilder};

use crate::{ColumnDefault, ColumnInfo, ServerDefault, SqlType, TableInfo};

/// A SQL dialect bindery speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    /// SQLite 3.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL and MariaDB.
    MySql,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Postgres => "PostgreSQL",
            Dialect::MySql => "MySQL",
        })
    }
}

impl Dialect {
    /// Whether DDL runs inside a transaction that a failure rolls back (MySQL commits
    /// every DDL statement on its own).
    pub const fn transactional_ddl(self) -> bool {
        !matches!(self, Dialect::MySql)
    }

    /// The column type as this dialect spells it, for a column that is not generated.
    pub fn column_type(self, sql_type: SqlType) -> String {
        use Dialect::*;
        let fixed = match (self, sql_type) {
            (_, SqlType::SmallInt) => "SMALLINT",
            (_, SqlType::Integer) => "INTEGER",
            (_, SqlType::BigInt) => "BIGINT",
            (Postgres, SqlType::Float) => "REAL",
            (_, SqlType::Float) => "FLOAT",
            (Postgres, SqlType::Double) => "DOUBLE PRECISION",
            (_, SqlType::Double) => "DOUBLE",
            (MySql, SqlType::Boolean) => "BOOL",
            (_, SqlType::Boolean) => "BOOLEAN",
            // MySQL's TEXT and BLOB stop at 64 KiB; the LONG kinds hold what the others do.
            (MySql, SqlType::Text) => "LONGTEXT",
            (_, SqlType::Text) => "TEXT",
            (Postgres, SqlType::Blob) => "BYTEA",
            (MySql, SqlType::Blob) => "LONGBLOB",
            (_, SqlType::Blob) => "BLOB",
            (_, SqlType::Date) => "DATE",
            (MySql, SqlType::Time) => "TIME(6)",
            (_, SqlType::Time) => "TIME",
            (Postgres, SqlType::Timestamp) => "TIMESTAMP WITHOUT TIME ZONE",
            (Postgres, SqlType::TimestampTz) => "TIMESTAMP WITH TIME ZONE",
            (MySql, SqlType::Timestamp | SqlType::TimestampTz) => "DATETIME(6)",
            (_, SqlType::Timestamp | SqlType::TimestampTz) => "DATETIME",
            (Postgres, SqlType::Uuid) => "UUID",
            (MySql, SqlType::Uuid) => "BINARY(16)",
            (_, SqlType::Uuid) => "BLOB",
            (Postgres, SqlType::Json) => "JSONB",
            // SQLite gives a column declared JSON or NUMERIC numeric affinity, which turns
            // `5` or `1.10` into numbers: text keeps JSON and decimals exact.
            (Sqlite, SqlType::Json) => "TEXT",
            (_, SqlType::Json) => "JSON",
            (_, SqlType::VarChar(n)) => return format!("VARCHAR({n})"),
            (MySql, SqlType::Decimal { precision, scale }) => {
                return format!("DECIMAL({precision}, {scale})");
            }
            (Sqlite, SqlType::Decimal { .. }) => "TEXT",
            (_, SqlType::Decimal { precision, scale }) => {
                return format!("NUMERIC({precision}, {scale})");
            }
        };
        fixed.to_owned()
    }

    /// The type of a generated (autoincrementing) primary key: SQLite's rowid alias must
    /// be spelled `INTEGER` exactly, PostgreSQL generates through the SERIAL types.
    fn generated_type(self, sql_type: SqlType) -> String {
        match (self, sql_type) {
            (Dialect::Sqlite, _) => "INTEGER".to_owned(),
            (Dialect::Postgres, SqlType::SmallInt) => "SMALLSERIAL".to_owned(),
            (Dialect::Postgres, SqlType::BigInt) => "BIGSERIAL".to_owned(),
            (Dialect::Postgres, _) => "SERIAL".to_owned(),
            (Dialect::MySql, ty) => self.column_type(ty),
        }
    }

    /// `CREATE TABLE …` for `table`, with its primary key, unique constraints, foreign
    /// keys and defaults. Indexes come separately from [`Dialect::create_indexes`].
    ///
    /// Every identifier is written through [`Dialect::quote`]: sea-query does not double
    /// a quote character inside every kind of name (index names went out as given), so
    /// bindery writes the statement text itself and leaves sea-query only the literals.
    pub fn create_table(self, table: &TableInfo) -> String {
        self.create_table_named(table, table.name)
    }

    /// [`Dialect::create_table`] under another name: a migration that rebuilds a SQLite
    /// table makes the new one beside the old, then renames it.
    pub(crate) fn create_table_named(self, table: &TableInfo, name: &str) -> String {
        let mut sql = String::with_capacity(64 + 48 * table.columns.len());
        sql.push_str("CREATE TABLE ");
        sql.push_str(&self.quote(name));
        sql.push_str(" ( ");
        let key_columns: Vec<&ColumnInfo> = table.primary_key().collect();
        let inline_key = key_columns.len() == 1;
        let mut parts: Vec<String> = table
            .columns
            .iter()
            .map(|column| self.column_def(column, inline_key))
            .collect();
        if !inline_key && !key_columns.is_empty() {
            parts.push(format!(
                "PRIMARY KEY ({})",
                self.quote_list(key_columns.iter().map(|c| c.name))
            ));
        }
        for column in table.columns {
            if let Some(target) = column.references {
                parts.push(format!(
                    "FOREIGN KEY ({}) REFERENCES {} ({})",
                    self.quote(column.name),
                    self.quote(target.table),
                    self.quote(target.column)
                ));
            }
        }
        sql.push_str(&parts.join(", "));
        sql.push_str(" )");
        if self == Dialect::MySql {
            sql.push_str(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
        }
        sql
    }

    /// One `CREATE [UNIQUE] INDEX …` per index of `table`.
    pub fn create_indexes(self, table: &TableInfo) -> Vec<String> {
        table
            .indexes
            .iter()
            .map(|index| {
                format!(
                    "CREATE {}INDEX {} ON {} ({})",
                    if index.unique { "UNIQUE " } else { "" },
                    self.quote(index.name),
                    self.quote(table.name),
                    self.quote_list(index.columns.iter().copied())
                )
            })
            .collect()
    }

    /// Every statement that creates `table`: the table, then its indexes.
    pub fn create_statements(self, table: &TableInfo) -> Vec<String> {
        let mut statements = vec![self.create_table(table)];
        statements.extend(self.create_indexes(table));
        statements
    }

    /// `DROP TABLE …` for `table` (its indexes go with it).
    pub fn drop_table(self, table: &TableInfo) -> String {
        format!("DROP TABLE {}", self.quote(table.name))
    }

    /// `name` quoted as an identifier of this dialect, the quote character doubled inside:
    /// `"…"` on PostgreSQL, `` `…` `` on MySQL and on SQLite. SQLite reads a double-quoted
    /// name that matches no column as a string literal (its "DQS" misfeature, which the
    /// bundled SQLite keeps on), so `SELECT "nick"` of a missing column would answer the
    /// text `nick` for every row; a back-quoted name is always an identifier.
    pub fn quote(self, name: &str) -> String {
        let (open, close) = match self {
            Dialect::MySql | Dialect::Sqlite => ('`', '`'),
            Dialect::Postgres => ('"', '"'),
        };
        let mut quoted = String::with_capacity(name.len() + 2);
        quoted.push(open);
        for c in name.chars() {
            if c == close {
                quoted.push(close);
            }
            quoted.push(c);
        }
        quoted.push(close);
        quoted
    }

    /// `"a", "b"`: each name quoted.
    pub(crate) fn quote_list<'n>(self, names: impl IntoIterator<Item = &'n str>) -> String {
        let quoted: Vec<String> = names.into_iter().map(|n| self.quote(n)).collect();
        quoted.join(", ")
    }

    fn column_def(self, column: &ColumnInfo, inline_key: bool) -> String {
        self.column_definition(column, inline_key, true)
    }

    /// A column's definition; without its `UNIQUE` when `unique` is false, as MySQL's
    /// `MODIFY COLUMN` takes it (given again, `UNIQUE` would add a second index).
    pub(crate) fn column_definition(
        self,
        column: &ColumnInfo,
        inline_key: bool,
        unique: bool,
    ) -> String {
        let mut def = self.quote(column.name);
        def.push(' ');
        let generated = column.autoincrement && column.primary_key;
        def.push_str(&if generated {
            self.generated_type(column.sql_type)
        } else {
            self.column_type(column.sql_type)
        });
        if let Some(collation) = column.collation {
            def.push_str(" COLLATE ");
            def.push_str(&self.collation(collation));
        }
        def.push_str(if column.nullable {
            " NULL"
        } else {
            " NOT NULL"
        });
        if column.primary_key && inline_key {
            def.push_str(" PRIMARY KEY");
        }
        if generated && self == Dialect::MySql {
            def.push_str(" AUTO_INCREMENT");
        }
        if column.unique && unique {
            def.push_str(" UNIQUE");
        }
        if let Some(default) = column.default {
            def.push_str(" DEFAULT ");
            def.push_str(&self.literal(default));
        }
        if let Some(default) = column.server_default {
            def.push_str(" DEFAULT ");
            def.push_str(self.server_default(default));
        }
        def
    }

    /// A server default as this dialect writes it in a column's DEFAULT. MySQL takes
    /// only `CURRENT_TIMESTAMP` bare; any other expression default goes in parentheses
    /// (MySQL 8.0.13+, MariaDB 10.2+).
    pub const fn server_default(self, default: ServerDefault) -> &'static str {
        match (self, default) {
            (Dialect::MySql, ServerDefault::CurrentDate) => "(CURRENT_DATE)",
            (Dialect::MySql, ServerDefault::CurrentTime) => "(CURRENT_TIME)",
            (_, default) => default.name(),
        }
    }

    /// A collation name as this dialect writes it in `COLLATE …`: PostgreSQL's are
    /// identifiers (`"C"` differs from `c`), so quoted; MySQL's and SQLite's are bare
    /// names, which [`Dialect::check_collation`] restricts to letters, digits and `_`.
    fn collation(self, name: &str) -> String {
        match self {
            Dialect::Postgres => self.quote(name),
            // Never unquoted text that is not a plain name: quoting keeps a hand-written
            // table that skipped the registry check from reaching the statement.
            Dialect::MySql | Dialect::Sqlite if !is_plain_name(name) => self.quote(name),
            Dialect::MySql | Dialect::Sqlite => name.to_owned(),
        }
    }

    /// A default value as a SQL literal of this dialect. sea-query escapes the text
    /// (a backslash means something in MySQL's strings, not in SQLite's).
    fn literal(self, default: ColumnDefault) -> String {
        let value = match default {
            ColumnDefault::Bool(b) => sea_query::Value::Bool(Some(b)),
            ColumnDefault::Int(i) => sea_query::Value::BigInt(Some(i)),
            ColumnDefault::Float(x) => sea_query::Value::Double(Some(x)),
            ColumnDefault::Text(s) => sea_query::Value::String(Some(s.to_owned())),
        };
        match self {
            Dialect::Sqlite => SqliteQueryBuilder.value_to_string(&value),
            Dialect::Postgres => PostgresQueryBuilder.value_to_string(&value),
            Dialect::MySql => MysqlQueryBuilder.value_to_string(&value),
        }
    }

    /// Whether `name` can be a collation of a column on this dialect, as far as bindery
    /// can tell without asking the server: a plain name (letters, digits, `_`) on every
    /// dialect; on SQLite, one of its built-in collations; on MySQL, a `utf8mb4_`
    /// collation, the character set of every table bindery creates; on PostgreSQL,
    /// neither of those (they are MySQL's or SQLite's names). A name that passes may still
    /// be unknown to the server, which `create_all` then reports.
    pub fn check_collation(self, name: &str) -> Result<(), CollationError> {
        if !is_plain_name(name) {
            return Err(CollationError::NotPlain);
        }
        let mysql_style = name
            .get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("utf8mb4_"));
        let sqlite_builtin = SQLITE_COLLATIONS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name));
        match self {
            Dialect::Sqlite if !sqlite_builtin => Err(CollationError::NotSqlite),
            Dialect::MySql if !mysql_style => Err(CollationError::NotUtf8mb4),
            Dialect::Postgres if mysql_style || sqlite_builtin => Err(CollationError::NotPostgres),
            _ => Ok(()),
        }
    }
}

/// SQLite's built-in collations, the only ones a connection has unless the program
/// registers its own.
const SQLITE_COLLATIONS: [&str; 3] = ["BINARY", "NOCASE", "RTRIM"];

/// Letters, digits and `_`, at least one: a name safe to write unquoted.
pub(crate) fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Why a collation cannot apply to a column on some dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CollationError {
    /// It is empty, or holds something other than ASCII letters, digits and `_`.
    NotPlain,
    /// The bind is SQLite, whose collations are `BINARY`, `NOCASE` and `RTRIM`.
    NotSqlite,
    /// The bind is MySQL, whose tables bindery creates in `utf8mb4`.
    NotUtf8mb4,
    /// The bind is PostgreSQL, and the name is one of MySQL's or SQLite's.
    NotPostgres,
    /// The column is not text: only text has a collation.
    NotText,
}

impl fmt::Display for CollationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CollationError::NotPlain => {
                "a collation name is ASCII letters, digits and `_`, at least one"
            }
            CollationError::NotSqlite => "SQLite knows only BINARY, NOCASE and RTRIM",
            CollationError::NotUtf8mb4 => {
                "MySQL tables are utf8mb4, so the collation must be a `utf8mb4_…` one"
            }
            CollationError::NotPostgres => {
                "that is a MySQL or SQLite collation; PostgreSQL's are `C`, `POSIX` or a locale's"
            }
            CollationError::NotText => "only a text column has a collation",
        })
    }
}

/// `tables` ordered so that every table comes after the tables it references (create
/// order; reverse it to drop). References to tables outside the set are ignored; a cycle
/// keeps the tables involved in their given order, after the others.
pub fn creation_order<'t>(tables: &[&'t TableInfo]) -> Vec<&'t TableInfo> {
    let index: HashMap<&str, usize> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name, i))
        .collect();
    let mut placed = vec![false; tables.len()];
    let mut order = Vec::with_capacity(tables.len());
    let mut visiting = HashSet::new();

    fn visit<'t>(
        i: usize,
        tables: &[&'t TableInfo],
        index: &HashMap<&str, usize>,
        placed: &mut [bool],
        visiting: &mut HashSet<usize>,
        order: &mut Vec<&'t TableInfo>,
    ) {
        if placed[i] || !visiting.insert(i) {
            return;
        }
        for column in tables[i].columns {
            if let Some(&dep) = column.references.and_then(|fk| index.get(fk.table))
                && dep != i
            {
                visit(dep, tables, index, placed, visiting, order);
            }
        }
        visiting.remove(&i);
        if !placed[i] {
            placed[i] = true;
            order.push(tables[i]);
        }
    }

    for i in 0..tables.len() {
        visit(i, tables, &index, &mut placed, &mut visiting, &mut order);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ForeignKey, IndexInfo};

    const STORE: TableInfo = TableInfo {
        columns: &[
            ColumnInfo {
                primary_key: true,
                autoincrement: true,
                ..ColumnInfo::new("id", SqlType::BigInt)
            },
            ColumnInfo {
                unique: true,
                ..ColumnInfo::new("name", SqlType::VarChar(120))
            },
        ],
        ..TableInfo::new("store", "t::Store")
    };

    const ORDER: TableInfo = TableInfo {
        columns: &[
            ColumnInfo {
                primary_key: true,
                autoincrement: true,
                ..ColumnInfo::new("id", SqlType::Integer)
            },
            ColumnInfo {
                references: Some(ForeignKey {
                    table: "store",
                    column: "id",
                }),
                ..ColumnInfo::new("store_id", SqlType::BigInt)
            },
            ColumnInfo {
                default: Some(ColumnDefault::Text("it's")),
                nullable: true,
                ..ColumnInfo::new("note", SqlType::Text)
            },
        ],
        indexes: &[IndexInfo {
            name: "ix_order_store_id",
            columns: &["store_id"],
            unique: false,
        }],
        ..TableInfo::new("order", "t::Order")
    };

    const PAIR: TableInfo = TableInfo {
        columns: &[
            ColumnInfo {
                primary_key: true,
                ..ColumnInfo::new("a", SqlType::Integer)
            },
            ColumnInfo {
                primary_key: true,
                ..ColumnInfo::new("b", SqlType::Integer)
            },
        ],
        ..TableInfo::new("pair", "t::Pair")
    };

    const EVENT: TableInfo = TableInfo {
        columns: &[
            ColumnInfo {
                server_default: Some(ServerDefault::CurrentTimestamp),
                ..ColumnInfo::new("at", SqlType::Timestamp)
            },
            ColumnInfo {
                server_default: Some(ServerDefault::CurrentDate),
                ..ColumnInfo::new("day", SqlType::Date)
            },
        ],
        ..TableInfo::new("event", "t::Event")
    };

    #[test]
    fn server_defaults_per_dialect() {
        let columns = |dialect: Dialect| {
            let sql = dialect.create_table(&EVENT);
            let start = sql.find("( ").map_or(0, |i| i + 2);
            sql[start..].trim_end_matches(" )").to_owned()
        };
        assert_eq!(
            columns(Dialect::Sqlite),
            "`at` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, `day` DATE NOT NULL DEFAULT CURRENT_DATE"
        );
        assert_eq!(
            columns(Dialect::Postgres),
            r#""at" TIMESTAMP WITHOUT TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP, "day" DATE NOT NULL DEFAULT CURRENT_DATE"#
        );
        assert!(
            columns(Dialect::MySql).contains("`day` DATE NOT NULL DEFAULT (CURRENT_DATE)"),
            "{}",
            columns(Dialect::MySql)
        );
    }

    #[test]
    fn sqlite_ddl() {
        assert_eq!(
            Dialect::Sqlite.create_table(&ORDER),
            r#"CREATE TABLE `order` ( `id` INTEGER NOT NULL PRIMARY KEY, `store_id` BIGINT NOT NULL, `note` TEXT NULL DEFAULT 'it''s', FOREIGN KEY (`store_id`) REFERENCES `store` (`id`) )"#
        );
        assert_eq!(
            Dialect::Sqlite.create_indexes(&ORDER),
            [r#"CREATE INDEX `ix_order_store_id` ON `order` (`store_id`)"#]
        );
        assert_eq!(
            Dialect::Sqlite.create_table(&STORE),
            r#"CREATE TABLE `store` ( `id` INTEGER NOT NULL PRIMARY KEY, `name` VARCHAR(120) NOT NULL UNIQUE )"#
        );
        assert_eq!(
            Dialect::Sqlite.create_table(&PAIR),
            r#"CREATE TABLE `pair` ( `a` INTEGER NOT NULL, `b` INTEGER NOT NULL, PRIMARY KEY (`a`, `b`) )"#
        );
        assert_eq!(Dialect::Sqlite.drop_table(&ORDER), "DROP TABLE `order`");
    }

    #[test]
    fn postgres_ddl() {
        assert_eq!(
            Dialect::Postgres.create_table(&STORE),
            r#"CREATE TABLE "store" ( "id" BIGSERIAL NOT NULL PRIMARY KEY, "name" VARCHAR(120) NOT NULL UNIQUE )"#
        );
        assert_eq!(
            Dialect::Postgres.create_table(&ORDER),
            r#"CREATE TABLE "order" ( "id" SERIAL NOT NULL PRIMARY KEY, "store_id" BIGINT NOT NULL, "note" TEXT NULL DEFAULT E'it\'s', FOREIGN KEY ("store_id") REFERENCES "store" ("id") )"#
        );
    }

    #[test]
    fn mysql_ddl() {
        assert_eq!(
            Dialect::MySql.create_table(&ORDER),
            "CREATE TABLE `order` ( `id` INTEGER NOT NULL PRIMARY KEY AUTO_INCREMENT, `store_id` BIGINT NOT NULL, `note` LONGTEXT NULL DEFAULT 'it\\'s', FOREIGN KEY (`store_id`) REFERENCES `store` (`id`) ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        );
        assert_eq!(Dialect::MySql.drop_table(&ORDER), "DROP TABLE `order`");
    }

    #[test]
    fn quoting_doubles_the_quote_character() {
        assert_eq!(Dialect::Postgres.quote(r#"a"b"#), r#""a""b""#);
        assert_eq!(Dialect::MySql.quote("a`b"), "`a``b`");
        assert_eq!(Dialect::Sqlite.quote("a`\"b"), "`a``\"b`");
    }

    /// Issue 11's attack: a `"` (or `` ` ``) in a table name reached the index name
    /// unescaped and ended the statement. Every name of every statement is quoted with
    /// the quote character doubled, so the whole name stays one identifier.
    #[test]
    fn every_name_in_every_statement_is_quoted() {
        const EVIL: TableInfo = TableInfo {
            columns: &[
                ColumnInfo {
                    primary_key: true,
                    ..ColumnInfo::new("i`d", SqlType::Integer)
                },
                ColumnInfo {
                    references: Some(ForeignKey {
                        table: "p\"; --",
                        column: "k`#",
                    }),
                    collation: Some("NOCASE"),
                    ..ColumnInfo::new("n\"m", SqlType::VarChar(9))
                },
            ],
            indexes: &[IndexInfo {
                name: "ix_z\" ON victim (id); DROP TABLE victim; --_n\"m",
                columns: &["n\"m"],
                unique: true,
            }],
            ..TableInfo::new("z\" ON victim (id); DROP TABLE victim; --", "t::Evil")
        };
        assert_eq!(
            Dialect::Sqlite.create_statements(&EVIL),
            [
                r#"CREATE TABLE `z" ON victim (id); DROP TABLE victim; --` ( `i``d` INTEGER NOT NULL PRIMARY KEY, `n"m` VARCHAR(9) COLLATE NOCASE NOT NULL, FOREIGN KEY (`n"m`) REFERENCES `p"; --` (`k``#`) )"#,
                r#"CREATE UNIQUE INDEX `ix_z" ON victim (id); DROP TABLE victim; --_n"m` ON `z" ON victim (id); DROP TABLE victim; --` (`n"m`)"#,
            ]
        );
        assert_eq!(
            Dialect::Postgres.create_indexes(&EVIL),
            [
                r#"CREATE UNIQUE INDEX "ix_z"" ON victim (id); DROP TABLE victim; --_n""m" ON "z"" ON victim (id); DROP TABLE victim; --" ("n""m")"#
            ]
        );
        assert_eq!(
            Dialect::MySql.create_statements(&EVIL)[1],
            r#"CREATE UNIQUE INDEX `ix_z" ON victim (id); DROP TABLE victim; --_n"m` ON `z" ON victim (id); DROP TABLE victim; --` (`n"m`)"#
        );
        assert!(
            Dialect::MySql
                .create_table(&EVIL)
                .contains("`i``d` INTEGER"),
            "{}",
            Dialect::MySql.create_table(&EVIL)
        );
        assert_eq!(
            Dialect::Postgres.drop_table(&EVIL),
            r#"DROP TABLE "z"" ON victim (id); DROP TABLE victim; --""#
        );
    }

    #[test]
    fn collations_per_dialect() {
        let column = |collation| ColumnInfo {
            collation: Some(collation),
            ..ColumnInfo::new("name", SqlType::VarChar(20))
        };
        assert_eq!(
            Dialect::Postgres.column_def(&column("C"), false),
            r#""name" VARCHAR(20) COLLATE "C" NOT NULL"#
        );
        assert_eq!(
            Dialect::MySql.column_def(&column("utf8mb4_bin"), false),
            "`name` VARCHAR(20) COLLATE utf8mb4_bin NOT NULL"
        );
        // A name that skipped the checks is still one quoted identifier, never SQL.
        assert_eq!(
            Dialect::MySql.column_def(&column("x; DROP"), false),
            "`name` VARCHAR(20) COLLATE `x; DROP` NOT NULL"
        );
        assert_eq!(Dialect::Sqlite.check_collation("nocase"), Ok(()));
        assert_eq!(
            Dialect::Sqlite.check_collation("utf8mb4_bin"),
            Err(CollationError::NotSqlite)
        );
        assert_eq!(Dialect::MySql.check_collation("UTF8MB4_BIN"), Ok(()));
        assert_eq!(
            Dialect::MySql.check_collation("C"),
            Err(CollationError::NotUtf8mb4)
        );
        assert_eq!(Dialect::Postgres.check_collation("C"), Ok(()));
        assert_eq!(
            Dialect::Postgres.check_collation("utf8mb4_bin"),
            Err(CollationError::NotPostgres)
        );
        for bad in ["", "en_US.utf8", "a b", "x\"", "é"] {
            assert_eq!(
                Dialect::Postgres.check_collation(bad),
                Err(CollationError::NotPlain),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn referenced_tables_come_first() {
        let order: Vec<&str> = creation_order(&[&ORDER, &PAIR, &STORE])
            .iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(order, ["store", "order", "pair"]);
    }
}
