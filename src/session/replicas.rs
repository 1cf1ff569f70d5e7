//! A session on binds with read replicas: where each read goes, the causal token its
//! commits build, and the COMMIT that also reads where the primary stood after it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Session;
use super::slots::Held;
use crate::Role;
use crate::backend::{Answer, Fault, Statement};
use crate::handle::BindHandle;
use crate::replica::Reader;
use crate::{BindKey, CausalToken, Dialect, Position, Value};
use crate::{ReadFrom, ReadPolicy};

/// What a session's reads must see, and where they may go.
#[derive(Debug, Default)]
pub(super) struct Reads {
    /// The positions the session's reads wait for: its own commits' and any it was given.
    token: CausalToken,
    /// The session's default policy; a query's own laid over it.
    policy: ReadPolicy,
}

impl Session {
    /// The causal token of everything this session committed on binds with read
    /// replicas, with any token it was given ([`Session::read_after`]). Carry it to the
    /// next request (as text: it implements `Display` and `FromStr`) and give it to that
    /// request's session, so that its reads see these writes even on a replica.
    pub fn causal_token(&self) -> &CausalToken {
        &self.reads.token
    }

    /// Makes this session's reads on a replica wait until the replica has replayed
    /// `token` (up to the configuration's causal wait; then they read the primary).
    pub fn read_after(&mut self, token: &CausalToken) -> &mut Session {
        self.reads.token.merge(token);
        self
    }

    /// Where this session's reads go on binds with replicas (a query's own choice,
    /// [`Find::on_primary`](crate::Find::on_primary), wins): [`ReadFrom::Primary`] pins
    /// the whole session to the primaries.
    pub fn read_from(&mut self, from: ReadFrom) -> &mut Session {
        self.reads.policy.from = from;
        self
    }

    /// Skips replicas measured further behind their primary than `bound` (`None`: any
    /// lag will do, read-your-writes still holds through the causal token).
    pub fn max_staleness(&mut self, bound: Option<Duration>) -> &mut Session {
        self.reads.policy.max_staleness = bound;
        self
    }

    /// Runs the read `statement` on one of `bind`'s replicas if `policy` (over the
    /// session's) lets it and one can serve it; `None`: read the primary.
    pub(super) async fn read_replica(
        &mut self,
        bind: BindHandle<'_>,
        policy: ReadPolicy,
        statement: &mut Statement<'_>,
    ) -> Option<Answer> {
        let replicas = bind.replicas();
        if !replicas.any() {
            return None;
        }
        let policy = ReadPolicy {
            from: match policy.from {
                ReadFrom::Auto => self.reads.policy.from,
                chosen => chosen,
            },
            max_staleness: policy.max_staleness.or(self.reads.policy.max_staleness),
        };
        let to_replica = match policy.from {
            ReadFrom::Primary => false,
            ReadFrom::Replica => true,
            // A transaction open on the bind has written there (reads on a bind with
            // replicas begin none): only the primary has those rows.
            ReadFrom::Auto => !self.has_tx(bind),
        };
        if !to_replica {
            replicas.served_by_primary(false);
            return None;
        }
        let mut kept = self.take_kept_replica(bind);
        let reader = Reader {
            key: bind.key(),
            recorder: self.db.recorder(),
            policy,
            after: self.reads.token.position(&BindKey::from(bind.key())),
            causal_wait: self.db.config().get_causal_wait(),
        };
        let answer = replicas.read(reader, statement, &mut kept).await;
        self.keep_replica(bind, kept);
        answer
    }

    /// Commits `bind`'s transaction held in `held` (an XA branch in one phase).
    pub(super) async fn commit_on(
        &mut self,
        bind: BindHandle<'_>,
        held: &mut Held,
    ) -> Result<(), Fault> {
        let commit: Arc<str> = match &held.xa {
            Some(branch) => branch.commit_one_phase().into(),
            None => held.conn.begin_and_commit().1.into(),
        };
        self.finish_on(bind, &mut held.conn, commit).await
    }

    /// Runs `commit` (a COMMIT, an XA COMMIT, a COMMIT PREPARED) of `bind` on `conn`. On
    /// a bind with replicas the same message then reads where the primary stood (after
    /// the commit returned: read inside the transaction, the position precedes the
    /// commit record), and the session's causal token moves there.
    pub(super) async fn finish_on(
        &mut self,
        bind: BindHandle<'_>,
        conn: &mut crate::backend::Connection,
        commit: Arc<str>,
    ) -> Result<(), Fault> {
        let started = Instant::now();
        let Some(position_sql) = position_query(bind) else {
            let result = conn.control(commit.clone(), bind.deadline()).await;
            self.recorder()
                .record(bind.key(), Role::Primary, &commit, 0, started.elapsed());
            if bind.replicas().any() {
                // No position to wait for: this session reads the primaries from now on.
                self.reads.policy.from = ReadFrom::Primary;
            }
            return result;
        };
        let sql: Arc<str> = format!("{commit}; {position_sql}").into();
        let probe = Statement::Probe {
            sql: sql.clone(),
            column: None,
        };
        let answer = conn.run(probe, bind.deadline()).await;
        self.recorder()
            .record(bind.key(), Role::Primary, &sql, 0, started.elapsed());
        let answer = answer?;
        let position = match answer.rows.last().and_then(|row| row.first()) {
            Some(Value::Text(text)) => match bind.dialect() {
                Dialect::Postgres => Position::parse_lsn(text).ok(),
                _ => Position::parse_gtid(text).ok(),
            },
            _ => None,
        };
        match position {
            Some(position) => self
                .reads
                .token
                .advance(BindKey::from(bind.key()), position),
            // Committed, but where to is unknown: read that bind's primary from now on.
            None => self.reads.policy.from = ReadFrom::Primary,
        }
        Ok(())
    }
}

impl crate::Db {
    /// Runs the read `statement` on one of `bind`'s replicas, unless `policy` says the
    /// primary; `None`: read the primary. A `Db` has no causal token: its reads see
    /// what the replica has (a session's reads see their own writes).
    pub(crate) async fn read_replica(
        &self,
        bind: BindHandle<'_>,
        policy: ReadPolicy,
        statement: &mut Statement<'_>,
    ) -> Option<Answer> {
        let replicas = bind.replicas();
        // A closed `Db` fails the read on the primary's path, with `Error::Closed`.
        if !replicas.any() || self.is_closed() {
            return None;
        }
        if policy.from == ReadFrom::Primary {
            replicas.served_by_primary(false);
            return None;
        }
        let reader = Reader {
            key: bind.key(),
            recorder: self.recorder(),
            policy,
            after: None,
            causal_wait: self.config().get_causal_wait(),
        };
        replicas.read(reader, statement, &mut None).await
    }
}

/// What reads the primary's position right after a commit of `bind`, in the same
/// message; `None` for a bind without replicas (or a MySQL server that is not MariaDB:
/// MySQL has no `@@last_gtid`).
fn position_query(bind: BindHandle<'_>) -> Option<&'static str> {
    if !bind.replicas().any() {
        return None;
    }
    match bind.dialect() {
        Dialect::Postgres => Some("SELECT pg_current_wal_insert_lsn()"),
        Dialect::MySql if bind.writer().is_mariadb() == Some(true) => Some("SELECT @@last_gtid"),
        _ => None,
    }
}
