//! Values into a driver's arguments and rows into values, written once for every driver:
//! each value type a driver carries is a bound on the driver's [`Backend`] impl, checked
//! when the impl is compiled, so this code names no driver.
//!
//! [`Backend`]: super::Backend

use sqlx::error::BoxDynError;
use sqlx::{Arguments as _, ColumnIndex, Database, Decode, Encode, Row as _, Type};

use super::Backend;
use crate::{Value, ValueKind};

/// A value type a driver binds and decodes, NULL included.
pub trait Carries<T>: Database {
    /// Adds `value` (`None`: a NULL of this type) to `arguments`.
    fn bind(arguments: &mut Self::Arguments, value: Option<T>) -> Result<(), BoxDynError>;
    /// Column `index` of `row`, `None` for NULL.
    fn read(row: &Self::Row, index: usize) -> Result<Option<T>, sqlx::Error>;
}

impl<DB, T> Carries<T> for DB
where
    DB: Database,
    Option<T>: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    fn bind(arguments: &mut DB::Arguments, value: Option<T>) -> Result<(), BoxDynError> {
        arguments.add(value)
    }

    fn read(row: &DB::Row, index: usize) -> Result<Option<T>, sqlx::Error> {
        row.try_get(index)
    }
}

/// A column read as the text the server sent, whatever its type: what the simple
/// protocol answers (see `Statement::Probe`).
pub trait ReadsText: Database {
    /// The column named `column` (`None`: the first) of `row`, `None` for NULL.
    fn text_at(row: &Self::Row, column: Option<&str>) -> Result<Option<String>, sqlx::Error>;
}

impl<DB> ReadsText for DB
where
    DB: Database,
    Option<String>: for<'r> Decode<'r, DB>,
    usize: ColumnIndex<DB::Row>,
    for<'a> &'a str: ColumnIndex<DB::Row>,
{
    fn text_at(row: &DB::Row, column: Option<&str>) -> Result<Option<String>, sqlx::Error> {
        match column {
            Some(name) => row.try_get_unchecked(name),
            None => row.try_get_unchecked(0),
        }
    }
}

/// Every value type bindery binds on every driver; the types of optional features join
/// through the feature groups below (an empty group when the feature is off).
pub trait Values:
    Carries<i16>
    + Carries<i32>
    + Carries<i64>
    + Carries<f32>
    + Carries<f64>
    + Carries<bool>
    + Carries<String>
    + Carries<Vec<u8>>
    + ReadsText
    + ChronoValues
    + TimeValues
    + UuidValues
    + JsonValues
{
}

impl<DB> Values for DB where
    DB: Carries<i16>
        + Carries<i32>
        + Carries<i64>
        + Carries<f32>
        + Carries<f64>
        + Carries<bool>
        + Carries<String>
        + Carries<Vec<u8>>
        + ReadsText
        + ChronoValues
        + TimeValues
        + UuidValues
        + JsonValues
{
}

/// The `chrono` types, with the `chrono` feature.
#[cfg(feature = "chrono")]
pub trait ChronoValues:
    Carries<chrono::NaiveDate>
    + Carries<chrono::NaiveTime>
    + Carries<chrono::NaiveDateTime>
    + Carries<chrono::DateTime<chrono::Utc>>
{
}
#[cfg(feature = "chrono")]
impl<DB> ChronoValues for DB where
    DB: Carries<chrono::NaiveDate>
        + Carries<chrono::NaiveTime>
        + Carries<chrono::NaiveDateTime>
        + Carries<chrono::DateTime<chrono::Utc>>
{
}
/// The `chrono` types: none without the feature.
#[cfg(not(feature = "chrono"))]
pub trait ChronoValues {}
#[cfg(not(feature = "chrono"))]
impl<DB> ChronoValues for DB {}

/// The `time` types, with the `time` feature.
#[cfg(feature = "time")]
pub trait TimeValues:
    Carries<time::Date>
    + Carries<time::Time>
    + Carries<time::PrimitiveDateTime>
    + Carries<time::OffsetDateTime>
{
}
#[cfg(feature = "time")]
impl<DB> TimeValues for DB where
    DB: Carries<time::Date>
        + Carries<time::Time>
        + Carries<time::PrimitiveDateTime>
        + Carries<time::OffsetDateTime>
{
}
/// The `time` types: none without the feature.
#[cfg(not(feature = "time"))]
pub trait TimeValues {}
#[cfg(not(feature = "time"))]
impl<DB> TimeValues for DB {}

