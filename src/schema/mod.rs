//! `create_all` and `drop_all`, per bind: Flask-SQLAlchemy's `db.create_all(bind_key=…)`.

use crate::backend::{Pool, deadline_passed};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
use crate::catalog::tables_query;
use crate::db::Db;
use crate::engine::Engine;
use crate::error::{BindFailure, Error, SchemaError};
use crate::report::{BindReport, SchemaOperation, SchemaReport};
use crate::{BindKey, Dialect, TableInfo, creation_order};

#[cfg(feature = "mysql")]
pub(crate) mod mysql;

/// Which binds an operation covers: Flask's `bind_key` argument.
///
/// | Flask | bindery |
/// |---|---|
/// | `"__all__"` (the default) | `Binds::All` |
/// | `None` | `Binds::DEFAULT` or `None::<&str>` |
/// | `"key"` | `"key"` |
/// | `["a", "b"]` | `["a", "b"]`; with the default bind, `[None, Some("a")]` |
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Binds {
    /// Every configured bind.
    #[default]
    All,
    /// These binds, in this order (none: the default bind).
    Only(Vec<BindKey>),
}

impl Binds {
    /// The default bind alone.
    pub const DEFAULT: Binds = Binds::Only(Vec::new());

    /// The selected bind keys, each checked to be configured.
    pub(crate) fn keys(&self, db: &Db) -> Result<Vec<BindKey>, Error> {
        let keys: Vec<BindKey> = match self {
            Binds::All => db
                .engines()
                .iter()
                .map(|e| BindKey::from(e.key()))
                .collect(),
            Binds::Only(keys) if keys.is_empty() => vec![BindKey::DEFAULT],
            Binds::Only(keys) => keys.clone(),
        };
        for key in &keys {
            db.engine(key)?;
        }
        Ok(keys)
    }
}

impl From<&str> for Binds {
    fn from(key: &str) -> Binds {
        Binds::Only(vec![BindKey::from(key)])
    }
}

impl From<Option<&str>> for Binds {
    fn from(key: Option<&str>) -> Binds {
        Binds::Only(vec![BindKey::from(key)])
    }
}

impl<const N: usize> From<[&str; N]> for Binds {
    fn from(keys: [&str; N]) -> Binds {
        Binds::Only(keys.into_iter().map(BindKey::from).collect())
    }
}

impl<const N: usize> From<[Option<&str>; N]> for Binds {
    fn from(keys: [Option<&str>; N]) -> Binds {
        Binds::Only(keys.into_iter().map(BindKey::from).collect())
    }
}

impl From<Vec<&str>> for Binds {
    fn from(keys: Vec<&str>) -> Binds {
        Binds::Only(keys.into_iter().map(BindKey::from).collect())
    }
}

impl Db {
    /// Creates the tables of the selected binds that do not exist yet (Flask's
    /// `db.create_all`), in foreign-key order, all binds at once. On PostgreSQL and SQLite
    /// each bind's tables are created in one transaction, so a failure leaves that bind
    /// untouched; on MySQL, whose DDL commits itself, the tables this call created before a
    /// failure are dropped again (and no others), and the tables that do not reference each
    /// other are created over up to four of the bind's pooled connections at once.
    ///
    /// Each bind's run holds a lock of its database while it reads which tables exist and
    /// creates the others, so two processes calling this at once take turns, and the
    /// second reports the first one's tables as skipped. See the README, "Schema
    /// operations".
    pub async fn create_all(&self, binds: impl Into<Binds>) -> Result<SchemaReport, Error> {
        self.run_schema(SchemaOperation::CreateAll, binds.into())
            .await
    }

    /// Drops the tables of the selected binds that exist (Flask's `db.drop_all`), in
    /// reverse foreign-key order, all binds at once; in one transaction per bind on
    /// PostgreSQL and SQLite.
    pub async fn drop_all(&self, binds: impl Into<Binds>) -> Result<SchemaReport, Error> {
        self.run_schema(SchemaOperation::DropAll, binds.into())
            .await
    }

    async fn run_schema(
        &self,
        operation: SchemaOperation,
        binds: Binds,
    ) -> Result<SchemaReport, Error> {
        let keys = binds.keys(self)?;
        let runs = keys.iter().map(|key| async move {
            let engine = self.engine(key.as_deref())?;
            let tables = self.tables_of(key.as_deref());
            let lock_timeout = self.config().get_ddl_lock_timeout();
            // A hung server answers no statement: the whole run of a bind is bounded, by
            // room for every attempt to wait for its locks and then do its work.
            let budget = (lock_timeout + engine.statement_timeout()) * POSTGRES_ATTEMPTS;
            let run = run_bind(engine, tables, operation, lock_timeout);
            let outcome = match tokio::time::timeout(budget, run).await {
                Ok(outcome) => outcome,
                // Abandoned part-way: a transaction's connection rolls back when the server
                // answers again, but on MySQL, or if the COMMIT was already sent, what the
                // bind holds is unknown.
                Err(_) => Err(BindFailure {
                    bind: engine.key().into(),
                    table: None,
                    source: deadline_passed(budget),
                    rolled_back: false,
                }),
            };
            Ok::<_, Error>(outcome)
        });
        let mut completed = SchemaReport {
            operation,
            binds: Vec::new(),
        };
        let mut failures = Vec::new();
        for outcome in futures_util::future::join_all(runs).await {
            match outcome? {
                Ok(report) => completed.binds.push(report),
                Err(failure) => failures.push(failure),
            }
        }
        if failures.is_empty() {
            Ok(completed)
        } else {
            Err(SchemaError {
                operation,
                failures,
                completed,
            }
            .into())
        }
    }
}

