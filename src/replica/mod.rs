//! A bind's read replicas: which one a read goes to, whether it is up, how far behind
//! its primary it is, and whether it has replayed what the reader's causal token asks.
//!
//! A read that may go to a replica ([`Replicas::read`]) tries the replicas in turn from
//! a rotating start, skipping one that failed lately (for [`RETRY_DOWN_AFTER`]) and one
//! whose measured lag passes the read's `max_staleness`. On the replica it takes, it
//! first waits, up to the causal wait, until the replica has replayed the reader's
//! position; then it runs the read. Whatever stops that (no replica fit, the wait ran
//! out, the replica failed, or refused the read) ends in `None`, counted as a fallback,
//! and the caller reads the primary: a read is never served stale, and a replica's
//! failure never fails a read (a read the replica itself refused, say a table a
//! migration has not brought there yet, gets the primary's answer).

mod check;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::Role;
use crate::backend::{Answer, Connection, Fault, Statement};
use crate::engine::{Engine, SessionHold};
use crate::record::Recorder;
use crate::{Dialect, Position, ReadPolicy, Value, ValueKind};

/// How long a replica that failed (refused a connection, broke one, passed a deadline)
/// is left out before a read tries it again: a dead replica costs one failed connect per
/// second, not one per read, and a restarted one serves again within a second.
pub const RETRY_DOWN_AFTER: Duration = Duration::from_secs(1);

/// How long a replica's measured lag is trusted before it is measured again (one short
/// statement on the replica, only for reads that set a `max_staleness`).
pub const LAG_REFRESH: Duration = Duration::from_millis(200);

/// How often a PostgreSQL replica is asked again whether it has replayed a position,
/// once [`REPLAY_SPIN`] has passed (PostgreSQL 15 has no statement that waits for an
/// LSN).
const REPLAY_POLL: Duration = Duration::from_millis(1);

/// For how long a PostgreSQL replica is asked again at once, each answer a round trip
/// apart: a replica replays a commit within a millisecond or so, and a timer's
/// millisecond would double a read's cost.
const REPLAY_SPIN: Duration = Duration::from_millis(2);

/// The read replicas of one bind, and what reads on the bind did.
#[derive(Default)]
pub(crate) struct Replicas {
    servers: Vec<Replica>,
    /// Where the next read starts its turn through `servers`.
    next: AtomicUsize,
    primary_reads: AtomicU64,
    causal_waits: AtomicU64,
    fallbacks: AtomicU64,
}

struct Replica {
    engine: Engine,
    state: Mutex<State>,
    reads: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Left out of reads until then, after a failure.
    down_until: Option<Instant>,
    /// Why it last failed (no URL, no password: the driver's message).
    failure: Option<String>,
    /// Its lag when last measured (`None` inside: not replicating).
    lag: Option<(Option<Duration>, Instant)>,
    /// The furthest position it was seen to have replayed.
    replayed: Option<Position>,
}

/// One replica as [`Db::replica_status`](crate::Db::replica_status) reports it.
#[derive(Debug, Clone)]
pub struct ReplicaStatus {
    /// Which replica of the bind (`Role::Replica(i)`).
    pub role: Role,
    /// Its URL, printed with the password masked.
    pub url: String,
    /// Whether reads may go to it now (it has not failed within [`RETRY_DOWN_AFTER`]).
    pub up: bool,
    /// Its lag behind the primary as last measured, if it was (`Some(None)`: it said it
    /// is not replicating).
    pub lag: Option<Option<Duration>>,
    /// How many reads it served.
    pub reads: u64,
    /// Why it last failed, if it did.
    pub last_failure: Option<String>,
}

/// What the reads of one bind with replicas did, since the `Db` was built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadCounters {
    /// Reads the primary served (by choice or as a fallback).
    pub primary: u64,
    /// Reads each replica served, in configured order.
    pub replicas: Vec<u64>,
    /// Reads that waited on a replica for their causal token.
    pub causal_waits: u64,
    /// Reads that went to a replica's primary because no replica could serve them in
    /// time (down, too far behind, or not caught up within the causal wait).
    pub fallbacks: u64,
}

impl Replicas {
    /// The replicas of a bind, in configured order.
    pub(crate) fn new(engines: Vec<Engine>) -> Replicas {
        Replicas {
            servers: engines
                .into_iter()
                .map(|engine| Replica {
                    engine,
                    state: Mutex::new(State::default()),
                    reads: AtomicU64::new(0),
                })
                .collect(),
            ..Replicas::default()
        }
    }

