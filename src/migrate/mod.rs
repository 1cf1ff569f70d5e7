//! Versioned migrations per bind (Flask-Migrate's `--multidb`, Rails' `db:migrate:NAME`):
//! each bind's pending migrations applied in version order, or its newest reverted, one
//! migration at a time. Each step takes the bind's schema lock (the one `create_all`
//! takes), reads the bind's history under it, checks it against the files, and runs
//! one migration: in one transaction with its history row on PostgreSQL and SQLite,
//! statement by statement with a running record on MySQL (`mysql.rs`). Two processes
//! migrating one bind take turns, and each step re-reads what the other did, so no
//! migration runs twice.

mod history;

/// The table that keeps each bind's migration history.
pub(crate) use history::TABLE as HISTORY_TABLE;
#[cfg(feature = "mysql")]
mod mysql;

use std::time::{Duration, Instant};

use crate::backend::{Backend, Pool};
use crate::catalog::tables_query;
use crate::db::Db;
use crate::engine::Engine;
use crate::error::{Error, MigrateError, MigrationError};
use crate::migrations::Migrator;
use crate::report::{
    BindMigrated, BindMigrations, MigrateReport, MigrationRun, MigrationState, MigrationStatus,
    MigrationsStatus,
};
use crate::schema::Binds;
use crate::{
    AsBindKey, BindKey, Direction, Goal, HistoryRow, HistoryState, Migration, PlanProblem,
};

/// Why one step of a bind's run stopped, before the bind is named.
pub(crate) enum StepFailure {
    /// The history stands against the files.
    Plan(PlanProblem),
    /// A script failed.
    Script {
        version: u64,
        name: String,
        direction: Direction,
        /// The statement that failed, from 1.
        statement: usize,
        rolled_back: bool,
        source: sqlx::Error,
    },
    /// SQLite: the migration left a row whose foreign key points at no row, in `table`.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    BrokenForeignKeys {
        version: u64,
        name: String,
        direction: Direction,
        table: String,
    },
    /// The lock, the history or the connection.
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StepFailure {
    fn from(error: sqlx::Error) -> StepFailure {
        StepFailure::Database(error)
    }
}

impl From<PlanProblem> for StepFailure {
    fn from(problem: PlanProblem) -> StepFailure {
        StepFailure::Plan(problem)
    }
}

impl StepFailure {
    fn into_error(self, engine: &Engine) -> MigrationError {
        let bind = BindKey::from(engine.key());
        match self {
            StepFailure::Plan(problem) => MigrationError::Refused { bind, problem },
            StepFailure::Script {
                version,
                name,
                direction,
                statement,
                rolled_back,
                source,
            } => MigrationError::Failed {
                source,
                bind,
                version,
                name,
                direction,
                statement,
                rolled_back,
            },
            StepFailure::BrokenForeignKeys {
                version,
                name,
                direction,
                table,
            } => MigrationError::BrokenForeignKeys {
                bind,
                version,
                name,
                direction,
                table,
            },
            StepFailure::Database(source) => {
                MigrationError::Database(Box::new(Error::database(engine.bind(), source)))
            }
        }
    }
}

/// How a dirty migration (one that stopped part-way on MySQL) was resolved by hand, for
/// [`Db::resolve_migration`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Its script was finished by hand: the migration counts as applied (an up that
    /// stopped), or as still applied (a down that stopped, whose statements were undone).
    Applied,
    /// What its script did was undone by hand (an up that stopped), or the rest of its
    /// down script was run by hand: the migration counts as not applied.
    Undone,
}

/// What one step did: the migration it ran, which way, and how long its script took.
pub(crate) type Ran = Option<(u64, String, Duration)>;

impl Db {
    /// Applies every pending migration of the selected binds, in version order, all binds
    /// at once: what an application calls at startup. The migrations are the
    /// configuration's ([`Config::migrations`](crate::Config::migrations)), or else the
    /// folder `migrations/` of the working directory, read now.
    ///
    /// Refused on a bind, before anything runs there, when an applied migration was
    /// edited (its checksum differs) or has no file, when a pending migration is older
    /// than the newest applied one, and when a MySQL migration stopped part-way (dirty).
    /// See the README, "Going to production → Migrations".
    pub async fn migrate(&self, binds: impl Into<Binds>) -> Result<MigrateReport, Error> {
        self.run_migrations(binds.into(), |_| Goal::Up(None)).await
    }

