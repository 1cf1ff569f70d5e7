//! The column types bindery knows, independent of any dialect.

use core::fmt;

/// The SQL type of a column, before a dialect spells it.
///
/// Every variant exists whatever cargo features are on: a type is metadata, and the
/// features only decide which Rust types map to it (see [`SqlField`](crate::SqlField)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SqlType {
    /// 16-bit integer.
    SmallInt,
    /// 32-bit integer.
    Integer,
    /// 64-bit integer.
    BigInt,
    /// 32-bit float.
    Float,
    /// 64-bit float.
    Double,
    /// Boolean (`TINYINT(1)` on MySQL, `INTEGER` on SQLite).
    Boolean,
    /// Text of unbounded length.
    Text,
    /// Text of at most this many characters.
    VarChar(u32),
    /// Binary data of unbounded length.
    Blob,
    /// Calendar date.
    Date,
    /// Time of day.
    Time,
    /// Date and time without a time zone.
    Timestamp,
    /// Date and time with a time zone.
    TimestampTz,
    /// A UUID (`UUID` on PostgreSQL, `BINARY(16)` on MySQL, `BLOB` on SQLite).
    Uuid,
    /// A JSON document.
    Json,
    /// Exact decimal with `precision` digits in all, `scale` of them after the point.
    Decimal {
        /// Digits in all.
        precision: u8,
        /// Digits after the point.
        scale: u8,
    },
}

impl SqlType {
    /// Whether this is one of the integer types (the ones that may autoincrement).
    pub const fn is_integer(self) -> bool {
        matches!(self, SqlType::SmallInt | SqlType::Integer | SqlType::BigInt)
    }

    /// Whether this is a text type, bounded or not.
    pub const fn is_text(self) -> bool {
        matches!(self, SqlType::Text | SqlType::VarChar(_))
    }

    /// The same type bounded to `length` characters: `Some(VarChar(length))` for text
    /// types, `None` for types that take no length.
    pub const fn with_length(self, length: u32) -> Option<SqlType> {
        if self.is_text() {
            Some(SqlType::VarChar(length))
        } else {
            None
        }
    }

    /// The same decimal type with another precision and scale; `None` for other types
    /// or when `scale > precision` or `precision` is 0.
    pub const fn with_precision(self, precision: u8, scale: u8) -> Option<SqlType> {
        match self {
            SqlType::Decimal { .. } if precision > 0 && scale <= precision => {
                Some(SqlType::Decimal { precision, scale })
            }
            _ => None,
        }
    }

    /// Whether a literal default fits a column of this type.
    pub const fn accepts_default(self, default: &ColumnDefault) -> bool {
        match default {
            ColumnDefault::Bool(_) => matches!(self, SqlType::Boolean),
            ColumnDefault::Int(_) => {
                self.is_integer()
                    || matches!(
                        self,
                        SqlType::Float | SqlType::Double | SqlType::Decimal { .. }
                    )
            }
            ColumnDefault::Float(_) => matches!(
                self,
                SqlType::Float | SqlType::Double | SqlType::Decimal { .. }
            ),
            ColumnDefault::Text(_) => self.is_text(),
        }
    }

    /// Whether a foreign key may join a column of this type to one of `other`: integers
    /// and decimals must match exactly (MySQL insists), text of any length joins text.
    pub const fn joins(self, other: SqlType) -> bool {
        match (self, other) {
            (SqlType::Text | SqlType::VarChar(_), SqlType::Text | SqlType::VarChar(_)) => true,
            (
                SqlType::Decimal {
                    precision: p1,
                    scale: s1,
                },
                SqlType::Decimal {
                    precision: p2,
                    scale: s2,
                },
            ) => p1 == p2 && s1 == s2,
            _ => self.discriminant() == other.discriminant(),
        }
    }

    /// The variant alone, payload dropped (`==` on `mem::Discriminant` is not `const`).
    const fn discriminant(self) -> u8 {
        match self {
            SqlType::SmallInt => 0,
            SqlType::Integer => 1,
            SqlType::BigInt => 2,
            SqlType::Float => 3,
            SqlType::Double => 4,
            SqlType::Boolean => 5,
            SqlType::Text => 6,
            SqlType::VarChar(_) => 7,
            SqlType::Blob => 8,
            SqlType::Date => 9,
            SqlType::Time => 10,
            SqlType::Timestamp => 11,
            SqlType::TimestampTz => 12,
            SqlType::Uuid => 13,
            SqlType::Json => 14,
            SqlType::Decimal { .. } => 15,
        }
    }
}

