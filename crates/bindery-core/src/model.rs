//! The two traits the derives implement: where a type's tables live, and what they are.

use crate::{StatementCache, TableInfo, Value, ValueError, ValueKind};

/// Where a type's tables live: the bind key, inherited through trait defaults.
///
/// This is the Rust counterpart of Flask-SQLAlchemy's `__bind_key__`. `#[derive(Base)]`
/// and `#[derive(Model)]` implement it:
///
/// * no attribute: the default `None`, the default bind;
/// * `#[model(bind_key = "auth")]`: `Some("auth")`;
/// * `#[model(parent = AuthBase)]`: `<AuthBase as Bind>::BIND_KEY`, resolved by the
///   compiler, so a key set once on a base reaches every descendant at any depth and
///   across crates;
/// * `#[model(parent = AuthBase, default_bind)]`: back to `None`.
///
/// (The name `Bound`, used in the design notes, reads as `std::ops::Bound`; `Bind` does not.)
pub trait Bind {
    /// The bind key; `None` is the default bind (Flask's `SQLALCHEMY_DATABASE_URI`).
    const BIND_KEY: Option<&'static str> = None;
}

/// A struct stored as one table in its bind's database.
///
/// Implemented by `#[derive(Model)]`, which also submits [`Model::TABLE`] to the registry.
/// Every method works on the columns in the table's order (skipped fields excluded).
pub trait Model: Bind + Sized + Send + 'static {
    /// The table's static metadata.
    const TABLE: &'static TableInfo;
    /// How each column's values travel, in column order.
    #[doc(hidden)]
    const KINDS: &'static [ValueKind];
    /// The primary key: the key field's type, or a tuple for a composite key.
    type Key: Send;
    /// Typed handles on the columns: `User::COLUMNS.name`.
    type Columns: 'static;
    /// The column handles.
    const COLUMNS: Self::Columns;
    /// The bind this model lives on, as a type (`BindTag` of its bind key's hash): two
    /// models on one bind have the same one, which is what [`SameBind`](crate::SameBind)
    /// checks at compile time.
    #[doc(hidden)]
    type OnBind: 'static;

    /// The value of every column.
    #[doc(hidden)]
    fn to_values(&self) -> Vec<Value>;
    /// The value of column `at` (in column order), if there is one: what a loader keys a
    /// row by, without a copy of its other columns. The derive reads the one field.
    #[doc(hidden)]
    fn value_at(&self, at: usize) -> Option<Value> {
        self.to_values().into_iter().nth(at)
    }
    /// The value of every column, moved out of the row (no copy of its strings).
    #[doc(hidden)]
    fn into_values(self) -> Vec<Value>;
    /// The value of every column, moved out of the row onto the end of `out`: what
    /// queued inserts store, without a vector per row.
    #[doc(hidden)]
    fn push_values(self, out: &mut Vec<Value>) {
        out.extend(self.into_values());
    }
    /// The model from the value of every column; skipped fields get their `Default`.
    #[doc(hidden)]
    fn from_values(values: Vec<Value>) -> Result<Self, RowError>;
    /// The model from a fetched row's columns, read one after the other in column order
    /// (skipped fields get their `Default`): the derive reads each straight into its
    /// field, with no vector of values between the driver's row and the model. This
    /// default goes through [`Model::from_values`].
    #[doc(hidden)]
    fn read_row<R: ReadColumns>(row: &mut R) -> Result<Self, R::Error> {
        let mut values = Vec::with_capacity(Self::KINDS.len());
        for kind in Self::KINDS {
            values.extend(row.next_value(*kind)?);
        }
        Ok(Self::from_values(values)?)
    }
    /// The values of a key, in key-column order.
    #[doc(hidden)]
    fn key_values(key: &Self::Key) -> Vec<Value>;
    /// This row's key.
    fn key(&self) -> Self::Key;
    /// Stores the key the database generated (single integer keys only).
    #[doc(hidden)]
    fn set_generated_key(&mut self, id: i64) -> Result<(), ValueError>;
    /// The statements of this model, built once per dialect.
    #[doc(hidden)]
    fn statements() -> &'static StatementCache;
    /// Fills every `None` field that has a `default_fn` with the function's value: called
    /// when a row is queued or inserted.
    #[doc(hidden)]
    fn fill_defaults(&mut self) {}
}