    /// Whether the bind has any.
    pub(crate) fn any(&self) -> bool {
        !self.servers.is_empty()
    }

    /// The replicas' engines, in configured order.
    pub(crate) fn engines(&self) -> impl Iterator<Item = &Engine> {
        self.servers.iter().map(|replica| &replica.engine)
    }

    /// The problems of each replica of a bind whose primary is `primary`: its role and
    /// what is wrong with it (see `check.rs`).
    pub(crate) async fn problems(&self, primary: &Engine) -> Vec<(Role, String)> {
        let mut found = Vec::new();
        for replica in &self.servers {
            for problem in check::problems_of(primary, &replica.engine).await {
                found.push((replica.engine.role(), problem));
            }
        }
        found
    }

    /// Counts a read the primary served; `fell_back`: one meant for a replica.
    pub(crate) fn served_by_primary(&self, fell_back: bool) {
        self.primary_reads.fetch_add(1, Ordering::Relaxed);
        if fell_back {
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// What the bind's reads did so far.
    pub(crate) fn counters(&self) -> ReadCounters {
        ReadCounters {
            primary: self.primary_reads.load(Ordering::Relaxed),
            replicas: self
                .servers
                .iter()
                .map(|r| r.reads.load(Ordering::Relaxed))
                .collect(),
            causal_waits: self.causal_waits.load(Ordering::Relaxed),
            fallbacks: self.fallbacks.load(Ordering::Relaxed),
        }
    }

    /// Each replica's state; with `measure`, its lag measured now (a replica that does
    /// not answer is marked down).
    pub(crate) async fn status(&self, measure: bool) -> Vec<ReplicaStatus> {
        let mut report = Vec::new();
        for replica in &self.servers {
            if measure && let Ok(mut conn) = replica.connect().await {
                let _ = replica.measure_lag(&mut conn).await;
            }
            let state = replica.state.lock();
            report.push(ReplicaStatus {
                role: replica.engine.role(),
                url: replica.engine.url().to_string(),
                up: state.down_until.is_none_or(|until| until <= Instant::now()),
                lag: state.lag.map(|(lag, _)| lag),
                reads: replica.reads.load(Ordering::Relaxed),
                last_failure: state.failure.clone(),
            });
        }
        report
    }

    /// Runs the read `statement` on a replica that fits `policy` and has replayed
    /// `after` (waiting at most `causal_wait` for it): its answer, or `None` (counted as
    /// a fallback) when none served it. Every statement sent is recorded under the bind
    /// `key` and the replica's role.
    pub(crate) async fn read(
        &self,
        reader: Reader<'_>,
        statement: &mut Statement<'_>,
        kept: &mut Option<Kept>,
    ) -> Option<Answer> {
        // Boxed: only reads on binds with replicas come here, and inlined this made every
        // caller's future deep enough to pass the compiler's layout depth limit.
        let answer = Box::pin(self.try_replicas(reader, statement, kept)).await;
        if answer.is_none() {
            self.served_by_primary(true);
        }
        answer
    }

    async fn try_replicas(
        &self,
        reader: Reader<'_>,
        statement: &mut Statement<'_>,
        kept: &mut Option<Kept>,
    ) -> Option<Answer> {
        let Reader {
            key,
            recorder,
            policy,
            after,
            causal_wait,
        } = reader;
        let count = self.servers.len();
        // The kept connection's replica first: a reader stays on one replica while it
        // serves, so that its reads never see an older state than one it saw.
        let first = match kept {
            Some(kept) => kept.index,
            None => self.next.fetch_add(1, Ordering::Relaxed),
        };
        for index in (0..count).map(|i| (first + i) % count) {
            let replica = &self.servers[index];
            let mine = kept.take_if(|kept| kept.index == index);
            if !replica.fits(policy.max_staleness) {
                continue;
            }
            let mut conn = match mine {
                Some(mine) => mine.conn,
                None => match replica.connect().await {
                    Ok(conn) => conn,
                    Err(()) => continue,
                },
            };
            if let Some(bound) = policy.max_staleness {
                match replica.lag(&mut conn).await {
                    Some(Some(lag)) if lag <= bound => {}
                    _ => continue,
                }
            }
            if let Some(position) = after.filter(|p| !replica.has_replayed(p)) {
                self.causal_waits.fetch_add(1, Ordering::Relaxed);
                let started = Instant::now();
                let reached = replica.wait_for(&mut conn, position, causal_wait).await;
                let sql = wait_sql(replica.engine.dialect());
                recorder.record(key, replica.engine.role(), sql, 1, started.elapsed());
                if !reached {
                    // Behind by more than the causal wait: the primary has the rows.
                    return None;
                }
            }
            let answer = replica.run(key, recorder, &mut conn, statement).await?;
            *kept = Some(Kept {
                index,
                conn,
                _hold: replica.engine.hold(),
            });
            return Some(answer);
        }
        None
    }
}

/// Who reads, and what the read must see: the bind `key` and the recorder its
/// statements go to, where it may read, the position it waits for and how long.
pub(crate) struct Reader<'a> {
    pub(crate) key: Option<&'a str>,
    pub(crate) recorder: &'a Recorder,
    pub(crate) policy: ReadPolicy,
    pub(crate) after: Option<&'a Position>,
    pub(crate) causal_wait: Duration,
}

/// The replica connection a session keeps between its reads of a bind: no pool round
/// per read, and the same replica while it serves. Counted as a live session's, so
/// `Db::close` does not wait for it.
pub(crate) struct Kept {
    index: usize,
    conn: Connection,
    _hold: SessionHold,
}

impl Kept {
    /// Closes it now (the `Db` was closed).
    pub(crate) fn discard(mut self) {
        self.conn.discard();
    }
}

impl Replica {
    /// Whether a read with `max_staleness` may try this replica, from what is known
    /// without asking it.
    fn fits(&self, max_staleness: Option<Duration>) -> bool {
        let state = self.state.lock();
        let now = Instant::now();
        if state.down_until.is_some_and(|until| until > now) {
            return false;
        }
        match (max_staleness, state.lag) {
            // Known too far behind, lately.
            (Some(bound), Some((lag, at))) if now.duration_since(at) < LAG_REFRESH => {
                lag.is_some_and(|lag| lag <= bound)
            }
            _ => true,
        }
    }

