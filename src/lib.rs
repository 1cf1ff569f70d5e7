//! Several databases in one application, each model routed to its database by a *bind
//! key*: Flask-SQLAlchemy's `SQLALCHEMY_BINDS` and `__bind_key__`, for Rust.
//!
//! `#[derive(Model)]` turns a struct into a static [`TableInfo`] and submits it, at link
//! time, to a registry that gathers the models of every crate in the program — the work
//! SQLAlchemy's declarative metaclass does when a Python class is defined.
//!
//! ```standalone_crate
//! use bindery::{Base, Bind, Model};
//!
//! /// Flask's `__abstract__ = True` with `__bind_key__ = "auth"`.
//! #[derive(Base)]
//! #[model(bind_key = "auth")]
//! pub struct AuthBase;
//!
//! /// Inherits bind "auth" from its parent.
//! #[derive(Model)]
//! #[model(parent = AuthBase)]
//! pub struct User {
//!     #[model(primary_key)]
//!     pub id: i64,
//!     #[model(length = 80, unique)]
//!     pub name: String,
//! }
//!
//! /// No key at all: the default bind.
//! #[derive(Model)]
//! pub struct AuditEntry {
//!     #[model(primary_key)]
//!     pub id: i64,
//!     pub user_id: Option<i64>,
//! }
//!
//! assert_eq!(User::BIND_KEY, Some("auth"));
//! assert_eq!(User::TABLE.name, "user");
//! assert_eq!(AuditEntry::TABLE.name, "audit_entry");
//! assert_eq!(AuditEntry::TABLE.bind_key, None);
//!
//! let registry = bindery::registry();
//! assert_eq!(registry.table(Some("auth"), "user").unwrap().rust_type, User::TABLE.rust_type);
//! assert!(registry.validate().is_ok());
//! ```
//!
//! # The derive's attributes
//!
//! On the struct, `#[model(...)]` takes:
//!
//! | attribute | meaning |
//! |---|---|
//! | `table = "name"` | the table's name; default: the struct's name in snake case, as Flask-SQLAlchemy names tables (`StoreOrder` → `store_order`) |
//! | `bind_key = "key"` | the bind the table lives in (Flask's `__bind_key__`) |
//! | `parent = Path` | take the bind key of `Path`, a `#[derive(Base)]` type or another model |
//! | `default_bind` | back to the default bind, whatever the parent says |
//! | `index(a, b)` / `unique(a, b)` | an index or a unique constraint over several fields; `index(a, b, name = "ix_x")` names it |
//! | `crate = path` | where the generated code finds bindery, when it is not `::bindery`: a renamed dependency (`crate = ::db`) or a crate that re-exports it (`crate = my_facade::bindery`); also on `#[derive(Base)]` |
//!
//! On a field:
//!
//! | attribute | meaning |
//! |---|---|
//! | `primary_key` | part of the primary key (several fields make a composite key) |
//! | `column = "name"` | the column's name; default: the field's name |
//! | `length = N` | `VARCHAR(N)` instead of `TEXT` (text types only) |
//! | `decimal(p, s)` | precision and scale of a decimal column |
//! | `unique`, `index` | a UNIQUE constraint, an index (`ix_<table>_<column>`; `index = "ix_x"` names it) |
//! | `default = literal` | a literal default (integer, float, string, bool) |
//! | `references = "table.column"` | a foreign key to a table of the same bind |
//! | `autoincrement = false` | opt out; a single integer primary key autoincrements by default |
//! | `collation = "name"` | `COLLATE name`, text only; the name must exist on the bind's dialect (MariaDB's default, `utf8mb4_general_ci`, ignores case, accents and trailing spaces: use `utf8mb4_nopad_bin` to count them) |
//! | `skip` | not a column |
//!
//! A field's SQL type comes from its Rust type through [`SqlField`]; `Option<T>` makes
//! it nullable. Mistakes are compile errors that point at the attribute or field at fault.
//!
//! # Bind keys are inherited through trait defaults
//!
//! [`Bind::BIND_KEY`] defaults to `None`. `parent = P` writes
//! `const BIND_KEY = <P as Bind>::BIND_KEY;`, so a key set once on a base reaches every
//! descendant, at any depth and across crates. An explicit `bind_key` wins over the
//! parent; `default_bind` wins too.
//!
//! # A crate nothing references is not linked
//!
//! The registry holds the models of every crate *linked* into the program. A crate that
//! the program depends on but never names is left out by the linker, and its models
//! vanish from [`registry()`] without a word. Name such crates once, in the binary:
//!
//! ```ignore
//! bindery::link!(accounts, shop);
//! ```
//!
//! and check in a test that every crate you expect contributed tables, with
//! [`Registry::require_crates`].
//!
//! # Drivers are cargo features
//!
//! `sqlite` (bundled SQLite), `postgres` and `mysql` (MySQL and MariaDB), all three on by
//! default; with `default-features = false` an application compiles only the drivers it
//! names. A bind whose URL needs a driver left out fails at [`Db::build`] with
//! [`BuildProblem::DriverMissing`], naming the bind and the feature. The variants of
//! [`Pool`] follow the features. With no driver at all bindery still builds and
//! describes models (derives, registry, DDL text, URL parsing): a crate of models
//! depends on it so, and leaves the drivers to the application, whose features Cargo
//! adds up.