/// The statements for one table, in the order they run.
fn statements(dialect: Dialect, table: &TableInfo, operation: SchemaOperation) -> Vec<String> {
    match operation {
        SchemaOperation::CreateAll => dialect.create_statements(table),
        SchemaOperation::DropAll => vec![dialect.drop_table(table)],
    }
}

/// How many times a PostgreSQL bind's run is tried in all when it loses a race with DDL
/// from outside bindery (which does not take bindery's schema lock).
const POSTGRES_ATTEMPTS: u32 = 3;

async fn run_bind(
    engine: &Engine,
    tables: &[&'static TableInfo],
    operation: SchemaOperation,
    lock_timeout: std::time::Duration,
) -> Result<BindReport, BindFailure> {
    // A table another transaction holds makes DDL wait: at most `lock_timeout`, then
    // the statement fails and names its table. (SQLite waits its busy timeout.)
    // Read by the server dialects only; SQLite waits its busy timeout instead.
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(unused_variables)
    )]
    let millis = lock_timeout.as_millis().max(1);
    let run: Result<Ran, Failed> = match *engine.pool() {
        #[cfg(feature = "sqlite")]
        Pool::Sqlite(ref pool) => sqlite(pool, tables, operation).await,
        #[cfg(feature = "postgres")]
        Pool::Postgres(ref pool) => postgres(pool, millis, tables, operation).await,
        // MySQL counts this timeout in whole seconds.
        #[cfg(feature = "mysql")]
        Pool::MySql(ref pool) => mysql::run(pool, millis.div_ceil(1000), tables, operation).await,
    };
    if run.as_ref().map_or(true, |(plan, _)| !plan.todo.is_empty()) {
        // Statements prepared before may no longer fit (PostgreSQL); a failure on MySQL
        // may have changed part of the schema.
        engine.schema_changed();
    }
    let (plan, found) = run.map_err(|(table, source, rolled_back)| BindFailure {
        bind: engine.key().into(),
        table,
        source,
        rolled_back,
    })?;
    // A table found already there (already gone) when its statement ran was made
    // (dropped) by someone else in the meantime: left alone, so skipped.
    let (changed, found): (Vec<&'static str>, Vec<&'static str>) = plan
        .todo
        .iter()
        .map(|t| t.name)
        .partition(|name| !found.contains(name));
    let mut skipped: Vec<&'static str> = plan.skipped.iter().map(|t| t.name).collect();
    skipped.extend(found);
    tracing::info!(
        bind = %engine.bind(),
        changed = changed.len(),
        skipped = skipped.len(),
        "{operation}"
    );
    Ok(BindReport {
        bind: engine.key().into(),
        dialect: engine.dialect(),
        changed,
        skipped,
    })
}

/// What a run does, decided from the tables that exist once the bind's schema lock is
/// held: the tables to create (drop), in order, and the ones already there (gone).
struct Plan {
    todo: Vec<&'static TableInfo>,
    skipped: Vec<&'static TableInfo>,
}

