//! Connection-pool settings and bindery's defaults for them, with their checks.

use std::time::Duration;

use crate::error::ConfigProblem;

/// Connection-pool settings. Unset fields take the bind's, then the config's, then
/// bindery's defaults (sqlx's, except MySQL's 2-hour maximum lifetime and SQLite's
/// single connection for in-memory databases).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolOptions {
    /// Most connections open at once (at least 1).
    pub max_connections: Option<u32>,
    /// Connections kept open when idle.
    pub min_connections: Option<u32>,
    /// How long to wait for a connection before failing.
    pub acquire_timeout: Option<Duration>,
    /// Close a connection idle this long.
    pub idle_timeout: Option<Duration>,
    /// Close a connection this old (Flask's `pool_recycle`).
    pub max_lifetime: Option<Duration>,
    /// Check a connection works before handing it out (Flask's `pool_pre_ping`): `true`
    /// pings at every acquire, `false` never. Unset: a server connection is pinged when
    /// it has sat idle in the pool for [`PING_AFTER_IDLE`] or more, a SQLite one never.
    pub test_before_acquire: Option<bool>,
    /// The longest any one statement, COMMIT or ROLLBACK may take, measured by bindery
    /// on the client: past it the operation fails with [`Error::Deadline`] and its
    /// connection is closed, never returned to the pool. A hung server (or a frozen
    /// network) accepts the connection and never answers; this is what bounds the wait.
    /// Default: [`DEFAULT_STATEMENT_TIMEOUT`].
    ///
    /// [`Error::Deadline`]: crate::Error::Deadline
    pub statement_timeout: Option<Duration>,
    /// The longest a write waits for a row or table lock another transaction holds,
    /// then fails with [`Error::LockTimeout`] naming bind and table: PostgreSQL's
    /// `lock_timeout`, MySQL's `innodb_lock_wait_timeout` (whole seconds, rounded up),
    /// SQLite's busy timeout. Default: [`DEFAULT_LOCK_TIMEOUT`].
    ///
    /// [`Error::LockTimeout`]: crate::Error::LockTimeout
    pub lock_timeout: Option<Duration>,
}

/// The statement deadline of a bind that sets none: long enough for a heavy report, short
/// enough that a hung server is noticed.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a read on a replica waits, by default, for the replica to replay what the
/// reader's causal token asks before it reads the primary instead. Replay takes about a
/// millisecond on a healthy replica; a replica this far behind is better skipped.
pub const DEFAULT_CAUSAL_WAIT: Duration = Duration::from_millis(100);

/// How long a server connection may sit idle in the pool and still be handed out without
/// a ping, when `test_before_acquire` is unset (HikariCP's `aliveBypassWindowMs`).
pub const PING_AFTER_IDLE: Duration = Duration::from_millis(500);

/// The lock wait of a bind that sets none. PostgreSQL's own default is to wait for ever.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

impl PoolOptions {
    /// `self`, with every unset field taken from `fallback`.
    pub fn or(&self, fallback: &PoolOptions) -> PoolOptions {
        PoolOptions {
            max_connections: self.max_connections.or(fallback.max_connections),
            min_connections: self.min_connections.or(fallback.min_connections),
            acquire_timeout: self.acquire_timeout.or(fallback.acquire_timeout),
            idle_timeout: self.idle_timeout.or(fallback.idle_timeout),
            max_lifetime: self.max_lifetime.or(fallback.max_lifetime),
            test_before_acquire: self.test_before_acquire.or(fallback.test_before_acquire),
            statement_timeout: self.statement_timeout.or(fallback.statement_timeout),
            lock_timeout: self.lock_timeout.or(fallback.lock_timeout),
        }
    }

    /// Pushes a problem for every setting out of range, each named `{key}{setting}`.
    pub(super) fn check(&self, key: &str, problems: &mut Vec<ConfigProblem>) {
        if self.max_connections == Some(0) {
            problems.push(ConfigProblem::BadValue {
                key: format!("{key}max_connections"),
                reason: "must be at least 1".into(),
            });
        }
        if let (Some(min), Some(max)) = (self.min_connections, self.max_connections)
            && min > max
        {
            problems.push(ConfigProblem::BadValue {
                key: format!("{key}min_connections"),
                reason: format!("{min} is more than max_connections ({max})"),
            });
        }
        let lock = self.lock_timeout.unwrap_or(DEFAULT_LOCK_TIMEOUT);
        let statement = self.statement_timeout.unwrap_or(DEFAULT_STATEMENT_TIMEOUT);
        // MySQL counts its lock wait in whole seconds.
        if Duration::from_secs(lock.as_secs_f64().ceil() as u64) >= statement {
            problems.push(ConfigProblem::BadValue {
                key: format!("{key}lock_timeout"),
                reason: format!(
                    "{} ms (rounded up to whole seconds for MySQL) is not shorter than statement_timeout ({} ms): a lock wait would end as a deadline, its connection closed",
                    lock.as_millis(),
                    statement.as_millis()
                ),
            });
        }
        for (name, value) in [
            ("acquire_timeout", self.acquire_timeout),
            ("statement_timeout", self.statement_timeout),
            ("lock_timeout", self.lock_timeout),
        ] {
            if value == Some(Duration::ZERO) {
                problems.push(ConfigProblem::BadValue {
                    key: format!("{key}{name}"),
                    reason: "must be longer than zero".into(),
                });
            }
        }
    }
}
