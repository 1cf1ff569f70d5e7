//! Projections: some columns and aggregates of a model's rows, read into a tuple instead
//! of whole rows. Each aggregate's SQL casts its result where dialects disagree, so that
//! one Rust type reads it on every backend (MariaDB's `SUM` of integers is DECIMAL,
//! PostgreSQL's `SUM(BIGINT)` NUMERIC and its `AVG` NUMERIC).

use core::fmt;
use core::marker::PhantomData;

use crate::query::{Column, Filter, SelectItem};
use crate::{FromValues, Operand, SqlField};

/// One selected item of model `M` read as `T`: a column (`c.name.into()` is not needed:
/// a `Column` is one) or an aggregate (`c.age.sum()`, `count()`).
pub struct Selected<M, T> {
    item: SelectItem,
    _marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Selected<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for Selected<M, T> {}

impl<M, T> fmt::Debug for Selected<M, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.item)
    }
}

impl<M, T> Selected<M, T> {
    const fn new(item: SelectItem) -> Self {
        Selected {
            item,
            _marker: PhantomData,
        }
    }
}

impl<M, T> Selected<M, T> {
    fn compare(self, op: &str, value: impl Operand<T>) -> Filter<M> {
        Filter::compare_item(self.item, op, value.into_value())
    }

    /// `aggregate = value`, for `having`.
    pub fn eq(self, value: impl Operand<T>) -> Filter<M> {
        self.compare("=", value)
    }

    /// `aggregate > value`, for `having`.
    pub fn gt(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(">", value)
    }

    /// `aggregate >= value`, for `having`.
    pub fn ge(self, value: impl Operand<T>) -> Filter<M> {
        self.compare(">=", value)
    }

    /// `aggregate < value`, for `having`.
    pub fn lt(self, value: impl Operand<T>) -> Filter<M> {
        self.compare("<", value)
    }

    /// `aggregate <= value`, for `having`.
    pub fn le(self, value: impl Operand<T>) -> Filter<M> {
        self.compare("<=", value)
    }
}

/// `COUNT(*)`: how many rows (in each group).
pub fn count<M>() -> Selected<M, i64> {
    Selected::new(SelectItem::CountAll)
}

/// What a projection can select of model `M`, and the Rust type it is read as.
pub trait Selectable<M> {
    /// The Rust type of its value.
    type Value: SqlField;
    /// What it renders to.
    fn item(&self) -> SelectItem;
}

impl<M, T: SqlField> Selectable<M> for Column<M, T> {
    type Value = T;
    fn item(&self) -> SelectItem {
        SelectItem::Column(self.name())
    }
}

impl<M, T: SqlField> Selectable<M> for Selected<M, T> {
    type Value = T;
    fn item(&self) -> SelectItem {
        self.item
    }
}

/// A tuple of [`Selectable`]s: what `Find::select` takes; its rows are read into the
/// tuple of their values.
pub trait Projection<M> {
    /// The row type: a tuple of the items' value types.
    type Row: FromValues;
    /// The items, in order.
    fn items(&self) -> Vec<SelectItem>;
}

macro_rules! projection_tuple {
    ($($name:ident $index:tt),+) => {
        impl<M, $($name: Selectable<M>),+> Projection<M> for ($($name,)+) {
            type Row = ($($name::Value,)+);
            fn items(&self) -> Vec<SelectItem> {
                vec![$(self.$index.item()),+]
            }
        }
    };
}

projection_tuple!(A 0);
projection_tuple!(A 0, B 1);
projection_tuple!(A 0, B 1, C 2);
projection_tuple!(A 0, B 1, C 2, D 3);
projection_tuple!(A 0, B 1, C 2, D 3, E 4);
projection_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);

/// A column whose values add up: integers to an `i64`, floats to an `f64`.
pub trait Summable {
    /// What their sum is read as (`None` when there are no values).
    type Sum: SqlField;
    /// Whether it is an integer column.
    const INTEGER: bool;
}

macro_rules! summable {
    ($($t:ty => $sum:ty, $integer:expr);* $(;)?) => {
        $(
            impl Summable for $t {
                type Sum = Option<$sum>;
                const INTEGER: bool = $integer;
            }
            impl Summable for Option<$t> {
                type Sum = Option<$sum>;
                const INTEGER: bool = $integer;
            }
        )*
    };
}

summable! {
    i16 => i64, true;
    i32 => i64, true;
    i64 => i64, true;
    f32 => f64, false;
    f64 => f64, false;
}

/// A column's type as a possibly missing value: `MIN` and `MAX` of no rows are NULL.
pub trait OrNull {
    /// `Option<T>` (for `T` and for `Option<T>` alike).
    type OrNull: SqlField;
}

macro_rules! or_null {
    ($($t:ty),* $(,)?) => {
        $(
            impl OrNull for $t {
                type OrNull = Option<$t>;
            }
            impl OrNull for Option<$t> {
                type OrNull = Option<$t>;
            }
        )*
    };
}

or_null!(i16, i32, i64, f32, f64, bool, String);
#[cfg(feature = "chrono")]
or_null!(
    chrono::NaiveDate,
    chrono::NaiveTime,
    chrono::NaiveDateTime,
    chrono::DateTime<chrono::Utc>
);
#[cfg(feature = "time")]
or_null!(
    time::Date,
    time::Time,
    time::PrimitiveDateTime,
    time::OffsetDateTime
);
#[cfg(feature = "rust_decimal")]
or_null!(rust_decimal::Decimal);

impl<M, T> Column<M, T> {
    /// `COUNT(column)`: the rows where it is not NULL.
    pub fn count(self) -> Selected<M, i64> {
        Selected::new(SelectItem::Count(self.name()))
    }

    /// `COUNT(DISTINCT column)`.
    pub fn count_distinct(self) -> Selected<M, i64> {
        Selected::new(SelectItem::CountDistinct(self.name()))
    }
}

impl<M, T: Summable> Column<M, T> {
    /// `SUM(column)`: an `i64` for integers, an `f64` for floats; `None` for no rows.
    pub fn sum(self) -> Selected<M, T::Sum> {
        Selected::new(if T::INTEGER {
            SelectItem::SumInteger(self.name())
        } else {
            SelectItem::SumFloat(self.name())
        })
    }

    /// `AVG(column)`, as an `f64`; `None` for no rows.
    pub fn avg(self) -> Selected<M, Option<f64>> {
        Selected::new(SelectItem::Avg(self.name()))
    }
}

impl<M, T: OrNull> Column<M, T> {
    /// `MIN(column)`; `None` for no rows.
    pub fn min(self) -> Selected<M, T::OrNull> {
        Selected::new(SelectItem::Min(self.name()))
    }

    /// `MAX(column)`; `None` for no rows.
    pub fn max(self) -> Selected<M, T::OrNull> {
        Selected::new(SelectItem::Max(self.name()))
    }
}
