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
pub trait TextField: SqlField {}

/// A decimal column: `#[model(decimal(p, s))]` applies.
pub trait DecimalField: SqlField {}

/// An integer column: `#[model(autoincrement)]` applies.
pub trait IntegerField: SqlField {}

/// A column that is never NULL: it can be a primary key (every type but `Option<T>`).
pub trait NonNullField: SqlField {}

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
