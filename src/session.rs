//! `Session`: every read and write of a model routed to its bind, one transaction per
//! bind, begun lazily; pending inserts batched per table.
//!
//! # What a commit across binds guarantees
//!
//! [`Session::commit`] first flushes every pending insert; a statement that fails there
//! rolls back every bind, and nothing is committed. Then it commits the binds one by one
//! in a fixed order — the default bind first, then the named binds by key — and stops at
//! the first bind whose COMMIT fails: the binds before it stay committed, that bind and
//! the ones after it are rolled back, and [`Error::PartialCommit`] says which are which.
//! Only failures at COMMIT itself (a deferred constraint, a serialization failure, a lost
//! connection) can split a commit this way; there is no two-phase commit yet.
//!
//! On SQLite a session begins its transaction at its first write to the bind; reads
//! before that run outside it, on a connection the session holds until then (or until it
//! commits or rolls back), which then begins the transaction. A commit whose only work is one INSERT sends
//! it alone, outside any transaction: one statement is atomic by itself.
//!
//! # A failed statement needs a rollback, on every backend
//!
//! PostgreSQL aborts a transaction at its first failed statement and answers a later
//! COMMIT with ROLLBACK; MySQL and SQLite would commit the statements that worked. So that
//! an application behaves the same on each, any statement of a session that fails (an
//! error from the database, a deadline passed, a lost connection) leaves the session
//! needing [`Session::rollback`]: until then every operation, `commit` included, returns
//! [`Error::PendingRollback`] (SQLAlchemy's `PendingRollbackError`). Values refused
//! before they reach the database (too long, NUL on PostgreSQL, …) leave it usable. On
//! PostgreSQL the COMMIT itself is sent behind a `SELECT 1` in the same message, so a
//! transaction the server had aborted fails there, and a COMMIT can never turn into a
//! silent ROLLBACK.
//!
//! # Every statement has a deadline
//!
//! Each statement, BEGIN, COMMIT and ROLLBACK must finish within the bind's
//! `statement_timeout`, or it fails with [`Error::Deadline`] and its connection is closed
//! (never handed back to the pool): a hung server or a frozen network cannot hold a
//! session for ever.

mod transaction;
mod values;

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{MySql, Postgres, Sqlite};

use crate::db::Db;
use crate::engine::{Fault, Pool, SessionHold, within_deadline};
use crate::error::Error;
use crate::record::Recorder;
use crate::rows;
use crate::{
    BindKey, BindName, ColumnInfo, Dialect, FromValues, Model, Select, StatementCache, Statements,
    TableInfo, Value, ValueKind, generated_column, insert_statement, next_batch, rows_per_insert,
};

/// A unit of work over every bind: Flask-SQLAlchemy's `db.session`, typed and async.
///
/// ```no_run
/// # use bindery::{Db, Model};
/// # #[derive(Model)] struct User { #[model(primary_key)] id: i64, name: String }
/// # async fn run(db: Db) -> Result<(), bindery::Error> {
/// let mut session = db.session();
/// session.add(User { id: 0, name: "ann".into() });      // routed to User's bind
/// let found = session.query::<User>()
///     .filter(User::COLUMNS.name.eq("ann"))
///     .one()
///     .await?;
/// session.commit().await?;
/// # Ok(()) }
/// ```
///
/// Dropping a session without `commit` rolls every bind back.
pub struct Session {
    db: Db,
    /// Open transactions, ordered by bind key (the default bind first): the commit order.
    /// Each counts as held by a live session until the session lets it go, so that
    /// `Db::close` knows not to wait for it.
    txs: Vec<(Option<String>, Conn, SessionHold)>,
    /// SQLite connections held for reads outside any transaction, ordered by bind key:
    /// a session reads a bind on one connection until it writes there (the connection
    /// then begins the transaction) or commits or rolls back, so that a get costs one
    /// statement and not a pool acquire as well.
    reads: Vec<(Option<String>, PoolConnection<Sqlite>, SessionHold)>,
    /// Inserts not yet sent, per table, in the order their tables were first added to.
    pending: Vec<Pending>,
    /// The bind of the statement that failed, and how: the session needs a rollback.
    failed: Option<(Option<String>, &'static str)>,
    /// How many nested transactions (savepoints) are open.
    depth: usize,
}

/// A pooled connection a session holds for one bind, with a transaction open on it.
///
/// The session sends BEGIN, COMMIT and ROLLBACK itself rather than through sqlx's
/// `Transaction`, so that a connection whose statement was cut off by the deadline can be
/// closed instead of going back to the pool in an unknown state.
enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
    MySql(PoolConnection<MySql>),
}

impl Conn {
    /// One connection of `pool`, within its acquire timeout.
    async fn acquire(pool: &Pool) -> Result<Conn, sqlx::Error> {
        Ok(match pool {
            Pool::Sqlite(pool) => Conn::Sqlite(pool.acquire().await?),
            Pool::Postgres(pool) => Conn::Postgres(pool.acquire().await?),
            Pool::MySql(pool) => Conn::MySql(pool.acquire().await?),
        })
    }