/// A column whose value does not fit its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The column.
    pub column: &'static str,
    /// Why.
    pub error: ValueError,
}

impl core::fmt::Display for RowError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "column {:?}: {}", self.column, self.error)
    }
}

impl std::error::Error for RowError {}

/// The next column's value as a `T` (a tuple's `from_values` calls this).
fn next_field<T: crate::SqlField>(
    values: &mut impl Iterator<Item = Value>,
    column: &'static str,
) -> Result<T, RowError> {
    let value = values.next().ok_or(RowError {
        column,
        error: ValueError {
            expected: T::KIND,
            found: None,
        },
    })?;
    T::from_value(value).map_err(|error| RowError { column, error })
}

/// A row's columns, read in order: what [`Model::read_row`] takes. bindery reads each
/// column off the driver's row as it is asked for it; [`ValueColumns`] reads values
/// already decoded (the derive's `from_values`).
#[doc(hidden)]
pub trait ReadColumns {
    /// Why a column could not be read; a value that does not fit its field is one.
    type Error: From<RowError>;
    /// The next column, read as a value of `kind` (`Value::Null(kind)` for NULL); `None`
    /// past the last.
    fn next_value(&mut self, kind: ValueKind) -> Result<Option<Value>, Self::Error>;
}

/// Values already read, as a row's columns: the derive's `from_values` reads its model
/// from them with the same `read_row` that reads a fetched row.
#[doc(hidden)]
pub struct ValueColumns(std::vec::IntoIter<Value>);

impl ValueColumns {
    /// The columns of `values`, in order.
    pub fn new(values: Vec<Value>) -> ValueColumns {
        ValueColumns(values.into_iter())
    }
}

impl ReadColumns for ValueColumns {
    type Error = RowError;

    fn next_value(&mut self, _kind: ValueKind) -> Result<Option<Value>, RowError> {
        Ok(self.0.next())
    }
}

/// The next column of `row` as a `T` (the derive's `read_row` calls this), read as `T`'s
/// kind; a missing column is an error, as a value that does not fit (a NULL for a field
/// that takes none) is.
#[doc(hidden)]
#[inline]
pub fn read_field<T: crate::SqlField, R: ReadColumns>(
    row: &mut R,
    column: &'static str,
) -> Result<T, R::Error> {
    let misfit = |found| RowError {
        column,
        error: ValueError {
            expected: T::KIND,
            found,
        },
    };
    let value = row.next_value(T::KIND)?.ok_or(misfit(None))?;
    Ok(T::from_value(value).map_err(|error| RowError { column, error })?)
}

/// What a raw query's rows can be read into: a tuple of column types, such as
/// `(i64, Option<String>)`, or a model (all its columns, in order).
pub trait FromValues: Sized {
    /// How each column travels, in order.
    const KINDS: &'static [ValueKind];
    /// The row from its column values.
    fn from_values(values: Vec<Value>) -> Result<Self, RowError>;
}

macro_rules! tuple_from_values {
    ($($name:ident),+) => {
        impl<$($name: crate::SqlField),+> FromValues for ($($name,)+) {
            const KINDS: &'static [ValueKind] = &[$($name::KIND),+];

            fn from_values(values: Vec<Value>) -> Result<Self, RowError> {
                let mut values = values.into_iter();
                Ok(($(next_field::<$name>(&mut values, stringify!($name))?,)+))
            }
        }
    };
}

tuple_from_values!(A);
tuple_from_values!(A, B);
tuple_from_values!(A, B, C);
tuple_from_values!(A, B, C, D);
tuple_from_values!(A, B, C, D, E);
tuple_from_values!(A, B, C, D, E, F);
tuple_from_values!(A, B, C, D, E, F, G);
tuple_from_values!(A, B, C, D, E, F, G, H);
