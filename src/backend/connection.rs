//! One pooled connection of any driver, and the statements bindery runs on it: the one
//! run-time dispatch on the driver, each arm calling the same generic code.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
#[cfg(feature = "mysql")]
use sqlx::MySql;
#[cfg(feature = "postgres")]
use sqlx::Postgres;
#[cfg(feature = "sqlite")]
use sqlx::Sqlite;
use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Executor as _};

use super::models::{Collect, DriverRow};
use super::{Backend, Pool};
use crate::{BindKey, BindName, Error, Value, ValueKind};

/// A pooled connection of one bind, of whichever driver the bind uses.
///
/// A session sends BEGIN, COMMIT and ROLLBACK on it itself, rather than through sqlx's
/// `Transaction`, so that a connection whose statement was cut off by the deadline can
/// be closed instead of going back to the pool in an unknown state.
pub(crate) enum Connection {
    #[cfg(feature = "sqlite")]
    Sqlite(Owned<Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(Owned<Postgres>),
    #[cfg(feature = "mysql")]
    MySql(Owned<MySql>),
}

/// A pooled connection that, once discarded, is dropped without sqlx's graceful close.
/// Over TLS that close waits for the server to send something (sqlx's rustls socket
/// reads before it writes when it has nothing queued), so a connection cut off
/// mid-statement would hold its pool slot until the server finished, or for ever if it
/// hangs. Detached and dropped, its socket closes at once, which ends the server's
/// session and its transaction all the same.
pub(crate) struct Owned<DB: sqlx::Database> {
    /// `Some` until it is dropped.
    conn: Option<PoolConnection<DB>>,
    discarded: bool,
}

impl<DB: sqlx::Database> Owned<DB> {
    fn new(conn: PoolConnection<DB>) -> Self {
        Owned {
            conn: Some(conn),
            discarded: false,
        }
    }
}

impl<DB: sqlx::Database> std::ops::Deref for Owned<DB> {
    type Target = PoolConnection<DB>;

    fn deref(&self) -> &PoolConnection<DB> {
        match self.conn {
            Some(ref conn) => conn,
            None => unreachable!("a connection is taken only when it is dropped"),
        }
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for Owned<DB> {
    fn deref_mut(&mut self) -> &mut PoolConnection<DB> {
        match self.conn {
            Some(ref mut conn) => conn,
            None => unreachable!("a connection is taken only when it is dropped"),
        }
    }
}

impl<DB: sqlx::Database> Drop for Owned<DB> {
    fn drop(&mut self) {
        if let (true, Some(conn)) = (self.discarded, self.conn.take()) {
            // Out of the pool (its slot freed now), then closed by dropping its socket.
            drop(conn.detach());
        }
    }
}

/// A statement for [`Connection::run`].
pub(crate) enum Statement<'k> {
    /// BEGIN, COMMIT, ROLLBACK, a savepoint or a ping: sent over the simple protocol, so
    /// one message may hold several statements (PostgreSQL's checked COMMIT does).
    Control(Arc<str>),
    /// A statement with bound values whose rows, if any, are not read.
    Execute { sql: Arc<str>, params: Vec<Value> },
    /// A query whose rows are read as values of `kinds`; with `at_most_one`, only its
    /// first row (a get by key, an INSERT of one row with RETURNING).
    Fetch {
        sql: Arc<str>,
        params: Vec<Value>,
        kinds: &'k [ValueKind],
        at_most_one: bool,
    },
    /// Statements sent as one message over the simple protocol (as `Control`), whose
    /// answer is one value of each row any of them returned, in order, as the server
    /// wrote it (text): the column named `column`, or the first. A commit that also reads
    /// the primary's position, a replica's status, the prepared transactions.
    Probe {
        sql: Arc<str>,
        column: Option<&'static str>,
    },
    /// A query whose rows each go to `into` as they are fetched (read straight into a
    /// model: see `backend/models.rs`); its answer counts them.
    Read {
        sql: Arc<str>,
        params: Vec<Value>,
        into: &'k mut dyn Collect,
    },
}

impl Statement<'_> {
    /// The same statement, to run first where it may fail and be run again elsewhere (a
    /// read on a replica, then on the primary): the same SQL and values, the same
    /// collector (reset before the second run).
    pub(crate) fn attempt(&mut self) -> Statement<'_> {
        match self {
            Statement::Control(sql) => Statement::Control(sql.clone()),
            Statement::Probe { sql, column } => Statement::Probe {
                sql: sql.clone(),
                column: *column,
            },
            Statement::Execute { sql, params } => Statement::Execute {
                sql: sql.clone(),
                params: params.clone(),
            },
            Statement::Fetch {
                sql,
                params,
                kinds,
                at_most_one,
            } => Statement::Fetch {
                sql: sql.clone(),
                params: params.clone(),
                kinds,
                at_most_one: *at_most_one,
            },
            Statement::Read { sql, params, into } => {
                into.reset();
                Statement::Read {
                    sql: sql.clone(),
                    params: params.clone(),
                    into: &mut **into,
                }
            }
        }
    }

