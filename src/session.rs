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
//! connection) can split a commit this way. With two-phase commit on
//! ([`Session::two_phase`], `Config::two_phase`), a commit over two binds or more
//! prepares each, logs its decision and only then commits: all or nothing, once
//! recovery ran after a crash (see `session/two_phase.rs` and the README's "Two-phase
//! commit").
//!
//! A session holds one connection per bind from its first statement there until it is
//! dropped (unless the bind's pool has a single connection): its transactions begin on
//! it and, once they commit or roll back, leave it held for what follows. On SQLite a
//! session begins its transaction at its first write to the bind; reads before that run
//! outside it, on that connection. A commit whose only work is one INSERT sends it
//! alone, outside any transaction: one statement is atomic by itself.
//!
//! On a bind with read replicas, a read outside a transaction that wrote there goes to a
//! replica, after waiting there for the session's causal token; it begins no
//! transaction (see `session/replicas.rs` and the README's "Read replicas").
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

mod replicas;
mod slots;
mod stream;
mod transaction;
mod two_phase;
mod unit_of_work;
mod values;

use std::sync::Arc;
use std::time::Instant;

use crate::ReadPolicy;
use crate::Role;
use crate::backend::{Answer, Collect, Fault, Statement};
use crate::db::Db;
use crate::error::Error;
use crate::handle::BindHandle;
use crate::record::Recorder;

use crate::{
    AnyColumn, AsBindKey, Assignment, BindKey, ByteLimits, FromValues, Model, RowError, Select,
    SelectItem, Sql, Statements, TableInfo, Value, ValueKind,
};

use slots::{Run, Slot};
use unit_of_work::Pending;

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
    /// The session's connections, one slot per bind of the `Db` at the bind's index (the
    /// default bind first, then by key: also the commit order); grown on first use.
    slots: Vec<Slot>,
    /// Inserts not yet sent, per table, in the order their tables were first added to.
    pending: Vec<Pending>,
    /// The bind of the statement that failed, and how: the session needs a rollback.
    failed: Option<(BindKey, &'static str)>,
    /// How many nested transactions (savepoints) are open.
    depth: usize,
    /// What its reads must see and where they may go, on binds with replicas.
    reads: replicas::Reads,
    /// Whether its commits across binds go in two phases.
    two_phase: bool,
    /// The id of its current two-phase transaction, made at its first XA START or
    /// PREPARE; a new one after each commit or rollback.
    xid: Option<crate::two_phase::Xid>,
}

impl Fault {
    /// The error of a failed COMMIT: when no answer came, the outcome is unknown.
    fn into_commit_error(self, bind: BindHandle<'_>) -> Error {
        if !self.leaves_outcome_unknown() {
            return self.into_error(bind.key(), None, bind.deadline());
        }
        let reason = match &self {
            Fault::Deadline => format!("no answer within {} ms", bind.deadline().as_millis()),
            Fault::Database(e) => e.to_string(),
        };
        Error::CommitOutcomeUnknown {
            bind: BindKey::from(bind.key()),
            reason,
        }
    }

    /// Whether no answer came (the deadline passed, the connection broke): the server
    /// may or may not have done what it was sent.
    fn leaves_outcome_unknown(&self) -> bool {
        match self {
            Fault::Deadline => true,
            Fault::Database(e) => matches!(e, sqlx::Error::Io(_) | sqlx::Error::Protocol(_)),
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

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let binds: Vec<String> = self
            .open_binds()
            .filter_map(|index| self.db.handle_at(index))
            .map(|bind| bind.name().to_string())
            .collect();
        let pending: usize = self.pending.iter().map(Pending::len).sum();
        f.debug_struct("Session")
            .field("open_binds", &binds)
            .field("pending_rows", &pending)
            .field("needs_rollback", &self.failed.is_some())
            .finish()
    }
}

impl Db {
    /// A new session. Nothing touches a database until it is used.
    pub fn session(&self) -> Session {
        Session {
            db: self.clone(),
            slots: Vec::new(),
            pending: Vec::new(),
            failed: None,
            depth: 0,
            reads: replicas::Reads::default(),
            two_phase: self.config().get_two_phase(),
            xid: None,
        }
    }

    /// The typed pool of model `M`'s bind, for your own sqlx queries.
    pub fn pool_for<M: Model>(&self) -> Result<&crate::Pool, Error> {
        Ok(self.resolve_table(M::TABLE)?.writer().pool())
    }