    /// A pooled connection, within the pool's acquire timeout; a failure marks it down.
    async fn connect(&self) -> Result<Connection, ()> {
        match self.engine.pool().acquire().await {
            Ok(conn) => Ok(conn),
            Err(error) => {
                self.down(&error.to_string());
                Err(())
            }
        }
    }

    fn down(&self, why: &str) {
        let mut state = self.state.lock();
        state.down_until = Some(Instant::now() + RETRY_DOWN_AFTER);
        state.failure = Some(why.to_owned());
        tracing::warn!(
            target: "bindery::replica",
            bind = %self.engine.bind(),
            role = %self.engine.role(),
            "replica left out of reads for {RETRY_DOWN_AFTER:?}: {why}"
        );
    }

    fn has_replayed(&self, position: &Position) -> bool {
        let state = self.state.lock();
        state
            .replayed
            .as_ref()
            .is_some_and(|seen| seen.covers(position))
    }

    fn replayed(&self, position: &Position) {
        let mut state = self.state.lock();
        match &mut state.replayed {
            Some(seen) => seen.merge(position),
            None => state.replayed = Some(position.clone()),
        }
    }

    /// Its lag, measured again if the last measure is older than [`LAG_REFRESH`].
    async fn lag(&self, conn: &mut Connection) -> Option<Option<Duration>> {
        let known = self.state.lock().lag;
        match known {
            Some((lag, at)) if at.elapsed() < LAG_REFRESH => Some(lag),
            _ => self.measure_lag(conn).await,
        }
    }

    async fn measure_lag(&self, conn: &mut Connection) -> Option<Option<Duration>> {
        let dialect = self.engine.dialect();
        let probe = Statement::Probe {
            sql: lag_sql(dialect).into(),
            column: (dialect == Dialect::MySql).then_some("Seconds_Behind_Master"),
        };
        let answer = self.answer(conn, probe).await?;
        let lag = text_of(&answer)
            .and_then(|secs| secs.parse::<f64>().ok())
            .and_then(|secs| Duration::try_from_secs_f64(secs.max(0.0)).ok());
        self.state.lock().lag = Some((lag, Instant::now()));
        Some(lag)
    }

    /// Waits until the replica has replayed `position`, at most `wait`.
    async fn wait_for(&self, conn: &mut Connection, position: &Position, wait: Duration) -> bool {
        let reached = match position {
            Position::Gtid(_) => {
                let statement = Statement::Fetch {
                    sql: wait_sql(Dialect::MySql).into(),
                    params: vec![
                        Value::Text(position.server_text()),
                        Value::Double(wait.as_secs_f64()),
                    ],
                    kinds: &[ValueKind::BigInt],
                    at_most_one: true,
                };
                let answer = self.answer(conn, statement).await;
                matches!(
                    answer
                        .as_ref()
                        .and_then(|a| a.rows.first())
                        .and_then(|r| r.first()),
                    Some(Value::BigInt(0))
                )
            }
            Position::Lsn(_) => self.poll_replay(conn, position, wait).await,
        };
        if reached {
            self.replayed(position);
        }
        reached
    }

