//! bindery's errors. Each names the bind, model, table or config key at fault, and none
//! holds a URL, so none can print a password.

use core::fmt;

use std::path::PathBuf;

mod migration;

pub use migration::{MigrateError, MigrationError, MigrationFilesError};

use crate::report::{SchemaOperation, SchemaReport};
use crate::url::UrlError;
use crate::{BindKey, BindName, Problem};

/// Everything that can go wrong in bindery.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `Db::build` found the configuration and the models do not fit: every problem.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// `Db::build` was called outside a tokio runtime, which sqlx's pools need.
    #[error(
        "Db::build must be called inside a tokio runtime (sqlx's pools run their maintenance on it)"
    )]
    NoRuntime,
    /// A bind key that is not configured (for a statement of `model`, when a model's bind
    /// is the one missing: a `Db` built over a registry of its own).
    #[error(
        "{bind} is not configured{}: add it to `binds` (or set BINDERY_BIND_{upper})",
        for_model(*.model),
        upper = .bind.as_deref().unwrap_or_default().to_ascii_uppercase()
    )]
    UnknownBind {
        /// The bind key asked for.
        bind: BindKey,
        /// The model whose bind it is, when a model asked.
        model: Option<&'static str>,
    },
    /// The default bind was used, but only named binds are configured.
    #[error(
        "the default bind is not configured{}: set `database_uri` (or BINDERY_DATABASE_URI)",
        for_model(*.model)
    )]
    NoDefaultBind {
        /// The model whose bind it is, when a model asked.
        model: Option<&'static str>,
    },
    /// A database operation failed on a bind.
    #[error("{bind}: {source}")]
    Database {
        /// The bind (`the default bind` or `bind "auth"`).
        bind: BindKey,
        /// What sqlx reported.
        #[source]
        source: sqlx::Error,
    },
    /// A MySQL/MariaDB server refused the connection with `1045 Access denied`, and the
    /// bind did not ask for TLS: a server that requires secure transport
    /// (`require_secure_transport`) answers a plain connection so.
    #[error(
        "{bind}: {source}; TLS may be required: the server may refuse connections without it (require_secure_transport), and this bind did not ask for TLS (set `ssl-mode=REQUIRED` or `VERIFY_IDENTITY` in the URL, or `tls.mode`)"
    )]
    TlsMayBeRequired {
        /// The bind.
        bind: BindKey,
        /// What sqlx reported.
        #[source]
        source: sqlx::Error,
    },
    /// The TLS handshake refused the server's certificate: not signed by a CA the bind
    /// trusts, or not naming the host (verify-full).
    #[error(
        "{bind}: {source}; the server's TLS certificate is not trusted: check the bind's CA file (`tls.ca`, `sslrootcert`, `ssl-ca`) and, for verify-full, that the certificate names the host connected to"
    )]
    UntrustedCertificate {
        /// The bind.
        bind: BindKey,
        /// What sqlx reported.
        #[source]
        source: sqlx::Error,
    },
    /// No connection to a bind came within its acquire timeout: the database is down,
    /// unreachable, or every connection is busy.
    #[error(
        "{bind}: no connection within the acquire timeout: the database is down, unreachable, or every connection is busy"
    )]
    Unavailable {
        /// The bind.
        bind: BindKey,
        /// What sqlx reported.
        #[source]
        source: sqlx::Error,
    },
    /// A write broke a constraint of the database: typed, and naming the constraint (for
    /// SQLite, which names none, the table and column it reports).
    #[error("{bind}: {kind} constraint {constraint:?} violated: {message}")]
    Constraint {
        /// The bind.
        bind: BindKey,
        /// Which kind of constraint.
        kind: ConstraintKind,
        /// Its name, as the database reports it.
        constraint: String,
        /// The database's message.
        message: String,
        /// The error as sqlx reported it.
        #[source]
        source: sqlx::Error,
    },
    /// A text value longer than its `VARCHAR(n)` column: refused before it reaches the
    /// database, the same on every backend (SQLite would store it).
    #[error("{bind}: {model}.{column} holds at most {max} characters, and the value has {found}")]
    TooLong {
        /// The bind.
        bind: BindKey,
        /// The model.
        model: &'static str,
        /// The column.
        column: &'static str,
        /// Its length.
        max: u32,
        /// The value's length, in characters.
        found: usize,
    },
    /// A text value holding NUL (`\0`), which PostgreSQL's text types cannot store.
    #[error(
        "{bind}: {model}.{column} holds a NUL character, which PostgreSQL text cannot store (use a `Vec<u8>` column for binary data)"
    )]
    NulInText {
        /// The bind.
        bind: BindKey,
        /// The model.
        model: &'static str,
        /// The column.
        column: &'static str,
    },
    /// A row could not be read into its model or tuple.
    #[error("{bind}: cannot read a row of {model}: {reason}")]
    Decode {
        /// The bind.
        bind: BindKey,
        /// The model (or tuple type) being read.
        model: &'static str,
        /// Why.
        reason: String,
    },
    /// A session's commit failed on one bind after earlier binds had committed.
    #[error(
        "commit failed on {}: {source}; committed before it: {}; rolled back after it: {}",
        failed,
        list_binds(committed),
        list_binds(rolled_back)
    )]
    PartialCommit {
        /// The binds that committed, in commit order.
        committed: Vec<BindKey>,
        /// The bind whose COMMIT failed (rolled back too).
        failed: BindKey,
        /// The binds rolled back after the failure.
        rolled_back: Vec<BindKey>,
        /// Why the failing bind's COMMIT failed.
        #[source]
        source: Box<Error>,
    },
    /// A two-phase commit refused or undone before its decision: every bind was rolled
    /// back (nothing was committed anywhere).
    #[error(
        "two-phase commit on {}: {reason}; every bind was rolled back",
        list_binds(binds)
    )]
    TwoPhase {
        /// The binds the reason names.
        binds: Vec<BindKey>,
        /// Why.
        reason: String,
    },
    /// A two-phase commit that could not finish: some binds hold the transaction
    /// prepared. With `decided`, its commit is logged and recovery
    /// ([`Db::recover`](crate::Db::recover)) commits them; without, recovery rolls them
    /// back. Either way every bind ends with the transaction's rows or none has them.
    #[error(
        "two-phase transaction {transaction}: {}; {reason}",
        if *decided {
            format!("its commit is logged, but {} did not confirm it: recovery (Db::recover) commits it there", list_binds(pending))
        } else {
            format!("no decision could be logged: recovery (Db::recover) rolls it back on {}", list_binds(pending))
        }
    )]
    InDoubt {
        /// The transaction's global id.
        transaction: String,
        /// Whether its commit was logged.
        decided: bool,
        /// The binds that hold it prepared.
        pending: Vec<BindKey>,
        /// What failed.
        reason: String,
    },
    /// A query's `one()` found no row, or more than one.
    #[error("{bind}: expected exactly one row of {model}, found {found}")]
    NotOne {
        /// The bind.
        bind: BindKey,
        /// The model.
        model: &'static str,
        /// `"none"` or `"more than one"`.
        found: &'static str,
    },
    /// A statement bindery will not send, because it could not mean the same on every
    /// dialect or means nothing (an ordered or paged bulk update, an update that sets no
    /// column).
    #[error("{bind}: {reason} ({model})")]
    Unsupported {
        /// The bind.
        bind: BindKey,
        /// The model.
        model: &'static str,
        /// What is refused, and why.
        reason: &'static str,
    },
    /// `create_all` or `drop_all` failed on one or more binds.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// Migrations failed or were refused on one or more binds.
    #[error(transparent)]
    Migrate(#[from] MigrateError),
    /// A migrations folder or file cannot be read as migrations.
    #[error(transparent)]
    MigrationFiles(#[from] MigrationFilesError),
    /// An earlier statement of this session failed, so its transactions can no longer
    /// commit what the application believes it wrote: call [`Session::rollback`] before
    /// using the session again (SQLAlchemy's `PendingRollbackError`). The same on every
    /// backend, though only PostgreSQL itself refuses to go on.
    ///
    /// [`Session::rollback`]: crate::Session::rollback
    #[error(
        "{bind}: an earlier statement of this session failed ({cause}); call rollback() before using the session again"
    )]
    PendingRollback {
        /// The bind whose statement failed.
        bind: BindKey,
        /// What kind of failure it was (never the database's message, which may quote values).
        cause: &'static str,
    },
    /// A statement, COMMIT or ROLLBACK took longer than the bind's `statement_timeout`:
    /// the server is hung or unreachable. Its connection was closed, never reused.
    #[error(
        "{bind}: no answer within the statement timeout ({} ms){}; the connection was closed",
        timeout.as_millis(),
        table.map(|t| format!(" on table {t:?}")).unwrap_or_default()
    )]
    Deadline {
        /// The bind.
        bind: BindKey,
        /// The table the statement was for, when there is one.
        table: Option<&'static str>,
        /// The timeout that passed.
        timeout: std::time::Duration,
    },
    /// A COMMIT got no answer: it passed the statement timeout, or the connection broke
    /// while it was under way. The server may have committed or not (it may still read
    /// the COMMIT once it wakes up); bindery cannot tell, and closed the connection.
    /// Check the data before retrying the work.
    #[error(
        "{bind}: the COMMIT got no answer ({reason}); the transaction may or may not have committed, and the connection was closed"
    )]
    CommitOutcomeUnknown {
        /// The bind.
        bind: BindKey,
        /// Why no answer came: the timeout passed, or what broke the connection.
        reason: String,
    },
    /// A write waited longer than the bind's `lock_timeout` for a lock another
    /// transaction holds.
    #[error(
        "{bind}: gave up waiting for a lock{} after the lock timeout: another transaction holds it",
        table.map(|t| format!(" on table {t:?}")).unwrap_or_default()
    )]
    LockTimeout {
        /// The bind.
        bind: BindKey,
        /// The table written to, when known.
        table: Option<&'static str>,
        /// What the database reported.
        #[source]
        source: sqlx::Error,
    },
    /// The `Db` was closed ([`Db::close`](crate::Db::close)): no bind can be used any more.
    #[error("{bind}: the Db was closed")]
    Closed {
        /// The bind.
        bind: BindKey,
    },
    /// A float that is NaN or infinite, refused before it reaches the database, on every
    /// backend alike: SQLite would store NaN as NULL, MySQL refuses NaN and infinities,
    /// PostgreSQL would store them all. Also raised for a filter's operand and a raw
    /// statement's parameter.
    #[error(
        "{bind}: {model}.{column} is {value}, and bindery writes and compares only finite numbers (the same on every backend)"
    )]
    NotFinite {
        /// The bind.
        bind: BindKey,
        /// The model (`raw SQL` for a parameter of `Session::execute` or `fetch_all`).
        model: &'static str,
        /// The column (`parameter N` for a raw statement's N-th parameter, from 1).
        column: String,
        /// The value: NaN, `inf` or `-inf`.
        value: f64,
    },
    /// A row (or a raw statement's parameters) larger than one statement may carry on its
    /// bind, refused before it is sent: MySQL's limit is the server's
    /// `max_allowed_packet`, less room for the statement; PostgreSQL's is a 1 GiB message;
    /// SQLite's a 10⁹-byte row.
    #[error(
        "{bind}: a row of {model} takes about {bytes} bytes, more than the {limit} one statement may carry on this bind (on MySQL/MariaDB: max_allowed_packet, less 64 KiB for the statement)"
    )]
    TooLarge {
        /// The bind.
        bind: BindKey,
        /// The model (`raw SQL` for the parameters of a raw statement).
        model: &'static str,
        /// The row's size, as bindery estimates it (its values plus a few bytes each).
        bytes: usize,
        /// The most a row may take on this bind.
        limit: usize,
    },
}