impl fmt::Display for SqlType {
    /// The generic SQL spelling, as `bindery` dumps show it; DDL uses each dialect's own.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::SmallInt => f.write_str("SMALLINT"),
            SqlType::Integer => f.write_str("INTEGER"),
            SqlType::BigInt => f.write_str("BIGINT"),
            SqlType::Float => f.write_str("FLOAT"),
            SqlType::Double => f.write_str("DOUBLE"),
            SqlType::Boolean => f.write_str("BOOLEAN"),
            SqlType::Text => f.write_str("TEXT"),
            SqlType::VarChar(n) => write!(f, "VARCHAR({n})"),
            SqlType::Blob => f.write_str("BLOB"),
            SqlType::Date => f.write_str("DATE"),
            SqlType::Time => f.write_str("TIME"),
            SqlType::Timestamp => f.write_str("TIMESTAMP"),
            SqlType::TimestampTz => f.write_str("TIMESTAMP WITH TIME ZONE"),
            SqlType::Uuid => f.write_str("UUID"),
            SqlType::Json => f.write_str("JSON"),
            SqlType::Decimal { precision, scale } => write!(f, "DECIMAL({precision}, {scale})"),
        }
    }
}

/// A literal column default, rendered into DDL by each dialect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColumnDefault {
    /// `TRUE` / `FALSE`.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A floating-point literal.
    Float(f64),
    /// A string literal.
    Text(&'static str),
}

impl fmt::Display for ColumnDefault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnDefault::Bool(b) => write!(f, "{b}"),
            ColumnDefault::Int(i) => write!(f, "{i}"),
            ColumnDefault::Float(x) => write!(f, "{x:?}"),
            ColumnDefault::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// A default the database computes itself, for a row whose INSERT leaves the column out
/// (`#[model(server_default = "CURRENT_TIMESTAMP")]`; SQLAlchemy's `server_default=`).
/// A closed list: the value ends up in DDL, so nothing else is written there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerDefault {
    /// The date and time of the insert: `CURRENT_TIMESTAMP`.
    CurrentTimestamp,
    /// The date of the insert: `CURRENT_DATE`.
    CurrentDate,
    /// The time of day of the insert: `CURRENT_TIME`.
    CurrentTime,
}

impl ServerDefault {
    /// Every server default, in the order the derive lists them.
    pub const ALL: [ServerDefault; 3] = [
        ServerDefault::CurrentTimestamp,
        ServerDefault::CurrentDate,
        ServerDefault::CurrentTime,
    ];

    /// The default named `name` (its SQL spelling, in any case).
    pub fn parse(name: &str) -> Option<ServerDefault> {
        ServerDefault::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Its SQL spelling, as the attribute takes it.
    pub const fn name(self) -> &'static str {
        match self {
            ServerDefault::CurrentTimestamp => "CURRENT_TIMESTAMP",
            ServerDefault::CurrentDate => "CURRENT_DATE",
            ServerDefault::CurrentTime => "CURRENT_TIME",
        }
    }

    /// Whether a column of `sql_type` can take it.
    pub const fn fits(self, sql_type: SqlType) -> bool {
        match self {
            ServerDefault::CurrentTimestamp => {
                matches!(sql_type, SqlType::Timestamp | SqlType::TimestampTz)
            }
            ServerDefault::CurrentDate => matches!(sql_type, SqlType::Date),
            ServerDefault::CurrentTime => matches!(sql_type, SqlType::Time),
        }
    }
}

impl fmt::Display for ServerDefault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_applies_to_text_only() {
        assert_eq!(SqlType::Text.with_length(64), Some(SqlType::VarChar(64)));
        assert_eq!(
            SqlType::VarChar(10).with_length(64),
            Some(SqlType::VarChar(64))
        );
        assert_eq!(SqlType::Integer.with_length(64), None);
    }

    #[test]
    fn precision_applies_to_decimals_only() {
        let d = SqlType::Decimal {
            precision: 28,
            scale: 10,
        };
        assert_eq!(
            d.with_precision(10, 2),
            Some(SqlType::Decimal {
                precision: 10,
                scale: 2
            })
        );
        assert_eq!(d.with_precision(2, 10), None);
        assert_eq!(SqlType::Double.with_precision(10, 2), None);
    }

    #[test]
    fn foreign_keys_join_like_mysql_allows() {
        assert!(SqlType::Integer.joins(SqlType::Integer));
        assert!(!SqlType::Integer.joins(SqlType::BigInt));
        assert!(SqlType::VarChar(10).joins(SqlType::Text));
        assert!(!SqlType::Text.joins(SqlType::Blob));
    }

    #[test]
    fn defaults_must_fit_the_type() {
        assert!(SqlType::Integer.accepts_default(&ColumnDefault::Int(1)));
        assert!(!SqlType::Integer.accepts_default(&ColumnDefault::Text("1")));
        assert!(SqlType::VarChar(3).accepts_default(&ColumnDefault::Text("a")));
        assert!(SqlType::Boolean.accepts_default(&ColumnDefault::Bool(true)));
        assert!(!SqlType::Boolean.accepts_default(&ColumnDefault::Int(1)));
    }
}