    /// Its SQL text.
    pub(crate) fn sql(&self) -> &Arc<str> {
        match self {
            Statement::Control(sql)
            | Statement::Probe { sql, .. }
            | Statement::Execute { sql, .. }
            | Statement::Fetch { sql, .. }
            | Statement::Read { sql, .. } => sql,
        }
    }

    /// How many values it binds.
    pub(crate) fn param_count(&self) -> usize {
        match self {
            Statement::Control(_) | Statement::Probe { .. } => 0,
            Statement::Execute { params, .. }
            | Statement::Fetch { params, .. }
            | Statement::Read { params, .. } => params.len(),
        }
    }
}

/// What a statement answered.
#[derive(Debug, Default)]
pub(crate) struct Answer {
    /// Rows affected (by `Execute`) or read (by `Fetch`).
    pub(crate) affected: u64,
    /// The rows `Fetch` read.
    pub(crate) rows: Vec<Vec<Value>>,
}

/// Why a statement did not complete.
#[derive(Debug)]
pub(crate) enum Fault {
    /// The database (or the connection) reported an error.
    Database(sqlx::Error),
    /// No answer within the statement timeout.
    Deadline,
}

impl Fault {
    pub(crate) fn into_error(
        self,
        bind: Option<&str>,
        table: Option<&'static str>,
        timeout: Duration,
    ) -> Error {
        match self {
            Fault::Database(source) => Error::database_on(BindName(bind), table, source),
            Fault::Deadline => Error::Deadline {
                bind: BindKey::from(bind),
                table,
                timeout,
            },
        }
    }

    /// The fault as sqlx's error, for callers that report sqlx errors: a deadline is an
    /// I/O time-out saying so.
    pub(crate) fn into_sqlx(self, deadline: Duration) -> sqlx::Error {
        match self {
            Fault::Database(source) => source,
            Fault::Deadline => deadline_passed(deadline),
        }
    }
}

/// The error of a statement that passed `deadline` outside a session.
pub(crate) fn deadline_passed(deadline: Duration) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!(
            "no answer within the statement timeout ({} ms); the connection was closed",
            deadline.as_millis()
        ),
    ))
}

impl Pool {
    /// The most connections the pool opens.
    pub(crate) fn max_connections(&self) -> u32 {
        match *self {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(ref pool) => pool.options().get_max_connections(),
            #[cfg(feature = "postgres")]
            Pool::Postgres(ref pool) => pool.options().get_max_connections(),
            #[cfg(feature = "mysql")]
            Pool::MySql(ref pool) => pool.options().get_max_connections(),
        }
    }

    /// One connection of the pool, within its acquire timeout.
    pub(crate) async fn acquire(&self) -> Result<Connection, sqlx::Error> {
        Ok(match *self {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(ref pool) => Connection::Sqlite(Owned::new(pool.acquire().await?)),
            #[cfg(feature = "postgres")]
            Pool::Postgres(ref pool) => Connection::Postgres(Owned::new(pool.acquire().await?)),
            #[cfg(feature = "mysql")]
            Pool::MySql(ref pool) => Connection::MySql(Owned::new(pool.acquire().await?)),
        })
    }
}

impl Connection {
    /// The statements that begin and commit a transaction on its driver.
    pub(crate) fn begin_and_commit(&self) -> (&'static str, &'static str) {
        match *self {
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(_) => (Sqlite::BEGIN, Sqlite::COMMIT),
            #[cfg(feature = "postgres")]
            Connection::Postgres(_) => (Postgres::BEGIN, Postgres::COMMIT),
            #[cfg(feature = "mysql")]
            Connection::MySql(_) => (MySql::BEGIN, MySql::COMMIT),
        }
    }

    /// Closes the connection when it is dropped instead of returning it to the pool
    /// (see [`Owned`]): closing it ends whatever transaction the server still has open
    /// on it.
    pub(crate) fn discard(&mut self) {
        match *self {
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(ref mut conn) => conn.discarded = true,
            #[cfg(feature = "postgres")]
            Connection::Postgres(ref mut conn) => conn.discarded = true,
            #[cfg(feature = "mysql")]
            Connection::MySql(ref mut conn) => conn.discarded = true,
        }
    }

