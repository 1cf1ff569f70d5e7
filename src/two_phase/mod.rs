//! Two-phase commit across binds: the transaction ids bindery makes (and tells apart
//! from any other application's), the statements that prepare, commit and roll back one
//! bind's branch on each dialect, the decision log (`log.rs`) and recovery
//! (`recover.rs`). The session's side, the protocol itself, is `session/two_phase.rs`.
//!
//! An id is `bdy:<instance>:<log>:<process>:<millis>:<seq>` (all but the instance in
//! hex; `log` a hash of the decision log's database, so that applications with logs of
//! their own never touch each other's transactions on a server they share) (the global part, at most 64 bytes
//! as MariaDB's XA allows), one branch per bind: PostgreSQL's gid appends `:<bind index>`
//! (a gid is unique in the whole server, and two binds may be two databases of one
//! server); MariaDB's XA id takes the bind index as its branch qualifier and
//! [`FORMAT_ID`] as its format. Recovery touches only ids of that shape.

mod log;
mod recover;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Dialect;
use crate::Value;
use crate::backend::Answer;

pub(crate) use log::{
    Outcome, TABLE as LOG_TABLE, Verdict, create_sql as log_table_sql, decide, ensure_log, forget,
    forget_all, insert as log_insert,
};
pub use recover::{Recovered, RecoveryAction, RecoveryReport};
pub(crate) use recover::{capability_problems, is_unknown_branch, recover};

/// The XA format id of bindery's transactions ("bdry"): MariaDB's `XA RECOVER` lists it
/// beside each id, so bindery's are told apart from other applications' before their
/// text is read.
pub(crate) const FORMAT_ID: u32 = 0x6264_7279;

/// What every bindery transaction id begins with.
const PREFIX: &str = "bdy:";

/// How long after its first PREPARE a commit may still log its decision: later, it
/// rolls back instead. Far below [`ABORT_KEPT`], so that a decision can never be
/// written after recovery's abort of the same transaction was forgotten.
pub(crate) const DECIDE_WITHIN: Duration = Duration::from_secs(60);

/// How old an undecided prepared transaction of another instance (or of this process)
/// must be before recovery rolls it back: younger, its coordinator may still be deciding.
pub(crate) const ABANDON_AFTER: Duration = Duration::from_secs(300);

/// How many carried-out decisions a `Db` removes from the log at once.
pub(crate) const FORGET_BATCH: usize = 32;

/// How long recovery keeps the abort it logged for a transaction: a coordinator that
/// later tries to log its commit finds it and rolls back instead.
pub(crate) const ABORT_KEPT: Duration = Duration::from_secs(24 * 3600);

/// One global transaction's id (its global part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Xid {
    gtrid: String,
}

/// What an id says about the transaction: who made it, logging where, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) instance: String,
    pub(crate) log: u32,
    pub(crate) process: u32,
    pub(crate) millis: u64,
}

impl Xid {
    /// The global part, as the decision log keys it.
    pub(crate) fn gtrid(&self) -> &str {
        &self.gtrid
    }

    /// The id of bind `index`'s part of this transaction, on `dialect`.
    pub(crate) fn branch(&self, dialect: Dialect, index: usize) -> Branch {
        match dialect {
            Dialect::Postgres => Branch::Gid(format!("{}:{index}", self.gtrid)),
            _ => Branch::Xa {
                gtrid: self.gtrid.clone(),
                bqual: index.to_string(),
            },
        }
    }
}

/// Who made the transaction of global id `gtrid`, if bindery did.
pub(crate) fn origin(gtrid: &str) -> Option<Origin> {
    let parts: Vec<&str> = gtrid.strip_prefix(PREFIX)?.split(':').collect();
    let [instance, log, process, millis, seq] = parts.as_slice() else {
        return None;
    };
    let hex64 = |text: &str| u64::from_str_radix(text, 16).ok();
    let hex32 = |text: &str| u32::from_str_radix(text, 16).ok();
    hex64(seq)?;
    Some(Origin {
        instance: (*instance).to_owned(),
        log: hex32(log)?,
        process: hex32(process)?,
        millis: hex64(millis)?,
    })
}

