//! `create_all` and `drop_all`, per bind: Flask-SQLAlchemy's `db.create_all(bind_key=…)`.

use crate::catalog::table_names;
use crate::db::Db;
use crate::engine::{Engine, Pool};
use crate::error::Error;
use crate::{BindName, Dialect, TableInfo, creation_order};
use core::fmt;

mod mysql;

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
    /// These binds (`None`: the default bind), in this order.
    Only(Vec<Option<String>>),
}

impl Binds {
    /// The default bind alone.
    pub const DEFAULT: Binds = Binds::Only(Vec::new());

    /// The selected bind keys, each checked to be configured.
    pub(crate) fn keys(&self, db: &Db) -> Result<Vec<Option<String>>, Error> {
        let keys: Vec<Option<String>> = match self {
            Binds::All => db
                .engines()
                .iter()
                .map(|e| e.key().map(str::to_owned))
                .collect(),
            Binds::Only(keys) if keys.is_empty() => vec![None],
            Binds::Only(keys) => keys.clone(),
        };
        for key in &keys {
            db.engine(key.as_deref())?;
        }
        Ok(keys)
    }
}

impl From<&str> for Binds {
    fn from(key: &str) -> Binds {
        Binds::Only(vec![Some(key.to_owned())])
    }
}

impl From<Option<&str>> for Binds {
    fn from(key: Option<&str>) -> Binds {
        Binds::Only(vec![key.map(str::to_owned)])
    }
}

impl<const N: usize> From<[&str; N]> for Binds {
    fn from(keys: [&str; N]) -> Binds {
        Binds::Only(keys.iter().map(|k| Some((*k).to_owned())).collect())
    }
}

impl<const N: usize> From<[Option<&str>; N]> for Binds {
    fn from(keys: [Option<&str>; N]) -> Binds {
        Binds::Only(keys.iter().map(|k| k.map(str::to_owned)).collect())
    }
}

impl From<Vec<&str>> for Binds {
    fn from(keys: Vec<&str>) -> Binds {
        Binds::Only(keys.into_iter().map(|k| Some(k.to_owned())).collect())
    }
}

/// What `create_all` or `drop_all` did, bind by bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaReport {
    /// Which operation this reports.
    pub operation: SchemaOperation,
    /// One entry per bind, in the order the binds were selected.
    pub binds: Vec<BindReport>,
}

/// A schema operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaOperation {
    /// `create_all`.
    CreateAll,
    /// `drop_all`.
    DropAll,
}

impl fmt::Display for SchemaOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SchemaOperation::CreateAll => "create_all",
            SchemaOperation::DropAll => "drop_all",
        })
    }
}

/// What happened on one bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindReport {
    /// The bind key (`None`: the default bind).
    pub bind: Option<String>,
    /// Its dialect.
    pub dialect: Dialect,
    /// Tables created (`create_all`) or dropped (`drop_all`), in the order it happened.
    pub changed: Vec<&'static str>,
    /// Tables left alone: already there (`create_all`) or already gone (`drop_all`).
    pub skipped: Vec<&'static str>,
}

impl SchemaReport {
    /// The report of bind `key`, if it was part of the operation.
    pub fn bind(&self, key: Option<&str>) -> Option<&BindReport> {
        self.binds.iter().find(|b| b.bind.as_deref() == key)
    }
}

impl fmt::Display for SchemaReport {
    /// One line per bind: `bind "test2" (MySQL): created 1 [tb_user], already there 0 []`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (done, left) = match self.operation {
            SchemaOperation::CreateAll => ("created", "already there"),
            SchemaOperation::DropAll => ("dropped", "not there"),
        };
        for (i, bind) in self.binds.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(
                f,
                "{} ({}): {done} {} [{}], {left} {} [{}]",
                BindName(bind.bind.as_deref()),
                bind.dialect,
                bind.changed.len(),
                bind.changed.join(", "),
                bind.skipped.len(),
                bind.skipped.join(", ")
            )?;
        }
        Ok(())
    }
}

/// A schema operation that failed on one bind.
#[derive(Debug)]
pub struct BindFailure {
    /// The bind key (`None`: the default bind).
    pub bind: Option<String>,
    /// The table whose statement failed; `None` if it failed before any table.
    pub table: Option<&'static str>,
    /// What the database said.
    pub source: sqlx::Error,
    /// Whether the bind was left as it was: always on PostgreSQL and SQLite, whose DDL is
    /// transactional; on MySQL, when the tables created before the failure could be
    /// dropped again.
    pub rolled_back: bool,
}

impl fmt::Display for BindFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", BindName(self.bind.as_deref()))?;
        if let Some(table) = self.table {
            write!(f, ", table {table:?}")?;
        }
        write!(f, ": {}", self.source)?;
        if !self.rolled_back {
            f.write_str(" (the bind was left part-way changed)")?;
        }
        Ok(())
    }
}

