//! What can be wrong with the collected tables, found without touching a database.

use core::fmt;
use std::collections::HashSet;

use crate::{
    BindName, ColumnInfo, ForeignKey, IdentifierError, SqlType, TableInfo, check_identifier,
};

/// One problem in the collected metadata. Each names the Rust types involved.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Problem {
    /// Two or more models claim the same table in the same bind.
    DuplicateTable {
        /// The bind.
        bind: BindName<'static>,
        /// The table name.
        table: &'static str,
        /// Every Rust type that claims it.
        models: Vec<&'static str>,
    },
    /// A table, column or index name that some dialect refuses.
    InvalidIdentifier {
        /// The Rust type.
        model: &'static str,
        /// What the name names.
        kind: IdentifierKind,
        /// The name.
        name: &'static str,
        /// Why it is refused.
        reason: IdentifierError,
    },
    /// A table that names the same column twice.
    DuplicateColumn {
        /// The Rust type.
        model: &'static str,
        /// The column.
        column: &'static str,
    },
    /// A table without a primary key (only hand-written tables can have none).
    NoPrimaryKey {
        /// The Rust type.
        model: &'static str,
        /// The table.
        table: &'static str,
    },
    /// An index over a column the table does not have.
    UnknownIndexColumn {
        /// The Rust type.
        model: &'static str,
        /// The index.
        index: &'static str,
        /// The column it names.
        column: &'static str,
    },
    /// A foreign key to a table that lives in another bind: one database cannot enforce it.
    CrossBindForeignKey {
        /// The Rust type holding the foreign key.
        model: &'static str,
        /// Its column.
        column: &'static str,
        /// Its bind.
        bind: BindName<'static>,
        /// What it references.
        target: ForeignKey,
        /// Where the referenced table lives instead, with its Rust type.
        found_in: Vec<(BindName<'static>, &'static str)>,
    },
    /// A foreign key to a table that no model declares.
    MissingForeignTable {
        /// The Rust type holding the foreign key.
        model: &'static str,
        /// Its column.
        column: &'static str,
        /// Its bind.
        bind: BindName<'static>,
        /// What it references.
        target: ForeignKey,
    },
    /// A foreign key to a column the referenced table does not have.
    MissingForeignColumn {
        /// The Rust type holding the foreign key.
        model: &'static str,
        /// Its column.
        column: &'static str,
        /// What it references.
        target: ForeignKey,
        /// The referenced table's Rust type.
        target_model: &'static str,
    },
    /// A foreign key to a column that is neither a primary key nor unique, which
    /// PostgreSQL refuses.
    ForeignColumnNotUnique {
        /// The Rust type holding the foreign key.
        model: &'static str,
        /// Its column.
        column: &'static str,
        /// What it references.
        target: ForeignKey,
        /// The referenced table's Rust type.
        target_model: &'static str,
    },
    /// A foreign key whose type differs from the referenced column's, which MySQL refuses.
    ForeignTypeMismatch {
        /// The Rust type holding the foreign key.
        model: &'static str,
        /// Its column.
        column: &'static str,
        /// Its type.
        sql_type: SqlType,
        /// What it references.
        target: ForeignKey,
        /// The referenced column's type.
        target_type: SqlType,
    },
}

/// What an identifier names, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentifierKind {
    /// A table name.
    Table,
    /// A column name.
    Column,
    /// An index or constraint name.
    Index,
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdentifierKind::Table => "table",
            IdentifierKind::Column => "column",
            IdentifierKind::Index => "index",
        })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::DuplicateTable {
                bind,
                table,
                models,
            } => write!(
                f,
                "table {table:?} is declared twice in {bind}, by {}",
                models.join(" and ")
            ),
            Problem::InvalidIdentifier {
                model,
                kind,
                name,
                reason,
            } => write!(f, "{model}: {kind} name {name:?} is refused: {reason}"),
            Problem::DuplicateColumn { model, column } => {
                write!(f, "{model}: column {column:?} is declared twice")
            }
            Problem::NoPrimaryKey { model, table } => {
                write!(f, "{model}: table {table:?} has no primary key")
            }
            Problem::UnknownIndexColumn {
                model,
                index,
                column,
            } => write!(
                f,
                "{model}: index {index:?} covers column {column:?}, which the table lacks"
            ),
            Problem::CrossBindForeignKey {
                model,
                column,
                bind,
                target,
                found_in,
            } => {
                write!(
                    f,
                    "{model}.{column} references {target} across binds: {model} lives in {bind}, "
                )?;
                let places: Vec<String> = found_in
                    .iter()
                    .map(|(bind, ty)| format!("{ty} in {bind}"))
                    .collect();
                write!(
                    f,
                    "table {:?} is {}; one database cannot enforce a foreign key into another",
                    target.table,
                    places.join(" and ")
                )
            }
            Problem::MissingForeignTable {
                model,
                column,
                bind,
                target,
            } => write!(
                f,
                "{model}.{column} references {target}, but no model declares table {:?} in any bind ({model} lives in {bind})",
                target.table
            ),
            Problem::MissingForeignColumn {
                model,
                column,
                target,
                target_model,
            } => write!(
                f,
                "{model}.{column} references {target}, but {target_model} has no column {:?}",
                target.column
            ),
            Problem::ForeignColumnNotUnique {
                model,
                column,
                target,
                target_model,
            } => write!(
                f,
                "{model}.{column} references {target}, but that column of {target_model} is neither its primary key nor unique"
            ),
            Problem::ForeignTypeMismatch {
                model,
                column,
                sql_type,
                target,
                target_type,
            } => write!(
                f,
                "{model}.{column} is {sql_type} but references {target}, which is {target_type}"
            ),
        }
    }
}

