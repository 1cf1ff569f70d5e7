//! The column types the derive computes in a model's static initializer, from the
//! field's SQL type, which only the compiler knows (`<T as SqlField>::SQL_TYPE`). Whether
//! the attribute fits the type at all is checked beside, as a trait bound (see
//! `field_kinds`): these only compute, and leave a type they do not fit unchanged (the
//! build has failed on the bound by then).

use crate::SqlType;

/// `length = N` on a text column: `VARCHAR(N)`.
pub const fn column_length(sql_type: SqlType, length: u32) -> SqlType {
    match sql_type.with_length(length) {
        Some(bounded) => bounded,
        None => sql_type,
    }
}

/// `decimal(p, s)` on a decimal column.
pub const fn column_decimal(sql_type: SqlType, precision: u8, scale: u8) -> SqlType {
    match sql_type.with_precision(precision, scale) {
        Some(decimal) => decimal,
        None => sql_type,
    }
}
