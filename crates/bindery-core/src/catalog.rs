//! What a database's catalog holds, as data, and how its declared column types map back
//! to [`SqlType`]s. Reading the catalog is I/O, so it is `bindery`'s; this is the pure
//! part, testable without a database.

use crate::{Dialect, ServerDefault, SqlType};

/// A table as the database has it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LiveTable {
    /// Its name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<LiveColumn>,
    /// Its indexes, by name, but not its primary key's.
    pub indexes: Vec<LiveIndex>,
    /// Its foreign keys, by name.
    pub foreign_keys: Vec<LiveForeignKey>,
    /// SQLite: the `CREATE TABLE` statement it was made with, as the file keeps it; a
    /// migration that rebuilds the table rebuilds the old one from it. `None` elsewhere.
    pub definition: Option<String>,
}

impl LiveTable {
    /// The column named `name`, if any.
    pub fn column(&self, name: &str) -> Option<&LiveColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The index named `name`, if any.
    pub fn index(&self, name: &str) -> Option<&LiveIndex> {
        self.indexes.iter().find(|i| i.name == name)
    }
}

/// An index as the database has it (a primary key's is left out).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LiveIndex {
    /// Its name (SQLite names a UNIQUE constraint's `sqlite_autoindex_<table>_<n>`).
    pub name: String,
    /// The columns it covers, in order (an expression's place is left out).
    pub columns: Vec<String>,
    /// Whether it is unique.
    pub unique: bool,
    /// The UNIQUE constraint it backs, if it was made by one (PostgreSQL, SQLite): such
    /// an index goes with its constraint, not by `DROP INDEX`. MySQL makes no difference.
    pub constraint: Option<String>,
    /// The statement that makes it again, where the catalog keeps one (PostgreSQL's
    /// `pg_get_indexdef`, SQLite's `sqlite_master.sql` for a created index).
    pub definition: Option<String>,
}

/// A foreign key as the database has it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LiveForeignKey {
    /// Its constraint name; `None` on SQLite, whose foreign keys have none to go by.
    pub name: Option<String>,
    /// The referencing columns, in order.
    pub columns: Vec<String>,
    /// The referenced table.
    pub references_table: String,
    /// The referenced columns, in order.
    pub references_columns: Vec<String>,
}

/// A column as the database has it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LiveColumn {
    /// Its name.
    pub name: String,
    /// Its type as the database spells it (`character varying(64)`, `varchar(64)`, …).
    pub declared_type: String,
    /// The bindery type that type stands for; `None` for a type bindery does not map.
    pub sql_type: Option<SqlType>,
    /// Whether it accepts NULL.
    pub nullable: bool,
    /// Its default as the catalog spells it (`CURRENT_TIMESTAMP`, `current_timestamp()`,
    /// `'it''s'`, …), if it has one.
    pub default: Option<String>,
    /// MySQL: whether it is `AUTO_INCREMENT` (a migration that changes the column
    /// writes it again; elsewhere a generated key is its type or its default).
    pub auto_increment: bool,
}

/// The server default a catalog's default text stands for, on `dialect`: each database
/// spells them its own way (MariaDB says `current_timestamp()` and `curdate()`,
/// PostgreSQL may say `now()`, MySQL wraps expressions in parentheses).
pub fn server_default_of(dialect: Dialect, text: &str) -> Option<ServerDefault> {
    let _ = dialect; // every spelling below is unambiguous on each dialect
    let mut text = text.trim();
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        text = inner.trim();
    }
    let text = text.to_ascii_lowercase();
    // A call, with or without a fractional-seconds precision: `now()`, `current_timestamp(6)`.
    let text = match text.split_once('(') {
        Some((name, args))
            if args
                .strip_suffix(')')
                .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit())) =>
        {
            name.trim()
        }
        _ => text.as_str(),
    };
    match text {
        "current_timestamp" | "now" | "localtimestamp" => Some(ServerDefault::CurrentTimestamp),
        "current_date" | "curdate" => Some(ServerDefault::CurrentDate),
        "current_time" | "curtime" | "localtime" => Some(ServerDefault::CurrentTime),
        _ => None,
    }
}

/// A decimal type, if both numbers fit.
fn decimal(precision: Option<i64>, scale: Option<i64>) -> Option<SqlType> {
    Some(SqlType::Decimal {
        precision: u8::try_from(precision?).ok()?,
        scale: u8::try_from(scale.unwrap_or(0)).ok()?,
    })
}

/// The bindery type a SQLite column declared as `declared` (`VARCHAR(64)`, …) stands for;
/// `None` for a type bindery does not map.
pub fn sqlite_type(declared: &str) -> Option<SqlType> {
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

/// The bindery type a PostgreSQL column stands for, from `information_schema.columns`:
/// its `data_type`, `character_maximum_length`, `numeric_precision` and `numeric_scale`;
/// `None` for a type bindery does not map.
pub fn postgres_type(
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

/// The bindery type a MySQL column stands for, from `information_schema.COLUMNS`: its
/// `DATA_TYPE`, `COLUMN_TYPE` (which tells `tinyint(1)`, a boolean, from a number),
/// `CHARACTER_MAXIMUM_LENGTH`, `NUMERIC_PRECISION` and `NUMERIC_SCALE`; `None` for a type
/// bindery does not map.
pub fn mysql_type(
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
pub fn types_match(dialect: Dialect, model: SqlType, live: SqlType) -> bool {
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
    fn server_defaults_are_read_in_every_spelling() {
        let cases = [
            ("CURRENT_TIMESTAMP", Some(ServerDefault::CurrentTimestamp)),
            ("current_timestamp()", Some(ServerDefault::CurrentTimestamp)),
            ("now()", Some(ServerDefault::CurrentTimestamp)),
            ("(CURRENT_DATE)", Some(ServerDefault::CurrentDate)),
            ("curdate()", Some(ServerDefault::CurrentDate)),
            ("curtime()", Some(ServerDefault::CurrentTime)),
            (
                "current_timestamp(6)",
                Some(ServerDefault::CurrentTimestamp),
            ),
            ("now(3)", Some(ServerDefault::CurrentTimestamp)),
            ("now(x)", None),
            ("CURRENT_TIME", Some(ServerDefault::CurrentTime)),
            ("'CURRENT_DATE'", None),
            ("0", None),
        ];
        for (text, expected) in cases {
            assert_eq!(server_default_of(Dialect::MySql, text), expected, "{text}");
        }
    }

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
