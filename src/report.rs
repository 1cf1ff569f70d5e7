//! What the schema operations (`create_all`, `drop_all`) and the migrations (`migrate`,
//! `migrations_status`) report, bind by bind: plain data that both the operations and
//! their errors hold.

use core::fmt;
use std::time::Duration;

use crate::{AsBindKey, BindKey, BindName, Dialect, Direction};

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
    pub bind: BindKey,
    /// Its dialect.
    pub dialect: Dialect,
    /// Tables created (`create_all`) or dropped (`drop_all`), in the order it happened.
    pub changed: Vec<&'static str>,
    /// Tables left alone: already there (`create_all`) or already gone (`drop_all`).
    pub skipped: Vec<&'static str>,
}

impl SchemaReport {
    /// The report of bind `key`, if it was part of the operation.
    pub fn bind(&self, key: impl AsBindKey) -> Option<&BindReport> {
        let key = key.as_bind_key();
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

/// What `Db::migrate`, `migrate_to` or `migrate_down` did, bind by bind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MigrateReport {
    /// One entry per bind, in the order the binds were selected.
    pub binds: Vec<BindMigrated>,
}

/// The migrations one bind ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMigrated {
    /// The bind key (`None`: the default bind).
    pub bind: BindKey,
    /// Its dialect.
    pub dialect: Dialect,
    /// The migrations applied (`up`) or reverted (`down`), in the order they ran: empty
    /// when the bind was already where it was asked to be (or another process got there
    /// first).
    pub ran: Vec<MigrationRun>,
    /// Whether `ran` were reverted rather than applied.
    pub reverted: bool,
    /// How long the bind's run took, lock waits included.
    pub elapsed: Duration,
}

/// One migration a run applied or reverted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationRun {
    /// Its version.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// How long its script took.
    pub elapsed: Duration,
}

impl MigrateReport {
    /// The report of bind `key`, if it was part of the run.
    pub fn bind(&self, key: impl AsBindKey) -> Option<&BindMigrated> {
        let key = key.as_bind_key();
        self.binds.iter().find(|b| b.bind.as_deref() == key)
    }
}

impl BindMigrated {
    /// The versions it ran, in order.
    pub fn versions(&self) -> Vec<u64> {
        self.ran.iter().map(|m| m.version).collect()
    }
}

impl fmt::Display for MigrateReport {
    /// One line per bind: `bind "shop" (PostgreSQL): applied 2 [1 create_user, 2 add_email] in 31 ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, bind) in self.binds.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            let ran: Vec<String> = bind
                .ran
                .iter()
                .map(|m| format!("{} {}", m.version, m.name))
                .collect();
            write!(
                f,
                "{} ({}): {} {} [{}] in {} ms",
                BindName(bind.bind.as_deref()),
                bind.dialect,
                if bind.reverted { "reverted" } else { "applied" },
                ran.len(),
                ran.join(", "),
                bind.elapsed.as_millis()
            )?;
        }
        Ok(())
    }
}

/// The migrations of each selected bind: `Db::migrations_status`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MigrationsStatus {
    /// One entry per bind, in the order the binds were selected.
    pub binds: Vec<BindMigrations>,
}

/// The migrations of one bind, its files and its history table together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMigrations {
    /// The bind key (`None`: the default bind).
    pub bind: BindKey,
    /// Its dialect.
    pub dialect: Dialect,
    /// Every migration of its files or its history, by version.
    pub migrations: Vec<MigrationStatus>,
}

/// One migration of a bind and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Its version.
    pub version: u64,
    /// Its name (from the file, or from the history when no file has it).
    pub name: String,
    /// Where it stands.
    pub state: MigrationState,
}

/// Where one migration stands on its bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationState {
    /// Not applied yet.
    Pending,
    /// Not applied, and older than the newest applied migration: `migrate up` refuses to
    /// run it after migrations written later.
    PendingBehind,
    /// Applied, at `applied_at_ms` (milliseconds since the Unix epoch), in `execution_ms`.
    Applied {
        /// When, in milliseconds since the Unix epoch.
        applied_at_ms: i64,
        /// How long its script took, in milliseconds.
        execution_ms: i64,
    },
    /// Applied, but its up script has changed since: `migrate up` refuses to go on.
    Edited,
    /// Applied, but no file has it any more.
    Missing,
    /// Stopped part-way (MySQL), after `done` statements of its up (or down) script.
    Dirty {
        /// Which script stopped.
        direction: Direction,
        /// How many of its statements ran.
        done: u64,
    },
}

impl MigrationsStatus {
    /// The status of bind `key`, if it was selected.
    pub fn bind(&self, key: impl AsBindKey) -> Option<&BindMigrations> {
        let key = key.as_bind_key();
        self.binds.iter().find(|b| b.bind.as_deref() == key)
    }
}

impl BindMigrations {
    /// The versions applied (edited ones included), in order.
    pub fn applied(&self) -> Vec<u64> {
        self.migrations
            .iter()
            .filter(|m| {
                matches!(
                    m.state,
                    MigrationState::Applied { .. } | MigrationState::Edited
                )
            })
            .map(|m| m.version)
            .collect()
    }

    /// The versions not applied yet, in order.
    pub fn pending(&self) -> Vec<u64> {
        self.migrations
            .iter()
            .filter(|m| {
                matches!(
                    m.state,
                    MigrationState::Pending | MigrationState::PendingBehind
                )
            })
            .map(|m| m.version)
            .collect()
    }
}

impl fmt::Display for MigrationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrationState::Pending => f.write_str("pending"),
            MigrationState::PendingBehind => {
                f.write_str("pending, older than the newest applied (refused by up)")
            }
            MigrationState::Applied { execution_ms, .. } => {
                write!(f, "applied ({execution_ms} ms)")
            }
            MigrationState::Edited => f.write_str("applied, EDITED since (checksum differs)"),
            MigrationState::Missing => f.write_str("applied, but no file has it"),
            MigrationState::Dirty { direction, done } => write!(
                f,
                "DIRTY: its {direction} script stopped after {done} statement(s)"
            ),
        }
    }
}

impl fmt::Display for MigrationsStatus {
    /// A block per bind: its name and dialect, then one line per migration.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, bind) in self.binds.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{} ({}):", BindName(bind.bind.as_deref()), bind.dialect)?;
            if bind.migrations.is_empty() {
                f.write_str(" no migrations")?;
            }
            for m in &bind.migrations {
                write!(f, "\n  {:>6} {:<30} {}", m.version, m.name, m.state)?;
            }
        }
        Ok(())
    }
}
