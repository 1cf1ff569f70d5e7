//! A session's commit across binds in two phases: every bind that can prepares (and is
//! asked whether it really did), the commit decision is logged in its own transaction,
//! a bind that cannot prepare (SQLite) commits as the last resource, then every
//! prepared bind commits. Anything that fails before the decision rolls every bind
//! back; after it, recovery (`two_phase/recover.rs`) finishes what a crash left.

use std::sync::Arc;
use std::time::Instant;

use super::Session;
use super::slots::Held;
use crate::backend::{Answer, Connection, Fault, Statement};
use crate::engine::Engine;
use crate::error::Error;
use crate::handle::BindHandle;
use crate::two_phase::{
    Branch, DECIDE_WITHIN, Outcome, Step, Verdict, Xid, decide, forget, forget_all,
    is_unknown_branch, log_insert, log_table_sql, reached,
};
use crate::{BindKey, Dialect, Role};

/// A bind's transaction that takes part in the commit.
type Part<'db> = (BindHandle<'db>, Held);

/// A bind's prepared branch.
type Prepared<'db> = (BindHandle<'db>, Held, Branch);

impl Session {
    /// Commits this session's work across binds in two phases from its next commit on
    /// (or not), whatever the configuration says ([`Config::two_phase`]). MySQL and
    /// MariaDB binds begin their transactions as XA branches while it is on.
    ///
    /// [`Config::two_phase`]: crate::Config::two_phase
    pub fn two_phase(&mut self, on: bool) -> &mut Session {
        self.two_phase = on;
        self
    }

    /// Whether this session commits across binds in two phases.
    pub fn is_two_phase(&self) -> bool {
        self.two_phase
    }

    /// The XA branch a transaction begun now on `bind` runs as: a MySQL bind's, in a
    /// two-phase session.
    pub(super) fn two_phase_branch(&mut self, bind: BindHandle<'_>) -> Option<Branch> {
        if !self.two_phase || bind.dialect() != Dialect::MySql {
            return None;
        }
        let db = self.db.clone();
        let xid = self.xid.get_or_insert_with(|| db.coordinator().next_xid());
        Some(xid.branch(Dialect::MySql, bind.index()))
    }

    /// Commits `open`, the transactions of two binds or more, in two phases as
    /// transaction `xid` (see the module's notes).
    pub(super) async fn commit_two_phase(
        &mut self,
        open: Vec<Part<'_>>,
        xid: Option<Xid>,
    ) -> Result<(), Error> {
        let db = self.db.clone();
        let xid = xid.unwrap_or_else(|| db.coordinator().next_xid());
        let (mut to_prepare, mut last): (Vec<Part<'_>>, Vec<Part<'_>>) = open
            .into_iter()
            .partition(|(bind, held)| match bind.dialect() {
                Dialect::Postgres => true,
                Dialect::MySql => held.xa.is_some(),
                Dialect::Sqlite => false,
            });
        if last.len() > 1 {
            let binds = last.iter().map(|(b, _)| BindKey::from(b.key())).collect();
            self.undo(Vec::new(), to_prepare, last).await;
            return Err(Error::TwoPhase {
                binds,
                reason: "none of these can prepare a transaction (SQLite, or MySQL begun before \
                         two-phase commit was on), and at most one such bind may join a \
                         two-phase commit, committed last"
                    .into(),
            });
        }
        let log = match db.two_phase_log() {
            Ok(log) => log,
            Err(error) => {
                self.undo(Vec::new(), to_prepare, last).await;
                return Err(error);
            }
        };
        // With no bind that cannot prepare, the log's own bind, when it takes part, is the
        // last resource: it does not prepare, and its COMMIT, which carries the decision
        // row, is the decision (two round trips fewer, and nothing to log apart).
        if last.is_empty()
            && let Some(at) = to_prepare.iter().position(|(b, _)| b.key() == log.key())
        {
            last.push(to_prepare.remove(at));
        }
        let logs_itself = last
            .first()
            .is_some_and(|(bind, _)| bind.key() == log.key());
        // SQLite's table is made inside the last resource's transaction, which holds the
        // file's write lock; a server's from a connection of its own, here, as MySQL's
        // DDL would end an open transaction.
        let in_own_transaction = logs_itself && log.dialect() == Dialect::Sqlite;
        if !in_own_transaction
            && let Err(fault) =
                crate::two_phase::ensure_log(db.coordinator(), log, self.recorder()).await
        {
            self.undo(Vec::new(), to_prepare, last).await;
            return Err(fault.into_error(log.key(), None, log.statement_timeout()));
        }

        let began = Instant::now();
        let prepared = self.prepare_all(&xid, to_prepare, &mut last).await?;
        if began.elapsed() > DECIDE_WITHIN {
            let reason = format!(
                "preparing took longer than {} s, after which recovery may roll it back",
                DECIDE_WITHIN.as_secs()
            );
            return Err(self.give_up(prepared, last, reason).await);
        }

        let last = last.pop();
        let prepared = if logs_itself {
            self.decide_with_last(&xid, prepared, last).await?
        } else {
            self.decide_then_last(&xid, log, prepared, last).await?
        };
        self.commit_prepared(&xid, log, prepared).await
    }

