//! What a field's Rust type allows, as traits: the derive's checks of `length`,
//! `decimal`, `collation`, `autoincrement`, `default` and `primary_key` are bounds on these,
//! so a type that does not allow the attribute is a compile error at the field, with the
//! message the derive wrote (naming model and field) — a trait error, which reads the same
//! on every toolchain, not a const-evaluation panic, whose note shows the standard
//! library's source when `rust-src` is installed.
//!
//! Implemented for every built-in column type. A type of your own that implements
//! [`SqlField`] implements those that hold for it:
//!
//! ```
//! use bindery_core::{NonNullField, SqlField, SqlType, TextField, Value, ValueError, ValueKind};
//!
//! struct Email(String);
//! # impl SqlField for Email {
//! #     const SQL_TYPE: SqlType = SqlType::Text;
//! #     const KIND: ValueKind = ValueKind::Text;
//! #     fn to_value(&self) -> Value { self.0.to_value() }
//! #     fn from_value(value: Value) -> Result<Self, ValueError> { String::from_value(value).map(Email) }
//! # }
//! impl TextField for Email {}      // `length = 320`, `collation = "…"` apply
//! impl NonNullField for Email {}   // it can be a primary key
//! ```

use crate::SqlField;

/// A text column: `#[model(length = N)]` and `#[model(collation = "…")]` apply.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a text type: `length` and `collation` need `String`",
    label = "not text"
)]
pub trait TextField: SqlField {}

/// A decimal column: `#[model(decimal(p, s))]` applies.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a decimal type: `decimal(p, s)` needs `rust_decimal::Decimal`",
    label = "not a decimal"
)]
pub trait DecimalField: SqlField {}

/// An integer column: `#[model(autoincrement)]` applies.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an integer type: only integers autoincrement",
    label = "not an integer"
)]
pub trait IntegerField: SqlField {}

/// A column that is never NULL: it can be a primary key (every type but `Option<T>`).
pub trait NonNullField: SqlField {}

/// A date-and-time column: `server_default = "CURRENT_TIMESTAMP"` applies.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a date-and-time type: `server_default = \"CURRENT_TIMESTAMP\"` needs one",
    label = "not a date and time"
)]
pub trait TimestampField: SqlField {}

/// A date column: `server_default = "CURRENT_DATE"` applies.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a date type: `server_default = \"CURRENT_DATE\"` needs one",
    label = "not a date"
)]
pub trait DateField: SqlField {}

/// A time-of-day column: `server_default = "CURRENT_TIME"` applies.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a time-of-day type: `server_default = \"CURRENT_TIME\"` needs one",
    label = "not a time of day"
)]
pub trait TimeField: SqlField {}

/// An `Option<T>` field, whose `None` can mean "not given": `default_fn` fills it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an `Option`: `default_fn` fills an `Option` field's `None`",
    label = "not an `Option`"
)]
pub trait UnsetField: SqlField {
    /// What the `Option` holds.
    type Inner;
    /// Sets `make()` where the field is `None`.
    fn fill(&mut self, make: fn() -> Self::Inner);
}

/// The type of a single primary key the database may generate: any key type, or an
/// `Option` of an integer, whose `None` asks the database for a key and whose `Some`
/// is stored as given.
pub trait GeneratedKeyField: SqlField {}

/// A literal `#[model(default = …)]` of kind `L` (one of the types of [`default_literal`]) fits
/// the column.
pub trait DefaultFits<L>: SqlField {}

/// The kinds of a literal default, for [`DefaultFits`].
pub mod default_literal {
    /// `default = true`.
    pub struct Bool;
    /// `default = 3`.
    pub struct Int;
    /// `default = 1.5`.
    pub struct Float;
    /// `default = "text"`.
    pub struct Text;
}

use default_literal::{Bool, Float, Int, Text};

impl<T: TextField> TextField for Option<T> {}
impl<T: TimestampField> TimestampField for Option<T> {}
impl<T: DateField> DateField for Option<T> {}
impl<T: TimeField> TimeField for Option<T> {}
impl<T: SqlField> UnsetField for Option<T> {
    type Inner = T;
    fn fill(&mut self, make: fn() -> T) {
        if self.is_none() {
            *self = Some(make());
        }
    }
}
impl<T: NonNullField> GeneratedKeyField for T {}
impl GeneratedKeyField for Option<i16> {}
impl GeneratedKeyField for Option<i32> {}
impl GeneratedKeyField for Option<i64> {}
impl<T: DecimalField> DecimalField for Option<T> {}
impl<T: IntegerField> IntegerField for Option<T> {}
impl<L, T: DefaultFits<L>> DefaultFits<L> for Option<T> {}

impl TextField for String {}
impl IntegerField for i16 {}
impl IntegerField for i32 {}
impl IntegerField for i64 {}

impl DefaultFits<Bool> for bool {}
impl DefaultFits<Text> for String {}
impl DefaultFits<Int> for i16 {}
impl DefaultFits<Int> for i32 {}
impl DefaultFits<Int> for i64 {}
impl DefaultFits<Int> for f32 {}
impl DefaultFits<Int> for f64 {}
impl DefaultFits<Float> for f32 {}
impl DefaultFits<Float> for f64 {}

impl NonNullField for i16 {}
impl NonNullField for i32 {}
impl NonNullField for i64 {}
impl NonNullField for f32 {}
impl NonNullField for f64 {}
impl NonNullField for bool {}
impl NonNullField for String {}
impl NonNullField for Vec<u8> {}

#[cfg(feature = "chrono")]
impl DateField for chrono::NaiveDate {}
#[cfg(feature = "chrono")]
impl TimeField for chrono::NaiveTime {}
#[cfg(feature = "chrono")]
impl TimestampField for chrono::NaiveDateTime {}
#[cfg(feature = "chrono")]
impl TimestampField for chrono::DateTime<chrono::Utc> {}
#[cfg(feature = "time")]
impl DateField for time::Date {}
#[cfg(feature = "time")]
impl TimeField for time::Time {}
#[cfg(feature = "time")]
impl TimestampField for time::PrimitiveDateTime {}
#[cfg(feature = "time")]
impl TimestampField for time::OffsetDateTime {}
#[cfg(feature = "chrono")]
impl NonNullField for chrono::NaiveDate {}
#[cfg(feature = "chrono")]
impl NonNullField for chrono::NaiveTime {}
#[cfg(feature = "chrono")]
impl NonNullField for chrono::NaiveDateTime {}
#[cfg(feature = "chrono")]
impl NonNullField for chrono::DateTime<chrono::Utc> {}
#[cfg(feature = "time")]
impl NonNullField for time::Date {}
#[cfg(feature = "time")]
impl NonNullField for time::Time {}
#[cfg(feature = "time")]
impl NonNullField for time::PrimitiveDateTime {}
#[cfg(feature = "time")]
impl NonNullField for time::OffsetDateTime {}
#[cfg(feature = "uuid")]
impl NonNullField for uuid::Uuid {}
#[cfg(feature = "json")]
impl NonNullField for serde_json::Value {}

#[cfg(feature = "rust_decimal")]
impl NonNullField for rust_decimal::Decimal {}
#[cfg(feature = "rust_decimal")]
impl DecimalField for rust_decimal::Decimal {}
#[cfg(feature = "rust_decimal")]
impl DefaultFits<Int> for rust_decimal::Decimal {}
#[cfg(feature = "rust_decimal")]
impl DefaultFits<Float> for rust_decimal::Decimal {}