    /// Closes the connection when it is dropped instead of returning it to the pool:
    /// closing it ends whatever transaction the server still has open on it.
    fn discard(&mut self) {
        match self {
            Conn::Sqlite(conn) => conn.close_on_drop(),
            Conn::Postgres(conn) => conn.close_on_drop(),
            Conn::MySql(conn) => conn.close_on_drop(),
        }
    }

    /// Runs BEGIN, COMMIT, ROLLBACK or a SAVEPOINT statement (over the simple protocol)
    /// within `deadline`.
    async fn control(
        &mut self,
        sql: impl sqlx::SqlSafeStr + Send,
        deadline: Duration,
    ) -> Result<(), Fault> {
        let run = async move {
            match self {
                Conn::Sqlite(conn) => sqlx::raw_sql(sql).execute(&mut **conn).await.map(drop),
                Conn::Postgres(conn) => sqlx::raw_sql(sql).execute(&mut **conn).await.map(drop),
                Conn::MySql(conn) => sqlx::raw_sql(sql).execute(&mut **conn).await.map(drop),
            }
        };
        match tokio::time::timeout(deadline, run).await {
            Ok(result) => result.map_err(Fault::Database),
            Err(_) => Err(Fault::Deadline),
        }
    }

    fn begin_sql(&self) -> &'static str {
        match self {
            // On SQLite a session begins only to write (see `fetch`): it takes the write
            // lock at once, waiting for it (the busy timeout) rather than failing later.
            Conn::Sqlite(_) => "BEGIN IMMEDIATE",
            _ => "BEGIN",
        }
    }

    fn commit_sql(&self) -> &'static str {
        match self {
            // A transaction PostgreSQL aborted answers COMMIT with ROLLBACK, which sqlx
            // reports as success. Sent in one message behind the COMMIT, `SELECT 1` fails
            // on such a transaction and the COMMIT is skipped: the server itself says so,
            // in the same round trip.
            Conn::Postgres(_) => "SELECT 1; COMMIT",
            _ => "COMMIT",
        }
    }

    /// Rolls back within `deadline`; on failure the connection is closed, which rolls
    /// back as well.
    async fn rollback(&mut self, deadline: Duration) -> Result<(), Fault> {
        let result = self.control("ROLLBACK", deadline).await;
        if result.is_err() {
            self.discard();
        }
        result
    }
}

impl Fault {
    /// The error of a failed COMMIT: when no answer came, the outcome is unknown.
    fn into_commit_error(self, bind: Option<&str>, timeout: Duration) -> Error {
        let reason = match &self {
            Fault::Deadline => format!("no answer within {} ms", timeout.as_millis()),
            Fault::Database(e @ (sqlx::Error::Io(_) | sqlx::Error::Protocol(_))) => e.to_string(),
            Fault::Database(_) => return self.into_error(bind, None, timeout),
        };
        Error::CommitOutcomeUnknown {
            bind: BindKey::from(bind),
            reason,
        }
    }

    /// How the session's statement failed, for [`Error::PendingRollback`].
    fn cause(&self) -> &'static str {
        match self {
            Fault::Database(_) => "a statement failed",
            Fault::Deadline => "a statement passed the statement timeout",
        }
    }
}

/// Where a statement runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    /// In the bind's transaction, begun on first use.
    InTransaction,
    /// On its own, outside any transaction: only a commit's one and only statement, which
    /// is atomic by itself.
    Alone,
}

struct Pending {
    table: &'static TableInfo,
    statements: &'static StatementCache,
    kinds: &'static [ValueKind],
    rows: Vec<Vec<Value>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let binds: Vec<String> = self
            .txs
            .iter()
            .map(|(k, _, _)| BindName(k.as_deref()).to_string())
            .collect();
        let pending: usize = self.pending.iter().map(|p| p.rows.len()).sum();
        f.debug_struct("Session")
            .field("open_binds", &binds)
            .field("pending_rows", &pending)
            .field("needs_rollback", &self.failed.is_some())
            .finish()
    }
}

/// Runs one statement on a held connection, whatever its backend.
macro_rules! on_conn {
    ($held:expr, |$conn:ident, $module:ident| $body:expr) => {
        match $held {
            Conn::Sqlite(c) => {
                let $conn = &mut **c;
                use rows::sqlite as $module;
                $body
            }
            Conn::Postgres(c) => {
                let $conn = &mut **c;
                use rows::postgres as $module;
                $body
            }
            Conn::MySql(c) => {
                let $conn = &mut **c;
                use rows::mysql as $module;
                $body
            }
        }
    };
}

/// Reads every row of a statement as values of `kinds`, on any executor of `backend`.
macro_rules! fetch_rows {
    ($executor:expr, $backend:ident, $sql:expr, $params:expr, $kinds:expr, $at_most_one:expr) => {
        match $backend::arguments($params) {
            Ok(args) => {
                let query = sqlx::query_with(sqlx::AssertSqlSafe($sql), args);
                if $at_most_one {
                    // SQLite's worker then stops at the first row and answers at once,
                    // instead of stepping on to the end and sending that separately.
                    query
                        .fetch_optional($executor)
                        .await
                        .map(|row| row.into_iter().collect::<Vec<_>>())
                } else {
                    query.fetch_all($executor).await
                }
            }
            .and_then(|rows| {
                rows.iter()
                    .map(|row| {
                        $kinds
                            .iter()
                            .enumerate()
                            .map(|(i, kind)| $backend::value(row, i, *kind))
                            .collect()
                    })
                    .collect()
            }),
            Err(e) => Err(sqlx::Error::Encode(e)),
        }
    };
}

