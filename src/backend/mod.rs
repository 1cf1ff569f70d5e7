//! The three drivers behind one sealed trait, [`Backend`], over sqlx's `Database`: how a
//! value is bound and a column decoded, and the few statements that differ by dialect.
//! Code that runs statements is written once, generic over `Backend`; the enums [`Pool`]
//! and [`Connection`] (in `connection.rs`) are the one place that picks the driver at run
//! time, as SeaORM's connection enum does.

mod connection;
mod models;
mod values;

use sqlx::error::BoxDynError;
#[cfg(feature = "mysql")]
use sqlx::{MySql, mysql::MySqlPool};
#[cfg(feature = "postgres")]
use sqlx::{Postgres, postgres::PgPool};
#[cfg(feature = "sqlite")]
use sqlx::{Sqlite, sqlite::SqlitePool};

pub(crate) use connection::{Answer, Connection, Fault, Statement, deadline_passed};
pub(crate) use models::{Collect, Models};

use crate::{Dialect, Value, ValueKind};

mod sealed {
    /// Only bindery's three drivers implement [`Backend`](super::Backend).
    pub trait Sealed {}
    #[cfg(feature = "sqlite")]
    impl Sealed for sqlx::Sqlite {}
    #[cfg(feature = "postgres")]
    impl Sealed for sqlx::Postgres {}
    #[cfg(feature = "mysql")]
    impl Sealed for sqlx::MySql {}
}

/// A sqlx driver bindery runs on: SQLite, PostgreSQL or MySQL/MariaDB. Sealed: the set
/// of drivers is bindery's; each is implemented only with its cargo feature (`sqlite`,
/// `postgres`, `mysql`).
///
/// It binds [`Value`]s into the driver's arguments and decodes columns into values, for
/// your own sqlx queries on a bind's [`Pool`] too:
///
// The example needs the PostgreSQL driver: compiled only with it (doctests do not see
// the library's features, so the fence itself is chosen here).
#[cfg_attr(feature = "postgres", doc = "```no_run")]
#[cfg_attr(not(feature = "postgres"), doc = "```ignore")]
/// # use bindery::sqlx;
/// # async fn run(pool: sqlx::PgPool) -> Result<(), sqlx::Error> {
/// use bindery::{Backend, Value, ValueKind};
/// use bindery::sqlx::Postgres;
/// let args = Postgres::arguments(vec![Value::BigInt(1)]).map_err(sqlx::Error::Encode)?;
/// let row = sqlx::query_with("SELECT $1", args).fetch_one(&pool).await?;
/// assert_eq!(Postgres::decode(&row, 0, ValueKind::BigInt)?, Value::BigInt(1));
/// # Ok(()) }
/// ```
pub trait Backend:
    sqlx::Database<Arguments: sqlx::IntoArguments<Self>> + values::Values + sealed::Sealed
{
    /// The dialect its SQL is written in.
    const DIALECT: Dialect;

    /// The statement that begins a session's transaction.
    const BEGIN: &'static str = "BEGIN";

    /// The statement that commits it, as one message (it may hold several statements).
    const COMMIT: &'static str = "COMMIT";

    /// The connection as an executor of sqlx queries.
    fn executor<'c>(
        connection: &'c mut Self::Connection,
    ) -> impl sqlx::Executor<'c, Database = Self>;

    /// How many rows a statement affected (sqlx has it per driver, not on a trait).
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// The arguments of one statement: every value bound, each NULL typed by its kind.
    fn arguments(values: Vec<Value>) -> Result<Self::Arguments, BoxDynError> {
        values::arguments::<Self>(values)
    }

    /// Column `index` of `row` as a value of `kind` (`Value::Null(kind)` for NULL).
    #[inline]
    fn decode(row: &Self::Row, index: usize, kind: ValueKind) -> Result<Value, sqlx::Error> {
        values::decode::<Self>(row, index, kind)
    }

    /// Binds a decimal (`None`: NULL).
    #[cfg(feature = "rust_decimal")]
    fn bind_decimal(
        arguments: &mut Self::Arguments,
        value: Option<rust_decimal::Decimal>,
    ) -> Result<(), BoxDynError>;

    /// Reads a decimal column.
    #[cfg(feature = "rust_decimal")]
    fn read_decimal(
        row: &Self::Row,
        index: usize,
    ) -> Result<Option<rust_decimal::Decimal>, sqlx::Error>;
}

#[cfg(feature = "sqlite")]
impl Backend for Sqlite {
    const DIALECT: Dialect = Dialect::Sqlite;
    // A session begins only to write (see `Session`): it takes the write lock at once,
    // waiting for it (the busy timeout) rather than failing at a later statement.
    const BEGIN: &'static str = "BEGIN IMMEDIATE";