    /// Reverts the newest applied migration of each selected bind (`to: None`), or every
    /// applied migration above version `to`, newest first.
    pub async fn migrate_down(
        &self,
        binds: impl Into<Binds>,
        to: Option<u64>,
    ) -> Result<MigrateReport, Error> {
        self.run_migrations(binds.into(), |_| Goal::Down(to)).await
    }

    /// Brings bind `bind` to `version`: applies the pending migrations up to it, or
    /// reverts the applied ones above it (`0` reverts them all).
    pub async fn migrate_to(
        &self,
        bind: impl AsBindKey,
        version: u64,
    ) -> Result<MigrateReport, Error> {
        let key = BindKey::from(bind.as_bind_key());
        let migrator = self.migrator()?;
        let known = migrator
            .migrations(key.as_deref())
            .iter()
            .any(|m| m.version == version);
        if version != 0 && !known {
            return Err(MigrateError {
                failures: vec![MigrationError::NoSuchVersion { bind: key, version }],
                completed: MigrateReport::default(),
            }
            .into());
        }
        let status = self
            .migrations_status(Binds::Only(vec![key.clone()]))
            .await?;
        let above = status
            .bind(key.as_deref())
            .is_some_and(|b| b.applied().iter().any(|&v| v > version));
        let goal = if above {
            Goal::Down(Some(version))
        } else {
            Goal::Up(Some(version))
        };
        self.run_migrations(Binds::Only(vec![key]), |_| goal).await
    }

    /// Every migration of the selected binds, from their files and their history tables,
    /// and where each stands: applied, pending, edited, missing or dirty. Reads only (a
    /// bind without a history table has applied nothing).
    pub async fn migrations_status(
        &self,
        binds: impl Into<Binds>,
    ) -> Result<MigrationsStatus, Error> {
        let migrator = self.migrator()?;
        let keys = binds.into().keys(self)?;
        let reads = keys.iter().map(|key| {
            let migrator = &migrator;
            async move {
                let engine = self.engine(key.as_deref())?;
                let history = read_history(engine)
                    .await
                    .map_err(|e| Error::database(engine.bind(), e))?;
                Ok::<_, Error>(BindMigrations {
                    bind: key.clone(),
                    dialect: engine.dialect(),
                    migrations: status_of(migrator.migrations(key.as_deref()), &history),
                })
            }
        });
        let binds = futures_util::future::join_all(reads)
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        Ok(MigrationsStatus { binds })
    }

    /// Marks migration `version` of bind `bind`, dirty since its script stopped part-way
    /// (MySQL commits each DDL statement), as resolved by hand: [`Resolution::Applied`]
    /// once the rest of the script was run by hand, [`Resolution::Undone`] once what ran
    /// was undone. Refused ([`MigrationError::NotDirty`]) for a migration that is not
    /// dirty: a clean history is changed only by running migrations.
    pub async fn resolve_migration(
        &self,
        bind: impl AsBindKey,
        version: u64,
        resolution: Resolution,
    ) -> Result<(), Error> {
        let key = BindKey::from(bind.as_bind_key());
        let engine = self.engine(key.as_deref())?;
        let sql = history::resolve(version, resolution == Resolution::Applied);
        let deadline = engine.statement_timeout();
        let run = async {
            let changed: Result<u64, sqlx::Error> = match *engine.pool() {
                #[cfg(feature = "sqlite")]
                Pool::Sqlite(ref pool) => resolve_on(pool, &sql).await,
                #[cfg(feature = "postgres")]
                Pool::Postgres(ref pool) => resolve_on(pool, &sql).await,
                #[cfg(feature = "mysql")]
                Pool::MySql(ref pool) => resolve_on(pool, &sql).await,
            };
            changed
        };
        let changed = tokio::time::timeout(deadline * 2, run)
            .await
            .unwrap_or_else(|_| Err(crate::backend::deadline_passed(deadline * 2)))
            .map_err(|e| Error::database(engine.bind(), e))?;
        if changed == 0 {
            return Err(MigrateError {
                failures: vec![MigrationError::NotDirty { bind: key, version }],
                completed: MigrateReport::default(),
            }
            .into());
        }
        tracing::info!(bind = %engine.bind(), version, ?resolution, "migration resolved");
        Ok(())
    }

