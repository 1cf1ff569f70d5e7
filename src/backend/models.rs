//! Fetched rows read straight into a model, each as it arrives: the derive's
//! `Model::read_row` takes the driver's columns one by one, each decoded as its field's
//! own kind, with no vector of values between the driver's row and the model (a whole
//! row of values per row, then the model built from it, cost the loaders about a third
//! more than `query_as` per row).

#[cfg(feature = "mysql")]
use sqlx::mysql::MySqlRow;
#[cfg(feature = "postgres")]
use sqlx::postgres::PgRow;
#[cfg(feature = "sqlite")]
use sqlx::sqlite::SqliteRow;

use super::Backend;
use crate::__private::ReadColumns;
use crate::{Model, RowError, Value, ValueKind};

/// One fetched row of whichever driver: what [`Collect::take`] is handed, so that a
/// collector can be a trait object (a statement carries it) and still read each driver's
/// rows with code generic over [`Backend`].
pub(crate) enum DriverRow<'r> {
    #[cfg(feature = "sqlite")]
    Sqlite(&'r SqliteRow),
    #[cfg(feature = "postgres")]
    Postgres(&'r PgRow),
    #[cfg(feature = "mysql")]
    MySql(&'r MySqlRow),
    /// With no driver there is no row; the lifetime is still the enum's.
    #[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
    #[allow(dead_code)]
    None(core::marker::PhantomData<&'r ()>, core::convert::Infallible),
}

/// Where the rows of a `Statement::Read` go, one at a time, as they are fetched.
pub(crate) trait Collect: Send {
    /// Takes one row; an error (the driver's) ends the statement.
    fn take(&mut self, row: DriverRow<'_>) -> Result<(), sqlx::Error>;

    /// Forgets every row taken: the statement runs again elsewhere (a read a replica
    /// failed, run again on the primary).
    fn reset(&mut self);
}

impl std::fmt::Debug for dyn Collect + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Collect")
    }
}

/// The rows of model `M` a statement read, in order, each with the value of one column
/// if asked (a loader's key, kept as it is read: no copy of the row to find it).
pub(crate) struct Models<M> {
    rows: Vec<M>,
    /// The column whose values are kept, and those values, one per row.
    keep: Option<(usize, Vec<Value>)>,
    /// The first row whose value did not fit its field; the rows after it are read off
    /// (the statement completes, as when values were decoded before the model) but not
    /// kept.
    misfit: Option<RowError>,
}

impl<M: Model> Models<M> {
    /// Rows of `M`, and with `keep`, the value of that column of each.
    pub(crate) fn new(keep: Option<usize>) -> Models<M> {
        Models {
            rows: Vec::new(),
            keep: keep.map(|at| (at, Vec::new())),
            misfit: None,
        }
    }

    /// The rows read with the kept value of each (empty if none was asked for), or the
    /// first row that did not fit `M`.
    pub(crate) fn keyed(self) -> Result<(Vec<M>, Vec<Value>), RowError> {
        match self.misfit {
            Some(misfit) => Err(misfit),
            None => Ok((
                self.rows,
                self.keep.map(|(_, kept)| kept).unwrap_or_default(),
            )),
        }
    }

    fn read<DB: Backend>(&mut self, row: &DB::Row) -> Result<(), sqlx::Error> {
        if self.misfit.is_some() {
            return Ok(());
        }
        let keep_at = self.keep.as_ref().map(|(at, _)| *at);
        let mut columns = Columns::<DB> {
            row,
            next: 0,
            keep_at,
            kept: None,
        };
        match M::read_row(&mut columns) {
            Ok(model) => {
                if let Some((_, kept)) = &mut self.keep {
                    // A row without the kept column cannot be matched with its key: left
                    // out, as a loader leaves out a row it cannot place.
                    let Some(value) = columns.kept else {
                        return Ok(());
                    };
                    kept.push(value);
                }
                self.rows.push(model);
                Ok(())
            }
            Err(Unread::Driver(e)) => Err(e),
            Err(Unread::Misfit(e)) => {
                self.misfit = Some(e);
                Ok(())
            }
        }
    }
}

impl<M: Model> Collect for Models<M> {
    fn take(&mut self, row: DriverRow<'_>) -> Result<(), sqlx::Error> {
        match row {
            #[cfg(feature = "sqlite")]
            DriverRow::Sqlite(row) => self.read::<sqlx::Sqlite>(row),
            #[cfg(feature = "postgres")]
            DriverRow::Postgres(row) => self.read::<sqlx::Postgres>(row),
            #[cfg(feature = "mysql")]
            DriverRow::MySql(row) => self.read::<sqlx::MySql>(row),
        }
    }

    fn reset(&mut self) {
        self.rows.clear();
        if let Some((_, kept)) = &mut self.keep {
            kept.clear();
        }
        self.misfit = None;
    }
}

/// Why a column was not read into its field.
enum Unread {
    /// The driver could not decode it.
    Driver(sqlx::Error),
    /// It does not fit the field (a NULL for a field that takes none).
    Misfit(RowError),
}

impl From<RowError> for Unread {
    fn from(e: RowError) -> Unread {
        Unread::Misfit(e)
    }
}

/// A driver's row read column by column, keeping a copy of column `keep_at`.
struct Columns<'r, DB: Backend> {
    row: &'r DB::Row,
    next: usize,
    keep_at: Option<usize>,
    kept: Option<Value>,
}

impl<DB: Backend> ReadColumns for Columns<'_, DB> {
    type Error = Unread;

    // Always inlined into the derive's `read_field`, where `kind` is its field's
    // constant: `decode` is then left with that kind's arm alone.
    #[inline(always)]
    fn next_value(&mut self, kind: ValueKind) -> Result<Option<Value>, Unread> {
        let at = self.next;
        self.next += 1;
        let value = DB::decode(self.row, at, kind).map_err(Unread::Driver)?;
        if self.keep_at == Some(at) {
            self.kept = Some(value.clone());
        }
        Ok(Some(value))
    }
}
