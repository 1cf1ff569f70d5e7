//! DDL text per dialect, from the metadata alone.
//!
//! Column types are bindery's own choice per dialect — the ones Flask-SQLAlchemy creates,
//! so a Python application sharing the database sees the schema it expects — while
//! sea-query writes everything else: quoted identifiers, constraints, literal defaults.

use core::fmt;
use std::collections::{HashMap, HashSet};

use sea_query::{
    ColumnDef, ForeignKey as SqForeignKey, Index, IndexCreateStatement, MysqlQueryBuilder,
    PostgresQueryBuilder, SchemaBuilder, SqliteQueryBuilder, Table, TableCreateStatement,
};

use crate::{ColumnDefault, ColumnInfo, SqlType, TableInfo};

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

    fn build(self, statement: &impl Buildable) -> String {
        match self {
            Dialect::Sqlite => statement.build_with(SqliteQueryBuilder),
            Dialect::Postgres => statement.build_with(PostgresQueryBuilder),
            Dialect::MySql => statement.build_with(MysqlQueryBuilder),
        }
    }

    /// `CREATE TABLE …` for `table`, with its primary key, unique constraints, foreign
    /// keys and defaults. Indexes come separately from [`Dialect::create_indexes`].
    pub fn create_table(self, table: &TableInfo) -> String {
        self.build(&self.table_statement(table))
    }

    /// One `CREATE [UNIQUE] INDEX …` per index of `table`.
    pub fn create_indexes(self, table: &TableInfo) -> Vec<String> {
        table
            .indexes
            .iter()
            .map(|index| {
                let mut statement = Index::create();
                statement.name(index.name).table(table.name);
                for &column in index.columns {
                    statement.col(column);
                }
                if index.unique {
                    statement.unique();
                }
                self.build(&statement)
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
        self.build(Table::drop().table(table.name))
    }

    /// `name` quoted as an identifier of this dialect.
    pub fn quote(self, name: &str) -> String {
        let (open, close) = match self {
            Dialect::MySql => ('`', '`'),
            Dialect::Sqlite | Dialect::Postgres => ('"', '"'),
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

    fn table_statement(self, table: &TableInfo) -> TableCreateStatement {
        let mut statement = Table::create();
        statement.table(table.name);
        let key_columns: Vec<&ColumnInfo> = table.primary_key().collect();
        let inline_key = key_columns.len() == 1;
        for column in table.columns {
            statement.col(self.column_def(column, inline_key));
        }
        if !inline_key && !key_columns.is_empty() {
            let mut key = Index::create();
            for column in &key_columns {
                key.col(column.name);
            }
            statement.primary_key(&mut key);
        }
        for column in table.columns {
            if let Some(target) = column.references {
                statement.foreign_key(
                    SqForeignKey::create()
                        .from(table.name, column.name)
                        .to(target.table, target.column),
                );
            }
        }
        if self == Dialect::MySql {
            statement.engine("InnoDB").character_set("utf8mb4");
        }
        statement
    }

    fn column_def(self, column: &ColumnInfo, inline_key: bool) -> ColumnDef {
        let mut def = ColumnDef::new(column.name);
        let generated = column.autoincrement && column.primary_key;
        if generated {
            def.custom(sea_query::Alias::new(self.generated_type(column.sql_type)));
            if self == Dialect::MySql {
                def.auto_increment();
            }
        } else {
            def.custom(sea_query::Alias::new(self.column_type(column.sql_type)));
        }
        if column.nullable {
            def.null();
        } else {
            def.not_null();
        }
        if column.primary_key && inline_key {
            def.primary_key();
        }
        if column.unique {
            def.unique_key();
        }
        if let Some(default) = column.default {
            match default {
                ColumnDefault::Bool(b) => def.default(b),
                ColumnDefault::Int(i) => def.default(i),
                ColumnDefault::Float(x) => def.default(x),
                ColumnDefault::Text(s) => def.default(s),
            };
        }
        def
    }
}

/// The statements sea-query can write for any of the three builders.
trait Buildable {
    fn build_with<B: SchemaBuilder>(&self, builder: B) -> String;
}

impl Buildable for TableCreateStatement {
    fn build_with<B: SchemaBuilder>(&self, builder: B) -> String {
        self.to_string(builder)
    }
}

impl Buildable for IndexCreateStatement {
    fn build_with<B: SchemaBuilder>(&self, builder: B) -> String {
        self.to_string(builder)
    }
}

impl Buildable for sea_query::TableDropStatement {
    fn build_with<B: SchemaBuilder>(&self, builder: B) -> String {
        self.to_string(builder)
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

    #[test]
    fn sqlite_ddl() {
        assert_eq!(
            Dialect::Sqlite.create_table(&ORDER),
            r#"CREATE TABLE "order" ( "id" INTEGER NOT NULL PRIMARY KEY, "store_id" BIGINT NOT NULL, "note" TEXT NULL DEFAULT 'it''s', FOREIGN KEY ("store_id") REFERENCES "store" ("id") )"#
        );
        assert_eq!(
            Dialect::Sqlite.create_indexes(&ORDER),
            [r#"CREATE INDEX "ix_order_store_id" ON "order" ("store_id")"#]
        );
        assert_eq!(
            Dialect::Sqlite.create_table(&STORE),
            r#"CREATE TABLE "store" ( "id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(120) NOT NULL UNIQUE )"#
        );
        assert_eq!(
            Dialect::Sqlite.create_table(&PAIR),
            r#"CREATE TABLE "pair" ( "a" INTEGER NOT NULL, "b" INTEGER NOT NULL, PRIMARY KEY ("a", "b") )"#
        );
        assert_eq!(Dialect::Sqlite.drop_table(&ORDER), r#"DROP TABLE "order""#);
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
            "CREATE TABLE `order` ( `id` INTEGER NOT NULL PRIMARY KEY AUTO_INCREMENT, `store_id` BIGINT NOT NULL, `note` LONGTEXT NULL DEFAULT 'it\\'s', CONSTRAINT  FOREIGN KEY (`store_id`) REFERENCES `store` (`id`) ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        );
        assert_eq!(Dialect::MySql.drop_table(&ORDER), "DROP TABLE `order`");
    }

    #[test]
    fn quoting_doubles_the_quote_character() {
        assert_eq!(Dialect::Postgres.quote(r#"a"b"#), r#""a""b""#);
        assert_eq!(Dialect::MySql.quote("a`b"), "`a``b`");
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