/// `uuid::Uuid`, with the `uuid` feature.
#[cfg(feature = "uuid")]
pub trait UuidValues: Carries<uuid::Uuid> {}
#[cfg(feature = "uuid")]
impl<DB: Carries<uuid::Uuid>> UuidValues for DB {}
/// `uuid::Uuid`: not without the feature.
#[cfg(not(feature = "uuid"))]
pub trait UuidValues {}
#[cfg(not(feature = "uuid"))]
impl<DB> UuidValues for DB {}

/// `serde_json::Value`, with the `json` feature.
#[cfg(feature = "json")]
pub trait JsonValues: Carries<serde_json::Value> {}
#[cfg(feature = "json")]
impl<DB: Carries<serde_json::Value>> JsonValues for DB {}
/// `serde_json::Value`: not without the feature.
#[cfg(not(feature = "json"))]
pub trait JsonValues {}
#[cfg(not(feature = "json"))]
impl<DB> JsonValues for DB {}

fn put<DB: Carries<T>, T>(
    arguments: &mut DB::Arguments,
    value: Option<T>,
) -> Result<(), BoxDynError> {
    DB::bind(arguments, value)
}

fn get<DB: Carries<T>, T>(row: &DB::Row, index: usize) -> Result<Option<T>, sqlx::Error> {
    DB::read(row, index)
}

/// The arguments of one statement: every value bound, NULLs typed by their kind.
pub(super) fn arguments<DB: Backend>(values: Vec<Value>) -> Result<DB::Arguments, BoxDynError> {
    let mut args = DB::Arguments::default();
    // One allocation for a multi-row INSERT's thousands of values, not one per doubling
    // (the size hint is per value; text grows the buffer where it must).
    args.reserve(values.len(), values.len() * std::mem::size_of::<i64>());
    for value in values {
        match value {
            Value::Null(kind) => bind_null::<DB>(&mut args, kind),
            Value::SmallInt(v) => put::<DB, _>(&mut args, Some(v)),
            Value::Integer(v) => put::<DB, _>(&mut args, Some(v)),
            Value::BigInt(v) => put::<DB, _>(&mut args, Some(v)),
            Value::Float(v) => put::<DB, _>(&mut args, Some(v)),
            Value::Double(v) => put::<DB, _>(&mut args, Some(v)),
            Value::Bool(v) => put::<DB, _>(&mut args, Some(v)),
            Value::Text(v) => put::<DB, _>(&mut args, Some(v)),
            Value::Blob(v) => put::<DB, _>(&mut args, Some(v)),
            #[cfg(feature = "chrono")]
            Value::ChronoDate(v) => put::<DB, _>(&mut args, Some(v)),
            #[cfg(feature = "chrono")]
            Value::ChronoTime(v) => put::<DB, _>(&mut args, Some(v)),
            #[cfg(feature = "chrono")]
            Value::ChronoDateTime(v) => put::<DB, _>(&mut args, Some(v)),
            #[cfg(feature = "chrono")]
            Value::ChronoUtc(v) => put::<DB, _>(&mut args, Some(v)),
            #[cfg(feature = "time")]
            Value::TimeDate(v) => put::<DB, _>(&mut args, Some(v)),
            #[cfg(feature = "time")]
            Value::TimeTime(v) => put::<DB, _>(&mut args, Some(v)),
            #[cfg(feature = "time")]
            Value::TimePrimitive(v) => put::<DB, _>(&mut args, Some(v)),
            #[cfg(feature = "time")]
            Value::TimeOffset(v) => put::<DB, _>(&mut args, Some(v)),
            #[cfg(feature = "uuid")]
            Value::Uuid(v) => put::<DB, _>(&mut args, Some(v)),
            #[cfg(feature = "json")]
            Value::Json(v) => put::<DB, _>(&mut args, Some(v)),
            #[cfg(feature = "rust_decimal")]
            Value::Decimal(v) => DB::bind_decimal(&mut args, Some(v)),
            #[allow(unreachable_patterns)] // kinds whose feature is off
            other => Err(unsupported(other.kind()).into()),
        }?;
    }
    Ok(args)
}