impl Db {
    /// A new session. Nothing touches a database until it is used.
    pub fn session(&self) -> Session {
        Session {
            db: self.clone(),
            txs: Vec::new(),
            reads: Vec::new(),
            pending: Vec::new(),
            failed: None,
            depth: 0,
        }
    }

    /// The typed pool of model `M`'s bind, for your own sqlx queries.
    pub fn pool_for<M: Model>(&self) -> Result<&Pool, Error> {
        Ok(self.engine(M::BIND_KEY)?.pool())
    }

    /// Runs a rendered SELECT of model `M` on its own pooled connection, outside any
    /// transaction: a pure read needs no BEGIN and no COMMIT (the query values' executor).
    pub(crate) async fn run_select<M: Model>(
        &self,
        select: &Select<M>,
        count: bool,
    ) -> Result<Vec<Vec<Value>>, Error> {
        let (bind, table) = (M::BIND_KEY, Some(M::TABLE.name));
        if self.is_closed() {
            return Err(Error::Closed { bind: bind.into() });
        }
        let engine = self.engine(bind)?;
        let (dialect, deadline) = (engine.dialect(), engine.statement_timeout());
        values::check_filter(select, dialect)?;
        let (sql, params) = select.render(dialect, M::TABLE, count);
        let sql: Arc<str> = sql.into();
        let kinds: &[ValueKind] = if count {
            &[ValueKind::BigInt]
        } else {
            M::KINDS
        };
        let (count_params, started) = (params.len(), Instant::now());
        let statement = sql.clone();
        macro_rules! read {
            ($pool:expr, $backend:ident) => {
                within_deadline($pool, deadline, |conn| {
                    Box::pin(async move {
                        use rows::$backend as backend;
                        fetch_rows!(conn, backend, statement, params, kinds, false)
                    })
                })
                .await
            };
        }
        let outcome = match engine.pool() {
            Pool::Sqlite(pool) => read!(pool, sqlite),
            Pool::Postgres(pool) => read!(pool, postgres),
            Pool::MySql(pool) => read!(pool, mysql),
        };
        self.recorder()
            .record(bind, &sql, count_params, started.elapsed());
        outcome.map_err(|fault| fault.into_error(bind, table, deadline))
    }
}

impl Session {
    /// The `Db` this session works on.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Queues `row` for insertion into its model's bind; sent in batches by `flush`,
    /// `commit`, or any read. A generated key is left to the database (use
    /// [`Session::insert_all`] to get the rows back with their keys).
    pub fn add<M: Model>(&mut self, row: M) {
        self.add_all(std::iter::once(row));
    }

    /// Queues every row of `rows` for insertion, as [`Session::add`].
    pub fn add_all<M: Model>(&mut self, rows: impl IntoIterator<Item = M>) {
        let index = match self
            .pending
            .iter()
            .position(|p| std::ptr::eq(p.table, M::TABLE))
        {
            Some(index) => index,
            None => {
                self.pending.push(Pending {
                    table: M::TABLE,
                    statements: M::statements(),
                    kinds: M::KINDS,
                    rows: Vec::new(),
                });
                self.pending.len() - 1
            }
        };
        let generated = generated_column(M::TABLE);
        let pending = &mut self.pending[index];
        pending.rows.extend(rows.into_iter().map(|row| {
            let mut values = row.into_values();
            if let Some(g) = generated {
                values.remove(g);
            }
            values
        }));
    }

    /// Inserts `rows` now, in batches, and returns them with the keys the database
    /// generated.
    pub async fn insert_all<M: Model>(&mut self, mut rows: Vec<M>) -> Result<Vec<M>, Error> {
        self.flush().await?;
        let generated = generated_column(M::TABLE);
        let values: Vec<Vec<Value>> = rows
            .iter()
            .map(|row| {
                let mut values = row.to_values();
                if let Some(g) = generated {
                    values.remove(g);
                }
                values
            })
            .collect();
        let keys = self
            .insert_rows(
                M::TABLE,
                M::statements(),
                M::KINDS,
                values,
                true,
                Run::InTransaction,
            )
            .await?;
        for (row, key) in rows.iter_mut().zip(keys) {
            row.set_generated_key(key).map_err(|e| Error::Decode {
                bind: M::TABLE.bind().into(),
                model: M::TABLE.rust_type,
                reason: format!("generated key: {e}"),
            })?;
        }
        Ok(rows)
    }

    /// Inserts one row now and returns it with its generated key.
    pub async fn insert<M: Model>(&mut self, row: M) -> Result<M, Error> {
        let mut rows = self.insert_all(vec![row]).await?;
        rows.pop().ok_or_else(|| Error::Decode {
            bind: M::TABLE.bind().into(),
            model: M::TABLE.rust_type,
            reason: "the insert returned no row".into(),
        })
    }