    /// Prepares each of `parts` in turn; on a failure rolls back everything (the
    /// prepared ones, the others and `last`) and returns why.
    async fn prepare_all<'db>(
        &mut self,
        xid: &Xid,
        parts: Vec<Part<'db>>,
        last: &mut Vec<Part<'db>>,
    ) -> Result<Vec<Prepared<'db>>, Error> {
        let mut prepared = Vec::with_capacity(parts.len());
        let mut parts = parts.into_iter();
        while let Some((bind, mut held)) = parts.next() {
            let branch = held
                .xa
                .clone()
                .unwrap_or_else(|| xid.branch(bind.dialect(), bind.index()));
            let prepare = Statement::Probe {
                sql: branch.prepare().into(),
                column: (bind.dialect() == Dialect::MySql).then_some("data"),
            };
            let error = match self.run_recorded(bind, &mut held.conn, prepare).await {
                Ok(answer) if branch.prepared(&answer) => {
                    prepared.push((bind, held, branch));
                    reached(Step::Prepared(prepared.len()));
                    continue;
                }
                Ok(_) => Error::TwoPhase {
                    binds: vec![BindKey::from(bind.key())],
                    reason: "its PREPARE prepared nothing: the transaction had failed".into(),
                },
                Err(fault) => fault.into_error(bind.key(), None, bind.deadline()),
            };
            // Its transaction is over, or as good as: closing the connection ends it (and
            // frees a MariaDB branch it may have prepared for the rollback below).
            held.conn.discard();
            drop(held);
            if !matches!(error, Error::TwoPhase { .. }) {
                // No answer may mean it prepared: roll that back too, from elsewhere.
                self.forget_branch(bind, &branch).await;
            }
            self.undo(prepared, parts.collect(), std::mem::take(last))
                .await;
            return Err(error);
        }
        Ok(prepared)
    }

    /// Logs the commit in the last resource's own transaction (it keeps the log), and
    /// commits it: one atomic step, whatever crashes.
    async fn decide_with_last<'db>(
        &mut self,
        xid: &Xid,
        prepared: Vec<Prepared<'db>>,
        last: Option<Part<'db>>,
    ) -> Result<Vec<Prepared<'db>>, Error> {
        let Some((bind, mut held)) = last else {
            return Ok(prepared);
        };
        let engine = bind.writer();
        let coordinator = self.db.coordinator();
        let mut statements = Vec::with_capacity(2);
        if !coordinator.log_ready() {
            statements.push(Statement::Control(log_table_sql(engine).into()));
        }
        statements.push(log_insert(engine, xid.gtrid(), Outcome::Commit));
        let mut logged = Ok(());
        for statement in statements {
            logged = self
                .run_recorded(bind, &mut held.conn, statement)
                .await
                .map(drop);
            if logged.is_err() {
                break;
            }
        }
        if let Err(fault) = logged {
            // Before its COMMIT was sent, the transaction cannot have committed, answer
            // or not: closing the connection ends it, and every bind rolls back.
            held.conn.discard();
            self.undo(prepared, Vec::new(), Vec::new()).await;
            return Err(fault.into_error(bind.key(), None, bind.deadline()));
        }
        match self.commit_on(bind, &mut held).await {
            Ok(()) => {
                self.db.coordinator().set_log_ready();
                self.keep_after_transaction(bind, held);
                reached(Step::Decided);
                Ok(prepared)
            }
            Err(fault) if fault.leaves_outcome_unknown() => {
                held.conn.discard();
                let reason = fault.into_commit_error(bind).to_string();
                Err(leave_in_doubt(xid, prepared, false, reason))
            }
            Err(fault) => {
                let _ = held.rollback(bind.deadline()).await;
                self.undo(prepared, Vec::new(), Vec::new()).await;
                Err(fault.into_commit_error(bind))
            }
        }
    }

    /// Logs the commit in its own transaction on the log's bind, then commits the last
    /// resource, if any (withdrawing the decision if that fails).
    async fn decide_then_last<'db>(
        &mut self,
        xid: &Xid,
        log: &Engine,
        prepared: Vec<Prepared<'db>>,
        last: Option<Part<'db>>,
    ) -> Result<Vec<Prepared<'db>>, Error> {
        let rest = last.into_iter().collect::<Vec<_>>();
        match decide(
            self.db.coordinator(),
            log,
            self.recorder(),
            xid.gtrid(),
            Outcome::Commit,
        )
        .await
        {
            Ok(Verdict::Logged | Verdict::Taken(Outcome::Commit)) => {}
            Ok(Verdict::Taken(Outcome::Abort)) => {
                let reason = "recovery found it prepared and undecided, and rolled it back first";
                return Err(self.give_up(prepared, rest, reason.into()).await);
            }
            Err(fault) if fault.leaves_outcome_unknown() => {
                self.undo(Vec::new(), Vec::new(), rest).await;
                let reason = fault.into_error(log.key(), None, log.statement_timeout());
                return Err(leave_in_doubt(xid, prepared, false, reason.to_string()));
            }
            Err(fault) => {
                self.undo(prepared, Vec::new(), rest).await;
                return Err(fault.into_error(log.key(), None, log.statement_timeout()));
            }
        }
        reached(Step::Decided);
        let Some((bind, mut held)) = rest.into_iter().next() else {
            return Ok(prepared);
        };
        match self.commit_on(bind, &mut held).await {
            Ok(()) => {
                self.keep_after_transaction(bind, held);
                Ok(prepared)
            }
            Err(fault) if fault.leaves_outcome_unknown() => {
                // It may have committed: the decision stands, and recovery commits the
                // prepared binds (right if it did; if it did not, its rows alone are lost).
                held.conn.discard();
                let error = fault.into_commit_error(bind);
                let reason = format!("the last resource {}: {error}", bind.name());
                Err(leave_in_doubt(xid, prepared, true, reason))
            }
            Err(fault) => {
                held.conn.discard();
                let error = fault.into_commit_error(bind);
                // Withdrawn, the decision is an abort again, which recovery carries out.
                if forget(log, self.recorder(), xid.gtrid()).await.is_ok() {
                    self.undo(prepared, Vec::new(), Vec::new()).await;
                    return Err(error);
                }
                Err(leave_in_doubt(
                    xid,
                    prepared,
                    true,
                    format!(
                        "the last resource {} failed its commit ({error}) after the decision, \
                         which could not be withdrawn",
                        bind.name()
                    ),
                ))
            }
        }
    }

    /// Phase two: commits every prepared branch, then forgets the decision.
    async fn commit_prepared(
        &mut self,
        xid: &Xid,
        log: &Engine,
        prepared: Vec<Prepared<'_>>,
    ) -> Result<(), Error> {
        let mut pending = Vec::new();
        let mut reason = String::new();
        let mut committed = 0;
        for (bind, mut held, branch) in prepared {
            let commit: Arc<str> = branch.commit_prepared().into();
            match self.finish_on(bind, &mut held.conn, commit).await {
                Ok(()) => {}
                // Recovery committed it meanwhile: the decision is the commit.
                Err(Fault::Database(e)) if is_unknown_branch(&e) => {}
                Err(fault) => {
                    held.conn.discard();
                    reason = fault.into_commit_error(bind).to_string();
                    pending.push(BindKey::from(bind.key()));
                    continue;
                }
            }
            self.keep_after_transaction(bind, held);
            committed += 1;
            reached(Step::Committed(committed));
        }
        if !pending.is_empty() {
            return Err(Error::InDoubt {
                transaction: xid.gtrid().to_owned(),
                decided: true,
                pending,
                reason,
            });
        }
        // Carried out: the decision is removed with the next ones, in one statement every
        // `FORGET_BATCH` commits (a row left behind by a crash is removed by recovery).
        if let Some(done) = self.db.coordinator().finished(xid) {
            let _ = forget_all(log, self.recorder(), &done).await;
        }
        Ok(())
    }

    /// Rolls back the `prepared` branches and `last`; the error that says why.
    async fn give_up(
        &mut self,
        prepared: Vec<Prepared<'_>>,
        last: Vec<Part<'_>>,
        reason: String,
    ) -> Error {
        let binds = keys(&prepared);
        self.undo(prepared, Vec::new(), last).await;
        Error::TwoPhase { binds, reason }
    }

    /// Rolls back the `prepared` branches, the `unprepared` transactions and `last`.
    async fn undo(
        &mut self,
        prepared: Vec<Prepared<'_>>,
        unprepared: Vec<Part<'_>>,
        last: Vec<Part<'_>>,
    ) {
        for (bind, mut held, branch) in prepared {
            let rollback = Statement::Control(branch.rollback_prepared().into());
            match self.run_recorded(bind, &mut held.conn, rollback).await {
                Ok(_) => {
                    held.xa = None;
                    self.keep_after_transaction(bind, held);
                }
                Err(_) => {
                    // Left prepared: recovery rolls it back (no commit is logged).
                    held.conn.discard();
                }
            }
        }
        for (bind, mut held) in unprepared.into_iter().chain(last) {
            if held.rollback(bind.deadline()).await.is_ok() {
                self.keep_after_transaction(bind, held);
            }
        }
    }

    /// Runs `statement` of `bind` on `conn` within the bind's deadline, and records it.
    async fn run_recorded(
        &self,
        bind: BindHandle<'_>,
        conn: &mut Connection,
        statement: Statement<'_>,
    ) -> Result<Answer, Fault> {
        let (sql, count) = (statement.sql().clone(), statement.param_count());
        let started = Instant::now();
        let answer = conn.run(statement, bind.deadline()).await;
        self.recorder()
            .record(bind.key(), Role::Primary, &sql, count, started.elapsed());
        answer
    }

    /// Rolls back `branch` from a pooled connection, should it be prepared (a PREPARE
    /// that got no answer); nothing if it is not.
    async fn forget_branch(&mut self, bind: BindHandle<'_>, branch: &Branch) {
        let sql: Arc<str> = branch.rollback_prepared().into();
        if let Ok(mut conn) = bind.writer().pool().acquire().await {
            let _ = conn.control(sql, bind.deadline()).await;
        }
    }
}

/// The error of a commit that leaves `prepared` for recovery. Their connections are
/// closed: a MariaDB branch stays tied to the connection that prepared it, which no
/// other session may get from the pool, and which recovery must see gone.
fn leave_in_doubt(xid: &Xid, prepared: Vec<Prepared<'_>>, decided: bool, reason: String) -> Error {
    let pending = keys(&prepared);
    for (_, mut held, _) in prepared {
        held.conn.discard();
    }
    Error::InDoubt {
        transaction: xid.gtrid().to_owned(),
        decided,
        pending,
        reason,
    }
}

/// The binds of `prepared`.
fn keys(prepared: &[Prepared<'_>]) -> Vec<BindKey> {
    prepared
        .iter()
        .map(|(bind, _, _)| BindKey::from(bind.key()))
        .collect()
}
