//! Which Rust types can be columns, as what SQL type, and how their values travel.

use crate::{SqlType, Value, ValueError, ValueKind};

/// A Rust type that can be the type of a model's field.
///
/// `#[derive(Model)]` reads `SQL_TYPE` and `NULLABLE` for the table, and uses `KIND`,
/// `to_value` and `from_value` to write and read rows; it never looks at a type's name.
/// Implement it for your own newtypes by delegating to the inner type:
///
/// ```
/// use bindery_core::{SqlField, SqlType, Value, ValueError, ValueKind};
///
/// struct Email(String);
///
/// impl SqlField for Email {
///     const SQL_TYPE: SqlType = SqlType::VarChar(320);
///     const KIND: ValueKind = ValueKind::Text;
///     fn to_value(&self) -> Value {
///         self.0.to_value()
///     }
///     fn from_value(value: Value) -> Result<Self, ValueError> {
///         String::from_value(value).map(Email)
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the type of a model's column",
    label = "no SQL type for `{Self}`",
    note = "implement `bindery::SqlField` for `{Self}`, or mark the field `#[model(skip)]`"
)]
pub trait SqlField: Sized {
    /// The column type.
    const SQL_TYPE: SqlType;
    /// Whether the column accepts NULL: `true` for `Option<T>` only, as a rule.
    const NULLABLE: bool = false;
    /// How values of this type travel through the drivers.
    const KIND: ValueKind;
    /// The value to store.
    fn to_value(&self) -> Value;
    /// The value to store, moved (the default clones through `to_value`).
    fn into_value(self) -> Value {
        self.to_value()
    }
    /// The Rust value of a stored value of kind `KIND` (or NULL).
    fn from_value(value: Value) -> Result<Self, ValueError>;
}

macro_rules! sql_field {
    ($($ty:ty => $kind:ident),* $(,)?) => {
        $(impl SqlField for $ty {
            const SQL_TYPE: SqlType = ValueKind::$kind.default_sql_type();
            const KIND: ValueKind = ValueKind::$kind;

            fn to_value(&self) -> Value {
                Value::$kind(Clone::clone(self))
            }

            fn into_value(self) -> Value {
                Value::$kind(self)
            }

            // Inlined across crates: reading a fetched row (`Model::read_row`) makes the
            // value and takes it apart at once, and inlined, neither step is left.
            #[inline]
            fn from_value(value: Value) -> Result<Self, ValueError> {
                match value {
                    Value::$kind(v) => Ok(v),
                    other => Err(ValueError::mismatch(ValueKind::$kind, &other)),
                }
            }
        })*
    };
}

// Only types every backend (SQLite, PostgreSQL, MySQL) stores and reads back unchanged:
// no unsigned integers, which PostgreSQL lacks.
sql_field! {
    i16 => SmallInt,
    i32 => Integer,
    i64 => BigInt,
    f32 => Float,
    f64 => Double,
    bool => Bool,
    String => Text,
    Vec<u8> => Blob,
}

impl<T: SqlField> SqlField for Option<T> {
    const SQL_TYPE: SqlType = T::SQL_TYPE;
    const NULLABLE: bool = true;
    const KIND: ValueKind = T::KIND;

    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null(T::KIND),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Some(v) => v.into_value(),
            None => Value::Null(T::KIND),
        }
    }

    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Null(_) => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

#[cfg(feature = "chrono")]
sql_field! {
    chrono::NaiveDate => ChronoDate,
    chrono::NaiveTime => ChronoTime,
    chrono::NaiveDateTime => ChronoDateTime,
    chrono::DateTime<chrono::Utc> => ChronoUtc,
}

#[cfg(feature = "time")]
sql_field! {
    time::Date => TimeDate,
    time::Time => TimeTime,
    time::PrimitiveDateTime => TimePrimitive,
    time::OffsetDateTime => TimeOffset,
}

#[cfg(feature = "uuid")]
sql_field! { uuid::Uuid => Uuid }

#[cfg(feature = "json")]
sql_field! { serde_json::Value => Json }

// rust_decimal holds up to 28 significant digits; 10 after the point unless the field
// says `#[model(decimal(p, s))]`.
#[cfg(feature = "rust_decimal")]
sql_field! { rust_decimal::Decimal => Decimal }

/// Values that can be compared with a column of type `T` in a query: `T` itself, `T`
/// for an `Option<T>` column, and `&str` for text columns.
pub trait Operand<T> {
    /// The value to bind.
    fn into_value(self) -> Value;
}

impl<T: SqlField> Operand<T> for T {
    fn into_value(self) -> Value {
        self.to_value()
    }
}

impl<T: SqlField> Operand<Option<T>> for T {
    fn into_value(self) -> Value {
        self.to_value()
    }
}

impl Operand<String> for &str {
    fn into_value(self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl Operand<Option<String>> for &str {
    fn into_value(self) -> Value {
        Value::Text(self.to_owned())
    }
}

/// The value of a generated key, converted to the key field's type.
pub fn key_from_i64<T: SqlField>(id: i64) -> Result<T, ValueError> {
    let out_of_range = || ValueError {
        expected: T::KIND,
        found: Some(ValueKind::BigInt),
    };
    let value = match T::KIND {
        ValueKind::SmallInt => Value::SmallInt(i16::try_from(id).map_err(|_| out_of_range())?),
        ValueKind::Integer => Value::Integer(i32::try_from(id).map_err(|_| out_of_range())?),
        _ => Value::BigInt(id),
    };
    T::from_value(value)
}

/// What `bindery::params!` accepts: any column type, and `&str`.
pub trait ToParam {
    /// The value to bind.
    fn to_param(&self) -> Value;
}

impl<T: SqlField> ToParam for T {
    fn to_param(&self) -> Value {
        self.to_value()
    }
}

impl ToParam for &str {
    fn to_param(&self) -> Value {
        Value::Text((*self).to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_is_nullable_with_the_inner_type() {
        assert_eq!(<Option<i64> as SqlField>::SQL_TYPE, SqlType::BigInt);
        const { assert!(<Option<String> as SqlField>::NULLABLE) };
        const { assert!(!<String as SqlField>::NULLABLE) };
        assert_eq!(None::<i32>.to_value(), Value::Null(ValueKind::Integer));
        assert_eq!(
            Option::<i32>::from_value(Value::Null(ValueKind::Integer)),
            Ok(None)
        );
    }

    #[test]
    fn values_round_trip_and_mismatches_are_errors() {
        assert_eq!(i64::from_value(7_i64.to_value()), Ok(7));
        assert_eq!(
            String::from_value("é".to_owned().to_value()),
            Ok("é".to_owned())
        );
        assert_eq!(
            i32::from_value(Value::Null(ValueKind::Integer)),
            Err(ValueError {
                expected: ValueKind::Integer,
                found: None
            })
        );
        assert_eq!(
            key_from_i64::<i16>(40_000).unwrap_err().expected,
            ValueKind::SmallInt
        );
        assert_eq!(key_from_i64::<i32>(40_000), Ok(40_000));
    }
}