fn list_binds(binds: &[BindKey]) -> String {
    if binds.is_empty() {
        return "none".to_owned();
    }
    binds
        .iter()
        .map(BindKey::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kind of a violated constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConstraintKind {
    /// UNIQUE or PRIMARY KEY.
    Unique,
    /// FOREIGN KEY.
    ForeignKey,
    /// NOT NULL.
    NotNull,
    /// CHECK.
    Check,
}

impl fmt::Display for ConstraintKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConstraintKind::Unique => "UNIQUE",
            ConstraintKind::ForeignKey => "FOREIGN KEY",
            ConstraintKind::NotNull => "NOT NULL",
            ConstraintKind::Check => "CHECK",
        })
    }
}

impl Error {
    /// The error of a failed statement on `bind`: a constraint violation when it is one.
    pub(crate) fn database(bind: BindName<'_>, source: sqlx::Error) -> Error {
        Error::database_on(bind, None, source)
    }

    /// As [`Error::database`], for a statement on `table`.
    pub(crate) fn database_on(
        bind: BindName<'_>,
        table: Option<&'static str>,
        source: sqlx::Error,
    ) -> Error {
        match source {
            sqlx::Error::PoolTimedOut => {
                return Error::Unavailable {
                    bind: bind.into(),
                    source,
                };
            }
            sqlx::Error::PoolClosed => {
                return Error::Closed { bind: bind.into() };
            }
            _ => {}
        }
        if is_lock_timeout(&source) {
            return Error::LockTimeout {
                bind: bind.into(),
                table,
                source,
            };
        }
        let violation = match &source {
            sqlx::Error::Database(db) => {
                let kind = match db.kind() {
                    sqlx::error::ErrorKind::UniqueViolation => Some(ConstraintKind::Unique),
                    sqlx::error::ErrorKind::ForeignKeyViolation => Some(ConstraintKind::ForeignKey),
                    sqlx::error::ErrorKind::NotNullViolation => Some(ConstraintKind::NotNull),
                    sqlx::error::ErrorKind::CheckViolation => Some(ConstraintKind::Check),
                    _ => None,
                };
                kind.map(|kind| {
                    let message = db.message().to_owned();
                    // PostgreSQL names NOT NULL by its table and column, not a constraint.
                    #[cfg(feature = "postgres")]
                    let postgres_column = db
                        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                        .and_then(|pg| Some(format!("{}.{}", pg.table()?, pg.column()?)));
                    #[cfg(not(feature = "postgres"))]
                    let postgres_column = None;
                    let constraint = db
                        .constraint()
                        .map(str::to_owned)
                        .or(postgres_column)
                        .or_else(|| constraint_in_message(&message))
                        .unwrap_or_else(|| "(unnamed)".to_owned());
                    (kind, constraint, message)
                })
            }
            _ => None,
        };
        match violation {
            Some((kind, constraint, message)) => Error::Constraint {
                bind: bind.into(),
                kind,
                constraint,
                message,
                source,
            },
            None => Error::Database {
                bind: bind.into(),
                source,
            },
        }
    }
}

