//! One SQL value, on its way between a Rust field and any of the three drivers.

use core::fmt;

use crate::SqlType;

/// How a value travels through a driver: which Rust type the driver encodes and decodes.
/// Each [`SqlField`](crate::SqlField) names its kind; a row is decoded column by column
/// by kind, never by guessing from the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueKind {
    /// `i16`.
    SmallInt,
    /// `i32`.
    Integer,
    /// `i64`.
    BigInt,
    /// `f32`.
    Float,
    /// `f64`.
    Double,
    /// `bool`.
    Bool,
    /// `String`.
    Text,
    /// `Vec<u8>`.
    Blob,
    /// `chrono::NaiveDate`.
    ChronoDate,
    /// `chrono::NaiveTime`.
    ChronoTime,
    /// `chrono::NaiveDateTime`.
    ChronoDateTime,
    /// `chrono::DateTime<Utc>`.
    ChronoUtc,
    /// `time::Date`.
    TimeDate,
    /// `time::Time`.
    TimeTime,
    /// `time::PrimitiveDateTime`.
    TimePrimitive,
    /// `time::OffsetDateTime`.
    TimeOffset,
    /// `uuid::Uuid`.
    Uuid,
    /// `serde_json::Value`.
    Json,
    /// `rust_decimal::Decimal`.
    Decimal,
}

/// A SQL value. `Null` carries its kind, because PostgreSQL wants typed NULLs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// NULL of a kind.
    Null(ValueKind),
    /// A 16-bit integer.
    SmallInt(i16),
    /// A 32-bit integer.
    Integer(i32),
    /// A 64-bit integer.
    BigInt(i64),
    /// A 32-bit float.
    Float(f32),
    /// A 64-bit float.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
    /// A date.
    #[cfg(feature = "chrono")]
    ChronoDate(chrono::NaiveDate),
    /// A time of day.
    #[cfg(feature = "chrono")]
    ChronoTime(chrono::NaiveTime),
    /// A date and time without zone.
    #[cfg(feature = "chrono")]
    ChronoDateTime(chrono::NaiveDateTime),
    /// A UTC date and time.
    #[cfg(feature = "chrono")]
    ChronoUtc(chrono::DateTime<chrono::Utc>),
    /// A date.
    #[cfg(feature = "time")]
    TimeDate(time::Date),
    /// A time of day.
    #[cfg(feature = "time")]
    TimeTime(time::Time),
    /// A date and time without offset.
    #[cfg(feature = "time")]
    TimePrimitive(time::PrimitiveDateTime),
    /// A date and time with offset.
    #[cfg(feature = "time")]
    TimeOffset(time::OffsetDateTime),
    /// A UUID.
    #[cfg(feature = "uuid")]
    Uuid(uuid::Uuid),
    /// A JSON document.
    #[cfg(feature = "json")]
    Json(serde_json::Value),
    /// An exact decimal.
    #[cfg(feature = "rust_decimal")]
    Decimal(rust_decimal::Decimal),
}

impl Value {
    /// The kind of this value.
    pub fn kind(&self) -> ValueKind {
        match self {
            Value::Null(kind) => *kind,
            Value::SmallInt(_) => ValueKind::SmallInt,
            Value::Integer(_) => ValueKind::Integer,
            Value::BigInt(_) => ValueKind::BigInt,
            Value::Float(_) => ValueKind::Float,
            Value::Double(_) => ValueKind::Double,
            Value::Bool(_) => ValueKind::Bool,
            Value::Text(_) => ValueKind::Text,
            Value::Blob(_) => ValueKind::Blob,
            #[cfg(feature = "chrono")]
            Value::ChronoDate(_) => ValueKind::ChronoDate,
            #[cfg(feature = "chrono")]
            Value::ChronoTime(_) => ValueKind::ChronoTime,
            #[cfg(feature = "chrono")]
            Value::ChronoDateTime(_) => ValueKind::ChronoDateTime,
            #[cfg(feature = "chrono")]
            Value::ChronoUtc(_) => ValueKind::ChronoUtc,
            #[cfg(feature = "time")]
            Value::TimeDate(_) => ValueKind::TimeDate,
            #[cfg(feature = "time")]
            Value::TimeTime(_) => ValueKind::TimeTime,
            #[cfg(feature = "time")]
            Value::TimePrimitive(_) => ValueKind::TimePrimitive,
            #[cfg(feature = "time")]
            Value::TimeOffset(_) => ValueKind::TimeOffset,
            #[cfg(feature = "uuid")]
            Value::Uuid(_) => ValueKind::Uuid,
            #[cfg(feature = "json")]
            Value::Json(_) => ValueKind::Json,
            #[cfg(feature = "rust_decimal")]
            Value::Decimal(_) => ValueKind::Decimal,
        }
    }

    /// Whether this is NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null(_))
    }

    /// The value as an `i64`, for generated keys of any integer width.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::SmallInt(i) => Some(i64::from(*i)),
            Value::Integer(i) => Some(i64::from(*i)),
            Value::BigInt(i) => Some(*i),
            _ => None,
        }
    }
}

/// A value that does not fit the Rust type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// What the Rust type wants.
    pub expected: ValueKind,
    /// What came (`None`: NULL).
    pub found: Option<ValueKind>,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.found {
            None => write!(f, "expected a {:?} value, found NULL", self.expected),
            Some(found) => write!(f, "expected a {:?} value, found {found:?}", self.expected),
        }
    }
}

impl std::error::Error for ValueError {}

impl ValueError {
    /// The error for `value` when `expected` was wanted.
    pub fn mismatch(expected: ValueKind, value: &Value) -> ValueError {
        ValueError {
            expected,
            found: (!value.is_null()).then(|| value.kind()),
        }
    }
}

impl ValueKind {
    /// The SQL type a column of this kind gets when nothing else is said.
    pub const fn default_sql_type(self) -> SqlType {
        match self {
            ValueKind::SmallInt => SqlType::SmallInt,
            ValueKind::Integer => SqlType::Integer,
            ValueKind::BigInt => SqlType::BigInt,
            ValueKind::Float => SqlType::Float,
            ValueKind::Double => SqlType::Double,
            ValueKind::Bool => SqlType::Boolean,
            ValueKind::Text => SqlType::Text,
            ValueKind::Blob => SqlType::Blob,
            ValueKind::ChronoDate | ValueKind::TimeDate => SqlType::Date,
            ValueKind::ChronoTime | ValueKind::TimeTime => SqlType::Time,
            ValueKind::ChronoDateTime | ValueKind::TimePrimitive => SqlType::Timestamp,
            ValueKind::ChronoUtc | ValueKind::TimeOffset => SqlType::TimestampTz,
            ValueKind::Uuid => SqlType::Uuid,
            ValueKind::Json => SqlType::Json,
            ValueKind::Decimal => SqlType::Decimal {
                precision: 28,
                scale: 10,
            },
        }
    }
}
