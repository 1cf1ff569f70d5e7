//! Recovery of in-doubt transactions: on every primary, the prepared branches bindery
//! made are committed if their decision is logged, rolled back if an abort is (logged
//! here first, for a transaction nobody decided whose coordinator is gone), and left
//! alone otherwise; ids of other applications are never touched. Then the decisions
//! every bind has carried out are forgotten.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::backend::{Fault, Statement};
use crate::engine::Engine;
use crate::error::Error;
use crate::record::Recorder;
use crate::{BindKey, Dialect};

use super::log::{decisions, run_on};
use super::{
    ABORT_KEPT, Branch, Coordinator, Outcome, Verdict, decide, ensure_log, forget_all, now_millis,
    origin, texts,
};

/// What recovery found and did, branch by branch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// One entry per prepared branch of a bindery transaction, in the order found.
    pub actions: Vec<Recovered>,
    /// Binds whose prepared transactions could not be listed, and why.
    pub unreachable: Vec<(BindKey, String)>,
    /// How many logged decisions were forgotten, every bind having carried them out.
    pub forgotten: usize,
}

/// One prepared branch recovery found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// The bind it is prepared on.
    pub bind: BindKey,
    /// Its id, as the server lists it.
    pub transaction: String,
    /// What recovery did with it.
    pub action: RecoveryAction,
}

/// What recovery did with a prepared branch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecoveryAction {
    /// Its commit was logged: committed.
    Committed,
    /// No commit was logged and its coordinator is gone: rolled back.
    RolledBack,
    /// No decision is logged, and its coordinator may still be deciding: left prepared.
    Left,
    /// Committing or rolling it back failed: left prepared, for the next recovery.
    Failed(String),
}

impl RecoveryReport {
    /// Whether recovery finished everything it found.
    pub fn is_clean(&self) -> bool {
        self.unreachable.is_empty()
            && self.actions.iter().all(|a| {
                matches!(
                    a.action,
                    RecoveryAction::Committed | RecoveryAction::RolledBack
                )
            })
    }
}

impl fmt::Display for RecoveryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.actions.is_empty() && self.unreachable.is_empty() {
            writeln!(f, "no prepared transaction of bindery's is in doubt")?;
        }
        for found in &self.actions {
            let what = match &found.action {
                RecoveryAction::Committed => "committed (its commit was logged)".to_owned(),
                RecoveryAction::RolledBack => "rolled back (no commit was logged)".to_owned(),
                RecoveryAction::Left => {
                    "left prepared (no decision yet; its coordinator may still be deciding)"
                        .to_owned()
                }
                RecoveryAction::Failed(reason) => format!("left prepared: {reason}"),
            };
            writeln!(f, "{}: {}: {what}", found.bind, found.transaction)?;
        }
        for (bind, reason) in &self.unreachable {
            writeln!(f, "{bind}: cannot list its prepared transactions: {reason}")?;
        }
        if self.forgotten > 0 {
            writeln!(
                f,
                "{} carried-out decisions removed from the log",
                self.forgotten
            )?;
        }
        Ok(())
    }
}

fn error(engine: &Engine, fault: Fault) -> Error {
    fault.into_error(engine.key(), None, engine.statement_timeout())
}