/// Whether a statement gave up waiting for a lock: PostgreSQL `55P03` (lock_timeout),
/// MySQL `1205` (innodb_lock_wait_timeout), SQLite `SQLITE_BUSY` (5, busy timeout) and
/// `SQLITE_LOCKED` (6).
fn is_lock_timeout(source: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = source else {
        return false;
    };
    #[cfg(feature = "postgres")]
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        return pg.code() == "55P03";
    }
    #[cfg(feature = "mysql")]
    if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return my.number() == 1205;
    }
    // SQLite's primary result code is the low byte of its extended code.
    #[cfg(feature = "sqlite")]
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, 5 | 6));
    }
    false
}

/// The constraint (or, failing that, the column) a MySQL or SQLite message names:
/// `… for key 'user.name'`, `… CONSTRAINT `order_ibfk_1` FOREIGN KEY …`,
/// `Column 'name' cannot be null`, `Check constraint 'c' is violated`,
/// `UNIQUE constraint failed: user.name`.
fn constraint_in_message(message: &str) -> Option<String> {
    let between = |open: &str, close: char| {
        let start = message.find(open)? + open.len();
        let end = message[start..].find(close)? + start;
        Some(message[start..end].to_owned())
    };
    between("for key '", '\'')
        .or_else(|| between("CONSTRAINT `", '`'))
        .or_else(|| between("Column '", '\''))
        .or_else(|| between("constraint '", '\''))
        .or_else(|| {
            let (_, after) = message.split_once("constraint failed: ")?;
            Some(after.trim().to_owned())
        })
}

