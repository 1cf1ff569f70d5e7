//! The session's connection slots, one per bind, and the one path every statement of a
//! session takes: checked usable, run on the right connection within the bind's
//! deadline, recorded, and settled (a failure leaves the session needing a rollback).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::PING_AFTER_IDLE;

use super::Session;
use crate::Dialect;
use crate::ReadPolicy;
use crate::Role;
use crate::backend::{Answer, Connection, Fault, Statement};
use crate::db::Db;
use crate::engine::SessionHold;
use crate::error::Error;
use crate::handle::BindHandle;
use crate::replica::Kept;
use crate::two_phase::Branch;

/// Where a statement runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Run {
    /// In the bind's transaction, begun on first use.
    InTransaction,
    /// A read: in the bind's transaction, except on SQLite before the session writes
    /// there (see [`Session`]'s docs), where it runs on the connection the session holds.
    Read,
    /// A read that may go to one of the bind's read replicas, as the policy (over the
    /// session's) says; on the primary, as `Alone` on a bind with replicas and no open
    /// transaction, else as `Read`.
    Replica(ReadPolicy),
    /// Outside any transaction, on the connection the session holds for the bind (or a
    /// pooled one of its own, where it holds none): a commit's one and only statement,
    /// which is atomic by itself, and what that statement needs to know; a read of a bind
    /// with replicas that the primary serves.
    Alone,
}

/// The connections a session holds for one bind.
#[derive(Default)]
pub(super) struct Slot {
    /// The connection the session's transaction on the bind is open on.
    tx: Option<Held>,
    /// A connection held outside any transaction, from the session's first use of the
    /// bind until it is dropped: it begins the next transaction, runs a commit's one
    /// INSERT sent alone (and, on SQLite, reads before the first write), and the
    /// transaction's connection comes back here when it ends. Handed back to the pool
    /// at each commit instead, a connection costs a ping there (sqlx pings every
    /// connection it takes back), and the next commit, racing that ping, takes another
    /// connection whose statements are not prepared yet: 10–15% of a 1,000-row INSERT
    /// on the servers.
    outside: Option<Held>,
    /// On a bind with read replicas: the replica connection the session's reads there
    /// run on, kept between them (see [`Kept`]).
    replica: Option<Kept>,
}

/// A connection a live session holds: `Db::close` does not wait for it.
pub(super) struct Held {
    pub(super) conn: Connection,
    hold: SessionHold,
    /// When the session last put it aside between transactions.
    idle_since: Instant,
    /// The XA branch its transaction is (MySQL in a two-phase session), which ends by
    /// XA statements instead of COMMIT and ROLLBACK.
    pub(super) xa: Option<Branch>,
}

impl Held {
    fn new(conn: Connection, bind: BindHandle<'_>) -> Held {
        Held {
            conn,
            hold: bind.writer().hold(),
            idle_since: Instant::now(),
            xa: None,
        }
    }

    /// What rolls its transaction back.
    pub(super) fn rollback_sql(&self) -> Arc<str> {
        match &self.xa {
            Some(branch) => branch.rollback_active().into(),
            None => "ROLLBACK".into(),
        }
    }

    /// Rolls its transaction back within `deadline`; on failure the connection is
    /// closed, which rolls back as well (an XA branch not yet prepared too).
    pub(super) async fn rollback(&mut self, deadline: Duration) -> Result<(), Fault> {
        let result = self.conn.control(self.rollback_sql(), deadline).await;
        if result.is_err() {
            self.conn.discard();
        }
        result
    }

    /// The connection, no longer counted as held by a live session.
    pub(super) fn release(self) -> Connection {
        drop(self.hold);
        self.conn
    }
}

impl Session {
    fn slot(&mut self, bind: BindHandle<'_>) -> &mut Slot {
        if self.slots.len() <= bind.index() {
            self.slots.resize_with(bind.index() + 1, Slot::default);
        }
        &mut self.slots[bind.index()]
    }