/// Recovers the in-doubt transactions on `engines` (the primaries of the binds that can
/// prepare), with the decision log on `log`.
pub(crate) async fn recover(
    coordinator: &Coordinator,
    log: &Engine,
    engines: &[&Engine],
    recorder: &Recorder,
) -> Result<RecoveryReport, Error> {
    ensure_log(coordinator, log, recorder)
        .await
        .map_err(|f| error(log, f))?;
    // Read before any listing: a branch listed later that a decision read here does
    // not cover was decided after, and is left to its coordinator.
    let decided: HashMap<String, (Outcome, i64)> = decisions(log, recorder)
        .await
        .map_err(|f| error(log, f))?
        .into_iter()
        .map(|(gtrid, outcome, ms)| (gtrid, (outcome, ms)))
        .collect();
    let mut report = RecoveryReport::default();
    let mut seen = HashSet::new();
    let mut unfinished = HashSet::new();
    for engine in engines {
        let branches = match prepared_branches(engine, recorder).await {
            Ok(branches) => branches,
            Err(fault) => {
                report.unreachable.push((
                    BindKey::from(engine.key()),
                    error(engine, fault).to_string(),
                ));
                continue;
            }
        };
        // Only transactions that log where this `Db` does are its to finish.
        let ours = branches
            .into_iter()
            .filter(|b| origin(b.gtrid()).is_some_and(|o| coordinator.shares_log(&o)));
        for branch in ours {
            // Two binds on one MariaDB server (or one PostgreSQL database) list the same.
            if !seen.insert(branch.clone()) {
                continue;
            }
            let gtrid = branch.gtrid().to_owned();
            let outcome = match decided.get(&gtrid) {
                Some((outcome, _)) => Ok(Some(*outcome)),
                None => abandon(coordinator, log, recorder, &gtrid).await,
            };
            let action = match outcome {
                Ok(Some(outcome)) => match finish(engine, recorder, &branch, outcome).await {
                    Ok(()) => match outcome {
                        Outcome::Commit => RecoveryAction::Committed,
                        Outcome::Abort => RecoveryAction::RolledBack,
                    },
                    Err(reason) => RecoveryAction::Failed(reason),
                },
                Ok(None) => RecoveryAction::Left,
                Err(fault) => {
                    RecoveryAction::Failed(format!("cannot log its abort: {}", error(log, fault)))
                }
            };
            if !matches!(
                action,
                RecoveryAction::Committed | RecoveryAction::RolledBack
            ) {
                unfinished.insert(gtrid);
            }
            report.actions.push(Recovered {
                bind: BindKey::from(engine.key()),
                transaction: branch.to_string(),
                action,
            });
        }
    }
    if report.unreachable.is_empty() {
        report.forgotten = forget_done(log, recorder, &decided, &unfinished).await;
    }
    Ok(report)
}

/// The outcome to give an undecided transaction: an abort, logged first, if its
/// coordinator is gone (whatever was logged first, if something was); `None` while it
/// may still be deciding.
async fn abandon(
    coordinator: &Coordinator,
    log: &Engine,
    recorder: &Recorder,
    gtrid: &str,
) -> Result<Option<Outcome>, Fault> {
    match origin(gtrid) {
        Some(origin) if coordinator.may_abandon(&origin) => {
            match decide(coordinator, log, recorder, gtrid, Outcome::Abort).await? {
                Verdict::Logged => Ok(Some(Outcome::Abort)),
                Verdict::Taken(outcome) => Ok(Some(outcome)),
            }
        }
        _ => Ok(None),
    }
}

/// Carries out `outcome` on `branch`, or says why not.
async fn finish(
    engine: &Engine,
    recorder: &Recorder,
    branch: &Branch,
    outcome: Outcome,
) -> Result<(), String> {
    let sql = match outcome {
        Outcome::Commit => branch.commit_prepared(),
        Outcome::Abort => branch.rollback_prepared(),
    };
    match run_on(engine, recorder, Statement::Control(sql.into())).await {
        Ok(_) => Ok(()),
        // Listed a moment ago, yet unknown: MariaDB lists a branch whose preparing
        // connection is still open (its process may be dead, the server not knowing it
        // yet) but lets no other connection finish it. Taken as done, its decision would
        // be forgotten while it is still prepared: it stays for the next recovery.
        Err(Fault::Database(e)) if is_unknown_branch(&e) => Err(
            "the server lets no other connection finish it yet (the connection that \
             prepared it may still be open)"
                .to_owned(),
        ),
        Err(fault) => Err(error(engine, fault).to_string()),
    }
}

