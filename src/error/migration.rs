//! The errors of versioned migrations: a bind's run refused or failed, and migration
//! files that cannot be read.

use core::fmt;
use std::path::PathBuf;

use crate::report::MigrateReport;
use crate::{BindKey, Direction, PlanProblem};

/// Why one bind's migrations stopped. Each names the bind, and where there is one the
/// migration's version and name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// The bind's history stands against its files: an edited or missing migration, a
    /// dirty one, a gap, no down script. Nothing ran.
    #[error("{bind}: {problem}")]
    Refused {
        /// The bind.
        bind: BindKey,
        /// What its history says against its files.
        problem: PlanProblem,
    },
    /// A migration's script failed.
    #[error(
        "{bind}: migration {version} ({name}) failed at statement {statement} of its {direction} script: {source}; {}",
        aftermath(*.rolled_back, *.statement, *.version)
    )]
    Failed {
        /// The bind.
        bind: BindKey,
        /// The migration's version.
        version: u64,
        /// Its name.
        name: String,
        /// Which script failed.
        direction: Direction,
        /// The statement that failed, from 1.
        statement: usize,
        /// Whether the bind is as it was before the migration: always on PostgreSQL and
        /// SQLite (one transaction); on MySQL only when its first statement failed.
        rolled_back: bool,
        /// What the database reported.
        #[source]
        source: sqlx::Error,
    },
    /// A SQLite migration left rows whose foreign key points at no row: SQLite runs a
    /// migration with its foreign keys unenforced (so that a table can be rebuilt under
    /// the tables that reference it) and checks them all before it commits. It was
    /// rolled back.
    #[error(
        "{bind}: migration {version} ({name}), {direction}, leaves rows of table {table} whose foreign key points at no row; it was rolled back"
    )]
    BrokenForeignKeys {
        /// The bind.
        bind: BindKey,
        /// The migration's version.
        version: u64,
        /// Its name.
        name: String,
        /// Which script ran.
        direction: Direction,
        /// The first table with such a row.
        table: String,
    },
    /// `migrate_to` was given a version no migration of the bind has.
    #[error("{bind}: no migration has version {version}")]
    NoSuchVersion {
        /// The bind.
        bind: BindKey,
        /// The version asked for.
        version: u64,
    },
    /// `resolve_migration` was asked to resolve a migration that is not dirty.
    #[error("{bind}: migration {version} is not dirty: there is nothing to resolve")]
    NotDirty {
        /// The bind.
        bind: BindKey,
        /// The version asked for.
        version: u64,
    },
    /// The bind's run took longer than its budget (lock wait and statement timeouts).
    #[error(
        "{bind}: the migration run got no answer within {} ms; a migration under way may or may not have finished (on PostgreSQL and SQLite it rolls back)",
        budget.as_millis()
    )]
    Deadline {
        /// The bind.
        bind: BindKey,
        /// The time it had.
        budget: std::time::Duration,
    },
    /// The lock, the history table or the connection failed (the error names the bind).
    #[error(transparent)]
    Database(Box<crate::Error>),
}

fn aftermath(rolled_back: bool, statement: usize, version: u64) -> String {
    if rolled_back {
        "nothing of it was applied".to_owned()
    } else {
        format!(
            "MySQL/MariaDB commits each DDL statement, so the {} statement(s) before it stay \
             applied, and migration {version} is recorded as dirty: undo them by hand and run \
             `migrate resolve {version} --undone`, or finish the rest by hand and run \
             `migrate resolve {version} --applied` (Db::resolve_migration)",
            statement.saturating_sub(1)
        )
    }
}

impl MigrationError {
    /// The bind it happened on.
    pub fn bind(&self) -> Option<&BindKey> {
        match self {
            MigrationError::Refused { bind, .. }
            | MigrationError::Failed { bind, .. }
            | MigrationError::BrokenForeignKeys { bind, .. }
            | MigrationError::NoSuchVersion { bind, .. }
            | MigrationError::NotDirty { bind, .. }
            | MigrationError::Deadline { bind, .. } => Some(bind),
            MigrationError::Database(_) => None,
        }
    }
}

/// `migrate`, `migrate_to` or `migrate_down` failed on one or more binds.
#[derive(Debug)]
pub struct MigrateError {
    /// The binds that failed, in the order they were selected.
    pub failures: Vec<MigrationError>,
    /// What the run did on every bind before it stopped (the failed binds included:
    /// the migrations they completed before the failure).
    pub completed: MigrateReport,
}

impl fmt::Display for MigrateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("migrate failed: ")?;
        for (i, failure) in self.failures.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{failure}")?;
        }
        Ok(())
    }
}

impl std::error::Error for MigrateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.failures
            .first()
            .map(|f| f as &(dyn std::error::Error + 'static))
    }
}

/// A migrations folder, or a file in it, that cannot be read as migrations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct MigrationFilesError {
    /// The folder or file.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}