    /// The indexes of the binds this session has a transaction open on, in commit order.
    pub(super) fn open_binds(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| slot.tx.is_some())
            .map(|(index, _)| index)
    }

    /// Whether this session has begun a transaction on `bind`.
    pub(super) fn has_tx(&self, bind: BindHandle<'_>) -> bool {
        self.slots
            .get(bind.index())
            .is_some_and(|slot| slot.tx.is_some())
    }

    /// The connection of `bind`'s transaction, if one is open.
    pub(super) fn open_transaction(&mut self, bind: BindHandle<'_>) -> Option<&mut Connection> {
        self.slots
            .get_mut(bind.index())
            .and_then(|slot| slot.tx.as_mut())
            .map(|held| &mut held.conn)
    }

    /// Takes the connection of `bind`'s transaction, if one is open.
    pub(super) fn take_transaction(&mut self, bind: BindHandle<'_>) -> Option<Held> {
        self.slots
            .get_mut(bind.index())
            .and_then(|slot| slot.tx.take())
    }

    /// Takes every open transaction's connection, in commit order.
    pub(super) fn take_transactions<'db>(&mut self, db: &'db Db) -> Vec<(BindHandle<'db>, Held)> {
        let mut taken = Vec::new();
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if let Some(mut held) = slot.tx.take() {
                match db.handle_at(index) {
                    Some(bind) => taken.push((bind, held)),
                    // Never: slots are made from this `Db`'s binds. Closed, not pooled.
                    None => held.conn.discard(),
                }
            }
        }
        taken
    }

    /// Takes every connection the session holds, each with whether a transaction is open
    /// on it.
    pub(super) fn take_all<'db>(&mut self, db: &'db Db) -> Vec<(BindHandle<'db>, Held, bool)> {
        let mut taken: Vec<_> = self
            .take_transactions(db)
            .into_iter()
            .map(|(bind, held)| (bind, held, true))
            .collect();
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if let (Some(held), Some(bind)) = (slot.outside.take(), db.handle_at(index)) {
                taken.push((bind, held, false));
            }
        }
        taken
    }

    /// Keeps the connection of `bind`'s transaction, which has just ended (committed or
    /// rolled back), for the session's next statements outside a transaction, unless the
    /// pool has one connection (see [`Slot::outside`]); then it goes back to the pool.
    pub(super) fn keep_after_transaction(&mut self, bind: BindHandle<'_>, mut held: Held) {
        held.xa = None;
        if holds_outside(bind) {
            held.idle_since = Instant::now();
            self.slot(bind).outside = Some(held);
        }
    }

    /// Takes the replica connection the session keeps for `bind`'s reads, if any.
    pub(super) fn take_kept_replica(&mut self, bind: BindHandle<'_>) -> Option<Kept> {
        self.slots
            .get_mut(bind.index())
            .and_then(|slot| slot.replica.take())
    }

    /// Keeps `kept` for `bind`'s next reads.
    pub(super) fn keep_replica(&mut self, bind: BindHandle<'_>, kept: Option<Kept>) {
        if kept.is_some() {
            self.slot(bind).replica = kept;
        }
    }

    /// Closes every connection the session holds, now (the `Db` was closed).
    pub(super) fn discard_all(&mut self) {
        for slot in &mut self.slots {
            if let Some(kept) = slot.replica.take() {
                kept.discard();
            }
            for mut held in [slot.tx.take(), slot.outside.take()].into_iter().flatten() {
                held.conn.discard();
            }
        }
    }

    /// Runs `statement` on `bind` as `run` says, for a statement on `table` (which an
    /// error names).
    pub(super) async fn run(
        &mut self,
        bind: BindHandle<'_>,
        table: Option<&'static str>,
        mut statement: Statement<'_>,
        run: Run,
    ) -> Result<Answer, Error> {
        self.usable(Some(bind))?;
        if let Run::Replica(policy) = run
            && let Some(answer) = self.read_replica(bind, policy, &mut statement).await
        {
            return Ok(answer);
        }
        let run = match run {
            // The primary serves a read a replica could not, outside any transaction as a
            // replica would have: begun here, a transaction would keep the session's
            // later reads of the bind on the primary until it commits.
            Run::Replica(_) if bind.replicas().any() && !self.has_tx(bind) => Run::Alone,
            Run::Replica(_) => Run::Read,
            other => other,
        };
        let deadline = bind.deadline();
        let (sql, count) = (statement.sql().clone(), statement.param_count());
        let started = Instant::now();
        let outcome = match run {
            // Sent alone, a statement runs on the connection the session holds for the
            // bind (see `Slot::outside`); beside an open transaction, or where the session
            // holds none, on a pooled one of its own.
            Run::Alone if !holds_outside(bind) || self.has_tx(bind) => {
                match bind.writer().pool().acquire().await {
                    Ok(mut conn) => conn.run(statement, deadline).await,
                    Err(source) => Err(Fault::Database(source)),
                }
            }
            Run::Alone => {
                let conn = self.outside(bind, table).await?;
                conn.run(statement, deadline).await
            }
            Run::Read | Run::Replica(_) => {
                let mut own = None;
                let conn = self.read_on(bind, table, &mut own).await?;
                conn.run(statement, deadline).await
            }
            Run::InTransaction => {
                let conn = self.tx(bind, table).await?;
                conn.run(statement, deadline).await
            }
        };
        self.recorder()
            .record(bind.key(), Role::Primary, &sql, count, started.elapsed());
        self.settle(bind, table, outcome)
    }

    /// The connection a read of `bind` runs on (`Run::Read`), ready: the bind's
    /// transaction, begun if needed, except on SQLite before the session writes to the
    /// bind; then the connection the session holds outside its transactions, or, for
    /// SQLite's in-memory pool of one connection, a pooled one of the read's own, kept in
    /// `own`. Taken again for the same read, it is the same connection, with no round trip.
    pub(super) async fn read_on<'s>(
        &'s mut self,
        bind: BindHandle<'_>,
        table: Option<&'static str>,
        own: &'s mut Option<Connection>,
    ) -> Result<&'s mut Connection, Error> {
        // SQLite: until a session writes to a bind, its reads run outside any
        // transaction (as Python's sqlite3 module does under SQLAlchemy). A
        // transaction begun by a read would hold a read lock that a later write could
        // not upgrade while another session writes; begun by a write, it waits its
        // turn instead.
        if bind.dialect() != Dialect::Sqlite || self.has_tx(bind) {
            return self.tx(bind, table).await;
        }
        if !holds_outside(bind) {
            let conn = match own.take() {
                Some(conn) => conn,
                None => self.acquire(bind, table).await?,
            };
            return Ok(own.insert(conn));
        }
        self.outside(bind, table).await
    }

    /// The connection the session holds for `bind` outside its transactions, ready (see
    /// [`Session::held_outside`]), left in its slot.
    async fn outside(
        &mut self,
        bind: BindHandle<'_>,
        table: Option<&'static str>,
    ) -> Result<&mut Connection, Error> {
        let held = self.held_outside(bind, table).await?;
        Ok(&mut self.slot(bind).outside.insert(held).conn)
    }

    /// The connection the session holds for `bind` outside its transactions, taken out of
    /// its slot, or a new one. One that has sat idle as long as the pool would ping a
    /// connection before handing it out is pinged too, and replaced if it does not answer
    /// (the server restarted, or closed it as idle).
    async fn held_outside(
        &mut self,
        bind: BindHandle<'_>,
        table: Option<&'static str>,
    ) -> Result<Held, Error> {
        if let Some(mut held) = self.slot(bind).outside.take() {
            if bind.dialect() == Dialect::Sqlite
                || held.idle_since.elapsed() < PING_AFTER_IDLE
                || held.conn.ping(bind.deadline()).await
            {
                return Ok(held);
            }
            held.conn.discard();
        }
        Ok(Held::new(self.acquire(bind, table).await?, bind))
    }

    /// A pooled connection of `bind`, for a statement on `table`: failing to get one
    /// fails the statement, as the database failing it would.
    async fn acquire(
        &mut self,
        bind: BindHandle<'_>,
        table: Option<&'static str>,
    ) -> Result<Connection, Error> {
        match bind.writer().pool().acquire().await {
            Ok(conn) => Ok(conn),
            Err(source) => self.settle(bind, table, Err(Fault::Database(source))),
        }
    }

    /// The connection of `bind`, its transaction begun on first use (for a statement on
    /// `table`, which a failure to begin names: SQLite waits for its write lock here).
    pub(super) async fn tx(
        &mut self,
        bind: BindHandle<'_>,
        table: Option<&'static str>,
    ) -> Result<&mut Connection, Error> {
        let held = match self.slot(bind).tx.take() {
            Some(held) => held,
            None => self.begin(bind, table).await?,
        };
        Ok(&mut self.slot(bind).tx.insert(held).conn)
    }

    async fn begin(
        &mut self,
        bind: BindHandle<'_>,
        table: Option<&'static str>,
    ) -> Result<Held, Error> {
        let started = Instant::now();
        // A connection this session reads the bind on begins its transaction: a second
        // one would wait for a pool of one, and is not needed.
        let mut held = self.held_outside(bind, table).await?;
        let begin: Arc<str> = match self.two_phase_branch(bind) {
            Some(branch) => {
                let start = branch.start().into();
                held.xa = Some(branch);
                start
            }
            None => held.conn.begin_and_commit().0.into(),
        };
        if let Err(fault) = held.conn.control(begin.clone(), bind.deadline()).await {
            held.conn.discard();
            self.fail(bind, fault.cause());
            return Err(bind.writer().explain(fault.into_error(
                bind.key(),
                table,
                bind.deadline(),
            )));
        }
        self.recorder()
            .record(bind.key(), Role::Primary, &begin, 0, started.elapsed());
        Ok(held)
    }

    /// The outcome of a statement on `bind`: a failure marks the session as needing a
    /// rollback, and a passed deadline also drops the bind's connections (closed, since
    /// the statement cut off on it marked it so).
    pub(super) fn settle<T>(
        &mut self,
        bind: BindHandle<'_>,
        table: Option<&'static str>,
        outcome: Result<T, Fault>,
    ) -> Result<T, Error> {
        let fault = match outcome {
            Ok(value) => return Ok(value),
            Err(fault) => fault,
        };
        if matches!(fault, Fault::Deadline) {
            // Cut off mid-statement: closed, never used again.
            let slot = self.slot(bind);
            (slot.tx, slot.outside) = (None, None);
        }
        self.fail(bind, fault.cause());
        Err(bind
            .writer()
            .explain(fault.into_error(bind.key(), table, bind.deadline())))
    }
}

/// Whether a session holds a connection of `bind` outside its transactions ([`Slot::outside`]):
/// unless the pool has one connection (in-memory SQLite, or a pool configured so), which,
/// held, would leave every other session waiting.
fn holds_outside(bind: BindHandle<'_>) -> bool {
    bind.writer().pool().max_connections() > 1
}