/// One reason `Db::build` refused to build.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildProblem {
    /// A problem of the configuration.
    #[error(transparent)]
    Config(#[from] ConfigProblem),
    /// A problem of the models themselves (see `Registry::validate`).
    #[error(transparent)]
    Model(#[from] Problem),
    /// A crate the program names in `bindery::link!` contributed no model: its models
    /// were lost (see `Registry::check_linked`).
    #[error(transparent)]
    MissingModels(#[from] bindery_core::MissingCrates),
    /// Models use a bind that the configuration lacks.
    #[error(
        "{} is not configured, but {} {} it: {}",
        .bind,
        .models.join(", "),
        if .models.len() == 1 { "uses" } else { "use" },
        match .bind.as_deref() {
            Some(key) => format!("add `binds.{key}` (or set BINDERY_BIND_{})", key.to_ascii_uppercase()),
            None => "set `database_uri` (or BINDERY_DATABASE_URI)".to_owned(),
        }
    )]
    UnconfiguredBind {
        /// The bind.
        bind: BindKey,
        /// The models that live in it.
        models: Vec<&'static str>,
    },
    /// A bind's engine could not be set up from its URL.
    #[error("{bind}: {reason}")]
    Engine {
        /// The bind.
        bind: BindKey,
        /// Why.
        reason: String,
    },
    /// A read replica is unfit to serve reads (found by `Db::check_replicas`): it is not
    /// a replica, replicates another server, or is reached as a user that can write.
    #[error("{bind}, {role}: {reason}")]
    Replica {
        /// The bind.
        bind: BindKey,
        /// Which replica.
        role: crate::Role,
        /// What is wrong.
        reason: String,
    },
    /// A bind that cannot take part in a two-phase commit while it is on (found by
    /// `Db::connect`): PostgreSQL with `max_prepared_transactions = 0`, a Galera node.
    #[error("{bind}: {reason}")]
    TwoPhase {
        /// The bind.
        bind: BindKey,
        /// Why.
        reason: String,
    },
    /// A bind's URL is of a dialect whose driver this build of bindery left out: enable
    /// bindery's cargo feature `feature` (`sqlite`, `postgres` or `mysql`).
    #[error("{bind} is {dialect}, but bindery was built without its `{feature}` feature")]
    DriverMissing {
        /// The bind.
        bind: BindKey,
        /// The dialect of its URL.
        dialect: crate::Dialect,
        /// The cargo feature that brings its driver.
        feature: &'static str,
    },
    /// A column the dialect cannot index as declared.
    #[error(
        "{model}.{column} is {sql_type} and part of a key or index, which {dialect} cannot index without a length: give it `#[model(length = N)]` ({bind})"
    )]
    UnindexableColumn {
        /// The model.
        model: &'static str,
        /// The column.
        column: &'static str,
        /// Its type.
        sql_type: crate::SqlType,
        /// The bind's dialect.
        dialect: crate::Dialect,
        /// The bind.
        bind: BindKey,
    },
}