    /// Runs `statement` within `deadline`. If the deadline passes, the connection is
    /// marked to be closed, never pooled again: it may be mid-answer from a hung server.
    pub(crate) async fn run(
        &mut self,
        statement: Statement<'_>,
        deadline: Duration,
    ) -> Result<Answer, Fault> {
        let work = async {
            let answer: Result<Answer, sqlx::Error> = match *self {
                #[cfg(feature = "sqlite")]
                Connection::Sqlite(ref mut conn) => {
                    run::<Sqlite>(conn, statement, |row| DriverRow::Sqlite(row)).await
                }
                #[cfg(feature = "postgres")]
                Connection::Postgres(ref mut conn) => {
                    run::<Postgres>(conn, statement, |row| DriverRow::Postgres(row)).await
                }
                #[cfg(feature = "mysql")]
                Connection::MySql(ref mut conn) => {
                    run::<MySql>(conn, statement, |row| DriverRow::MySql(row)).await
                }
            };
            answer
        };
        match tokio::time::timeout(deadline, work).await {
            Ok(answer) => answer.map_err(Fault::Database),
            Err(_) => {
                self.discard();
                Err(Fault::Deadline)
            }
        }
    }

    /// Whether the connection answers a ping within `deadline`.
    pub(crate) async fn ping(&mut self, deadline: Duration) -> bool {
        let work = async {
            let answer: Result<(), sqlx::Error> = match *self {
                #[cfg(feature = "sqlite")]
                Connection::Sqlite(ref mut conn) => sqlx::Connection::ping(&mut ***conn).await,
                #[cfg(feature = "postgres")]
                Connection::Postgres(ref mut conn) => sqlx::Connection::ping(&mut ***conn).await,
                #[cfg(feature = "mysql")]
                Connection::MySql(ref mut conn) => sqlx::Connection::ping(&mut ***conn).await,
            };
            answer
        };
        matches!(tokio::time::timeout(deadline, work).await, Ok(Ok(())))
    }

    /// Runs a control statement (BEGIN, COMMIT, ROLLBACK, a savepoint) within `deadline`.
    pub(crate) async fn control(
        &mut self,
        sql: impl Into<Arc<str>>,
        deadline: Duration,
    ) -> Result<(), Fault> {
        self.run(Statement::Control(sql.into()), deadline)
            .await
            .map(drop)
    }
}

/// How many decoded rows a stream keeps ready ahead of its reader: enough to keep the
/// connection busy, few enough that memory stays flat whatever the table's size.
const STREAM_AHEAD: usize = 256;

/// The rows of a query, decoded, as they are read from the connection.
type Rows<'c> = BoxStream<'c, Result<Vec<Value>, Fault>>;

impl Connection {
    /// The rows of a query (`sql` with `params`, read as `kinds`), lazily: each is read
    /// from the database when the stream is polled for it, and must arrive within
    /// `deadline` of the poll. The stream ends after its first fault. After
    /// [`Fault::Deadline`] the caller closes the connection ([`Connection::discard`]):
    /// the rest of the answer may never come. Dropped mid-way, the connection keeps the
    /// unread rest, which sqlx reads off before its next statement.
    pub(crate) fn rows<'c>(
        &'c mut self,
        sql: Arc<str>,
        params: Vec<Value>,
        kinds: &'c [ValueKind],
        deadline: Duration,
    ) -> Rows<'c> {
        match *self {
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(ref mut c) => rows::<Sqlite>(c, sql, params, kinds, deadline),
            #[cfg(feature = "postgres")]
            Connection::Postgres(ref mut c) => rows::<Postgres>(c, sql, params, kinds, deadline),
            #[cfg(feature = "mysql")]
            Connection::MySql(ref mut c) => rows::<MySql>(c, sql, params, kinds, deadline),
        }
    }

    /// Sends the rows of a query (as [`Connection::rows`] reads them) through a bounded
    /// channel, from a task that owns the connection: the reader holds at most
    /// [`STREAM_AHEAD`] rows. If a row does not come in time, cannot be read, or the
    /// reader goes away mid-stream, the connection is closed rather than pooled with an
    /// unfinished answer.
    pub(crate) fn stream(
        mut self,
        sql: Arc<str>,
        params: Vec<Value>,
        kinds: &'static [ValueKind],
        deadline: Duration,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<Value>, Fault>> {
        let (tx, rx) = tokio::sync::mpsc::channel(STREAM_AHEAD);
        tokio::spawn(async move {
            let finished = {
                let mut rows = self.rows(sql, params, kinds, deadline);
                loop {
                    let Some(row) = rows.next().await else {
                        break true;
                    };
                    let failed = row.is_err();
                    if tx.send(row).await.is_err() || failed {
                        break false; // the reader is gone, or cannot use what comes next
                    }
                }
            };
            if !finished {
                self.discard();
            }
        });
        rx
    }
}

