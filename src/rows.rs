//! Values into sqlx arguments and rows into values, on each backend. Every value is a
//! bound parameter; every column is decoded by the kind its Rust field asks for.

use sqlx::Arguments as _;
use sqlx::Row as _;
use sqlx::error::BoxDynError;
use sqlx::mysql::{MySqlArguments, MySqlRow};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};

use crate::{Value, ValueKind};

/// `$args.add(v)` for every value; typed NULLs for `Value::Null`.
macro_rules! bind_values {
    ($args:ty, $values:expr) => {{
        let values: Vec<Value> = $values;
        let mut args = <$args>::default();
        // One allocation for a multi-row INSERT's thousands of values, not one per
        // doubling (the size hint is per value; text grows the buffer where it must).
        args.reserve(values.len(), values.len() * std::mem::size_of::<i64>());
        for value in values {
            match value {
                Value::Null(kind) => match kind {
                    ValueKind::SmallInt => args.add(None::<i16>),
                    ValueKind::Integer => args.add(None::<i32>),
                    ValueKind::BigInt => args.add(None::<i64>),
                    ValueKind::Float => args.add(None::<f32>),
                    ValueKind::Double => args.add(None::<f64>),
                    ValueKind::Bool => args.add(None::<bool>),
                    ValueKind::Text => args.add(None::<String>),
                    ValueKind::Blob => args.add(None::<Vec<u8>>),
                    #[cfg(feature = "chrono")]
                    ValueKind::ChronoDate => args.add(None::<chrono::NaiveDate>),
                    #[cfg(feature = "chrono")]
                    ValueKind::ChronoTime => args.add(None::<chrono::NaiveTime>),
                    #[cfg(feature = "chrono")]
                    ValueKind::ChronoDateTime => args.add(None::<chrono::NaiveDateTime>),
                    #[cfg(feature = "chrono")]
                    ValueKind::ChronoUtc => args.add(None::<chrono::DateTime<chrono::Utc>>),
                    #[cfg(feature = "time")]
                    ValueKind::TimeDate => args.add(None::<time::Date>),
                    #[cfg(feature = "time")]
                    ValueKind::TimeTime => args.add(None::<time::Time>),
                    #[cfg(feature = "time")]
                    ValueKind::TimePrimitive => args.add(None::<time::PrimitiveDateTime>),
                    #[cfg(feature = "time")]
                    ValueKind::TimeOffset => args.add(None::<time::OffsetDateTime>),
                    #[cfg(feature = "uuid")]
                    ValueKind::Uuid => args.add(None::<uuid::Uuid>),
                    #[cfg(feature = "json")]
                    ValueKind::Json => args.add(None::<serde_json::Value>),
                    #[cfg(feature = "rust_decimal")]
                    ValueKind::Decimal => bind_decimal!(args, None::<rust_decimal::Decimal>),
                    #[allow(unreachable_patterns)] // kinds whose feature is off
                    other => Err(format!(
                        "no driver support for {other:?} values: enable its bindery feature"
                    )
                    .into()),
                },
                Value::SmallInt(v) => args.add(v),
                Value::Integer(v) => args.add(v),
                Value::BigInt(v) => args.add(v),
                Value::Float(v) => args.add(v),
                Value::Double(v) => args.add(v),
                Value::Bool(v) => args.add(v),
                Value::Text(v) => args.add(v),
                Value::Blob(v) => args.add(v),
                #[cfg(feature = "chrono")]
                Value::ChronoDate(v) => args.add(v),
                #[cfg(feature = "chrono")]
                Value::ChronoTime(v) => args.add(v),
                #[cfg(feature = "chrono")]
                Value::ChronoDateTime(v) => args.add(v),
                #[cfg(feature = "chrono")]
                Value::ChronoUtc(v) => args.add(v),
                #[cfg(feature = "time")]
                Value::TimeDate(v) => args.add(v),
                #[cfg(feature = "time")]
                Value::TimeTime(v) => args.add(v),
                #[cfg(feature = "time")]
                Value::TimePrimitive(v) => args.add(v),
                #[cfg(feature = "time")]
                Value::TimeOffset(v) => args.add(v),
                #[cfg(feature = "uuid")]
                Value::Uuid(v) => args.add(v),
                #[cfg(feature = "json")]
                Value::Json(v) => args.add(v),
                #[cfg(feature = "rust_decimal")]
                Value::Decimal(v) => bind_decimal!(args, Some(v)),
                #[allow(unreachable_patterns)]
                other => Err(format!("no driver support for {:?} values", other.kind()).into()),
            }?;
        }
        Ok(args)
    }};
}