    /// The migrations this `Db` runs: the configuration's, or the `migrations/` folder.
    pub(crate) fn migrator(&self) -> Result<Migrator, Error> {
        let migrator = match self.config().get_migrations() {
            Some(migrator) => migrator.clone(),
            None => Migrator::from_dir("migrations")?,
        };
        if let Some(problem) = migrator.problem() {
            return Err(problem.clone().into());
        }
        Ok(migrator)
    }

    async fn run_migrations(
        &self,
        binds: Binds,
        goal: impl Fn(&BindKey) -> Goal,
    ) -> Result<MigrateReport, Error> {
        let migrator = self.migrator()?;
        let keys = binds.keys(self)?;
        let lock_timeout = self.config().get_ddl_lock_timeout();
        let runs = keys.iter().map(|key| {
            let (migrator, goal) = (&migrator, goal(key));
            async move {
                let engine = self.engine(key.as_deref())?;
                let migrations = migrator.migrations(key.as_deref());
                Ok::<_, Error>(run_bind(engine, migrations, goal, lock_timeout).await)
            }
        });
        let mut completed = MigrateReport::default();
        let mut failures = Vec::new();
        for outcome in futures_util::future::join_all(runs).await {
            let (report, failure) = outcome?;
            completed.binds.push(report);
            failures.extend(failure);
        }
        if failures.is_empty() {
            Ok(completed)
        } else {
            Err(MigrateError {
                failures,
                completed,
            }
            .into())
        }
    }
}

/// Runs one bind's steps until it reaches `goal` or one fails: what it ran, and why it
/// stopped early. Each step is bounded: its lock wait, and a statement timeout for each
/// statement of the largest script and for the history's own statements.
async fn run_bind(
    engine: &Engine,
    migrations: &[Migration],
    goal: Goal,
    lock_timeout: Duration,
) -> (BindMigrated, Option<MigrationError>) {
    let started = Instant::now();
    let mut report = BindMigrated {
        bind: engine.key().into(),
        dialect: engine.dialect(),
        ran: Vec::new(),
        reverted: matches!(goal, Goal::Down(_)),
        elapsed: Duration::ZERO,
    };
    let most_statements = migrations
        .iter()
        .flat_map(|m| [Some(&m.up), m.down.as_ref()])
        .flatten()
        .map(|script| crate::split_statements(script).len())
        .max()
        .unwrap_or(0);
    let statements = u32::try_from(most_statements + 4).unwrap_or(u32::MAX);
    let budget = lock_timeout + engine.statement_timeout().saturating_mul(statements);
    let failure = run_steps(engine, migrations, goal, lock_timeout, budget, &mut report).await;
    if !report.ran.is_empty() || failure.is_some() {
        // Statements prepared before may no longer fit (PostgreSQL); a failed migration
        // on MySQL may have changed part of the schema.
        engine.schema_changed();
    }
    report.elapsed = started.elapsed();
    (report, failure)
}

/// The steps of one bind, until it reaches `goal` or one fails (which it returns), each
/// within `budget`; what ran goes into `report`.
async fn run_steps(
    engine: &Engine,
    migrations: &[Migration],
    goal: Goal,
    lock_timeout: Duration,
    budget: Duration,
    report: &mut BindMigrated,
) -> Option<MigrationError> {
    loop {
        let step = tokio::time::timeout(budget, step(engine, migrations, goal, lock_timeout));
        match step.await {
            Err(_) => {
                return Some(MigrationError::Deadline {
                    bind: engine.key().into(),
                    budget,
                });
            }
            Ok(Err(failure)) => return Some(failure.into_error(engine)),
            Ok(Ok(None)) => return None,
            Ok(Ok(Some((version, name, elapsed)))) => {
                tracing::info!(bind = %engine.bind(), version, %name, ?goal, "migration");
                report.ran.push(MigrationRun {
                    version,
                    name,
                    elapsed,
                });
                // Down by one: one step.
                if goal == Goal::Down(None) {
                    return None;
                }
            }
        }
    }
}