/// Every problem [`Registry::check`](crate::Registry::check) found, in a stable order.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryError {
    problems: Vec<Problem>,
}

impl RegistryError {
    /// The problems, at least one.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "the models have {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RegistryError {}

impl std::error::Error for Problem {}

impl RegistryError {
    pub(crate) fn from_problems(problems: &[Problem]) -> Result<(), RegistryError> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(RegistryError {
                problems: problems.to_vec(),
            })
        }
    }
}

/// The checks on one table alone.
pub(crate) fn check_table(table: &TableInfo, problems: &mut Vec<Problem>) {
    let model = table.rust_type;
    let mut named = |kind, name| {
        if let Err(reason) = check_identifier(name) {
            problems.push(Problem::InvalidIdentifier {
                model,
                kind,
                name,
                reason,
            });
        }
    };
    named(IdentifierKind::Table, table.name);
    for column in table.columns {
        named(IdentifierKind::Column, column.name);
    }
    for index in table.indexes {
        named(IdentifierKind::Index, index.name);
    }

    let mut seen = HashSet::new();
    for column in table.columns {
        if !seen.insert(column.name) {
            problems.push(Problem::DuplicateColumn {
                model,
                column: column.name,
            });
        }
    }
    if !table.columns.iter().any(|c| c.primary_key) {
        problems.push(Problem::NoPrimaryKey {
            model,
            table: table.name,
        });
    }
    for index in table.indexes {
        for &column in index.columns {
            if table.column(column).is_none() {
                problems.push(Problem::UnknownIndexColumn {
                    model,
                    index: index.name,
                    column,
                });
            }
        }
    }
}

/// The checks on one foreign key, given how to find tables in its own bind and elsewhere.
pub(crate) fn check_foreign_key<'r>(
    table: &TableInfo,
    column: &ColumnInfo,
    target: ForeignKey,
    same_bind: Option<&TableInfo>,
    other_binds: impl Iterator<Item = &'r TableInfo>,
    problems: &mut Vec<Problem>,
) {
    let model = table.rust_type;
    let Some(target_table) = same_bind else {
        let found_in: Vec<_> = other_binds.map(|t| (t.bind(), t.rust_type)).collect();
        problems.push(if found_in.is_empty() {
            Problem::MissingForeignTable {
                model,
                column: column.name,
                bind: table.bind(),
                target,
            }
        } else {
            Problem::CrossBindForeignKey {
                model,
                column: column.name,
                bind: table.bind(),
                target,
                found_in,
            }
        });
        return;
    };
    let target_model = target_table.rust_type;
    let Some(target_column) = target_table.column(target.column) else {
        problems.push(Problem::MissingForeignColumn {
            model,
            column: column.name,
            target,
            target_model,
        });
        return;
    };
    let single_primary_key = target_column.primary_key && target_table.primary_key().count() == 1;
    let unique_index = target_table
        .indexes
        .iter()
        .any(|i| i.unique && i.columns == [target.column]);
    if !(single_primary_key || target_column.unique || unique_index) {
        problems.push(Problem::ForeignColumnNotUnique {
            model,
            column: column.name,
            target,
            target_model,
        });
    }
    if !column.sql_type.joins(target_column.sql_type) {
        problems.push(Problem::ForeignTypeMismatch {
            model,
            column: column.name,
            sql_type: column.sql_type,
            target,
            target_type: target_column.sql_type,
        });
    }
}