    /// Runs a rendered SELECT of model `M` on its own pooled connection, outside any
    /// transaction: a pure read needs no BEGIN and no COMMIT (the query values' executor).
    pub(crate) async fn run_select<M: Model>(
        &self,
        select: &Select<M>,
        shape: Shape<'_, M>,
    ) -> Result<Vec<Vec<Value>>, Error> {
        let bind = self.resolve_table(M::TABLE)?;
        let mut statement = select_statement(select, bind, shape)?;
        if let Some(answer) = self
            .read_replica(bind, select.read_policy(), &mut statement)
            .await
        {
            return Ok(answer.rows);
        }
        let answer = self.run_alone(bind, M::TABLE, statement).await?;
        Ok(answer.rows)
    }

    /// Runs `statement` on `table`'s bind on its own pooled connection, outside any
    /// transaction, within the bind's deadline, and records it.
    async fn run_alone(
        &self,
        bind: BindHandle<'_>,
        table: &'static TableInfo,
        statement: Statement<'_>,
    ) -> Result<Answer, Error> {
        if self.is_closed() {
            return Err(Error::Closed {
                bind: BindKey::from(bind.key()),
            });
        }
        let (sql, count_params) = (statement.sql().clone(), statement.param_count());
        let started = Instant::now();
        let outcome = match bind.writer().pool().acquire().await {
            Ok(mut conn) => conn.run(statement, bind.deadline()).await,
            Err(source) => Err(Fault::Database(source)),
        };
        self.recorder().record(
            bind.key(),
            Role::Primary,
            &sql,
            count_params,
            started.elapsed(),
        );
        outcome.map_err(|fault| {
            bind.writer()
                .explain(fault.into_error(bind.key(), Some(table.name), bind.deadline()))
        })
    }
}

/// What a bulk statement does to every row a query matches.
pub(crate) enum Bulk<'c, M> {
    /// `UPDATE … SET` these.
    Update(&'c mut [Assignment<M>]),
    /// `DELETE`.
    Delete,
}

/// The UPDATE or DELETE of the rows `select` matches, every value checked: the filter's
/// operands, and each value set as a row's value for that column would be.
fn bulk_statement<M: Model>(
    select: &Select<M>,
    bind: BindHandle<'_>,
    bulk: Bulk<'_, M>,
    limits: &ByteLimits,
) -> Result<Statement<'static>, Error> {
    let refuse = |reason| Error::Unsupported {
        bind: BindKey::from(bind.key()),
        model: M::TABLE.rust_type,
        reason,
    };
    if select.is_ordered_or_paged() {
        // PostgreSQL has no UPDATE … LIMIT, and MySQL's does not take OFFSET.
        return Err(refuse(
            "an update or delete of an ordered or paged query: filter the rows instead",
        ));
    }
    one_bind(select)?;
    values::check_filter(select, bind.dialect())?;
    let (sql, params) = match bulk {
        Bulk::Update([]) => return Err(refuse("an update that sets no column")),
        Bulk::Update(changes) => {
            let columns_and_values = changes.iter_mut().filter_map(|change| {
                let column = M::TABLE.column(change.column())?;
                Some((column, change.value_mut()))
            });
            values::check_row(M::TABLE, bind.dialect(), limits, columns_and_values)?;
            select.render_update(bind.dialect(), M::TABLE, changes)
        }
        Bulk::Delete => select.render_delete(bind.dialect(), M::TABLE),
    };
    Ok(Statement::Execute {
        sql: sql.into(),
        params,
    })
}

impl Db {
    /// Runs a bulk UPDATE or DELETE of model `M`'s rows on its own pooled connection,
    /// outside any transaction (one statement is atomic by itself). Returns the rows it
    /// changed.
    pub(crate) async fn run_bulk<M: Model>(
        &self,
        select: &Select<M>,
        bulk: Bulk<'_, M>,
    ) -> Result<u64, Error> {
        let bind = self.resolve_table(M::TABLE)?;
        // The packet limit as far as the engine knows it (a session reads it first).
        let limits = ByteLimits::new(bind.dialect(), bind.writer().max_allowed_packet());
        let statement = bulk_statement(select, bind, bulk, &limits)?;
        let answer = self.run_alone(bind, M::TABLE, statement).await?;
        Ok(answer.affected)
    }
}

