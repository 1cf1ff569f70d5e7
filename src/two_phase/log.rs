//! The decision log: the table `bindery_two_phase_log` on the bind the configuration
//! names, one row per global transaction whose outcome was decided. A commit logs
//! `commit` after every bind prepared; recovery logs `abort` before it rolls back a
//! transaction nobody decided. Both insert, and the key decides who came first: a
//! commit that finds an abort rolls back, recovery that finds a commit commits.

use std::time::Instant;

use crate::backend::{Answer, Fault, Statement};
use crate::engine::Engine;
use crate::record::Recorder;
use crate::{Role, Sql, Value, ValueKind};

use super::Coordinator;

/// The decision log's table.
pub(crate) const TABLE: &str = "bindery_two_phase_log";

/// A logged outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Commit,
    Abort,
}

impl Outcome {
    fn text(self) -> &'static str {
        match self {
            Outcome::Commit => "commit",
            Outcome::Abort => "abort",
        }
    }

    fn parse(text: &str) -> Option<Outcome> {
        match text {
            "commit" => Some(Outcome::Commit),
            "abort" => Some(Outcome::Abort),
            _ => None,
        }
    }
}

/// What logging a decision found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Logged: this outcome stands.
    Logged,
    /// Another outcome was logged first (recovery's abort, or a commit).
    Taken(Outcome),
}

/// Runs `statement` on a pooled connection of `engine`, within its statement timeout,
/// and records it.
pub(crate) async fn run_on(
    engine: &Engine,
    recorder: &Recorder,
    statement: Statement<'_>,
) -> Result<Answer, Fault> {
    let (sql, count) = (statement.sql().clone(), statement.param_count());
    let started = Instant::now();
    let outcome = match engine.pool().acquire().await {
        Ok(mut conn) => conn.run(statement, engine.statement_timeout()).await,
        Err(source) => Err(Fault::Database(source)),
    };
    recorder.record(engine.key(), Role::Primary, &sql, count, started.elapsed());
    outcome
}

/// Creates the log's table on `engine` if it is not there.
pub(crate) async fn ensure_log(
    coordinator: &Coordinator,
    engine: &Engine,
    recorder: &Recorder,
) -> Result<(), Fault> {
    if coordinator.log_ready() {
        return Ok(());
    }
    let create = create_sql(engine);
    let mut result = run_on(engine, recorder, Statement::Control(create.clone().into())).await;
    if result.is_err() {
        // Two processes creating it at once: PostgreSQL fails the second on its
        // catalog's unique index. Once more finds it there.
        result = run_on(engine, recorder, Statement::Control(create.into())).await;
    }
    result?;
    coordinator.set_log_ready();
    Ok(())
}

/// `CREATE TABLE IF NOT EXISTS` for the log's table on `engine`'s dialect.
pub(crate) fn create_sql(engine: &Engine) -> String {
    let q = |name: &str| engine.dialect().quote(name);
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({} VARCHAR(64) NOT NULL PRIMARY KEY, \
         {} VARCHAR(8) NOT NULL, {} BIGINT NOT NULL)",
        q(TABLE),
        q("gtrid"),
        q("outcome"),
        q("decided_ms"),
    )
}

/// The INSERT of `outcome` for the transaction `gtrid`.
pub(crate) fn insert(engine: &Engine, gtrid: &str, outcome: Outcome) -> Statement<'static> {
    let (sql, params) = Sql::new("INSERT INTO ")
        .ident(TABLE)
        .text(" (")
        .ident("gtrid")
        .text(", ")
        .ident("outcome")
        .text(", ")
        .ident("decided_ms")
        .text(") VALUES (")
        .value(gtrid.to_owned())
        .text(", ")
        .value(outcome.text().to_owned())
        .text(", ")
        .value(i64::try_from(super::now_millis()).unwrap_or(i64::MAX))
        .text(")")
        .render(engine.dialect());
    Statement::Execute {
        sql: sql.into(),
        params,
    }
}