    /// Asks a PostgreSQL replica for its replayed LSN until it covers `position`, at
    /// most `wait`.
    async fn poll_replay(
        &self,
        conn: &mut Connection,
        position: &Position,
        wait: Duration,
    ) -> bool {
        let started = Instant::now();
        loop {
            let probe = Statement::Probe {
                sql: wait_sql(Dialect::Postgres).into(),
                column: None,
            };
            let Some(answer) = self.answer(conn, probe).await else {
                return false;
            };
            let replayed = text_of(&answer).and_then(|lsn| Position::parse_lsn(&lsn).ok());
            if let Some(replayed) = replayed {
                self.replayed(&replayed);
                if replayed.covers(position) {
                    return true;
                }
            }
            let waited = started.elapsed();
            if waited >= wait {
                return false;
            }
            if waited < REPLAY_SPIN {
                tokio::task::yield_now().await;
            } else {
                tokio::time::sleep(REPLAY_POLL.min(wait - waited)).await;
            }
        }
    }

    /// `statement`'s answer; a failure marks the replica down and closes the connection.
    async fn answer(&self, conn: &mut Connection, statement: Statement<'_>) -> Option<Answer> {
        match conn.run(statement, self.engine.statement_timeout()).await {
            Ok(answer) => Some(answer),
            Err(fault) => {
                conn.discard();
                self.down(&fault.into_sqlx(self.engine.statement_timeout()).to_string());
                None
            }
        }
    }

    /// Runs the read itself; a replica that breaks, or refuses it, serves nothing (the
    /// primary will).
    async fn run(
        &self,
        key: Option<&str>,
        recorder: &Recorder,
        conn: &mut Connection,
        statement: &mut Statement<'_>,
    ) -> Option<Answer> {
        let started = Instant::now();
        let (sql, count) = (statement.sql().clone(), statement.param_count());
        let outcome = conn
            .run(statement.attempt(), self.engine.statement_timeout())
            .await;
        let role = self.engine.role();
        recorder.record(key, role, &sql, count, started.elapsed());
        match outcome {
            Ok(answer) => {
                self.reads.fetch_add(1, Ordering::Relaxed);
                Some(answer)
            }
            Err(Fault::Database(error)) if !is_connection_failure(&error) => {
                tracing::debug!(
                    target: "bindery::replica",
                    bind = %self.engine.bind(),
                    %role,
                    "a read failed on the replica and goes to the primary: {error}"
                );
                None
            }
            Err(fault) => {
                conn.discard();
                self.down(&fault.into_sqlx(self.engine.statement_timeout()).to_string());
                None
            }
        }
    }
}

/// The first value of a probe's answer, as text.
fn text_of(answer: &Answer) -> Option<String> {
    match answer.rows.last()?.first()? {
        Value::Text(text) => Some(text.clone()),
        _ => None,
    }
}

/// Whether `error` says the connection or the server failed, not the statement.
fn is_connection_failure(error: &sqlx::Error) -> bool {
    !matches!(
        error,
        sqlx::Error::Database(_)
            | sqlx::Error::Encode(_)
            | sqlx::Error::Decode(_)
            | sqlx::Error::ColumnDecode { .. }
    ) || error
        .as_database_error()
        .and_then(|e| e.code())
        // PostgreSQL's "the standby is shutting down / in recovery conflict" (57P…),
        // and its "admin shutdown"; MariaDB's server shutdown (1053).
        .is_some_and(|code| code.starts_with("57P") || code == "1053" || code == "08S01")
}

/// How a replica of `dialect` says how far behind it is: seconds as text, NULL when
/// it is not replicating.
fn lag_sql(dialect: Dialect) -> &'static str {
    match dialect {
        // Caught up (everything received is replayed): 0. Otherwise how old the last
        // replayed commit is, an upper bound of how stale a read there can be.
        Dialect::Postgres => {
            "SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL \
             WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0 \
             ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) END"
        }
        _ => "SHOW SLAVE STATUS",
    }
}

/// How a replica of `dialect` is asked whether it has replayed a position.
fn wait_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "SELECT pg_last_wal_replay_lsn()",
        _ => "SELECT MASTER_GTID_WAIT(?, ?)",
    }
}