/// One bind's branch of a global transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Branch {
    /// PostgreSQL's gid.
    Gid(String),
    /// MySQL's and MariaDB's XA id: global part and branch qualifier (format
    /// [`FORMAT_ID`]).
    Xa { gtrid: String, bqual: String },
}

impl Branch {
    /// The global part.
    pub(crate) fn gtrid(&self) -> &str {
        match self {
            Branch::Gid(gid) => gid.rsplit_once(':').map_or(gid, |(gtrid, _)| gtrid),
            Branch::Xa { gtrid, .. } => gtrid,
        }
    }

    /// The id as SQL writes it: a quoted gid, or XA's `'gtrid','bqual',format`. The
    /// text is bindery's own (checked characters), quoted all the same: PostgreSQL's
    /// two-phase statements take no bound parameter.
    fn sql(&self) -> String {
        match self {
            Branch::Gid(gid) => literal(gid),
            Branch::Xa { gtrid, bqual } => {
                format!("{},{},{FORMAT_ID}", literal(gtrid), literal(bqual))
            }
        }
    }

    /// Begins the branch's transaction (MySQL only: PostgreSQL's is a plain BEGIN).
    pub(crate) fn start(&self) -> String {
        format!("XA START {}", self.sql())
    }

    /// Prepares the branch and, in the same message, asks the server whether it did:
    /// PostgreSQL answers a PREPARE of a transaction that had failed with success
    /// (tag ROLLBACK) and prepares nothing. The `SELECT 1` first fails such a
    /// transaction outright.
    pub(crate) fn prepare(&self) -> String {
        match self {
            Branch::Gid(_) => format!(
                "SELECT 1; PREPARE TRANSACTION {id}; \
                 SELECT count(*) FROM pg_prepared_xacts WHERE gid = {id}",
                id = self.sql()
            ),
            Branch::Xa { .. } => format!(
                "XA END {id}; XA PREPARE {id}; XA RECOVER FORMAT='SQL'",
                id = self.sql()
            ),
        }
    }

    /// Whether the answer of [`Branch::prepare`] lists the branch as prepared.
    pub(crate) fn prepared(&self, answer: &Answer) -> bool {
        match self {
            Branch::Gid(_) => matches!(texts(answer).last(), Some(count) if count == "1"),
            Branch::Xa { .. } => texts(answer)
                .iter()
                .any(|data| Branch::from_xa(data).as_ref() == Some(self)),
        }
    }

    /// Commits the prepared branch.
    pub(crate) fn commit_prepared(&self) -> String {
        match self {
            Branch::Gid(_) => format!("COMMIT PREPARED {}", self.sql()),
            Branch::Xa { .. } => format!("XA COMMIT {}", self.sql()),
        }
    }

    /// Rolls back the prepared branch.
    pub(crate) fn rollback_prepared(&self) -> String {
        match self {
            Branch::Gid(_) => format!("ROLLBACK PREPARED {}", self.sql()),
            Branch::Xa { .. } => format!("XA ROLLBACK {}", self.sql()),
        }
    }

    /// Commits an XA branch that is the only one of its transaction, unprepared.
    pub(crate) fn commit_one_phase(&self) -> String {
        format!("XA END {id}; XA COMMIT {id} ONE PHASE", id = self.sql())
    }

    /// Rolls back an XA branch not yet prepared.
    pub(crate) fn rollback_active(&self) -> String {
        format!("XA END {id}; XA ROLLBACK {id}", id = self.sql())
    }

    /// The branch one row of MariaDB's `XA RECOVER FORMAT='SQL'` names
    /// (`X'…',X'…',format`), if bindery made it.
    pub(crate) fn from_xa(data: &str) -> Option<Branch> {
        let mut parts = data.split(',');
        let (Some(gtrid), Some(bqual), Some(format), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        if format.trim().parse::<u32>().ok()? != FORMAT_ID {
            return None;
        }
        let branch = Branch::Xa {
            gtrid: unhex(gtrid)?,
            bqual: unhex(bqual)?,
        };
        origin(branch.gtrid())?;
        Some(branch)
    }

    /// The branch a PostgreSQL gid names, if bindery made it.
    pub(crate) fn from_gid(gid: &str) -> Option<Branch> {
        let (gtrid, index) = gid.rsplit_once(':')?;
        index.parse::<usize>().ok()?;
        origin(gtrid)?;
        Some(Branch::Gid(gid.to_owned()))
    }
}

impl std::fmt::Display for Branch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Branch::Gid(gid) => f.write_str(gid),
            Branch::Xa { gtrid, bqual } => write!(f, "{gtrid} (branch {bqual})"),
        }
    }
}