/// A NULL typed as a column of `kind` would be.
fn bind_null<DB: Backend>(args: &mut DB::Arguments, kind: ValueKind) -> Result<(), BoxDynError> {
    match kind {
        ValueKind::SmallInt => put::<DB, i16>(args, None),
        ValueKind::Integer => put::<DB, i32>(args, None),
        ValueKind::BigInt => put::<DB, i64>(args, None),
        ValueKind::Float => put::<DB, f32>(args, None),
        ValueKind::Double => put::<DB, f64>(args, None),
        ValueKind::Bool => put::<DB, bool>(args, None),
        ValueKind::Text => put::<DB, String>(args, None),
        ValueKind::Blob => put::<DB, Vec<u8>>(args, None),
        #[cfg(feature = "chrono")]
        ValueKind::ChronoDate => put::<DB, chrono::NaiveDate>(args, None),
        #[cfg(feature = "chrono")]
        ValueKind::ChronoTime => put::<DB, chrono::NaiveTime>(args, None),
        #[cfg(feature = "chrono")]
        ValueKind::ChronoDateTime => put::<DB, chrono::NaiveDateTime>(args, None),
        #[cfg(feature = "chrono")]
        ValueKind::ChronoUtc => put::<DB, chrono::DateTime<chrono::Utc>>(args, None),
        #[cfg(feature = "time")]
        ValueKind::TimeDate => put::<DB, time::Date>(args, None),
        #[cfg(feature = "time")]
        ValueKind::TimeTime => put::<DB, time::Time>(args, None),
        #[cfg(feature = "time")]
        ValueKind::TimePrimitive => put::<DB, time::PrimitiveDateTime>(args, None),
        #[cfg(feature = "time")]
        ValueKind::TimeOffset => put::<DB, time::OffsetDateTime>(args, None),
        #[cfg(feature = "uuid")]
        ValueKind::Uuid => put::<DB, uuid::Uuid>(args, None),
        #[cfg(feature = "json")]
        ValueKind::Json => put::<DB, serde_json::Value>(args, None),
        #[cfg(feature = "rust_decimal")]
        ValueKind::Decimal => DB::bind_decimal(args, None),
        #[allow(unreachable_patterns)] // kinds whose feature is off
        other => Err(unsupported(other).into()),
    }
}

/// Column `index` of `row` as a value of `kind`. Inlined: where `kind` is a constant (a
/// model's field read as its own type, `Model::read_row`), only its arm is left.
#[inline]
pub(super) fn decode<DB: Backend>(
    row: &DB::Row,
    index: usize,
    kind: ValueKind,
) -> Result<Value, sqlx::Error> {
    let value = match kind {
        ValueKind::SmallInt => get::<DB, _>(row, index)?.map(Value::SmallInt),
        ValueKind::Integer => get::<DB, _>(row, index)?.map(Value::Integer),
        ValueKind::BigInt => get::<DB, _>(row, index)?.map(Value::BigInt),
        ValueKind::Float => get::<DB, _>(row, index)?.map(Value::Float),
        ValueKind::Double => get::<DB, _>(row, index)?.map(Value::Double),
        ValueKind::Bool => get::<DB, _>(row, index)?.map(Value::Bool),
        ValueKind::Text => get::<DB, _>(row, index)?.map(Value::Text),
        ValueKind::Blob => get::<DB, _>(row, index)?.map(Value::Blob),
        #[cfg(feature = "chrono")]
        ValueKind::ChronoDate => get::<DB, _>(row, index)?.map(Value::ChronoDate),
        #[cfg(feature = "chrono")]
        ValueKind::ChronoTime => get::<DB, _>(row, index)?.map(Value::ChronoTime),
        #[cfg(feature = "chrono")]
        ValueKind::ChronoDateTime => get::<DB, _>(row, index)?.map(Value::ChronoDateTime),
        #[cfg(feature = "chrono")]
        ValueKind::ChronoUtc => get::<DB, _>(row, index)?.map(Value::ChronoUtc),
        #[cfg(feature = "time")]
        ValueKind::TimeDate => get::<DB, _>(row, index)?.map(Value::TimeDate),
        #[cfg(feature = "time")]
        ValueKind::TimeTime => get::<DB, _>(row, index)?.map(Value::TimeTime),
        #[cfg(feature = "time")]
        ValueKind::TimePrimitive => get::<DB, _>(row, index)?.map(Value::TimePrimitive),
        #[cfg(feature = "time")]
        ValueKind::TimeOffset => get::<DB, _>(row, index)?.map(Value::TimeOffset),
        #[cfg(feature = "uuid")]
        ValueKind::Uuid => get::<DB, _>(row, index)?.map(Value::Uuid),
        #[cfg(feature = "json")]
        ValueKind::Json => get::<DB, _>(row, index)?.map(Value::Json),
        #[cfg(feature = "rust_decimal")]
        ValueKind::Decimal => DB::read_decimal(row, index)?.map(Value::Decimal),
        #[allow(unreachable_patterns)] // kinds whose feature is off
        other => return Err(sqlx::Error::Decode(unsupported(other).into())),
    };
    Ok(value.unwrap_or(Value::Null(kind)))
}

fn unsupported(kind: ValueKind) -> String {
    format!("no driver support for {kind:?} values: enable its bindery feature")
}