impl Plan {
    fn new(tables: &[&'static TableInfo], operation: SchemaOperation, existing: &[String]) -> Plan {
        let mut ordered = creation_order(tables);
        if operation == SchemaOperation::DropAll {
            ordered.reverse();
        }
        let (todo, skipped) = ordered.into_iter().partition(|t| {
            let exists = existing.iter().any(|name| name == t.name);
            (operation == SchemaOperation::CreateAll) != exists
        });
        Plan { todo, skipped }
    }

    /// The tables to change with their statements.
    fn steps(&self, dialect: Dialect, operation: SchemaOperation) -> Vec<Step> {
        self.todo
            .iter()
            .map(|&t| (t, statements(dialect, t, operation)))
            .collect()
    }
}

/// A table and its statements, in the order they run.
type Step = (&'static TableInfo, Vec<String>);

/// The table a bind's run failed at (`None`: before any), why, and whether the bind is
/// as it was before.
type Failed = (Option<&'static str>, sqlx::Error, bool);

/// What a run did: its plan, and the tables of the plan that turned out to be already
/// there (gone) when their statement ran, so were left alone.
type Ran = (Plan, Vec<&'static str>);

/// SQLite: `BEGIN IMMEDIATE` takes the file's write lock before the catalog is read, so
/// another process's `create_all` waits (its busy timeout) until this one commits, then
/// reads what this one made. With a deferred `BEGIN`, both would read an empty file, and
/// the second to write would fail on a table the first had made.
#[cfg(feature = "sqlite")]
async fn sqlite(
    pool: &sqlx::SqlitePool,
    tables: &[&'static TableInfo],
    operation: SchemaOperation,
) -> Result<Ran, Failed> {
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|e| (None, e, true))?;
    let plan = plan_and_run::<sqlx::Sqlite>(&mut *tx, Dialect::Sqlite, tables, operation).await?;
    tx.commit().await.map_err(|e| (None, e, true))?;
    Ok((plan, Vec::new()))
}

/// PostgreSQL, where DDL is transactional: each attempt is one transaction that first
/// takes the bind's schema lock, then reads the catalog. Another session's DDL that did
/// not take the lock can still make this one fail (`duplicate key value violates unique
/// constraint "pg_type_typname_nsp_index"` when both create one table, or the table
/// already there or already gone); the transaction is then rolled back whole, and tried
/// again on a fresh read of the catalog, up to [`POSTGRES_ATTEMPTS`] times in all.
#[cfg(feature = "postgres")]
async fn postgres(
    pool: &sqlx::PgPool,
    lock_timeout_millis: u128,
    tables: &[&'static TableInfo],
    operation: SchemaOperation,
) -> Result<Ran, Failed> {
    let mut attempt = 1;
    loop {
        match postgres_attempt(pool, lock_timeout_millis, tables, operation).await {
            Err((table, error, _)) if attempt < POSTGRES_ATTEMPTS && lost_race(&error) => {
                tracing::debug!(?table, %error, attempt, "{operation} lost a race; again");
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// The errors a PostgreSQL schema run gets when another session changed the same tables
/// at the same time: unique violation (the catalogs' own unique indexes), duplicate table,
/// undefined table, deadlock.
#[cfg(feature = "postgres")]
fn lost_race(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| matches!(&*code, "23505" | "42P07" | "42P01" | "40P01"))
}

/// The advisory lock that serialises bindery's schema runs (and migration steps) on one
/// PostgreSQL schema:
/// keyed by `bindery:schema` and the current schema (advisory locks are per database
/// already), held until the transaction ends however it ends, waited for at most
/// `lock_timeout`.
#[cfg(feature = "postgres")]
pub(crate) const POSTGRES_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('bindery:schema'), \
     hashtext(coalesce(current_schema(), '')))";

#[cfg(feature = "postgres")]
async fn postgres_attempt(
    pool: &sqlx::PgPool,
    lock_timeout_millis: u128,
    tables: &[&'static TableInfo],
    operation: SchemaOperation,
) -> Result<Ran, Failed> {
    let mut tx = pool.begin().await.map_err(|e| (None, e, true))?;
    let setup = format!("SET LOCAL lock_timeout = {lock_timeout_millis}; {POSTGRES_LOCK}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(setup))
        .execute(&mut *tx)
        .await
        .map_err(|e| (None, e, true))?;
    // Read committed: this read sees every table committed before the lock was granted.
    let plan =
        plan_and_run::<sqlx::Postgres>(&mut *tx, Dialect::Postgres, tables, operation).await?;
    tx.commit().await.map_err(|e| (None, e, true))?;
    Ok((plan, Vec::new()))
}

/// Inside a bind's transaction (its schema lock held): reads which tables exist, plans
/// what `operation` changes, and runs it as one script.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn plan_and_run<DB>(
    conn: &mut DB::Connection,
    dialect: Dialect,
    tables: &[&'static TableInfo],
    operation: SchemaOperation,
) -> Result<Plan, Failed>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let existing: Vec<String> = sqlx::query_scalar::<DB, String>(tables_query(dialect))
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| (None, e, true))?;
    let plan = Plan::new(tables, operation, &existing);
    run_script::<DB>(conn, &plan.steps(dialect, operation)).await?;
    Ok(plan)
}

/// Runs every statement of `batch` on `conn` (inside the caller's transaction), as one
/// script over the simple protocol (`raw_sql`): DDL through prepared statements is ten
/// times slower, and sent one by one it spends about a quarter of its time on round trips.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn run_script<DB>(conn: &mut DB::Connection, batch: &[Step]) -> Result<(), Failed>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    use futures_util::TryStreamExt as _;

    let Some(first) = batch.first().map(|(table, _)| table.name) else {
        return Ok(());
    };
    // The table of each statement of the script, in order: the database reports which
    // statement failed only by how many completed before it.
    let mut owners: Vec<&'static str> = Vec::new();
    let mut script = String::new();
    for (table, statements) in batch {
        for statement in statements {
            tracing::debug!(table = table.name, sql = %statement, "ddl");
            owners.push(table.name);
            script.push_str(statement);
            script.push_str(";\n");
        }
    }
    let mut completed = 0;
    let mut results = sqlx::raw_sql(sqlx::AssertSqlSafe(script)).fetch_many(&mut *conn);
    loop {
        match results.try_next().await {
            Ok(Some(either)) => completed += usize::from(either.is_left()),
            Ok(None) => return Ok(()),
            Err(error) => {
                let table = owners.get(completed).copied().unwrap_or(first);
                return Err((Some(table), error, true));
            }
        }
    }
}