/// One column as a `Value` of `kind`.
macro_rules! decode_value {
    ($row:expr, $index:expr, $kind:expr) => {{
        let (row, index, kind) = ($row, $index, $kind);
        fn get<'r, T>(row: &'r RowOf, index: usize) -> Result<Option<T>, sqlx::Error>
        where
            T: sqlx::Decode<'r, DatabaseOf> + sqlx::Type<DatabaseOf>,
        {
            row.try_get::<Option<T>, _>(index)
        }
        let value = match kind {
            ValueKind::SmallInt => get::<i16>(row, index)?.map(Value::SmallInt),
            ValueKind::Integer => get::<i32>(row, index)?.map(Value::Integer),
            ValueKind::BigInt => get::<i64>(row, index)?.map(Value::BigInt),
            ValueKind::Float => get::<f32>(row, index)?.map(Value::Float),
            ValueKind::Double => get::<f64>(row, index)?.map(Value::Double),
            ValueKind::Bool => get::<bool>(row, index)?.map(Value::Bool),
            ValueKind::Text => get::<String>(row, index)?.map(Value::Text),
            ValueKind::Blob => get::<Vec<u8>>(row, index)?.map(Value::Blob),
            #[cfg(feature = "chrono")]
            ValueKind::ChronoDate => get(row, index)?.map(Value::ChronoDate),
            #[cfg(feature = "chrono")]
            ValueKind::ChronoTime => get(row, index)?.map(Value::ChronoTime),
            #[cfg(feature = "chrono")]
            ValueKind::ChronoDateTime => get(row, index)?.map(Value::ChronoDateTime),
            #[cfg(feature = "chrono")]
            ValueKind::ChronoUtc => get(row, index)?.map(Value::ChronoUtc),
            #[cfg(feature = "time")]
            ValueKind::TimeDate => get(row, index)?.map(Value::TimeDate),
            #[cfg(feature = "time")]
            ValueKind::TimeTime => get(row, index)?.map(Value::TimeTime),
            #[cfg(feature = "time")]
            ValueKind::TimePrimitive => get(row, index)?.map(Value::TimePrimitive),
            #[cfg(feature = "time")]
            ValueKind::TimeOffset => get(row, index)?.map(Value::TimeOffset),
            #[cfg(feature = "uuid")]
            ValueKind::Uuid => get(row, index)?.map(Value::Uuid),
            #[cfg(feature = "json")]
            ValueKind::Json => get(row, index)?.map(Value::Json),
            #[cfg(feature = "rust_decimal")]
            ValueKind::Decimal => decode_decimal!(get, row, index),
            #[allow(unreachable_patterns)]
            other => {
                return Err(sqlx::Error::Decode(
                    format!("no driver support for {other:?} values: enable its bindery feature")
                        .into(),
                ));
            }
        };
        Ok(value.unwrap_or(Value::Null(kind)))
    }};
}

/// SQLite has no decimal type: decimals travel as text, so they round-trip exactly.
#[cfg(feature = "rust_decimal")]
macro_rules! bind_decimal {
    ($args:ident, $value:expr) => {
        DecimalBinding::bind(&mut $args, $value)
    };
}

#[cfg(feature = "rust_decimal")]
macro_rules! decode_decimal {
    ($get:ident, $row:ident, $index:ident) => {
        <RowOf as DecimalDecoding>::decode($row, $index)?.map(Value::Decimal)
    };
}

#[cfg(feature = "rust_decimal")]
trait DecimalBinding {
    fn bind(&mut self, value: Option<rust_decimal::Decimal>) -> Result<(), BoxDynError>;
}

#[cfg(feature = "rust_decimal")]
impl DecimalBinding for SqliteArguments {
    fn bind(&mut self, value: Option<rust_decimal::Decimal>) -> Result<(), BoxDynError> {
        self.add(value.map(|d| d.to_string()))
    }
}

#[cfg(feature = "rust_decimal")]
impl DecimalBinding for PgArguments {
    fn bind(&mut self, value: Option<rust_decimal::Decimal>) -> Result<(), BoxDynError> {
        self.add(value)
    }
}

#[cfg(feature = "rust_decimal")]
impl DecimalBinding for MySqlArguments {
    fn bind(&mut self, value: Option<rust_decimal::Decimal>) -> Result<(), BoxDynError> {
        self.add(value)
    }
}

#[cfg(feature = "rust_decimal")]
trait DecimalDecoding {
    fn decode(&self, index: usize) -> Result<Option<rust_decimal::Decimal>, sqlx::Error>;
}

#[cfg(feature = "rust_decimal")]
impl DecimalDecoding for SqliteRow {
    fn decode(&self, index: usize) -> Result<Option<rust_decimal::Decimal>, sqlx::Error> {
        let text: Option<String> = self.try_get(index)?;
        text.map(|t| {
            t.parse::<rust_decimal::Decimal>()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))
        })
        .transpose()
    }
}

#[cfg(feature = "rust_decimal")]
impl DecimalDecoding for PgRow {
    fn decode(&self, index: usize) -> Result<Option<rust_decimal::Decimal>, sqlx::Error> {
        self.try_get(index)
    }
}

#[cfg(feature = "rust_decimal")]
impl DecimalDecoding for MySqlRow {
    fn decode(&self, index: usize) -> Result<Option<rust_decimal::Decimal>, sqlx::Error> {
        self.try_get(index)
    }
}

pub(crate) mod sqlite {
    use super::*;
    type RowOf = SqliteRow;
    type DatabaseOf = sqlx::Sqlite;

    pub(crate) fn arguments(values: Vec<Value>) -> Result<SqliteArguments, BoxDynError> {
        bind_values!(SqliteArguments, values)
    }

    pub(crate) fn value(
        row: &SqliteRow,
        index: usize,
        kind: ValueKind,
    ) -> Result<Value, sqlx::Error> {
        decode_value!(row, index, kind)
    }
}

pub(crate) mod postgres {
    use super::*;
    type RowOf = PgRow;
    type DatabaseOf = sqlx::Postgres;

    pub(crate) fn arguments(values: Vec<Value>) -> Result<PgArguments, BoxDynError> {
        bind_values!(PgArguments, values)
    }

    pub(crate) fn value(row: &PgRow, index: usize, kind: ValueKind) -> Result<Value, sqlx::Error> {
        decode_value!(row, index, kind)
    }
}

pub(crate) mod mysql {
    use super::*;
    type RowOf = MySqlRow;
    type DatabaseOf = sqlx::MySql;

    pub(crate) fn arguments(values: Vec<Value>) -> Result<MySqlArguments, BoxDynError> {
        bind_values!(MySqlArguments, values)
    }

    pub(crate) fn value(
        row: &MySqlRow,
        index: usize,
        kind: ValueKind,
    ) -> Result<Value, sqlx::Error> {
        decode_value!(row, index, kind)
    }
}