/// What a SELECT of a model's rows reads.
#[derive(Debug)]
pub(crate) enum Shape<'a, M> {
    /// Whole rows.
    Rows,
    /// Whole rows, each handed to `into` as it is fetched (read straight into the model).
    Models(&'a mut dyn Collect),
    /// How many rows match.
    Count,
    /// Some columns and aggregates, grouped by some columns, read as `kinds`.
    Projection {
        items: &'a [SelectItem],
        group_by: &'a [&'static str],
        having: Option<&'a Select<M>>,
        distinct: bool,
        kinds: &'static [ValueKind],
    },
    /// Each row with the row of `other` its column `on` points at (`key`), read as
    /// `kinds` (the model's, then the other's).
    Join {
        other: &'static TableInfo,
        on: &'static str,
        key: &'static str,
        kinds: &'a [ValueKind],
    },
}

/// Refuses a filter whose subquery reads a table of another bind: one statement runs on
/// one database. `Filter::in_subquery` already asks the compiler for one bind
/// (`SameBind`), but of a hash of the keys; two keys that hash alike would pass it, so
/// the keys themselves are compared here, for reads and bulk writes alike.
fn one_bind<M: Model>(select: &Select<M>) -> Result<(), Error> {
    let tables = select
        .filter_of()
        .map(|f| f.subquery_tables())
        .unwrap_or_default();
    match tables.iter().find(|t| t.bind_key != M::TABLE.bind_key) {
        None => Ok(()),
        Some(_) => Err(Error::Unsupported {
            bind: M::TABLE.bind().into(),
            model: M::TABLE.rust_type,
            reason: "a subquery of a model of another bind: one statement runs on one database (load related rows with parents_of or children_of)",
        }),
    }
}

/// The statement of a rendered SELECT of model `M` on `bind`, its filter values checked.
fn select_statement<'a, M: Model>(
    select: &Select<M>,
    bind: BindHandle<'_>,
    shape: Shape<'a, M>,
) -> Result<Statement<'a>, Error> {
    if let Shape::Models(into) = shape {
        let (sql, params, _) = select_sql(select, bind, Shape::Rows)?;
        return Ok(Statement::Read {
            sql: sql.into(),
            params,
            into,
        });
    }
    let (sql, params, kinds) = select_sql(select, bind, shape)?;
    Ok(Statement::Fetch {
        sql: sql.into(),
        params,
        kinds,
        at_most_one: false,
    })
}

/// The text, parameters and column kinds of a SELECT of model `M` on `bind`, its filter
/// values checked.
fn select_sql<'a, M: Model>(
    select: &Select<M>,
    bind: BindHandle<'_>,
    shape: Shape<'a, M>,
) -> Result<(String, Vec<Value>, &'a [ValueKind]), Error> {
    one_bind(select)?;
    values::check_filter(select, bind.dialect())?;
    let dialect = bind.dialect();
    let ((sql, params), kinds): (_, &'a [ValueKind]) = match shape {
        Shape::Join {
            other,
            on,
            key,
            kinds,
        } => (select.render_join(dialect, M::TABLE, other, on, key), kinds),
        Shape::Rows | Shape::Models(_) => (select.render(dialect, M::TABLE, false), M::KINDS),
        Shape::Count => (select.render(dialect, M::TABLE, true), &[ValueKind::BigInt]),
        Shape::Projection {
            items,
            group_by,
            having,
            distinct,
            kinds,
        } => {
            // The HAVING filter travels as a SELECT's filter, so its values are checked
            // as a WHERE's are.
            let having = match having {
                Some(having) => {
                    values::check_filter(having, dialect)?;
                    having.filter_of()
                }
                None => None,
            };
            (
                select.render_projection(dialect, M::TABLE, items, group_by, having, distinct),
                kinds,
            )
        }
    };
    Ok((sql, params, kinds))
}

impl Session {
    /// The `Db` this session works on.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The row of model `M` with this key, if any (Flask's `session.get(User, 1)`).
    pub async fn get<M: Model>(&mut self, key: M::Key) -> Result<Option<M>, Error> {
        self.flush().await?;
        let db = self.db.clone();
        let bind = db.resolve_table(M::TABLE)?;
        let statement = Statement::Fetch {
            sql: statements::<M>(bind).get.clone(),
            params: M::key_values(&key),
            kinds: M::KINDS,
            at_most_one: true,
        };
        let mut answer = self
            .run(
                bind,
                Some(M::TABLE.name),
                statement,
                Run::Replica(ReadPolicy::default()),
            )
            .await?;
        answer.rows.pop().map(decode::<M>).transpose()
    }

