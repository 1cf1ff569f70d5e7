//! `reflect` (the live tables of each bind) and `check` (how they differ from the models):
//! Flask-SQLAlchemy's `db.reflect`, and the drift check it lacks.

use core::fmt;

use bindery_core::{autogenerate, drift_of};

use crate::catalog::live_tables;
use crate::db::Db;
use crate::error::Error;
use crate::migrate::HISTORY_TABLE;
use crate::schema::Binds;
use crate::{AutoMigration, BindKey, BindName, Dialect, Drift, LiveTable};

/// The live tables of one bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReflectedBind {
    /// The bind key (`None`: the default bind).
    pub bind: BindKey,
    /// Its dialect.
    pub dialect: Dialect,
    /// Every table of its schema (PostgreSQL), database (MySQL) or file (SQLite), by name.
    pub tables: Vec<LiveTable>,
}

/// The drift of each selected bind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DriftReport {
    /// One entry per bind, in the order they were selected.
    pub binds: Vec<BindDrift>,
}

/// The drift of one bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindDrift {
    /// The bind key (`None`: the default bind).
    pub bind: BindKey,
    /// Its dialect.
    pub dialect: Dialect,
    /// Every difference, table by table (tables no model declares are not drift).
    pub drift: Vec<Drift>,
}

/// The drift of one read replica's schema from its bind's models
/// ([`Db::check_replica_schemas`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaDrift {
    /// The bind key (`None`: the default bind).
    pub bind: BindKey,
    /// Which replica.
    pub role: crate::Role,
    /// Every difference, as [`Db::check`] finds them on the primary.
    pub drift: Vec<Drift>,
}

/// The migration that closes one bind's drift ([`Db::autogenerate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMigration {
    /// The bind key (`None`: the default bind).
    pub bind: BindKey,
    /// Its dialect, which the statements are written in.
    pub dialect: Dialect,
    /// The statements, up and down, and the notes for the reviewer.
    pub migration: AutoMigration,
}

impl DriftReport {
    /// Whether every selected bind matches its models.
    pub fn is_clean(&self) -> bool {
        self.binds.iter().all(|b| b.drift.is_empty())
    }
}

impl fmt::Display for DriftReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, bind) in self.binds.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            let name = BindName(bind.bind.as_deref());
            if bind.drift.is_empty() {
                write!(f, "{name} ({}): no drift", bind.dialect)?;
            } else {
                write!(
                    f,
                    "{name} ({}): {} difference(s)",
                    bind.dialect,
                    bind.drift.len()
                )?;
                for drift in &bind.drift {
                    write!(f, "\n  - {drift}")?;
                }
            }
        }
        Ok(())
    }
}

impl Db {
    /// Reads the live tables and columns of the selected binds, all binds at once
    /// (Flask's `db.reflect`).
    pub async fn reflect(&self, binds: impl Into<Binds>) -> Result<Vec<ReflectedBind>, Error> {
        let keys = binds.into().keys(self)?;
        let reads = keys.iter().map(|key| async move {
            let engine = self.engine(key.as_deref())?;
            let tables = live_tables(engine)
                .await
                .map_err(|e| Error::database(engine.bind(), e))?;
            Ok(ReflectedBind {
                bind: key.clone(),
                dialect: engine.dialect(),
                tables,
            })
        });
        futures_util::future::join_all(reads)
            .await
            .into_iter()
            .collect()
    }

    /// Compares the live schema of the selected binds with their models: missing tables,
    /// missing or extra columns, type and nullability mismatches.
    pub async fn check(&self, binds: impl Into<Binds>) -> Result<DriftReport, Error> {
        let reflected = self.reflect(binds).await?;
        let binds = reflected
            .into_iter()
            .map(|live| BindDrift {
                drift: drift_of(
                    live.dialect,
                    self.tables_of(live.bind.as_deref()),
                    &live.tables,
                ),
                bind: live.bind,
                dialect: live.dialect,
            })
            .collect();
        Ok(DriftReport { binds })
    }

    /// Compares the live schema of each read replica of the selected binds with the
    /// models, as [`Db::check`] does the primary's: a replica that has not replayed a
    /// migration yet, or one that replicates something else, shows here. Binds without
    /// replicas give nothing.
    pub async fn check_replica_schemas(
        &self,
        binds: impl Into<Binds>,
    ) -> Result<Vec<ReplicaDrift>, Error> {
        let mut report = Vec::new();
        for key in binds.into().keys(self)? {
            let bind = self.resolve(key.as_deref())?;
            for engine in bind.replicas().engines() {
                let tables = live_tables(engine)
                    .await
                    .map_err(|e| Error::database(engine.bind(), e))?;
                report.push(ReplicaDrift {
                    bind: key.clone(),
                    role: engine.role(),
                    drift: drift_of(engine.dialect(), self.tables_of(key.as_deref()), &tables),
                });
            }
        }
        Ok(report)
    }

    /// For each selected bind, the migration that closes its drift (Alembic's
    /// `--autogenerate`): up statements that make the live schema match the models —
    /// tables and columns created or dropped, types, nullability and server defaults
    /// changed, indexes, UNIQUE columns and foreign keys added or dropped — and down
    /// statements that put back what was there, in the bind's dialect. On SQLite a table
    /// that cannot be altered in place is rebuilt. Tables no model declares are left
    /// alone (named in the notes). Nothing runs: the statements are for a person to read,
    /// then `migrate new --autogenerate` writes them as a migration.
    pub async fn autogenerate(&self, binds: impl Into<Binds>) -> Result<Vec<BindMigration>, Error> {
        let reflected = self.reflect(binds).await?;
        Ok(reflected
            .into_iter()
            .map(|live| BindMigration {
                migration: autogenerate(
                    live.dialect,
                    self.tables_of(live.bind.as_deref()),
                    &live.tables,
                    &[HISTORY_TABLE, crate::two_phase::LOG_TABLE],
                ),
                bind: live.bind,
                dialect: live.dialect,
            })
            .collect())
    }
}