    /// Sends every queued insert: one multi-row INSERT per table and batch, tables in
    /// the order they were first added to.
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.flush_in(Run::InTransaction).await
    }

    async fn flush_in(&mut self, run: Run) -> Result<(), Error> {
        let pending = std::mem::take(&mut self.pending);
        for table in pending {
            if table.rows.is_empty() {
                continue;
            }
            // Queued rows are not handed back, so their keys are not asked for: RETURNING
            // costs a row sent back per row inserted.
            self.insert_rows(
                table.table,
                table.statements,
                table.kinds,
                table.rows,
                false,
                run,
            )
            .await?;
        }
        Ok(())
    }

    /// Inserts `rows` (values without the generated column) of `table`; with
    /// `want_keys`, returns the generated keys in row order (nothing for a table without
    /// a generated column). Keys are only asked for in the bind's transaction.
    async fn insert_rows(
        &mut self,
        table: &'static TableInfo,
        statements: &'static StatementCache,
        kinds: &'static [ValueKind],
        mut rows: Vec<Vec<Value>>,
        want_keys: bool,
        run: Run,
    ) -> Result<Vec<i64>, Error> {
        let stored_columns: Vec<&ColumnInfo> = {
            let generated = generated_column(table);
            table
                .columns
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != generated)
                .map(|(_, c)| c)
                .collect()
        };
        let generated = generated_column(table).filter(|_| want_keys);
        let dialect = self.db.engine(table.bind_key)?.dialect();
        let limits = self.byte_limits(table.bind_key, run).await?;
        // Every row is checked and sized before the first is sent: a bad one sends nothing.
        let sizes = rows
            .iter_mut()
            .map(|row| {
                let columns_and_values = stored_columns.iter().copied().zip(row.iter_mut());
                values::check_row(table, dialect, &limits, columns_and_values)
            })
            .collect::<Result<Vec<usize>, Error>>()?;
        let returning = match (generated, dialect) {
            (None, _) => false,
            (Some(_), Dialect::MySql) => self.is_mariadb(table.bind_key).await?,
            (Some(_), _) => true,
        };
        let cached = statements.get(dialect, table, returning);
        let key_kind = generated.map(|g| kinds[g]);
        let mut keys = Vec::with_capacity(if generated.is_some() { rows.len() } else { 0 });
        // MySQL without RETURNING: one row per statement, each key from LAST_INSERT_ID().
        let per_statement = if generated.is_some() && !returning {
            1
        } else {
            rows_per_insert(dialect, table)
        };
        // A batch ends at `per_statement` rows or at the bind's byte limit, whichever
        // comes first (MySQL's max_allowed_packet caps a statement's bytes).
        let mut sizes = sizes.as_slice();
        let mut run = run;
        let mut rows = rows.into_iter();
        while !sizes.is_empty() {
            let take = next_batch(sizes, per_statement, limits.statement);
            sizes = sizes.get(take..).unwrap_or_default();
            if !sizes.is_empty() {
                // More than one statement is no longer atomic alone: use the transaction.
                run = Run::InTransaction;
            }
            // Each row's values appended whole (a copy of the row, not a value at a time
            // as `flatten` would), into one vector sized for the batch.
            let mut values = Vec::with_capacity(take * stored_columns.len());
            let mut batch_rows = 0;
            for row in rows.by_ref().take(take) {
                values.extend(row);
                batch_rows += 1;
            }
            let sql: Arc<str> = if batch_rows == cached.insert_batch.0 {
                cached.insert_batch.1.clone()
            } else if batch_rows == 1 {
                cached.insert_one.clone()
            } else {
                insert_statement(dialect, table, batch_rows, returning).into()
            };
            match key_kind {
                Some(kind) if returning => {
                    let returned = self
                        .fetch(table.bind_key, Some(table.name), sql, values, &[kind], true)
                        .await?;
                    // Keys grow in insertion order within one statement on every backend,
                    // whatever order RETURNING lists them in.
                    let mut batch_keys: Vec<i64> = returned
                        .iter()
                        .filter_map(|row| row.first().and_then(Value::as_i64))
                        .collect();
                    batch_keys.sort_unstable();
                    keys.extend(batch_keys);
                }
                Some(_) => {
                    self.execute_raw(
                        table.bind_key,
                        Some(table.name),
                        sql,
                        values,
                        Run::InTransaction,
                    )
                    .await?;
                    let id = self
                        .fetch(
                            table.bind_key,
                            Some(table.name),
                            "SELECT CAST(LAST_INSERT_ID() AS SIGNED)".into(),
                            Vec::new(),
                            &[ValueKind::BigInt],
                            true,
                        )
                        .await?;
                    keys.extend(id.first().and_then(|r| r.first()).and_then(Value::as_i64));
                }
                None => {
                    self.execute_raw(table.bind_key, Some(table.name), sql, values, run)
                        .await?;
                }
            }
        }
        Ok(keys)
    }

    /// Whether a MySQL-dialect bind is MariaDB (10.5+ has `INSERT … RETURNING`).
    async fn is_mariadb(&mut self, bind: Option<&str>) -> Result<bool, Error> {
        if let Some(known) = self.db.engine(bind)?.is_mariadb() {
            return Ok(known);
        }
        let version = self
            .fetch(
                bind,
                None,
                "SELECT VERSION()".into(),
                Vec::new(),
                &[ValueKind::Text],
                false,
            )
            .await?;
        let mariadb = matches!(version.first().and_then(|r| r.first()), Some(Value::Text(v)) if v.contains("MariaDB"));
        self.db.engine(bind)?.set_mariadb(mariadb);
        Ok(mariadb)
    }

    /// The cached statements of model `M` on its bind's dialect.
    fn statements<M: Model>(&self) -> Result<&'static Statements, Error> {
        let dialect = self.db.engine(M::BIND_KEY)?.dialect();
        Ok(M::statements().get(dialect, M::TABLE, false))
    }

    /// The row of model `M` with this key, if any (Flask's `session.get(User, 1)`).
    pub async fn get<M: Model>(&mut self, key: M::Key) -> Result<Option<M>, Error> {
        self.flush().await?;
        let sql = self.statements::<M>()?.get.clone();
        let mut rows = self
            .fetch_up_to(
                M::BIND_KEY,
                Some(M::TABLE.name),
                sql,
                M::key_values(&key),
                M::KINDS,
                false,
                true,
            )
            .await?;
        rows.pop().map(|values| decode::<M>(values)).transpose()
    }

    /// Every row of model `M`.
    pub async fn all<M: Model>(&mut self) -> Result<Vec<M>, Error> {
        self.flush().await?;
        let sql = self.statements::<M>()?.all.clone();
        let rows = self
            .fetch(
                M::BIND_KEY,
                Some(M::TABLE.name),
                sql,
                Vec::new(),
                M::KINDS,
                false,
            )
            .await?;
        rows.into_iter().map(decode::<M>).collect()
    }

    /// Writes every non-key column of `row` to the row with its key. Returns whether
    /// there was such a row.
    pub async fn update<M: Model>(&mut self, row: &M) -> Result<bool, Error> {
        self.flush().await?;
        let sql = self.statements::<M>()?.update.clone();
        let mut values = row.to_values();
        let dialect = self.db.engine(M::BIND_KEY)?.dialect();
        let limits = self.byte_limits(M::BIND_KEY, Run::InTransaction).await?;
        values::check_row(
            M::TABLE,
            dialect,
            &limits,
            M::TABLE.columns.iter().zip(values.iter_mut()),
        )?;
        let mut keys = Vec::new();
        let mut i = 0;
        values.retain(|value| {
            let key = M::TABLE.columns[i].primary_key;
            i += 1;
            if key {
                keys.push(value.clone());
            }
            !key
        });
        values.extend(keys);
        Ok(self
            .execute_raw(
                M::BIND_KEY,
                Some(M::TABLE.name),
                sql,
                values,
                Run::InTransaction,
            )
            .await?
            > 0)
    }

    /// Deletes the row of model `M` with this key. Returns whether there was one.
    pub async fn delete<M: Model>(&mut self, key: M::Key) -> Result<bool, Error> {
        self.flush().await?;
        let sql = self.statements::<M>()?.delete.clone();
        Ok(self
            .execute_raw(
                M::BIND_KEY,
                Some(M::TABLE.name),
                sql,
                M::key_values(&key),
                Run::InTransaction,
            )
            .await?
            > 0)
    }

    /// Runs raw SQL on bind `bind` (`None`: the default bind), inside that bind's
    /// transaction of this session. Values go in `params`, never in `sql`: write
    /// placeholders as the bind's dialect does (`?` or `$1`). Returns the rows affected.
    pub async fn execute(
        &mut self,
        bind: Option<&str>,
        sql: &str,
        mut params: Vec<Value>,
    ) -> Result<u64, Error> {
        self.flush().await?;
        self.check_raw(bind, &mut params).await?;
        self.execute_raw(bind, None, sql.into(), params, Run::InTransaction)
            .await
    }

    /// Runs a raw query on bind `bind` and reads every row into `R`: a model, or a
    /// tuple of column types such as `(i64, String)`.
    pub async fn fetch_all<R: FromValues>(
        &mut self,
        bind: Option<&str>,
        sql: &str,
        mut params: Vec<Value>,
    ) -> Result<Vec<R>, Error> {
        self.flush().await?;
        self.check_raw(bind, &mut params).await?;
        let rows = self
            .fetch(bind, None, sql.into(), params, R::KINDS, false)
            .await?;
        rows.into_iter()
            .map(|values| {
                R::from_values(values).map_err(|e| Error::Decode {
                    bind: BindKey::from(bind),
                    model: std::any::type_name::<R>(),
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    /// Commits every bind this session touched, after flushing: see the module docs for
    /// what happens when one bind fails. The session can be used again afterwards; a
    /// commit that fails has rolled every bind back.
    ///
    /// When the whole commit is one INSERT (one table's queued rows, fitting one
    /// statement, and no transaction begun yet), that statement is sent alone: atomic by
    /// itself, it needs no BEGIN and no COMMIT.
    pub async fn commit(&mut self) -> Result<(), Error> {
        self.usable(None)?;
        // Reads held no transaction: their connections simply go back to the pool.
        self.reads.clear();
        if self.txs.is_empty() && self.is_one_statement()? {
            // The whole commit is one INSERT, atomic by itself: sent alone, it saves the
            // BEGIN and the COMMIT, two round trips of three. If it fails it wrote
            // nothing, and there is no transaction to roll back.
            let result = self.flush_in(Run::Alone).await;
            if self.txs.is_empty() {
                if result.is_err() {
                    self.failed = None;
                    self.pending.clear();
                }
                return result;
            }
            // Rows too many bytes for one statement began a transaction instead (see
            // `insert_rows`): it commits below, as any other.
            if let Err(error) = result {
                self.rollback_all().await;
                return Err(error);
            }
        }
        if let Err(error) = self.flush().await {
            self.rollback_all().await;
            return Err(error);
        }
        let mut committed = Vec::new();
        let mut txs = std::mem::take(&mut self.txs).into_iter();
        while let Some((bind, mut conn, _hold)) = txs.next() {
            let deadline = self.db.engine(bind.as_deref())?.statement_timeout();
            let started = Instant::now();
            let sql = conn.commit_sql();
            let result = conn.control(sql, deadline).await;
            self.recorder()
                .record(bind.as_deref(), sql, 0, started.elapsed());
            let Err(fault) = result else {
                committed.push(BindKey::from(bind));
                continue;
            };
            // Whatever the server made of the COMMIT, closing the connection ends it.
            conn.discard();
            let mut rolled_back = Vec::new();
            for (key, mut conn, _hold) in txs {
                let deadline = self.db.engine(key.as_deref())?.statement_timeout();
                let _ = conn.rollback(deadline).await;
                rolled_back.push(BindKey::from(key));
            }
            let error = fault.into_commit_error(bind.as_deref(), deadline);
            if committed.is_empty() {
                return Err(error);
            }
            return Err(Error::PartialCommit {
                committed,
                failed: bind.into(),
                rolled_back,
                source: Box::new(error),
            });
        }
        Ok(())
    }

    /// Rolls back every bind this session touched and forgets pending inserts; clears a
    /// pending rollback. The session can be used again afterwards. A ROLLBACK that fails
    /// or passes the deadline closes its connection, which rolls back just the same; the
    /// first such failure is returned.
    pub async fn rollback(&mut self) -> Result<(), Error> {
        self.pending.clear();
        self.failed = None;
        self.reads.clear();
        let mut first_error = None;
        for (bind, mut conn, _hold) in std::mem::take(&mut self.txs) {
            let deadline = self.db.engine(bind.as_deref())?.statement_timeout();
            let started = Instant::now();
            let result = conn.rollback(deadline).await;
            self.recorder()
                .record(bind.as_deref(), "ROLLBACK", 0, started.elapsed());
            if let Err(fault) = result {
                first_error.get_or_insert(fault.into_error(bind.as_deref(), None, deadline));
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn rollback_all(&mut self) {
        // The first error is the one to report; a failed rollback ends in the
        // connection being closed, which rolls back just the same.
        let _ = self.rollback().await;
    }

    /// Whether the session needs [`Session::rollback`] because an earlier statement
    /// failed.
    pub fn needs_rollback(&self) -> bool {
        self.failed.is_some()
    }

    /// Refuses to go on after a failed statement, or once the `Db` is closed (the
    /// session's connections are then closed at once).
    fn usable(&mut self, bind: Option<&str>) -> Result<(), Error> {
        if let Some((failed, cause)) = &self.failed {
            return Err(Error::PendingRollback {
                bind: BindKey::from(failed.as_deref()),
                cause,
            });
        }
        if self.db.is_closed() {
            for (_, conn, _) in &mut self.txs {
                conn.discard();
            }
            self.txs.clear();
            for (_, conn, _) in &mut self.reads {
                conn.close_on_drop();
            }
            self.reads.clear();
            self.pending.clear();
            return Err(Error::Closed {
                bind: BindKey::from(bind),
            });
        }
        Ok(())
    }

    /// Records that a statement on `bind` failed: the session now needs a rollback.
    fn fail(&mut self, bind: Option<&str>, cause: &'static str) {
        self.failed.get_or_insert((bind.map(str::to_owned), cause));
    }

    /// Whether the queued inserts are one table's rows that fit one statement.
    fn is_one_statement(&self) -> Result<bool, Error> {
        let mut queued = self.pending.iter().filter(|p| !p.rows.is_empty());
        let (Some(only), None) = (queued.next(), queued.next()) else {
            return Ok(false);
        };
        let dialect = self.db.engine(only.table.bind_key)?.dialect();
        Ok(only.rows.len() <= rows_per_insert(dialect, only.table))
    }

    fn recorder(&self) -> &Recorder {
        self.db.recorder()
    }

    /// Whether this session has begun a transaction on `bind`.
    fn has_tx(&self, bind: Option<&str>) -> bool {
        self.txs
            .binary_search_by(|(k, _, _)| k.as_deref().cmp(&bind))
            .is_ok()
    }

    /// The connection of `bind`, its transaction begun on first use (for a statement on
    /// `table`, which a failure to begin names: SQLite waits for its write lock here).
    async fn tx(
        &mut self,
        bind: Option<&str>,
        table: Option<&'static str>,
    ) -> Result<&mut Conn, Error> {
        let index = match self
            .txs
            .binary_search_by(|(k, _, _)| k.as_deref().cmp(&bind))
        {
            Ok(index) => index,
            Err(index) => {
                let engine = self.db.engine(bind)?;
                let deadline = engine.statement_timeout();
                let started = Instant::now();
                // A connection this session reads the bind on begins its transaction: a
                // second one would wait for a pool of one, and is not needed.
                let acquired = match self
                    .reads
                    .binary_search_by(|(k, _, _)| k.as_deref().cmp(&bind))
                {
                    Ok(read) => Ok(Conn::Sqlite(self.reads.remove(read).1)),
                    Err(_) => Conn::acquire(engine.pool()).await,
                };
                let mut conn = match acquired {
                    Ok(conn) => conn,
                    Err(source) => {
                        let fault = Fault::Database(source);
                        self.fail(bind, fault.cause());
                        return Err(fault.into_error(bind, table, deadline));
                    }
                };
                let begin = conn.begin_sql();
                if let Err(fault) = conn.control(begin, deadline).await {
                    conn.discard();
                    self.fail(bind, fault.cause());
                    return Err(fault.into_error(bind, table, deadline));
                }
                self.recorder().record(bind, begin, 0, started.elapsed());
                let hold = self.db.engine(bind)?.hold();
                self.txs
                    .insert(index, (bind.map(str::to_owned), conn, hold));
                index
            }
        };
        Ok(&mut self.txs[index].1)
    }

    /// The outcome of a statement on `bind`: a failure marks the session as needing a
    /// rollback, and a passed deadline also closes the bind's connection.
    fn settle<T>(
        &mut self,
        bind: Option<&str>,
        table: Option<&'static str>,
        outcome: Result<T, Fault>,
    ) -> Result<T, Error> {
        let fault = match outcome {
            Ok(value) => return Ok(value),
            Err(fault) => fault,
        };
        let deadline = self.db.engine(bind)?.statement_timeout();
        if matches!(fault, Fault::Deadline)
            && let Ok(index) = self
                .txs
                .binary_search_by(|(k, _, _)| k.as_deref().cmp(&bind))
        {
            let (_, mut conn, _) = self.txs.remove(index);
            conn.discard();
        }
        self.fail(bind, fault.cause());
        Err(fault.into_error(bind, table, deadline))
    }

    async fn execute_raw(
        &mut self,
        bind: Option<&str>,
        table: Option<&'static str>,
        sql: Arc<str>,
        params: Vec<Value>,
        run: Run,
    ) -> Result<u64, Error> {
        self.usable(bind)?;
        let deadline = self.db.engine(bind)?.statement_timeout();
        let count = params.len();
        let started = Instant::now();
        macro_rules! execute {
            ($executor:expr, $backend:ident) => {
                match $backend::arguments(params) {
                    Ok(args) => tokio::time::timeout(
                        deadline,
                        sqlx::query_with(sqlx::AssertSqlSafe(sql.clone()), args).execute($executor),
                    )
                    .await
                    .map_or(Err(Fault::Deadline), |r| {
                        r.map(|r| r.rows_affected()).map_err(Fault::Database)
                    }),
                    Err(e) => Err(Fault::Database(sqlx::Error::Encode(e))),
                }
            };
        }
        let outcome: Result<u64, Fault> = match run {
            Run::InTransaction => {
                let conn = self.tx(bind, table).await?;
                on_conn!(conn, |conn, backend| execute!(conn, backend))
            }
            Run::Alone => {
                let pool = self.db.engine(bind)?.pool().clone();
                match Conn::acquire(&pool).await {
                    Ok(mut held) => {
                        let outcome = on_conn!(&mut held, |conn, backend| execute!(conn, backend));
                        if matches!(outcome, Err(Fault::Deadline)) {
                            held.discard();
                        }
                        outcome
                    }
                    Err(source) => Err(Fault::Database(source)),
                }
            }
        };
        self.recorder().record(bind, &sql, count, started.elapsed());
        self.settle(bind, table, outcome)
    }

    async fn fetch(
        &mut self,
        bind: Option<&str>,
        table: Option<&'static str>,
        sql: Arc<str>,
        params: Vec<Value>,
        kinds: &[ValueKind],
        write: bool,
    ) -> Result<Vec<Vec<Value>>, Error> {
        self.fetch_up_to(bind, table, sql, params, kinds, write, false)
            .await
    }

    /// [`Session::fetch`]; with `at_most_one`, for a statement that returns at most one
    /// row (a get by key), whose first row is then its only one.
    #[allow(clippy::too_many_arguments)] // the statement's parts, passed through as they are
    async fn fetch_up_to(
        &mut self,
        bind: Option<&str>,
        table: Option<&'static str>,
        sql: Arc<str>,
        params: Vec<Value>,
        kinds: &[ValueKind],
        write: bool,
        at_most_one: bool,
    ) -> Result<Vec<Vec<Value>>, Error> {
        self.usable(bind)?;
        let deadline = self.db.engine(bind)?.statement_timeout();
        let count = params.len();
        let started = Instant::now();
        // SQLite: until a session writes to a bind, its reads run outside any
        // transaction (as Python's sqlite3 module does under SQLAlchemy). A transaction
        // begun by a read would hold a read lock that a later write could not upgrade
        // while another session writes; begun by a write, it waits its turn instead.
        let sqlite_read = match self.db.engine(bind)?.pool() {
            Pool::Sqlite(pool) if !write && !self.has_tx(bind) => Some(pool.clone()),
            _ => None,
        };
        // Held for the session's next reads, unless the pool has one connection only
        // (in-memory SQLite): holding it would leave every other session waiting.
        let hold_read = sqlite_read
            .as_ref()
            .is_some_and(|pool| pool.options().get_max_connections() > 1);
        macro_rules! timed_fetch {
            ($conn:expr, $backend:ident) => {
                tokio::time::timeout(deadline, async {
                    fetch_rows!($conn, $backend, sql.clone(), params, kinds, at_most_one)
                })
                .await
                .map_or(Err(Fault::Deadline), |r| r.map_err(Fault::Database))
            };
        }
        let outcome: Result<Vec<Vec<Value>>, Fault> = match sqlite_read {
            Some(pool) if hold_read => {
                let index = match self
                    .reads
                    .binary_search_by(|(k, _, _)| k.as_deref().cmp(&bind))
                {
                    Ok(index) => Ok(index),
                    Err(index) => match pool.acquire().await {
                        Ok(conn) => {
                            let hold = self.db.engine(bind)?.hold();
                            self.reads
                                .insert(index, (bind.map(str::to_owned), conn, hold));
                            Ok(index)
                        }
                        Err(source) => Err(Fault::Database(source)),
                    },
                };
                match index {
                    Ok(index) => {
                        let held = &mut self.reads[index].1;
                        use rows::sqlite as backend;
                        let outcome = timed_fetch!(&mut **held, backend);
                        if matches!(outcome, Err(Fault::Deadline)) {
                            // Cut off mid-statement: closed, never read on again.
                            let (_, mut held, _) = self.reads.remove(index);
                            held.close_on_drop();
                        }
                        outcome
                    }
                    Err(fault) => Err(fault),
                }
            }
            Some(pool) => match pool.acquire().await {
                Ok(mut held) => {
                    use rows::sqlite as backend;
                    let outcome = timed_fetch!(&mut *held, backend);
                    if matches!(outcome, Err(Fault::Deadline)) {
                        held.close_on_drop();
                    }
                    outcome
                }
                Err(source) => Err(Fault::Database(source)),
            },
            None => {
                let conn = self.tx(bind, table).await?;
                on_conn!(conn, |conn, backend| timed_fetch!(conn, backend))
            }
        };
        self.recorder().record(bind, &sql, count, started.elapsed());
        self.settle(bind, table, outcome)
    }

    /// Runs a rendered SELECT of model `M` (the query API's executor).
    pub(crate) async fn run_select<M: Model>(
        &mut self,
        select: &Select<M>,
        count: bool,
    ) -> Result<Vec<Vec<Value>>, Error> {
        self.flush().await?;
        let dialect = self.db.engine(M::BIND_KEY)?.dialect();
        values::check_filter(select, dialect)?;
        let (sql, params) = select.render(dialect, M::TABLE, count);
        let kinds: &[ValueKind] = if count {
            &[ValueKind::BigInt]
        } else {
            M::KINDS
        };
        self.fetch(
            M::BIND_KEY,
            Some(M::TABLE.name),
            sql.into(),
            params,
            kinds,
            false,
        )
        .await
    }
}

impl Drop for Session {
    /// Rolls back every open transaction now, on the `Db`'s runtime, wherever the session
    /// is dropped: left for later, SQLite's write lock would be held by an idle connection,
    /// and a pooled connection dropped outside a runtime panics. A ROLLBACK that fails or
    /// passes the deadline closes its connection instead.
    fn drop(&mut self) {
        let txs = std::mem::take(&mut self.txs);
        // Read connections hold no transaction, but go back to the pool on the runtime too.
        let reads: Vec<PoolConnection<Sqlite>> = std::mem::take(&mut self.reads)
            .into_iter()
            .map(|(_, conn, _hold)| conn)
            .collect();
        if txs.is_empty() && reads.is_empty() {
            return;
        }
        // The session lets its connections go now: `Db::close` waits for their rollback.
        let conns: Vec<(Conn, Duration)> = txs
            .into_iter()
            .map(|(bind, conn, _hold)| {
                let deadline = self
                    .db
                    .engine(bind.as_deref())
                    .map_or(crate::DEFAULT_STATEMENT_TIMEOUT, |e| e.statement_timeout());
                (conn, deadline)
            })
            .collect();
        let runtime = self.db.runtime();
        let _context = runtime.enter();
        runtime.spawn(async move {
            drop(reads);
            for (mut conn, deadline) in conns {
                let _ = conn.rollback(deadline).await;
            }
        });
    }
}

/// A model from its column values, or an error naming the model, bind and column.
pub(crate) fn decode<M: Model>(values: Vec<Value>) -> Result<M, Error> {
    M::from_values(values).map_err(|e| Error::Decode {
        bind: M::TABLE.bind().into(),
        model: M::TABLE.rust_type,
        reason: e.to_string(),
    })
}