/// `text` as an SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The text of `X'…'` (MariaDB's hex literal), if it is one of valid UTF-8.
fn unhex(literal: &str) -> Option<String> {
    let hex = literal.strip_prefix("X'")?.strip_suffix('\'')?;
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

/// Every value of a probe's answer, as text.
pub(crate) fn texts(answer: &Answer) -> Vec<String> {
    answer
        .rows
        .iter()
        .filter_map(|row| match row.first() {
            Some(Value::Text(text)) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// A `Db`'s maker of transaction ids: its instance name, a tag of this process, and a
/// sequence.
#[derive(Debug)]
pub(crate) struct Coordinator {
    instance: String,
    /// A hash of the decision log's database (see the module's notes).
    log: u32,
    process: u32,
    next: AtomicU64,
    /// Whether the decision log's table is known to exist.
    log_ready: AtomicBool,
    /// Transactions carried out on every bind whose decision is still logged.
    finished: parking_lot::Mutex<Vec<String>>,
}

impl Coordinator {
    /// The coordinator of `instance`, whose decision log is the database `log_identity`
    /// names (see `DatabaseUrl::identity`).
    pub(crate) fn new(instance: &str, log_identity: &str) -> Coordinator {
        Coordinator {
            instance: instance.to_owned(),
            log: fnv1a(log_identity.as_bytes()),
            process: process_tag(),
            next: AtomicU64::new(1),
            log_ready: AtomicBool::new(false),
            finished: parking_lot::Mutex::new(Vec::new()),
        }
    }

    /// A new transaction id.
    pub(crate) fn next_xid(&self) -> Xid {
        // 48 bits (12 hex digits) keep the id within MariaDB's 64 bytes; with the
        // process tag and the time beside it, wrapping there repeats no id.
        let seq = self.next.fetch_add(1, Ordering::Relaxed) & 0xFFFF_FFFF_FFFF;
        Xid {
            gtrid: format!(
                "{PREFIX}{}:{:08x}:{:08x}:{:x}:{seq:x}",
                self.instance,
                self.log,
                self.process,
                now_millis()
            ),
        }
    }

    /// Whether the transaction made by `origin` logs its decision where this one does:
    /// only those are this coordinator's to recover.
    pub(crate) fn shares_log(&self, origin: &Origin) -> bool {
        origin.log == self.log
    }

    /// Whether recovery may roll back the undecided transaction made by `origin` now:
    /// an earlier run of this instance made it (that process is gone), or it is old
    /// enough that no coordinator can still be deciding it.
    pub(crate) fn may_abandon(&self, origin: &Origin) -> bool {
        let earlier_run = origin.instance == self.instance && origin.process != self.process;
        let age = Duration::from_millis(now_millis().saturating_sub(origin.millis));
        earlier_run || age > ABANDON_AFTER
    }

    /// Notes that every bind carried out `xid`; once `FORGET_BATCH` are noted, the ones
    /// whose decisions to remove now.
    pub(crate) fn finished(&self, xid: &Xid) -> Option<Vec<String>> {
        let mut finished = self.finished.lock();
        finished.push(xid.gtrid.clone());
        (finished.len() >= FORGET_BATCH).then(|| std::mem::take(&mut *finished))
    }

    pub(crate) fn log_ready(&self) -> bool {
        self.log_ready.load(Ordering::Relaxed)
    }

    pub(crate) fn set_log_ready(&self) {
        self.log_ready.store(true, Ordering::Relaxed);
    }
}

/// FNV-1a, 32 bits: a hash that stays the same across runs and Rust versions.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193)
    })
}

/// A tag of this process that another run of the same program will not have: the
/// process id and the time it started, hashed.
fn process_tag() -> u32 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    // Truncated on purpose: eight hex digits are enough to tell runs apart.
    hasher.finish() as u32
}

pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A point of a two-phase commit, for the crash tests (not public API).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The n-th participant (from 1, in commit order) prepared.
    Prepared(usize),
    /// The commit decision is logged.
    Decided,
    /// The n-th prepared participant committed.
    Committed(usize),
}

static STEP_HOOK: OnceLock<fn(Step)> = OnceLock::new();

/// Calls `hook` at each [`Step`] of every two-phase commit of this process, from then
/// on (the crash tests stop the process there). Not public API.
#[doc(hidden)]
pub fn set_step_hook(hook: fn(Step)) {
    let _ = STEP_HOOK.set(hook);
}

pub(crate) fn reached(step: Step) {
    if let Some(hook) = STEP_HOOK.get() {
        hook(step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_of_the_longest_instance_fits_mariadb_and_reads_back() {
        let instance = "x".repeat(crate::config::MAX_INSTANCE_LEN);
        let coordinator = Coordinator::new(&instance, "postgres|db.example|5432|app");
        coordinator.next.store(u64::MAX, Ordering::Relaxed);
        let xid = coordinator.next_xid();
        assert!(xid.gtrid().len() <= 64, "{}", xid.gtrid());
        let origin = origin(xid.gtrid()).expect("bindery's");
        assert_eq!(origin.process, coordinator.process);
        assert!(coordinator.shares_log(&origin));
        let elsewhere = Coordinator::new(&instance, "postgres|db.example|5432|other");
        assert!(!elsewhere.shares_log(&origin));
        let branch = xid.branch(Dialect::MySql, 3);
        let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
        let row = format!("X'{}',X'{}',{FORMAT_ID}", hex(xid.gtrid()), hex("3"));
        assert_eq!(Branch::from_xa(&row), Some(branch));
        let gid = xid.branch(Dialect::Postgres, 2);
        let Branch::Gid(text) = &gid else { panic!() };
        assert_eq!(Branch::from_gid(text), Some(gid.clone()));
        assert_eq!(gid.gtrid(), xid.gtrid());
    }

    proptest::proptest! {
        /// Whatever the instance name (any the configuration accepts), the log, the
        /// sequence and the bind: the id fits MariaDB's 64 bytes, each branch reads back
        /// from what the servers list (PostgreSQL's gid, `XA RECOVER FORMAT='SQL'`), it
        /// names its instance, and only a coordinator of the same log takes it as its own.
        #[test]
        fn every_id_fits_and_reads_back(
            instance in "[A-Za-z0-9_.-]{1,16}",
            log in ".{0,80}",
            seq in proptest::num::u64::ANY,
            bind in 0_usize..10_000,
        ) {
            let coordinator = Coordinator::new(&instance, &log);
            coordinator.next.store(seq, Ordering::Relaxed);
            let xid = coordinator.next_xid();
            proptest::prop_assert!(xid.gtrid().len() <= 64, "{}", xid.gtrid());
            let found = origin(xid.gtrid()).expect("bindery's");
            proptest::prop_assert_eq!(&found.instance, &instance);
            proptest::prop_assert!(coordinator.shares_log(&found));
            let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
            let row = format!("X'{}',X'{}',{FORMAT_ID}", hex(xid.gtrid()), hex(&bind.to_string()));
            proptest::prop_assert_eq!(Branch::from_xa(&row), Some(xid.branch(Dialect::MySql, bind)));
            let gid = xid.branch(Dialect::Postgres, bind);
            let Branch::Gid(text) = &gid else { unreachable!() };
            proptest::prop_assert!(text.len() <= 200);
            proptest::prop_assert_eq!(Branch::from_gid(text), Some(gid.clone()));
            proptest::prop_assert_eq!(gid.gtrid(), xid.gtrid());
        }
    }

    #[test]
    fn other_applications_ids_are_not_bindery_s() {
        for gid in [
            "tx1",
            "bdy:a:b",
            "bdy:a:1:zz:1:2:0",
            "bdy:a:1:00000001:x:2:0",
        ] {
            assert_eq!(Branch::from_gid(gid), None, "{gid}");
        }
        let foreign = "X'6162',X'31',1";
        assert_eq!(Branch::from_xa(foreign), None);
    }
}
