//! How a bind's live schema differs from its models: the comparison behind `Db::check`,
//! on tables `bindery` read from the catalog.

use core::fmt;

use crate::{
    Dialect, ForeignKey, IndexInfo, LiveIndex, LiveTable, ServerDefault, SqlType, TableInfo,
    server_default_of, types_match,
};

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
    /// A column lacks the server default its model declares, or has another.
    ServerDefaultMismatch {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// The model's server default.
        expected: ServerDefault,
        /// The live default, as the catalog spells it (`None`: no default).
        found: Option<String>,
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
    /// A model's index does not exist, or exists with other columns or uniqueness.
    MissingIndex {
        /// The table.
        table: &'static str,
        /// The model's index.
        index: IndexInfo,
        /// Whether an index of that name exists, unlike the model's.
        differs: bool,
    },
    /// The live table has an index no model declares (one that backs a constraint or,
    /// on MySQL, a foreign key is not counted here).
    ExtraIndex {
        /// The table.
        table: &'static str,
        /// The index.
        index: LiveIndex,
    },
    /// A model's UNIQUE column is not unique in the database.
    MissingUnique {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
    },
    /// The live table has a UNIQUE constraint no model declares.
    ExtraUnique {
        /// The table.
        table: &'static str,
        /// The index that backs it (its `constraint` names the constraint).
        index: LiveIndex,
    },
    /// A model's foreign key does not exist.
    MissingForeignKey {
        /// The table.
        table: &'static str,
        /// The referencing column.
        column: &'static str,
        /// What it references.
        references: ForeignKey,
    },
    /// The live table has a foreign key no model declares.
    ExtraForeignKey {
        /// The table.
        table: &'static str,
        /// The foreign key.
        foreign_key: crate::LiveForeignKey,
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
            Drift::ServerDefaultMismatch {
                table,
                column,
                expected,
                found,
            } => match found {
                Some(found) => write!(
                    f,
                    "column {table}.{column} defaults to {found}, the model says {expected}"
                ),
                None => write!(
                    f,
                    "column {table}.{column} has no default, the model says {expected}"
                ),
            },
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
            Drift::MissingIndex {
                table,
                index,
                differs,
            } => write!(
                f,
                "index {table}.{} ({}) {}",
                index.name,
                index.columns.join(", "),
                if *differs {
                    "exists with other columns or uniqueness"
                } else {
                    "is missing"
                }
            ),
            Drift::ExtraIndex { table, index } => write!(
                f,
                "index {table}.{} ({}) exists but no model declares it",
                index.name,
                index.columns.join(", ")
            ),
            Drift::MissingUnique { table, column } => {
                write!(
                    f,
                    "column {table}.{column} is not UNIQUE, the model says it is"
                )
            }
            Drift::ExtraUnique { table, index } => write!(
                f,
                "UNIQUE ({}) on {table} exists but no model declares it",
                index.columns.join(", ")
            ),
            Drift::MissingForeignKey {
                table,
                column,
                references,
            } => write!(f, "foreign key {table}.{column} -> {references} is missing"),
            Drift::ExtraForeignKey { table, foreign_key } => write!(
                f,
                "foreign key {table}.({}) -> {}.({}) exists but no model declares it",
                foreign_key.columns.join(", "),
                foreign_key.references_table,
                foreign_key.references_columns.join(", ")
            ),
        }
    }
}