/// Logs `outcome` for `gtrid` in its own transaction, unless an outcome is logged
/// already. A failure whose answer never came is returned as such: the row may be there.
pub(crate) async fn decide(
    coordinator: &Coordinator,
    engine: &Engine,
    recorder: &Recorder,
    gtrid: &str,
    outcome: Outcome,
) -> Result<Verdict, Fault> {
    ensure_log(coordinator, engine, recorder).await?;
    match run_on(engine, recorder, insert(engine, gtrid, outcome)).await {
        Ok(_) => Ok(Verdict::Logged),
        Err(Fault::Database(error)) if is_unique_violation(&error) => {
            match outcome_of(engine, recorder, gtrid).await? {
                Some(logged) => Ok(Verdict::Taken(logged)),
                // Logged and forgotten in between: only a commit is ever forgotten
                // while its transaction could still be decided.
                None => Ok(Verdict::Taken(Outcome::Commit)),
            }
        }
        Err(fault) => Err(fault),
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

/// The outcome logged for `gtrid`, if any.
async fn outcome_of(
    engine: &Engine,
    recorder: &Recorder,
    gtrid: &str,
) -> Result<Option<Outcome>, Fault> {
    let select = Sql::new("SELECT ")
        .ident("outcome")
        .text(" FROM ")
        .ident(TABLE);
    let (sql, params) = of_transaction(select, gtrid).render(engine.dialect());
    let statement = Statement::Fetch {
        sql: sql.into(),
        params,
        kinds: &[ValueKind::Text],
        at_most_one: true,
    };
    let answer = run_on(engine, recorder, statement).await?;
    Ok(answer.rows.first().and_then(|row| match row.first() {
        Some(Value::Text(text)) => Outcome::parse(text),
        _ => None,
    }))
}

/// `sql` limited to the row of transaction `gtrid`.
fn of_transaction(sql: Sql, gtrid: &str) -> Sql {
    sql.text(" WHERE ")
        .ident("gtrid")
        .text(" = ")
        .value(gtrid.to_owned())
}

/// Every logged decision: its transaction, outcome and when it was logged (ms).
pub(crate) async fn decisions(
    engine: &Engine,
    recorder: &Recorder,
) -> Result<Vec<(String, Outcome, i64)>, Fault> {
    let (sql, params) = Sql::new("SELECT ")
        .ident("gtrid")
        .text(", ")
        .ident("outcome")
        .text(", ")
        .ident("decided_ms")
        .text(" FROM ")
        .ident(TABLE)
        .render(engine.dialect());
    let statement = Statement::Fetch {
        sql: sql.into(),
        params,
        kinds: &[ValueKind::Text, ValueKind::Text, ValueKind::BigInt],
        at_most_one: false,
    };
    let answer = run_on(engine, recorder, statement).await?;
    Ok(answer
        .rows
        .into_iter()
        .filter_map(|row| match row.as_slice() {
            [Value::Text(gtrid), Value::Text(outcome), Value::BigInt(ms)] => {
                Some((gtrid.clone(), Outcome::parse(outcome)?, *ms))
            }
            _ => None,
        })
        .collect())
}

/// Removes the decisions of `gtrids` in one statement: every bind has carried them out.
pub(crate) async fn forget_all(
    engine: &Engine,
    recorder: &Recorder,
    gtrids: &[String],
) -> Result<(), Fault> {
    let mut delete = Sql::new("DELETE FROM ")
        .ident(TABLE)
        .text(" WHERE ")
        .ident("gtrid")
        .text(" IN (");
    for (i, gtrid) in gtrids.iter().enumerate() {
        if i > 0 {
            delete = delete.text(", ");
        }
        delete = delete.value(gtrid.clone());
    }
    let (sql, params) = delete.text(")").render(engine.dialect());
    let statement = Statement::Execute {
        sql: sql.into(),
        params,
    };
    run_on(engine, recorder, statement).await.map(drop)
}

/// Removes the decision of `gtrid`: every bind has carried it out.
pub(crate) async fn forget(engine: &Engine, recorder: &Recorder, gtrid: &str) -> Result<(), Fault> {
    let delete = Sql::new("DELETE FROM ").ident(TABLE);
    let (sql, params) = of_transaction(delete, gtrid).render(engine.dialect());
    let statement = Statement::Execute {
        sql: sql.into(),
        params,
    };
    run_on(engine, recorder, statement).await.map(drop)
}