/// Whether the server answered that no such prepared transaction exists (PostgreSQL's
/// undefined object, XA's XAER_NOTA).
pub(crate) fn is_unknown_branch(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "42704" || code == "XAE04")
}

/// Forgets each decision read at the start whose transaction has no branch left
/// prepared: a commit at once, an abort once it is older than [`ABORT_KEPT`]. Returns
/// how many it forgot.
async fn forget_done(
    log: &Engine,
    recorder: &Recorder,
    decided: &HashMap<String, (Outcome, i64)>,
    unfinished: &HashSet<String>,
) -> usize {
    let now = i64::try_from(now_millis()).unwrap_or(i64::MAX);
    let kept_ms = i64::try_from(ABORT_KEPT.as_millis()).unwrap_or(i64::MAX);
    let done: Vec<String> = decided
        .iter()
        .filter(|(gtrid, (outcome, ms))| {
            let expired = *outcome == Outcome::Commit || now.saturating_sub(*ms) > kept_ms;
            expired && !unfinished.contains(*gtrid)
        })
        .map(|(gtrid, _)| gtrid.clone())
        .collect();
    let mut forgotten = 0;
    // In chunks: every driver caps the values one statement may bind.
    for chunk in done.chunks(500) {
        if forget_all(log, recorder, chunk).await.is_ok() {
            forgotten += chunk.len();
        }
    }
    forgotten
}

/// The branches bindery made that `engine`'s server holds prepared (PostgreSQL: in the
/// bind's database, where alone they can be finished).
async fn prepared_branches(engine: &Engine, recorder: &Recorder) -> Result<Vec<Branch>, Fault> {
    let (sql, column, read): (&str, _, fn(&str) -> Option<Branch>) = match engine.dialect() {
        Dialect::Postgres => (
            "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()",
            None,
            Branch::from_gid,
        ),
        Dialect::MySql => ("XA RECOVER FORMAT='SQL'", Some("data"), Branch::from_xa),
        Dialect::Sqlite => return Ok(Vec::new()),
    };
    let probe = Statement::Probe {
        sql: sql.into(),
        column,
    };
    let answer = run_on(engine, recorder, probe).await?;
    Ok(texts(&answer).iter().filter_map(|t| read(t)).collect())
}

/// What keeps each of `engines` from taking part in a two-phase commit: PostgreSQL with
/// `max_prepared_transactions = 0`, a Galera node (it refuses XA).
pub(crate) async fn capability_problems(
    engines: &[&Engine],
    recorder: &Recorder,
) -> Vec<(BindKey, String)> {
    let mut problems = Vec::new();
    for engine in engines {
        let (sql, refuses): (&str, fn(&str) -> Option<String>) = match engine.dialect() {
            Dialect::Postgres => ("SHOW max_prepared_transactions", |value| {
                (value == "0").then(|| {
                    "max_prepared_transactions is 0, so PostgreSQL cannot prepare a transaction: \
                     set it above 0 (a restart of the server) or turn two-phase commit off"
                        .to_owned()
                })
            }),
            // MySQL without Galera has no such variable: the probe fails, and that is fine.
            Dialect::MySql => ("SELECT @@wsrep_on", |value| {
                (value == "1" || value.eq_ignore_ascii_case("on")).then(|| {
                    "a Galera node: Galera refuses XA transactions, so two-phase commit cannot \
                     include this bind"
                        .to_owned()
                })
            }),
            Dialect::Sqlite => continue,
        };
        let probe = Statement::Probe {
            sql: sql.into(),
            column: None,
        };
        match run_on(engine, recorder, probe).await {
            Ok(answer) => {
                if let Some(reason) = texts(&answer).last().and_then(|v| refuses(v)) {
                    problems.push((BindKey::from(engine.key()), reason));
                }
            }
            Err(Fault::Database(e)) if e.as_database_error().is_some() => {}
            Err(fault) => problems.push((
                BindKey::from(engine.key()),
                format!("cannot be checked: {}", error(engine, fault)),
            )),
        }
    }
    problems
}