    /// Every row of model `M`.
    pub async fn all<M: Model>(&mut self) -> Result<Vec<M>, Error> {
        self.flush().await?;
        let db = self.db.clone();
        let bind = db.resolve_table(M::TABLE)?;
        let statement = Statement::Fetch {
            sql: statements::<M>(bind).all.clone(),
            params: Vec::new(),
            kinds: M::KINDS,
            at_most_one: false,
        };
        let answer = self
            .run(
                bind,
                Some(M::TABLE.name),
                statement,
                Run::Replica(ReadPolicy::default()),
            )
            .await?;
        answer.rows.into_iter().map(decode::<M>).collect()
    }

    /// Writes every non-key column of `row` to the row with its key. Returns whether
    /// there was such a row.
    pub async fn update<M: Model>(&mut self, row: &M) -> Result<bool, Error> {
        self.flush().await?;
        let db = self.db.clone();
        let bind = db.resolve_table(M::TABLE)?;
        let mut values = row.to_values();
        let limits = self.byte_limits(bind, Run::InTransaction).await?;
        values::check_row(
            M::TABLE,
            bind.dialect(),
            &limits,
            M::TABLE.columns.iter().zip(values.iter_mut()),
        )?;
        // The statement sets the other columns, then names the key in its WHERE.
        let (mut keys, mut params) = (Vec::new(), Vec::with_capacity(values.len()));
        for (column, value) in M::TABLE.columns.iter().zip(values) {
            if column.primary_key {
                keys.push(value);
            } else {
                params.push(value);
            }
        }
        params.extend(keys);
        let statement = Statement::Execute {
            sql: statements::<M>(bind).update.clone(),
            params,
        };
        let answer = self
            .run(bind, Some(M::TABLE.name), statement, Run::InTransaction)
            .await?;
        Ok(answer.affected > 0)
    }

    /// Deletes the row of model `M` with this key. Returns whether there was one.
    pub async fn delete<M: Model>(&mut self, key: M::Key) -> Result<bool, Error> {
        self.flush().await?;
        let db = self.db.clone();
        let bind = db.resolve_table(M::TABLE)?;
        let statement = Statement::Execute {
            sql: statements::<M>(bind).delete.clone(),
            params: M::key_values(&key),
        };
        let answer = self
            .run(bind, Some(M::TABLE.name), statement, Run::InTransaction)
            .await?;
        Ok(answer.affected > 0)
    }