/// ` (the bind of model M)` when a model asked for the bind, for the bind errors.
fn for_model(model: Option<&'static str>) -> String {
    model.map_or_else(String::new, |model| format!(" (the bind of {model})"))
}

impl From<bindery_core::UnindexableColumn> for BuildProblem {
    fn from(column: bindery_core::UnindexableColumn) -> BuildProblem {
        BuildProblem::UnindexableColumn {
            model: column.model,
            column: column.column,
            sql_type: column.sql_type,
            dialect: column.dialect,
            bind: column.bind,
        }
    }
}

/// Every problem `Db::build` found, at once.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildError {
    pub(crate) problems: Vec<BuildProblem>,
}

impl BuildError {
    /// The problems, at least one.
    pub fn problems(&self) -> &[BuildProblem] {
        &self.problems
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_problems(f, "cannot build the Db", &self.problems)
    }
}

/// `{what}: {problem}` for one problem; for several, `{what} (N problems):` and one
/// problem a line, so every problem shows at once.
pub(crate) fn write_problems(
    f: &mut fmt::Formatter<'_>,
    what: &str,
    problems: &[impl fmt::Display],
) -> fmt::Result {
    match problems {
        [one] => write!(f, "{what}: {one}"),
        many => {
            write!(f, "{what} ({} problems):", many.len())?;
            for problem in many {
                write!(f, "\n  - {problem}")?;
            }
            Ok(())
        }
    }
}

