//! Which Rust types can be columns, and as what SQL type.

use crate::SqlType;

/// A Rust type that can be the type of a model's field.
///
/// `#[derive(Model)]` reads `<FieldType as SqlField>::SQL_TYPE` and `NULLABLE`; it never
/// looks at a type's name. Implement it for your own newtypes:
///
/// ```
/// use bindery_core::{SqlField, SqlType};
///
/// struct Email(String);
///
/// impl SqlField for Email {
///     const SQL_TYPE: SqlType = SqlType::VarChar(320);
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the type of a model's column",
    label = "no SQL type for `{Self}`",
    note = "implement `bindery::SqlField` for `{Self}`, or mark the field `#[model(skip)]`"
)]
pub trait SqlField {
    /// The column type.
    const SQL_TYPE: SqlType;
    /// Whether the column accepts NULL: `true` for `Option<T>` only, as a rule.
    const NULLABLE: bool = false;
}

macro_rules! sql_field {
    ($($ty:ty => $sql:expr),* $(,)?) => {
        $(impl SqlField for $ty {
            const SQL_TYPE: SqlType = $sql;
        })*
    };
}

// Only types every backend (SQLite, PostgreSQL, MySQL) stores and reads back unchanged:
// no unsigned integers, which PostgreSQL lacks.
sql_field! {
    i16 => SqlType::SmallInt,
    i32 => SqlType::Integer,
    i64 => SqlType::BigInt,
    f32 => SqlType::Float,
    f64 => SqlType::Double,
    bool => SqlType::Boolean,
    String => SqlType::Text,
    Vec<u8> => SqlType::Blob,
}

impl<T: SqlField> SqlField for Option<T> {
    const SQL_TYPE: SqlType = T::SQL_TYPE;
    const NULLABLE: bool = true;
}

#[cfg(feature = "chrono")]
sql_field! {
    chrono::NaiveDate => SqlType::Date,
    chrono::NaiveTime => SqlType::Time,
    chrono::NaiveDateTime => SqlType::Timestamp,
    chrono::DateTime<chrono::Utc> => SqlType::TimestampTz,
}

#[cfg(feature = "time")]
sql_field! {
    time::Date => SqlType::Date,
    time::Time => SqlType::Time,
    time::PrimitiveDateTime => SqlType::Timestamp,
    time::OffsetDateTime => SqlType::TimestampTz,
}

#[cfg(feature = "uuid")]
sql_field! { uuid::Uuid => SqlType::Uuid }

#[cfg(feature = "json")]
sql_field! { serde_json::Value => SqlType::Json }

// rust_decimal holds up to 28 significant digits; 10 after the point unless the field
// says `#[model(decimal(p, s))]`.
#[cfg(feature = "rust_decimal")]
sql_field! { rust_decimal::Decimal => SqlType::Decimal { precision: 28, scale: 10 } }

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_is_nullable_with_the_inner_type() {
        assert_eq!(<Option<i64> as SqlField>::SQL_TYPE, SqlType::BigInt);
        const { assert!(<Option<String> as SqlField>::NULLABLE) };
        const { assert!(!<String as SqlField>::NULLABLE) };
    }
}