    /// Runs raw SQL on bind `bind` (`None`: the default bind), inside that bind's
    /// transaction of this session. Values go in `params`, never in `sql`: write
    /// placeholders as the bind's dialect does (`?` or `$1`), or use
    /// [`Session::execute_sql`], which writes them for you. Returns the rows affected.
    pub async fn execute(
        &mut self,
        bind: impl AsBindKey,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<u64, Error> {
        let db = self.db.clone();
        let bind = db.resolve(bind.as_bind_key())?;
        self.raw_execute(bind, sql.into(), params).await
    }

    /// [`Session::execute`] for a statement written once for every dialect: its
    /// identifiers quoted and its placeholders written by the bind's dialect.
    pub async fn execute_sql(&mut self, bind: impl AsBindKey, sql: &Sql) -> Result<u64, Error> {
        let db = self.db.clone();
        let bind = db.resolve(bind.as_bind_key())?;
        let (text, params) = sql.render(bind.dialect());
        self.raw_execute(bind, text.into(), params).await
    }

    /// Runs a raw query on bind `bind` and reads every row into `R`: a model, or a
    /// tuple of column types such as `(i64, String)`.
    pub async fn fetch_all<R: FromValues>(
        &mut self,
        bind: impl AsBindKey,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Vec<R>, Error> {
        let db = self.db.clone();
        let bind = db.resolve(bind.as_bind_key())?;
        self.raw_fetch(bind, sql.into(), params).await
    }

    /// [`Session::fetch_all`] for a statement written once for every dialect.
    pub async fn fetch_sql<R: FromValues>(
        &mut self,
        bind: impl AsBindKey,
        sql: &Sql,
    ) -> Result<Vec<R>, Error> {
        let db = self.db.clone();
        let bind = db.resolve(bind.as_bind_key())?;
        let (text, params) = sql.render(bind.dialect());
        self.raw_fetch(bind, text.into(), params).await
    }

    async fn raw_execute(
        &mut self,
        bind: BindHandle<'_>,
        sql: Arc<str>,
        mut params: Vec<Value>,
    ) -> Result<u64, Error> {
        self.flush().await?;
        self.check_raw(bind, &mut params).await?;
        let statement = Statement::Execute { sql, params };
        let answer = self.run(bind, None, statement, Run::InTransaction).await?;
        Ok(answer.affected)
    }

    async fn raw_fetch<R: FromValues>(
        &mut self,
        bind: BindHandle<'_>,
        sql: Arc<str>,
        mut params: Vec<Value>,
    ) -> Result<Vec<R>, Error> {
        self.flush().await?;
        self.check_raw(bind, &mut params).await?;
        let statement = Statement::Fetch {
            sql,
            params,
            kinds: R::KINDS,
            at_most_one: false,
        };
        let answer = self.run(bind, None, statement, Run::Read).await?;
        answer
            .rows
            .into_iter()
            .map(|values| {
                R::from_values(values).map_err(|e| Error::Decode {
                    bind: BindKey::from(bind.key()),
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
        if self.open_binds().next().is_none() && self.is_one_statement()? {
            // The whole commit is one INSERT, atomic by itself: sent alone, it saves the
            // BEGIN and the COMMIT, two round trips of three. If it fails it wrote
            // nothing, and there is no transaction to roll back.
            let result = self.flush_in(Run::Alone).await;
            if self.open_binds().next().is_none() {
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
        let db = self.db.clone();
        let open = self.take_transactions(&db);
        let xid = self.xid.take();
        if self.two_phase && open.len() > 1 {
            return self.commit_two_phase(open, xid).await;
        }
        let mut committed = Vec::new();
        let mut open = open.into_iter();
        while let Some((bind, mut held)) = open.next() {
            let result = self.commit_on(bind, &mut held).await;
            let Err(fault) = result else {
                committed.push(BindKey::from(bind.key()));
                self.keep_after_transaction(bind, held);
                continue;
            };
            // Whatever the server made of the COMMIT, closing the connection ends it.
            held.conn.discard();
            let mut rolled_back = Vec::new();
            for (other, mut held) in open {
                let _ = held.rollback(other.deadline()).await;
                rolled_back.push(BindKey::from(other.key()));
            }
            let error = fault.into_commit_error(bind);
            if committed.is_empty() {
                return Err(error);
            }
            return Err(Error::PartialCommit {
                committed,
                failed: BindKey::from(bind.key()),
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
        self.xid = None;
        let db = self.db.clone();
        let mut first_error = None;
        for (bind, mut held) in self.take_transactions(&db) {
            let started = Instant::now();
            let result = held.rollback(bind.deadline()).await;
            self.recorder().record(
                bind.key(),
                Role::Primary,
                &held.rollback_sql(),
                0,
                started.elapsed(),
            );
            match result {
                Ok(()) => self.keep_after_transaction(bind, held),
                Err(fault) => {
                    first_error.get_or_insert(fault.into_error(bind.key(), None, bind.deadline()));
                }
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
    fn usable(&mut self, bind: Option<BindHandle<'_>>) -> Result<(), Error> {
        if let Some((failed, cause)) = &self.failed {
            return Err(Error::PendingRollback {
                bind: failed.clone(),
                cause,
            });
        }
        if self.db.is_closed() {
            self.discard_all();
            self.pending.clear();
            return Err(Error::Closed {
                bind: BindKey::from(bind.and_then(BindHandle::key)),
            });
        }
        Ok(())
    }

    /// Records that a statement on `bind` failed: the session now needs a rollback.
    fn fail(&mut self, bind: BindHandle<'_>, cause: &'static str) {
        self.failed
            .get_or_insert_with(|| (BindKey::from(bind.key()), cause));
    }

    fn recorder(&self) -> &Recorder {
        self.db.recorder()
    }

    /// Runs a bulk UPDATE or DELETE of model `M`'s rows in the session's transaction of
    /// its bind, after flushing. Returns the rows it changed.
    pub(crate) async fn run_bulk<M: Model>(
        &mut self,
        select: &Select<M>,
        bulk: Bulk<'_, M>,
    ) -> Result<u64, Error> {
        self.flush().await?;
        let db = self.db.clone();
        let bind = db.resolve_table(M::TABLE)?;
        let limits = self.byte_limits(bind, Run::InTransaction).await?;
        let statement = bulk_statement(select, bind, bulk, &limits)?;
        let answer = self
            .run(bind, Some(M::TABLE.name), statement, Run::InTransaction)
            .await?;
        Ok(answer.affected)
    }

    /// Writes only `columns` of `row` to the row with its key (a PATCH, not the whole
    /// row): `session.update_columns(&user, [User::COLUMNS.name.into()])`. Returns whether
    /// there was such a row.
    pub async fn update_columns<M: Model>(
        &mut self,
        row: &M,
        columns: impl IntoIterator<Item = AnyColumn<M>>,
    ) -> Result<bool, Error> {
        let values = row.to_values();
        let mut changes: Vec<Assignment<M>> = columns
            .into_iter()
            .filter_map(|column| {
                let at = M::TABLE
                    .columns
                    .iter()
                    .position(|c| c.name == column.name())?;
                let value = values.get(at)?.clone();
                Some(Assignment::of_value(column, value))
            })
            .collect();
        let select = Select::by_key(M::TABLE, M::key_values(&row.key()));
        let changed = self.run_bulk(&select, Bulk::Update(&mut changes)).await?;
        Ok(changed > 0)
    }

    /// Runs a rendered SELECT of model `M` (the query API's executor).
    pub(crate) async fn run_select<M: Model>(
        &mut self,
        select: &Select<M>,
        shape: Shape<'_, M>,
    ) -> Result<Vec<Vec<Value>>, Error> {
        self.flush().await?;
        let db = self.db.clone();
        let bind = db.resolve_table(M::TABLE)?;
        let statement = select_statement(select, bind, shape)?;
        let read = Run::Replica(select.read_policy());
        let answer = self.run(bind, Some(M::TABLE.name), statement, read).await?;
        Ok(answer.rows)
    }
}

/// The cached statements of model `M` on its bind's dialect.
fn statements<M: Model>(bind: BindHandle<'_>) -> &'static Statements {
    M::statements().get(bind.dialect(), M::TABLE, false)
}

impl Drop for Session {
    /// Rolls back every open transaction now, on the `Db`'s runtime, wherever the session
    /// is dropped: left for later, SQLite's write lock would be held by an idle connection,
    /// and a pooled connection dropped outside a runtime panics. A ROLLBACK that fails or
    /// passes the deadline closes its connection instead.
    fn drop(&mut self) {
        let db = self.db.clone();
        let held = self.take_all(&db);
        if held.is_empty() {
            return;
        }
        // The session lets its connections go now: `Db::close` waits for their rollback.
        let work: Vec<_> = held
            .into_iter()
            .map(|(bind, held, in_transaction)| {
                let rollback = in_transaction.then(|| held.rollback_sql());
                (held.release(), bind.deadline(), rollback)
            })
            .collect();
        let runtime = db.runtime();
        let _context = runtime.enter();
        runtime.spawn(async move {
            for (mut conn, deadline, rollback) in work {
                // Read connections hold no transaction: they just go back to the pool.
                if let Some(rollback) = rollback
                    && conn.control(rollback, deadline).await.is_err()
                {
                    conn.discard();
                }
            }
        });
    }
}

/// What makes two key values the same key (a loader's, an upsert's): integers of any
/// width compare by value, and make no text (a loader keys hundreds of rows a page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Identity {
    /// An integer of any width.
    Int(i64),
    /// Any other value, by its debug text.
    Other(String),
}

// Hashed by what it holds alone, not its variant too: the hash of an integer key is
// then one write of its eight bytes (a loader hashes every row it groups). An integer
// and a text that hash alike are still told apart by `Eq`.
impl std::hash::Hash for Identity {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            Identity::Int(n) => n.hash(state),
            Identity::Other(text) => text.hash(state),
        }
    }
}

impl Identity {
    /// As text, for a key of several values.
    pub(crate) fn into_text(self) -> String {
        match self {
            Identity::Int(n) => n.to_string(),
            Identity::Other(text) => text,
        }
    }
}

/// The identity of a key value.
pub(crate) fn identity(value: &Value) -> Identity {
    match value.as_i64() {
        Some(n) => Identity::Int(n),
        None => Identity::Other(format!("{value:?}")),
    }
}

/// A model from its column values, or an error naming the model, bind and column.
pub(crate) fn decode<M: Model>(values: Vec<Value>) -> Result<M, Error> {
    M::from_values(values).map_err(misfit::<M>)
}

/// The error of a row that does not fit model `M`, naming the model, bind and column.
pub(crate) fn misfit<M: Model>(e: RowError) -> Error {
    Error::Decode {
        bind: M::TABLE.bind().into(),
        model: M::TABLE.rust_type,
        reason: e.to_string(),
    }
}