/// One step on the bind's database, under its schema lock.
async fn step(
    engine: &Engine,
    migrations: &[Migration],
    goal: Goal,
    lock_timeout: Duration,
) -> Result<Ran, StepFailure> {
    // Read by the server dialects only; SQLite waits its busy timeout instead.
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(unused_variables)
    )]
    let millis = lock_timeout.as_millis().max(1);
    match *engine.pool() {
        // `BEGIN IMMEDIATE` takes the file's write lock before the history is read.
        #[cfg(feature = "sqlite")]
        //
        // Foreign keys are not enforced while it runs (`PRAGMA foreign_keys` cannot change
        // inside a transaction), so that a table can be rebuilt under the tables that
        // reference it, and are checked whole before the commit: SQLite's own procedure
        // for table changes it cannot make in place.
        #[cfg(feature = "sqlite")]
        Pool::Sqlite(ref pool) => {
            let mut conn = pool.acquire().await?;
            sqlx::raw_sql("PRAGMA foreign_keys = OFF")
                .execute(&mut *conn)
                .await?;
            let ran = sqlite_step(&mut conn, migrations, goal).await;
            let restored = sqlx::raw_sql("PRAGMA foreign_keys = ON")
                .execute(&mut *conn)
                .await;
            if restored.is_err() {
                // Never back in the pool with its foreign keys off.
                drop(conn.detach());
            }
            ran
        }
        // The transaction takes `create_all`'s advisory lock, held until it ends, waited
        // for at most `lock_timeout` (which then bounds the script's own lock waits too).
        #[cfg(feature = "postgres")]
        Pool::Postgres(ref pool) => {
            let mut tx = pool.begin().await?;
            let setup = format!(
                "SET LOCAL lock_timeout = {millis}; {}",
                crate::schema::POSTGRES_LOCK
            );
            sqlx::raw_sql(sqlx::AssertSqlSafe(setup))
                .execute(&mut *tx)
                .await?;
            let ran = in_transaction::<sqlx::Postgres>(&mut tx, migrations, goal).await?;
            tx.commit().await?;
            Ok(ran)
        }
        // MySQL counts this timeout in whole seconds.
        #[cfg(feature = "mysql")]
        Pool::MySql(ref pool) => mysql::step(pool, millis.div_ceil(1000), migrations, goal).await,
    }
}

/// SQLite: one step in a `BEGIN IMMEDIATE` transaction, committed only when no row's
/// foreign key points at no row.
#[cfg(feature = "sqlite")]
async fn sqlite_step(
    conn: &mut sqlx::SqliteConnection,
    migrations: &[Migration],
    goal: Goal,
) -> Result<Ran, StepFailure> {
    let mut tx = sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE").await?;
    let ran = in_transaction::<sqlx::Sqlite>(&mut tx, migrations, goal).await?;
    let broken: Option<(String,)> =
        sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    if let (Some((table,)), Some((version, name, _))) = (broken, &ran) {
        let direction = match goal {
            Goal::Up(_) => Direction::Up,
            Goal::Down(_) => Direction::Down,
        };
        return Err(StepFailure::BrokenForeignKeys {
            version: *version,
            name: name.clone(),
            direction,
            table,
        });
    }
    tx.commit().await?;
    Ok(ran)
}

/// Inside a transaction that holds the bind's lock: creates the history table if it is
/// missing, reads it, and runs the next migration's script and its history row, which
/// then commit (or roll back) together.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn in_transaction<DB: Backend>(
    conn: &mut DB::Connection,
    migrations: &[Migration],
    goal: Goal,
) -> Result<Ran, StepFailure> {
    ensure_history::<DB>(conn).await?;
    let rows = history::read::<DB>(conn).await?;
    let Some((migration, direction, script)) = next_script(migrations, &rows, goal)? else {
        return Ok(None);
    };
    let started = Instant::now();
    run_script::<DB>(conn, script)
        .await
        .map_err(|(statement, source)| StepFailure::Script {
            version: migration.version,
            name: migration.name.clone(),
            direction,
            statement,
            rolled_back: true,
            source,
        })?;
    let took = started.elapsed();
    let record = match direction {
        Direction::Up => history::insert(migration, HistoryState::Applied, took),
        Direction::Down => history::delete(migration),
    };
    history::execute::<DB>(conn, &record).await?;
    Ok(Some((migration.version, migration.name.clone(), took)))
}

/// The migration to run next toward `goal`, which way, and its script; `None` when the
/// bind is there.
pub(crate) fn next_script<'m>(
    migrations: &'m [Migration],
    rows: &[HistoryRow],
    goal: Goal,
) -> Result<Option<(&'m Migration, Direction, &'m str)>, PlanProblem> {
    Ok(match crate::next_step(migrations, rows, goal)? {
        crate::Step::Done => None,
        crate::Step::Up(m) => Some((m, Direction::Up, m.up.as_str())),
        // `next_step` reverts only a migration that has a down script.
        crate::Step::Down(m) => Some((m, Direction::Down, m.down.as_deref().unwrap_or_default())),
    })
}