// With no driver every statement-running path is uninhabited (`Pool` has no variant),
// so the code behind it is dead by design rather than by mistake.
#![cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(
        dead_code,
        unused_imports,
        unused_variables,
        unused_assignments,
        unreachable_code
    )
)]

mod backend;
mod catalog;
#[cfg(feature = "cli")]
pub mod cli;
mod config;
mod db;
mod drift;
mod engine;
mod error;
mod handle;
mod load;
mod migrate;
mod migrations;
mod query;
mod record;
mod replica;
mod report;
mod schema;
mod session;
mod two_phase;
mod url;

pub use backend::{Backend, Pool};
pub use bindery_core::{
    AnyColumn, AsBindKey, Assignment, AutoMigration, Bind, BindKey, BindName, BindTables,
    CausalToken, CollationError, Column, ColumnDefault, ColumnInfo, DateField, DecimalField,
    DefaultFits, Dialect, Drift, Filter, ForeignKey, FromValues, GeneratedKeyField,
    IdentifierError, IdentifierKind, IndexInfo, IntegerField, Link, LinkEdge, LiveColumn,
    LiveForeignKey, LiveIndex, LiveTable, MAX_IDENTIFIER_LEN, MissingCrates, Model, NonNullField,
    Operand, OrNull, Order, Position, PositionError, Problem, Projection, ReadFrom, Registry,
    RegistryError, Role, RowError, SameBind, SelectItem, Selectable, Selected, ServerDefault, Sql,
    SqlField, SqlType, Summable, TableInfo, TextField, TimeField, TimestampField, ToParam,
    UnsetField, Value, ValueError, ValueKind, check_identifier, check_table_name, count,
    creation_order, default_literal, registry,
};
use bindery_core::{
    ByteLimits, Goal, ReadPolicy, Select, SqlWriter, StatementCache, Statements, Step, UpsertKey,
    batches_rows, bind_folder, generated_column, insert_leaving_out, is_unique_key, left_out,
    next_batch, next_step, parse_migration_file_name, rows_per_insert_of, split_statements,
    upsert_clause, value_bytes,
};
pub use bindery_core::{Direction, HistoryRow, HistoryState, Migration, PlanProblem};
pub use bindery_macros::{Base, Model, migrations};
pub use config::{
    BindConfig, Config, DEFAULT_CAUSAL_WAIT, DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT,
    PING_AFTER_IDLE, PoolOptions, TlsMode, TlsOptions,
};
pub use db::{Db, Ping};
pub use drift::{BindDrift, BindMigration, DriftReport, ReflectedBind, ReplicaDrift};
pub use engine::Engine;
pub use error::{
    BindFailure, BuildError, BuildProblem, ConfigError, ConfigProblem, ConstraintKind, Error,
    MigrateError, MigrationError, MigrationFilesError, SchemaError,
};
pub use load::KEYS_PER_SELECT;
pub use migrate::Resolution;
pub use migrations::Migrator;
pub use query::{Find, Joined, On, Page, Projected, Query, find};
pub use record::RecordedQuery;
pub use replica::{LAG_REFRESH, RETRY_DOWN_AFTER, ReadCounters, ReplicaStatus};
pub use report::{
    BindMigrated, BindMigrations, BindReport, MigrateReport, MigrationRun, MigrationState,
    MigrationStatus, MigrationsStatus, SchemaOperation, SchemaReport,
};
pub use schema::Binds;
pub use session::Session;
pub use two_phase::{Recovered, RecoveryAction, RecoveryReport};
pub use url::{DatabaseUrl, UrlError};