/// `create_all` or `drop_all` failed on at least one bind. The binds that succeeded
/// are committed and reported in `completed`.
#[derive(Debug)]
pub struct SchemaError {
    /// The operation that failed.
    pub operation: SchemaOperation,
    /// The binds that failed.
    pub failures: Vec<BindFailure>,
    /// The binds that succeeded.
    pub completed: SchemaReport,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed on ", self.operation)?;
        for (i, failure) in self.failures.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{failure}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SchemaError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.failures
            .first()
            .map(|f| &f.source as &(dyn std::error::Error + 'static))
    }
}

impl Db {
    /// Creates the tables of the selected binds that do not exist yet (Flask's
    /// `db.create_all`), in foreign-key order, all binds at once. On PostgreSQL and SQLite
    /// each bind's tables are created in one transaction, so a failure leaves that bind
    /// untouched; on MySQL, whose DDL commits itself, the tables created before a failure
    /// are dropped again, and the tables that do not reference each other are created over
    /// up to four of the bind's pooled connections at once.
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
            let lock_timeout = self.config().ddl_lock_wait();
            Ok::<_, Error>(run_bind(engine, tables, operation, lock_timeout).await)
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

async fn run_bind(
    engine: &Engine,
    tables: &[&'static TableInfo],
    operation: SchemaOperation,
    lock_timeout: std::time::Duration,
) -> Result<BindReport, BindFailure> {
    let failure = |table, source, rolled_back| BindFailure {
        bind: engine.key().map(str::to_owned),
        table,
        source,
        rolled_back,
    };
    let existing = table_names(engine)
        .await
        .map_err(|e| failure(None, e, true))?;
    let mut ordered = creation_order(tables);
    if operation == SchemaOperation::DropAll {
        ordered.reverse();
    }
    let (todo, skipped): (Vec<&TableInfo>, Vec<&TableInfo>) = ordered.into_iter().partition(|t| {
        let exists = existing.contains(t.name);
        (operation == SchemaOperation::CreateAll) != exists
    });
    let dialect = engine.dialect();
    let batch: Vec<Step> = todo
        .iter()
        .map(|&t| (t, statements(dialect, t, operation)))
        .collect();
    // A table another transaction holds makes DDL wait: at most `lock_timeout`, then
    // the statement fails and names its table. (SQLite waits its busy timeout.)
    let millis = lock_timeout.as_millis().max(1);
    match engine.pool() {
        Pool::Sqlite(pool) => in_transaction(pool, None, &batch).await,
        Pool::Postgres(pool) => {
            let setup = format!("SET LOCAL lock_timeout = {millis}");
            in_transaction(pool, Some(&setup), &batch).await
        }
        // MySQL counts this timeout in whole seconds.
        Pool::MySql(pool) => mysql::run(pool, millis.div_ceil(1000), &batch, operation).await,
    }
    .map_err(|(table, source, rolled_back)| failure(Some(table), source, rolled_back))?;
    tracing::info!(
        bind = %engine.bind(),
        changed = todo.len(),
        skipped = skipped.len(),
        "{operation}"
    );
    Ok(BindReport {
        bind: engine.key().map(str::to_owned),
        dialect,
        changed: todo.iter().map(|t| t.name).collect(),
        skipped: skipped.iter().map(|t| t.name).collect(),
    })
}

/// A table and its statements, in the order they run.
type Step = (&'static TableInfo, Vec<String>);

/// The table a bind's run failed at, why, and whether the bind is as it was before.
type Failed = (&'static str, sqlx::Error, bool);

/// Runs every statement in one transaction, as one script over the simple protocol
/// (`raw_sql`): DDL through prepared statements is ten times slower, and sent one by one
/// it spends about a quarter of its time on round trips. A failure rolls everything back.
async fn in_transaction<DB>(
    pool: &sqlx::Pool<DB>,
    setup: Option<&str>,
    batch: &[Step],
) -> Result<(), Failed>
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
    if let Some(setup) = setup {
        owners.push(first);
        script.push_str(setup);
        script.push_str(";\n");
    }
    for (table, statements) in batch {
        for statement in statements {
            tracing::debug!(table = table.name, sql = %statement, "ddl");
            owners.push(table.name);
            script.push_str(statement);
            script.push_str(";\n");
        }
    }
    let mut tx = pool.begin().await.map_err(|e| (first, e, true))?;
    let mut completed = 0;
    let mut results = sqlx::raw_sql(sqlx::AssertSqlSafe(script)).fetch_many(&mut *tx);
    loop {
        match results.try_next().await {
            Ok(Some(either)) => completed += usize::from(either.is_left()),
            Ok(None) => break,
            Err(error) => {
                let table = owners.get(completed).copied().unwrap_or(first);
                return Err((table, error, true));
            }
        }
    }
    drop(results);
    tx.commit().await.map_err(|e| (first, e, true))
}