    fn executor<'c>(
        connection: &'c mut Self::Connection,
    ) -> impl sqlx::Executor<'c, Database = Self> {
        connection
    }

    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }

    // SQLite has no decimal type: decimals travel as text, so they round-trip exactly.
    #[cfg(feature = "rust_decimal")]
    fn bind_decimal(
        arguments: &mut Self::Arguments,
        value: Option<rust_decimal::Decimal>,
    ) -> Result<(), BoxDynError> {
        <Self as values::Carries<_>>::bind(arguments, value.map(|d| d.to_string()))
    }

    #[cfg(feature = "rust_decimal")]
    fn read_decimal(
        row: &Self::Row,
        index: usize,
    ) -> Result<Option<rust_decimal::Decimal>, sqlx::Error> {
        let text: Option<String> = <Self as values::Carries<_>>::read(row, index)?;
        text.map(|t| t.parse().map_err(|e| sqlx::Error::Decode(Box::new(e))))
            .transpose()
    }
}

#[cfg(feature = "postgres")]
impl Backend for Postgres {
    const DIALECT: Dialect = Dialect::Postgres;
    // A transaction PostgreSQL aborted answers COMMIT with ROLLBACK, which sqlx reports
    // as success. Sent in one message before the COMMIT, `SELECT 1` fails on such a
    // transaction and the COMMIT is skipped: the server itself says so, in the same
    // round trip.
    const COMMIT: &'static str = "SELECT 1; COMMIT";

    fn executor<'c>(
        connection: &'c mut Self::Connection,
    ) -> impl sqlx::Executor<'c, Database = Self> {
        connection
    }

    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }

    #[cfg(feature = "rust_decimal")]
    fn bind_decimal(
        arguments: &mut Self::Arguments,
        value: Option<rust_decimal::Decimal>,
    ) -> Result<(), BoxDynError> {
        <Self as values::Carries<_>>::bind(arguments, value)
    }

    #[cfg(feature = "rust_decimal")]
    fn read_decimal(
        row: &Self::Row,
        index: usize,
    ) -> Result<Option<rust_decimal::Decimal>, sqlx::Error> {
        <Self as values::Carries<_>>::read(row, index)
    }
}

#[cfg(feature = "mysql")]
impl Backend for MySql {
    const DIALECT: Dialect = Dialect::MySql;

    fn executor<'c>(
        connection: &'c mut Self::Connection,
    ) -> impl sqlx::Executor<'c, Database = Self> {
        connection
    }

    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }

    #[cfg(feature = "rust_decimal")]
    fn bind_decimal(
        arguments: &mut Self::Arguments,
        value: Option<rust_decimal::Decimal>,
    ) -> Result<(), BoxDynError> {
        <Self as values::Carries<_>>::bind(arguments, value)
    }

    #[cfg(feature = "rust_decimal")]
    fn read_decimal(
        row: &Self::Row,
        index: usize,
    ) -> Result<Option<rust_decimal::Decimal>, sqlx::Error> {
        <Self as values::Carries<_>>::read(row, index)
    }
}

/// A typed sqlx pool: what a bind's engine holds, for your own sqlx queries.
///
/// Match it exhaustively: a new backend would be a breaking change, announced as one.
/// Each variant exists only with its driver's cargo feature (`sqlite`, `postgres`,
/// `mysql`; all three by default), so a match in code built with other features names
/// only the variants of those: gate each arm with the same `#[cfg(feature = "…")]` in a
/// crate that forwards the features, or match the variants of the drivers it enables.
#[derive(Debug, Clone)]
pub enum Pool {
    /// A SQLite database (feature `sqlite`).
    #[cfg(feature = "sqlite")]
    Sqlite(SqlitePool),
    /// A PostgreSQL database (feature `postgres`).
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
    /// A MySQL or MariaDB database (feature `mysql`).
    #[cfg(feature = "mysql")]
    MySql(MySqlPool),
}

impl Pool {
    /// The dialect of the pool.
    pub fn dialect(&self) -> Dialect {
        match *self {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(_) => Sqlite::DIALECT,
            #[cfg(feature = "postgres")]
            Pool::Postgres(_) => Postgres::DIALECT,
            #[cfg(feature = "mysql")]
            Pool::MySql(_) => MySql::DIALECT,
        }
    }

    /// Closes every connection, waiting for the ones in use to come back; later uses
    /// fail.
    pub async fn close(&self) {
        match *self {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(ref pool) => pool.close().await,
            #[cfg(feature = "postgres")]
            Pool::Postgres(ref pool) => pool.close().await,
            #[cfg(feature = "mysql")]
            Pool::MySql(ref pool) => pool.close().await,
        }
    }
}