/// [`Connection::rows`] on a connection of driver `DB`: the code every driver shares.
fn rows<'c, DB: Backend>(
    conn: &'c mut DB::Connection,
    sql: Arc<str>,
    params: Vec<Value>,
    kinds: &'c [ValueKind],
    deadline: Duration,
) -> Rows<'c> {
    let args = match DB::arguments(params) {
        Ok(args) => args,
        Err(e) => {
            let fault = Fault::Database(sqlx::Error::Encode(e));
            return futures_util::stream::once(async { Err(fault) }).boxed();
        }
    };
    let fetched = sqlx::query_with(AssertSqlSafe(sql), args).fetch(DB::executor(conn));
    futures_util::stream::unfold(Some(fetched), move |fetched| async move {
        // `None` once a fault ended the stream.
        let mut fetched = fetched?;
        let row = match tokio::time::timeout(deadline, fetched.next()).await {
            Err(_) => Err(Fault::Deadline),
            Ok(None) => return None,
            Ok(Some(row)) => row
                .and_then(|row| decode_row::<DB>(&row, kinds))
                .map_err(Fault::Database),
        };
        let next = row.is_ok().then_some(fetched);
        Some((row, next))
    })
    .boxed()
}

/// Runs one statement on a connection of driver `DB`: the code every driver shares.
/// `driver_row` names a row of `DB` as the driver it is of, for a `Statement::Read`'s
/// collector.
async fn run<DB: Backend>(
    conn: &mut DB::Connection,
    statement: Statement<'_>,
    driver_row: fn(&DB::Row) -> DriverRow<'_>,
) -> Result<Answer, sqlx::Error> {
    match statement {
        Statement::Control(sql) => {
            sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(DB::executor(conn))
                .await?;
            Ok(Answer::default())
        }
        Statement::Probe { sql, column } => {
            let rows = sqlx::raw_sql(AssertSqlSafe(sql))
                .fetch_all(DB::executor(conn))
                .await?;
            // The simple protocol's values are the server's text, whatever the type.
            let rows = rows
                .iter()
                .map(|row| {
                    let value = <DB as super::values::ReadsText>::text_at(row, column)?;
                    Ok(vec![
                        value.map_or(Value::Null(ValueKind::Text), Value::Text),
                    ])
                })
                .collect::<Result<_, sqlx::Error>>()?;
            Ok(Answer { affected: 0, rows })
        }
        Statement::Execute { sql, params } => {
            let args = DB::arguments(params).map_err(sqlx::Error::Encode)?;
            let done = DB::executor(conn)
                .execute(sqlx::query_with(AssertSqlSafe(sql), args))
                .await?;
            Ok(Answer {
                affected: DB::rows_affected(&done),
                rows: Vec::new(),
            })
        }
        Statement::Fetch {
            sql,
            params,
            kinds,
            at_most_one,
        } => {
            let args = DB::arguments(params).map_err(sqlx::Error::Encode)?;
            let query = sqlx::query_with(AssertSqlSafe(sql), args);
            let rows = if at_most_one {
                // SQLite's worker then stops at the first row and answers at once,
                // instead of stepping on to the end and sending that separately.
                match query.fetch_optional(DB::executor(conn)).await? {
                    Some(row) => vec![decode_row::<DB>(&row, kinds)?],
                    None => Vec::new(),
                }
            } else {
                // Each row decoded as it arrives and its driver row dropped at once, as
                // `query_as` does: holding every driver row until the last came kept a
                // copy of each value alive and cost allocations a row.
                use futures_util::TryStreamExt as _;
                let mut fetched = query.fetch(DB::executor(conn));
                let mut rows = Vec::new();
                while let Some(row) = fetched.try_next().await? {
                    rows.push(decode_row::<DB>(&row, kinds)?);
                }
                rows
            };
            Ok(Answer {
                affected: rows.len() as u64,
                rows,
            })
        }
        Statement::Read { sql, params, into } => {
            use futures_util::TryStreamExt as _;
            let args = DB::arguments(params).map_err(sqlx::Error::Encode)?;
            let mut fetched = sqlx::query_with(AssertSqlSafe(sql), args).fetch(DB::executor(conn));
            let mut affected = 0;
            // Each row handed over as it arrives and its driver row dropped at once.
            while let Some(row) = fetched.try_next().await? {
                into.take(driver_row(&row))?;
                affected += 1;
            }
            Ok(Answer {
                affected,
                rows: Vec::new(),
            })
        }
    }
}

/// A row of driver `DB` read as values of `kinds`, one per column in order.
fn decode_row<DB: Backend>(row: &DB::Row, kinds: &[ValueKind]) -> Result<Vec<Value>, sqlx::Error> {
    // Sized once: collecting through `Result` loses the length, and a row of five
    // columns grew its vector twice.
    let mut values = Vec::with_capacity(kinds.len());
    for (i, kind) in kinds.iter().enumerate() {
        values.push(DB::decode(row, i, *kind)?);
    }
    Ok(values)
}
