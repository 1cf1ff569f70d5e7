//! Transactions as closures: `db.transaction(async |tx| …)` commits on `Ok` and rolls back
//! on `Err` or panic; `tx.transaction(async |tx| …)` inside it is a nested transaction, a
//! SAVEPOINT on every bind (SQLAlchemy's `begin_nested`).
//!
//! A nested transaction marks, with a SAVEPOINT, every bind whose transaction is already
//! open when it starts. If it fails, those binds roll back to their savepoint, and the
//! binds whose transaction began inside it roll back whole: either way exactly the nested
//! work is undone, on every bind, and the outer transaction goes on. A statement that
//! failed inside it no longer needs a rollback of the whole session once the savepoints
//! are rolled back to (PostgreSQL's aborted transaction is recovered the same way).

use std::time::Instant;

use super::Session;
use crate::Role;
use crate::db::Db;
use crate::error::Error;

impl Db {
    /// Runs `work` in a new session, then commits it if `work` returned `Ok`, or rolls it
    /// back if it returned `Err` or panicked (the dropped session rolls back).
    ///
    /// ```no_run
    /// # use bindery::{Db, Error, Model};
    /// # #[derive(Model)] struct User { #[model(primary_key)] id: i64, name: String }
    /// # async fn run(db: Db) -> Result<(), Error> {
    /// let ann = db
    ///     .transaction(async |tx| tx.insert(User { id: 0, name: "ann".into() }).await)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn transaction<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: AsyncFnOnce(&mut Session) -> Result<T, E>,
        E: From<Error>,
    {
        let mut session = self.session();
        match work(&mut session).await {
            Ok(value) => {
                session.commit().await?;
                Ok(value)
            }
            Err(error) => {
                // The work's error is the one to report; a failed ROLLBACK closes its
                // connection, which rolls back as well.
                let _ = session.rollback().await;
                Err(error)
            }
        }
    }
}

impl Session {
    /// A nested transaction: runs `work` after a SAVEPOINT on every bind this session has
    /// a transaction open on. On `Ok` the savepoints are released and the work stays part
    /// of the session's transactions (committed with them); on `Err` exactly the work done
    /// inside is undone, on every bind, and the session goes on. Queued inserts are
    /// flushed before and after `work`.
    pub async fn transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: AsyncFnOnce(&mut Session) -> Result<T, E>,
        E: From<Error>,
    {
        self.flush().await?;
        self.usable(None)?;
        self.depth += 1;
        let name = format!("bindery_sp_{}", self.depth);
        let marked: Vec<usize> = self.open_binds().collect();
        if let Err(error) = self.savepoints(&marked, "SAVEPOINT", &name).await {
            self.depth -= 1;
            return Err(error.into());
        }
        let mut outcome = work(self).await;
        if outcome.is_ok()
            && let Err(error) = self.flush().await
        {
            outcome = Err(error.into());
        }
        let ended = match &outcome {
            Ok(_) => self.savepoints(&marked, "RELEASE SAVEPOINT", &name).await,
            Err(_) => self.undo_nested(&marked, &name).await,
        };
        self.depth -= 1;
        match (outcome, ended) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(error)) => Err(error.into()),
            (Err(error), _) => Err(error),
        }
    }

    /// Undoes a failed nested transaction: the marked binds roll back to the savepoint,
    /// the binds begun inside roll back whole, queued rows are forgotten. When every
    /// bind is back where it was, the session no longer needs a rollback.
    async fn undo_nested(&mut self, marked: &[usize], name: &str) -> Result<(), Error> {
        self.pending.clear();
        let db = self.db.clone();
        // Binds whose transaction began inside: roll it back whole. A connection whose
        // ROLLBACK fails is closed, which rolls back as well.
        let inside: Vec<usize> = self.open_binds().filter(|i| !marked.contains(i)).collect();
        for bind in inside.into_iter().filter_map(|index| db.handle_at(index)) {
            if let Some(mut held) = self.take_transaction(bind) {
                let started = Instant::now();
                let _ = held.rollback(bind.deadline()).await;
                let sql = held.rollback_sql();
                self.recorder()
                    .record(bind.key(), Role::Primary, &sql, 0, started.elapsed());
            }
        }
        // A marked bind whose connection was closed inside (a deadline) lost the outer
        // transaction's work too: only a rollback of the whole session is honest then.
        let lost = marked
            .iter()
            .any(|&index| db.handle_at(index).is_none_or(|bind| !self.has_tx(bind)));
        let undone = self.savepoints(marked, "ROLLBACK TO SAVEPOINT", name).await;
        if undone.is_ok() && !lost {
            self.failed = None;
        }
        undone
    }

    /// Sends `verb name` (`SAVEPOINT`, `RELEASE SAVEPOINT`, `ROLLBACK TO SAVEPOINT`) on
    /// each of the binds at `indexes` whose transaction is still open, the name quoted by
    /// its dialect.
    async fn savepoints(&mut self, indexes: &[usize], verb: &str, name: &str) -> Result<(), Error> {
        let db = self.db.clone();
        for bind in indexes.iter().filter_map(|&index| db.handle_at(index)) {
            let sql = format!("{verb} {}", bind.dialect().quote(name));
            let Some(conn) = self.open_transaction(bind) else {
                continue;
            };
            let started = Instant::now();
            let result = conn.control(sql.clone(), bind.deadline()).await;
            self.recorder()
                .record(bind.key(), Role::Primary, &sql, 0, started.elapsed());
            self.settle(bind, None, result)?;
        }
        Ok(())
    }
}