/// How a bind's live tables differ from its models, table by table: missing tables,
/// missing or extra columns, type and nullability mismatches. Live tables no model
/// declares are not drift.
pub fn drift_of(dialect: Dialect, models: &[&'static TableInfo], live: &[LiveTable]) -> Vec<Drift> {
    let mut drift = Vec::new();
    for table in models {
        let Some(found) = live.iter().find(|t| t.name == table.name) else {
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
                .is_some_and(|ty| types_match(dialect, column.sql_type, ty));
            if !same_type {
                drift.push(Drift::TypeMismatch {
                    table: table.name,
                    column: column.name,
                    expected: expected_type(dialect, column.sql_type),
                    found: live_column.declared_type.clone(),
                });
            }
            if let Some(expected) = column.server_default {
                let found = live_column.default.as_deref();
                if found.and_then(|text| server_default_of(dialect, text)) != Some(expected) {
                    drift.push(Drift::ServerDefaultMismatch {
                        table: table.name,
                        column: column.name,
                        expected,
                        found: found.map(str::to_owned),
                    });
                }
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
        index_drift(dialect, table, found, &mut drift);
        foreign_key_drift(table, found, &mut drift);
    }
    drift
}

/// The model's indexes and UNIQUE columns against the live table's indexes.
fn index_drift(
    dialect: Dialect,
    table: &'static TableInfo,
    live: &LiveTable,
    drift: &mut Vec<Drift>,
) {
    for index in table.indexes {
        match live.index(index.name) {
            Some(found) if same_index(index, found) => {}
            found => drift.push(Drift::MissingIndex {
                table: table.name,
                index: *index,
                differs: found.is_some(),
            }),
        }
    }
    for column in table.columns.iter().filter(|c| c.unique && !c.primary_key) {
        let unique = live
            .indexes
            .iter()
            .any(|i| i.unique && i.columns.len() == 1 && i.columns[0] == column.name);
        if !unique {
            drift.push(Drift::MissingUnique {
                table: table.name,
                column: column.name,
            });
        }
    }
    for found in &live.indexes {
        if table.indexes.iter().any(|i| i.name == found.name) {
            continue;
        }
        // A UNIQUE column's own constraint or index, whatever the database named it.
        let column_unique = found.unique
            && found.columns.len() == 1
            && table
                .column(&found.columns[0])
                .is_some_and(|c| c.unique && !c.primary_key);
        if column_unique {
            continue;
        }
        // MySQL indexes every foreign key, making an index when none leads with its
        // columns; it goes with the key.
        let foreign_keys_index = dialect == Dialect::MySql
            && live
                .foreign_keys
                .iter()
                .any(|fk| found.columns.starts_with(&fk.columns));
        if foreign_keys_index {
            continue;
        }
        drift.push(if found.constraint.is_some() {
            Drift::ExtraUnique {
                table: table.name,
                index: found.clone(),
            }
        } else {
            Drift::ExtraIndex {
                table: table.name,
                index: found.clone(),
            }
        });
    }
}

/// Whether a live index is the model's: the same columns in the same order, and as unique.
fn same_index(index: &IndexInfo, found: &LiveIndex) -> bool {
    index.unique == found.unique && index.columns.iter().eq(found.columns.iter())
}

/// The model's foreign keys against the live table's.
fn foreign_key_drift(table: &'static TableInfo, live: &LiveTable, drift: &mut Vec<Drift>) {
    let declared = |column: &str, fk: &ForeignKey| {
        live.foreign_keys.iter().any(|found| {
            found.columns == [column]
                && found.references_table == fk.table
                && found.references_columns == [fk.column]
        })
    };
    for column in table.columns {
        if let Some(fk) = column.references
            && !declared(column.name, &fk)
        {
            drift.push(Drift::MissingForeignKey {
                table: table.name,
                column: column.name,
                references: fk,
            });
        }
    }
    for found in &live.foreign_keys {
        let modelled = matches!(&found.columns[..], [column] if table
            .column(column)
            .and_then(|c| c.references)
            .is_some_and(|fk| found.references_table == fk.table
                && found.references_columns == [fk.column]));
        if !modelled {
            drift.push(Drift::ExtraForeignKey {
                table: table.name,
                foreign_key: found.clone(),
            });
        }
    }
}

/// The type a model column should have, as `dialect` spells it (what `create_all` writes).
fn expected_type(dialect: Dialect, sql_type: SqlType) -> String {
    dialect.column_type(sql_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ColumnInfo, LiveColumn};

    static USER: TableInfo = TableInfo {
        columns: &[
            ColumnInfo {
                primary_key: true,
                ..ColumnInfo::new("id", SqlType::BigInt)
            },
            ColumnInfo::new("name", SqlType::VarChar(20)),
            ColumnInfo {
                nullable: true,
                ..ColumnInfo::new("bio", SqlType::Text)
            },
        ],
        ..TableInfo::new("user", "app::User")
    };
    static ROLE: TableInfo = TableInfo::new("role", "app::Role");

    fn live(name: &str, declared_type: &str, sql_type: SqlType, nullable: bool) -> LiveColumn {
        LiveColumn {
            name: name.to_owned(),
            declared_type: declared_type.to_owned(),
            sql_type: Some(sql_type),
            nullable,
            ..LiveColumn::default()
        }
    }

    #[test]
    fn every_kind_of_difference_is_reported_table_by_table() {
        let tables = [LiveTable {
            name: "user".to_owned(),
            columns: vec![
                live("id", "bigint", SqlType::BigInt, false),
                live("name", "text", SqlType::Text, true),
                live("age", "integer", SqlType::Integer, true),
            ],
            ..LiveTable::default()
        }];
        let drift = drift_of(Dialect::Postgres, &[&USER, &ROLE], &tables);
        assert_eq!(
            drift,
            [
                Drift::TypeMismatch {
                    table: "user",
                    column: "name",
                    expected: Dialect::Postgres.column_type(SqlType::VarChar(20)),
                    found: "text".to_owned(),
                },
                Drift::NullabilityMismatch {
                    table: "user",
                    column: "name",
                    model_nullable: false,
                },
                Drift::MissingColumn {
                    table: "user",
                    column: "bio",
                    model: "app::User",
                },
                Drift::ExtraColumn {
                    table: "user",
                    column: "age".to_owned(),
                    declared_type: "integer".to_owned(),
                },
                Drift::MissingTable {
                    table: "role",
                    model: "app::Role",
                },
            ]
        );
    }
}
