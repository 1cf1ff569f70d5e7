//! Checks the derive cannot make itself, because they need a field's SQL type, which
//! only the compiler knows (`<T as SqlField>::SQL_TYPE`). The derive calls these in the
//! model's static initializer, so a failure is a compile error carrying the message the
//! derive wrote, which names the model and the field.

use crate::{ColumnDefault, SqlType};

/// `length = N` on a text column; any other type fails the build with `message`.
pub const fn column_length(sql_type: SqlType, length: u32, message: &'static str) -> SqlType {
    match sql_type.with_length(length) {
        Some(bounded) => bounded,
        None => panic!("{}", message),
    }
}

/// `decimal(p, s)` on a decimal column; any other type fails the build with `message`.
pub const fn column_decimal(
    sql_type: SqlType,
    precision: u8,
    scale: u8,
    message: &'static str,
) -> SqlType {
    match sql_type.with_precision(precision, scale) {
        Some(decimal) => decimal,
        None => panic!("{}", message),
    }
}

/// An explicit `autoincrement` on a column that is not an integer fails with `message`.
pub const fn integer_autoincrement(sql_type: SqlType, message: &'static str) -> bool {
    if !sql_type.is_integer() {
        panic!("{}", message);
    }
    true
}

/// A primary-key field of type `Option<T>` fails with `message`.
pub const fn non_null_key(nullable: bool, message: &'static str) -> bool {
    if nullable {
        panic!("{}", message);
    }
    true
}

/// A `default` literal that does not fit the column's type fails with `message`.
pub const fn column_default(
    sql_type: SqlType,
    default: ColumnDefault,
    message: &'static str,
) -> Option<ColumnDefault> {
    if !sql_type.accepts_default(&default) {
        panic!("{}", message);
    }
    Some(default)
}

/// `collation = "…"` on a text column; any other type fails the build with `message`.
pub const fn column_collation(
    sql_type: SqlType,
    name: &'static str,
    message: &'static str,
) -> Option<&'static str> {
    if !matches!(sql_type, SqlType::Text | SqlType::VarChar(_)) {
        panic!("{}", message);
    }
    Some(name)
}
