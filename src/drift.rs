//! `reflect` (the live tables of each bind) and `check` (how they differ from the models):
//! Flask-SQLAlchemy's `db.reflect`, and the drift check it lacks.

use core::fmt;

use bindery_core::types_match;

use crate::catalog::live_tables;
use crate::db::Db;
use crate::error::Error;
use crate::schema::Binds;
use crate::{BindKey, BindName, Dialect, LiveTable, SqlType};

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

/// One difference between a bind's live schema and its models.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Drift {
    /// A model's table does not exist.
    MissingTable {
        /// The table.
        table: &'static str,
        /// Its model.
        model: &'static str,
    },
    /// A model's column does not exist.
    MissingColumn {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// The model.
        model: &'static str,
    },
    /// The live table has a column no model declares.
    ExtraColumn {
        /// The table.
        table: &'static str,
        /// The column.
        column: String,
        /// Its live type.
        declared_type: String,
    },
    /// A column's live type is not the model's.
    TypeMismatch {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What the model declares, as this dialect spells it.
        expected: String,
        /// What the database has.
        found: String,
    },
    /// A column accepts NULL where the model says it does not, or the other way round.
    NullabilityMismatch {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// Whether the model's column is nullable.
        model_nullable: bool,
    },
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::MissingTable { table, model } => {
                write!(f, "table {table:?} ({model}) is missing")
            }
            Drift::MissingColumn {
                table,
                column,
                model,
            } => write!(f, "column {table}.{column} ({model}) is missing"),
            Drift::ExtraColumn {
                table,
                column,
                declared_type,
            } => write!(
                f,
                "column {table}.{column} ({declared_type}) exists but no model declares it"
            ),
            Drift::TypeMismatch {
                table,
                column,
                expected,
                found,
            } => write!(
                f,
                "column {table}.{column} is {found}, the model says {expected}"
            ),
            Drift::NullabilityMismatch {
                table,
                column,
                model_nullable,
            } => write!(
                f,
                "column {table}.{column} is {}, the model says {}",
                if *model_nullable {
                    "NOT NULL"
                } else {
                    "nullable"
                },
                if *model_nullable {
                    "nullable"
                } else {
                    "NOT NULL"
                }
            ),
        }
    }
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
                bind: key.clone().into(),
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
                drift: self.drift_of(&live),
                bind: live.bind,
                dialect: live.dialect,
            })
            .collect();
        Ok(DriftReport { binds })
    }

    fn drift_of(&self, live: &ReflectedBind) -> Vec<Drift> {
        let mut drift = Vec::new();
        for table in self.tables_of(live.bind.as_deref()) {
            let Some(found) = live.tables.iter().find(|t| t.name == table.name) else {
                drift.push(Drift::MissingTable {
                    table: table.name,
                    model: table.rust_type,
                });
                continue;
            };
            for column in table.columns {
                let Some(live_column) = found.columns.iter().find(|c| c.name == column.name) else {
                    drift.push(Drift::MissingColumn {
                        table: table.name,
                        column: column.name,
                        model: table.rust_type,
                    });
                    continue;
                };
                let same_type = live_column
                    .sql_type
                    .is_some_and(|ty| types_match(live.dialect, column.sql_type, ty));
                if !same_type {
                    drift.push(Drift::TypeMismatch {
                        table: table.name,
                        column: column.name,
                        expected: expected_type(live.dialect, column.sql_type),
                        found: live_column.declared_type.clone(),
                    });
                }
                if live_column.nullable != column.nullable {
                    drift.push(Drift::NullabilityMismatch {
                        table: table.name,
                        column: column.name,
                        model_nullable: column.nullable,
                    });
                }
            }
            for live_column in &found.columns {
                if table.column(&live_column.name).is_none() {
                    drift.push(Drift::ExtraColumn {
                        table: table.name,
                        column: live_column.name.clone(),
                        declared_type: live_column.declared_type.clone(),
                    });
                }
            }
        }
        drift
    }
}

fn expected_type(dialect: Dialect, sql_type: SqlType) -> String {
    dialect.column_type(sql_type)
}