impl std::error::Error for BuildError {}

/// One thing wrong with a configuration. Each names the config key (or environment
/// variable) at fault; none quotes a URL, so none can show a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// Neither a default URI nor any bind.
    #[error(
        "no database is configured: set `database_uri` (Flask's SQLALCHEMY_DATABASE_URI) or at least one entry of `binds` (SQLALCHEMY_BINDS)"
    )]
    NoDatabase,
    /// A URL that does not parse.
    #[error("`{key}`: {error}")]
    BadUrl {
        /// The config key or environment variable.
        key: String,
        /// Why.
        error: UrlError,
    },
    /// A value of the wrong type or out of range.
    #[error("`{key}` {reason}")]
    BadValue {
        /// The config key or environment variable.
        key: String,
        /// Why.
        reason: String,
    },
    /// A key bindery does not know (a typo, most likely).
    #[error("unknown key `{key}`; expected one of: {expected}")]
    UnknownKey {
        /// The key.
        key: String,
        /// The keys allowed there.
        expected: &'static str,
    },
    /// A TOML syntax error.
    #[error("TOML syntax error{}: {reason}", line.map(|l| format!(" on line {l}")).unwrap_or_default())]
    Toml {
        /// Where.
        line: Option<usize>,
        /// What the TOML parser said (never the line itself).
        reason: String,
    },
    /// A TLS file (CA, client certificate or key) of a bind that cannot be opened.
    #[error("`{key}`: cannot read {}: {reason}", path.display())]
    TlsFile {
        /// The config key (`binds.shop.tls.ca`), which names the bind.
        key: String,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A bind asks for TLS, but this build of bindery has no TLS: enable its `tls` feature.
    #[error("`{key}` is {mode}, which needs TLS, but bindery was built without its `tls` feature")]
    TlsOff {
        /// The config key (`binds.shop.tls.mode`), which names the bind.
        key: String,
        /// The mode asked for, as `TlsMode` prints it (`verify-full`); text, so that this
        /// module imports nothing of `config`, which imports it.
        mode: String,
    },
    /// A file that cannot be read.
    #[error("cannot read {}: {reason}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Every problem found in a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    problems: Vec<ConfigProblem>,
}

impl ConfigError {
    pub(crate) fn one(problem: ConfigProblem) -> ConfigError {
        ConfigError {
            problems: vec![problem],
        }
    }

    pub(crate) fn from_problems(problems: Vec<ConfigProblem>) -> Result<(), ConfigError> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems })
        }
    }

    /// The problems, at least one.
    pub fn problems(&self) -> &[ConfigProblem] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_problems(f, "bad configuration", &self.problems)
    }
}

impl std::error::Error for ConfigError {}

/// A schema operation that failed on one bind.
#[derive(Debug)]
pub struct BindFailure {
    /// The bind key (`None`: the default bind).
    pub bind: BindKey,
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