/// The sqlx this version of bindery is built on, for your own queries on [`Pool`]s.
pub use sqlx;

/// Parameters for raw SQL: `bindery::params![1_i64, "ann"]` is a `Vec<Value>`.
#[macro_export]
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        ::std::vec![$($crate::ToParam::to_param(&$value)),*]
    };
}

/// Links crates whose models the program needs but whose items it never names, and
/// declares that each of them holds models.
///
/// `bindery::link!(accounts, shop);` at the top level of the binary (or of a test) makes
/// each crate part of the program, so the models they declare reach [`registry()`]. It
/// also records the names, so [`Registry::check_linked`] (which the command line runs
/// before every schema command) reports by name a listed crate that contributed no model.
/// A dependency renamed in `Cargo.toml` is written `local = crate_name`:
/// `bindery::link!(models_v2 = models)` links `models_v2` and expects models recorded
/// under `models`, the crate's own name.
///
/// ```ignore
/// bindery::link!(accounts, shop, audit);
///
/// fn main() -> std::process::ExitCode {
///     bindery::cli::run()
/// }
/// ```
#[macro_export]
macro_rules! link {
    ($($krate:ident $(= $name:ident)?),+ $(,)?) => {
        $(
            #[allow(unused_imports)]
            use $krate as _;
            $crate::__private::submit_linked!($crate::__link_name!($krate $(= $name)?));
        )+
    };
}

/// Not public API: the crate name `link!` records for one entry.
#[doc(hidden)]
#[macro_export]
macro_rules! __link_name {
    ($krate:ident) => {
        ::core::stringify!($krate)
    };
    ($krate:ident = $name:ident) => {
        ::core::stringify!($name)
    };
}

/// Declares a table that has no model struct — Flask-SQLAlchemy's
/// `db.Table("user_roles", …, bind_key="auth")`, typically an association table — and
/// submits it to the registry.
///
/// ```standalone_crate
/// use bindery::{ColumnInfo, ForeignKey, Model, SqlType, TableInfo};
///
/// #[derive(Model)]
/// #[model(bind_key = "auth")]
/// struct User {
///     #[model(primary_key)]
///     id: i64,
/// }
///
/// #[derive(Model)]
/// #[model(bind_key = "auth")]
/// struct Role {
///     #[model(primary_key)]
///     id: i64,
/// }
///
/// bindery::table! {
///     pub static USER_ROLES = TableInfo {
///         bind_key: Some("auth"),
///         columns: &[
///             ColumnInfo {
///                 primary_key: true,
///                 references: Some(ForeignKey { table: "user", column: "id" }),
///                 ..ColumnInfo::new("user_id", SqlType::BigInt)
///             },
///             ColumnInfo {
///                 primary_key: true,
///                 references: Some(ForeignKey { table: "role", column: "id" }),
///                 ..ColumnInfo::new("role_id", SqlType::BigInt)
///             },
///         ],
///         ..TableInfo::new("user_roles", concat!(module_path!(), "::USER_ROLES"))
///     };
/// }
///
/// let registry = bindery::registry();
/// let found = registry.table(Some("auth"), "user_roles").unwrap();
/// assert_eq!(found.columns.len(), 2);
/// assert!(registry.validate().is_ok(), "both foreign keys stay inside bind auth");
/// ```
#[macro_export]
macro_rules! table {
    ($(#[$attr:meta])* $vis:vis static $name:ident = $table:expr;) => {
        $(#[$attr])*
        $vis static $name: $crate::TableInfo = $table;
        $crate::__private::submit_table!(&$name);
    };
}

/// Not public API: what the derives' expansions name.
#[doc(hidden)]
pub mod __private {
    pub use crate::two_phase::{Step, set_step_hook};
    pub use bindery_core::__private::*;
}