/// Creates the history table if it is missing.
pub(crate) async fn ensure_history<DB: Backend>(
    conn: &mut DB::Connection,
) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(history::create(DB::DIALECT)))
        .execute(DB::executor(conn))
        .await
        .map(drop)
}

/// Runs a script as one message over the simple protocol; on failure, which statement
/// failed (from 1: the database says only how many completed before it) and why.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn run_script<DB: Backend>(
    conn: &mut DB::Connection,
    script: &str,
) -> Result<(), (usize, sqlx::Error)> {
    use futures_util::TryStreamExt as _;

    if crate::split_statements(script).is_empty() {
        return Ok(());
    }
    let mut completed = 0;
    let mut results =
        sqlx::raw_sql(sqlx::AssertSqlSafe(script.to_owned())).fetch_many(DB::executor(conn));
    loop {
        match results.try_next().await {
            Ok(Some(either)) => completed += usize::from(either.is_left()),
            Ok(None) => return Ok(()),
            Err(error) => return Err((completed + 1, error)),
        }
    }
}

/// Runs a resolving statement on a pooled connection: how many rows it changed (none
/// when there is no history table, or no such dirty row).
async fn resolve_on<DB: Backend>(
    pool: &sqlx::Pool<DB>,
    sql: &crate::Sql,
) -> Result<u64, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    ensure_history::<DB>(&mut conn).await?;
    history::execute_counting::<DB>(&mut conn, sql).await
}

/// The bind's history, read on a pooled connection; empty when it has no history table.
async fn read_history(engine: &Engine) -> Result<Vec<HistoryRow>, sqlx::Error> {
    async fn read<DB: Backend>(pool: &sqlx::Pool<DB>) -> Result<Vec<HistoryRow>, sqlx::Error>
    where
        for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
        (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
    {
        let mut conn = pool.acquire().await?;
        let tables: Vec<String> = sqlx::query_scalar::<DB, String>(tables_query(DB::DIALECT))
            .fetch_all(&mut *conn)
            .await?;
        if !tables.iter().any(|t| t == history::TABLE) {
            return Ok(Vec::new());
        }
        history::read::<DB>(&mut conn).await
    }
    let statement_timeout = engine.statement_timeout();
    let reading = async {
        match *engine.pool() {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(ref pool) => read(pool).await,
            #[cfg(feature = "postgres")]
            Pool::Postgres(ref pool) => read(pool).await,
            #[cfg(feature = "mysql")]
            Pool::MySql(ref pool) => read(pool).await,
        }
    };
    tokio::time::timeout(statement_timeout * 3, reading)
        .await
        .unwrap_or_else(|_| Err(crate::backend::deadline_passed(statement_timeout * 3)))
}

/// Each migration of the files or the history, by version, and where it stands.
fn status_of(migrations: &[Migration], history: &[HistoryRow]) -> Vec<MigrationStatus> {
    let newest = history.iter().map(|r| r.version).max();
    let mut all: Vec<MigrationStatus> = migrations
        .iter()
        .map(|m| {
            let row = history.iter().find(|r| r.version == m.version);
            let state = match row {
                None if newest.is_some_and(|n| n > m.version) => MigrationState::PendingBehind,
                None => MigrationState::Pending,
                Some(row) => recorded_state(row, Some(m)),
            };
            MigrationStatus {
                version: m.version,
                name: m.name.clone(),
                state,
            }
        })
        .collect();
    for row in history {
        if !migrations.iter().any(|m| m.version == row.version) {
            all.push(MigrationStatus {
                version: row.version,
                name: row.name.clone(),
                state: recorded_state(row, None),
            });
        }
    }
    all.sort_by_key(|m| m.version);
    all
}

fn recorded_state(row: &HistoryRow, file: Option<&Migration>) -> MigrationState {
    match row.state {
        HistoryState::UpStopped { done } => MigrationState::Dirty {
            direction: Direction::Up,
            done,
        },
        HistoryState::DownStopped { done } => MigrationState::Dirty {
            direction: Direction::Down,
            done,
        },
        HistoryState::Applied => match file {
            None => MigrationState::Missing,
            Some(m) if m.checksum != row.checksum => MigrationState::Edited,
            Some(_) => MigrationState::Applied {
                applied_at_ms: row.applied_at_ms,
                execution_ms: row.execution_ms,
            },
        },
    }
}
