//! What can be wrong with the collected tables, found without touching a database.

use core::fmt;
use std::collections::{BTreeMap, HashSet};

use crate::{
    BindKey, BindTables, CollationError, ColumnInfo, Dialect, ForeignKey, IdentifierError, Link,
    SqlType, TableInfo, check_identifier, check_table_name,
};

/// One problem in the collected metadata. Each names the Rust types involved.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Problem {
    /// Two or more models claim the same table in the same bind.
    DuplicateTable {
        /// The bind.
        bind: BindKey,
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
        bind: BindKey,
        /// What it references.
        target: ForeignKey,
        /// Where the referenced table lives instead, with its Rust type.
        found_in: Vec<(BindKey, &'static str)>,
    },
    /// A foreign key to a table that no model declares.
    MissingForeignTable {
        /// The Rust type holding the foreign key.
        model: &'static str,
        /// Its column.
        column: &'static str,
        /// Its bind.
        bind: BindKey,
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
    /// An index name used twice in one bind, or equal to a table's name there. PostgreSQL
    /// and SQLite keep index names per database (schema) beside the table names, MySQL
    /// per table; the registry does not know the dialect, so it holds every bind to the
    /// strictest rule. The derive names indexes `ix_<table>_<columns>`, so `user.role_name`
    /// and `user_role.name` both give `ix_user_role_name`.
    DuplicateIndexName {
        /// The bind.
        bind: BindKey,
        /// The index name.
        index: &'static str,
        /// Each `(Rust type, table)` with an index of that name, in table order; a table
        /// appears twice if it declares the name twice.
        declared_by: Vec<(&'static str, &'static str)>,
        /// The Rust type whose table has that very name, if one has.
        table_named: Option<&'static str>,
    },
    /// A collation that cannot apply: on a column that is not text, a name that is not
    /// plain, or (found by `Db::build`, which knows the bind's dialect) a name the
    /// dialect cannot have.
    InvalidCollation {
        /// The Rust type.
        model: &'static str,
        /// The column.
        column: &'static str,
        /// The collation.
        collation: &'static str,
        /// The dialect and bind it was refused for; `None` when no dialect accepts it.
        dialect: Option<(Dialect, BindKey)>,
        /// Why.
        reason: CollationError,
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
    /// A link (`#[model(link = …)]`) from a column the table does not have (only
    /// hand-written tables can).
    UnknownLinkColumn {
        /// The Rust type holding the link.
        model: &'static str,
        /// The column it names.
        column: &'static str,
        /// The linked model's Rust type.
        target_model: &'static str,
    },
    /// A link to a model without a single-column primary key: a link names one row by one
    /// value, so a composite (or missing) key cannot be its target.
    LinkTargetKey {
        /// The Rust type holding the link.
        model: &'static str,
        /// The linking column.
        column: &'static str,
        /// The Rust field of that column (`""` for hand-written tables).
        field: &'static str,
        /// The linked model's Rust type.
        target_model: &'static str,
        /// Its primary-key columns (none, or more than one).
        key: Vec<&'static str>,
    },
    /// A link whose column type differs from the linked key's: the values could never
    /// match.
    LinkTypeMismatch {
        /// The Rust type holding the link.
        model: &'static str,
        /// The linking column.
        column: &'static str,
        /// Its type.
        sql_type: SqlType,
        /// The linked model's Rust type.
        target_model: &'static str,
        /// The linked key column.
        target_column: &'static str,
        /// Its type.
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
            Problem::DuplicateIndexName {
                bind,
                index,
                declared_by,
                table_named,
            } => {
                let holders: Vec<String> = declared_by
                    .iter()
                    .map(|(model, table)| format!("{model} (table {table:?})"))
                    .collect();
                write!(f, "index name {index:?} is taken twice in {bind}: ")?;
                match table_named {
                    Some(owner) => write!(
                        f,
                        "by an index of {} and by the table of {owner}",
                        holders.join(" and ")
                    )?,
                    None => write!(f, "by indexes of {}", holders.join(" and "))?,
                }
                f.write_str(
                    "; PostgreSQL and SQLite need index names unique in a database, \
                     and the derive names them ix_<table>_<columns> or uq_<table>_<columns>: \
                     name one yourself with `#[model(index = \"…\")]` on the field \
                     (`index(a, b, name = \"…\")` on the struct)",
                )
            }
            Problem::InvalidCollation {
                model,
                column,
                collation,
                dialect,
                reason,
            } => {
                write!(f, "{model}.{column}: collation {collation:?} is refused")?;
                if let Some((dialect, bind)) = dialect {
                    write!(f, " on {dialect} ({bind})")?;
                }
                write!(f, ": {reason}")
            }
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
            Problem::UnknownLinkColumn {
                model,
                column,
                target_model,
            } => write!(
                f,
                "{model}: a link to {target_model} leaves from column {column:?}, which the table lacks"
            ),
            Problem::LinkTargetKey {
                model,
                column,
                field,
                target_model,
                key,
            } => {
                let whose = if field.is_empty() {
                    format!("{model}.{column}")
                } else {
                    format!("field `{field}` of {model}")
                };
                write!(f, "{whose} links to {target_model}, which has ")?;
                if key.is_empty() {
                    f.write_str("no primary key")?;
                } else {
                    write!(f, "a composite primary key ({})", key.join(", "))?;
                }
                f.write_str(": a link names one row by one value, so its target needs a single-column primary key")
            }
            Problem::LinkTypeMismatch {
                model,
                column,
                sql_type,
                target_model,
                target_column,
                target_type,
            } => write!(
                f,
                "{model}.{column} is {sql_type} but links to {target_model}.{target_column}, which is {target_type}"
            ),
        }
    }
}

/// Every problem [`Registry::validate`](crate::Registry::validate) found, in a stable order.
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
        let checked = match kind {
            IdentifierKind::Table => check_table_name(name),
            _ => check_identifier(name),
        };
        if let Err(reason) = checked {
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

    for column in table.columns {
        let Some(collation) = column.collation else {
            continue;
        };
        let text = matches!(column.sql_type, SqlType::Text | SqlType::VarChar(_));
        let reason = if !text {
            CollationError::NotText
        } else if !crate::ddl::is_plain_name(collation) {
            CollationError::NotPlain
        } else {
            continue;
        };
        problems.push(Problem::InvalidCollation {
            model,
            column: column.name,
            collation,
            dialect: None,
            reason,
        });
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
        let found_in: Vec<_> = other_binds
            .map(|t| (t.bind().into(), t.rust_type))
            .collect();
        problems.push(if found_in.is_empty() {
            Problem::MissingForeignTable {
                model,
                column: column.name,
                bind: table.bind().into(),
                target,
            }
        } else {
            Problem::CrossBindForeignKey {
                model,
                column: column.name,
                bind: table.bind().into(),
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

/// The checks on one link: its column exists, its target has a single key column, and
/// the two types join.
pub(crate) fn check_link(table: &TableInfo, link: &Link, problems: &mut Vec<Problem>) {
    let model = table.rust_type;
    let target_model = link.target.rust_type;
    let Some(column) = table.column(link.column) else {
        problems.push(Problem::UnknownLinkColumn {
            model,
            column: link.column,
            target_model,
        });
        return;
    };
    let Some(key) = link.target_key() else {
        problems.push(Problem::LinkTargetKey {
            model,
            column: column.name,
            field: column.field,
            target_model,
            key: link.target.primary_key().map(|c| c.name).collect(),
        });
        return;
    };
    if !column.sql_type.joins(key.sql_type) {
        problems.push(Problem::LinkTypeMismatch {
            model,
            column: column.name,
            sql_type: column.sql_type,
            target_model,
            target_column: key.name,
            target_type: key.sql_type,
        });
    }
}

/// Index names taken twice in one bind: by two indexes (of one table or two), or by an
/// index and a table.
pub(crate) fn check_index_names(bind: &BindTables, problems: &mut Vec<Problem>) {
    let mut by_name: BTreeMap<&'static str, Vec<(&'static str, &'static str)>> = BTreeMap::new();
    for table in bind.tables() {
        for index in table.indexes {
            by_name
                .entry(index.name)
                .or_default()
                .push((table.rust_type, table.name));
        }
    }
    for (index, declared_by) in by_name {
        let table_named = bind.table(index).map(|t| t.rust_type);
        if declared_by.len() > 1 || table_named.is_some() {
            problems.push(Problem::DuplicateIndexName {
                bind: bind.name().into(),
                index,
                declared_by,
                table_named,
            });
        }
    }
}

/// The collations of `table` that `dialect` cannot have, for `Db::build`, which knows
/// each bind's dialect. Names no dialect accepts are the registry's problems already.
pub fn collation_problems(table: &TableInfo, dialect: Dialect, problems: &mut Vec<Problem>) {
    for column in table.columns {
        let Some(collation) = column.collation else {
            continue;
        };
        match dialect.check_collation(collation) {
            Ok(()) | Err(CollationError::NotPlain) => {}
            Err(reason) => problems.push(Problem::InvalidCollation {
                model: table.rust_type,
                column: column.name,
                collation,
                dialect: Some((dialect, table.bind().into())),
                reason,
            }),
        }
    }
}

/// A column MySQL cannot key: a TEXT or BLOB column that is a primary key, unique, a
/// foreign key or indexed, which MySQL refuses without a prefix length bindery does not
/// write. `Db::build` reports it as `BuildProblem::UnindexableColumn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnindexableColumn {
    /// The model.
    pub model: &'static str,
    /// The column.
    pub column: &'static str,
    /// Its type.
    pub sql_type: SqlType,
    /// The bind's dialect.
    pub dialect: Dialect,
    /// The bind.
    pub bind: BindKey,
}

/// The columns of `table` that `dialect` cannot key (see [`UnindexableColumn`]), for
/// `Db::build`, which knows each bind's dialect. Only MySQL has any.
pub fn unindexable_columns(
    table: &TableInfo,
    dialect: Dialect,
    problems: &mut Vec<UnindexableColumn>,
) {
    if dialect != Dialect::MySql {
        return;
    }
    let indexed: HashSet<&str> = table
        .indexes
        .iter()
        .flat_map(|i| i.columns.iter().copied())
        .collect();
    for column in table.columns {
        let keyed = column.primary_key
            || column.unique
            || column.references.is_some()
            || indexed.contains(column.name);
        if keyed && matches!(column.sql_type, SqlType::Text | SqlType::Blob) {
            problems.push(UnindexableColumn {
                model: table.rust_type,
                column: column.name,
                sql_type: column.sql_type,
                dialect,
                bind: table.bind().into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IndexInfo, Registry};

    const fn key() -> ColumnInfo {
        ColumnInfo {
            primary_key: true,
            ..ColumnInfo::new("id", SqlType::BigInt)
        }
    }

    /// Issue 11: `user.role_name` and `user_role.name` both index as `ix_user_role_name`;
    /// the derive writes these very `TableInfo`s.
    static USER: TableInfo = TableInfo {
        columns: &[key(), ColumnInfo::new("role_name", SqlType::VarChar(20))],
        indexes: &[IndexInfo {
            name: "ix_user_role_name",
            columns: &["role_name"],
            unique: false,
        }],
        ..TableInfo::new("user", "app::User")
    };
    static USER_ROLE: TableInfo = TableInfo {
        columns: &[key(), ColumnInfo::new("name", SqlType::VarChar(20))],
        indexes: &[IndexInfo {
            name: "ix_user_role_name",
            columns: &["name"],
            unique: false,
        }],
        ..TableInfo::new("user_role", "app::UserRole")
    };

    #[test]
    fn one_index_name_in_two_tables_of_a_bind_is_refused() {
        let registry = Registry::from_tables([&USER, &USER_ROLE]);
        let expected = Problem::DuplicateIndexName {
            bind: BindKey::DEFAULT,
            index: "ix_user_role_name",
            declared_by: vec![("app::User", "user"), ("app::UserRole", "user_role")],
            table_named: None,
        };
        assert_eq!(registry.problems(), std::slice::from_ref(&expected));
        assert_eq!(
            expected.to_string(),
            "index name \"ix_user_role_name\" is taken twice in the default bind: by indexes of \
             app::User (table \"user\") and app::UserRole (table \"user_role\"); PostgreSQL and \
             SQLite need index names unique in a database, and the derive names them \
             ix_<table>_<columns> or uq_<table>_<columns>: name one yourself with \
             `#[model(index = \"…\")]` on the field (`index(a, b, name = \"…\")` on the struct)"
        );
    }

    #[test]
    fn the_same_names_in_two_binds_are_fine() {
        static ROLE_ELSEWHERE: TableInfo = TableInfo {
            bind_key: Some("auth"),
            ..USER_ROLE
        };
        let registry = Registry::from_tables([&USER, &ROLE_ELSEWHERE]);
        assert_eq!(registry.problems(), []);
    }

    #[test]
    fn an_index_named_as_a_table_or_twice_in_one_table_is_refused() {
        static TWICE: TableInfo = TableInfo {
            columns: &[key(), ColumnInfo::new("a", SqlType::Integer)],
            indexes: &[
                IndexInfo {
                    name: "ix_twice_a",
                    columns: &["a"],
                    unique: false,
                },
                IndexInfo {
                    name: "ix_twice_a",
                    columns: &["a"],
                    unique: true,
                },
                IndexInfo {
                    name: "user",
                    columns: &["a"],
                    unique: false,
                },
            ],
            ..TableInfo::new("twice", "app::Twice")
        };
        let registry = Registry::from_tables([&TWICE, &USER]);
        assert_eq!(
            registry.problems(),
            [
                Problem::DuplicateIndexName {
                    bind: BindKey::DEFAULT,
                    index: "ix_twice_a",
                    declared_by: vec![("app::Twice", "twice"), ("app::Twice", "twice")],
                    table_named: None,
                },
                Problem::DuplicateIndexName {
                    bind: BindKey::DEFAULT,
                    index: "user",
                    declared_by: vec![("app::Twice", "twice")],
                    table_named: Some("app::User"),
                },
            ]
        );
    }

    #[test]
    fn collations_only_on_text_with_plain_names() {
        static COLLATED: TableInfo = TableInfo {
            columns: &[
                key(),
                ColumnInfo {
                    collation: Some("C"),
                    ..ColumnInfo::new("n", SqlType::Integer)
                },
                ColumnInfo {
                    collation: Some("x\" ; DROP"),
                    ..ColumnInfo::new("t", SqlType::Text)
                },
                ColumnInfo {
                    collation: Some("utf8mb4_bin"),
                    ..ColumnInfo::new("v", SqlType::VarChar(5))
                },
            ],
            ..TableInfo::new("collated", "app::Collated")
        };
        let refused = |column, collation, dialect, reason| Problem::InvalidCollation {
            model: "app::Collated",
            column,
            collation,
            dialect,
            reason,
        };
        let registry = Registry::from_tables([&COLLATED]);
        assert_eq!(
            registry.problems(),
            [
                refused("n", "C", None, CollationError::NotText),
                refused("t", "x\" ; DROP", None, CollationError::NotPlain),
            ]
        );
        let mut problems = Vec::new();
        collation_problems(&COLLATED, Dialect::Postgres, &mut problems);
        let on_postgres = refused(
            "v",
            "utf8mb4_bin",
            Some((Dialect::Postgres, BindKey::DEFAULT)),
            CollationError::NotPostgres,
        );
        assert_eq!(problems, std::slice::from_ref(&on_postgres));
        assert_eq!(
            on_postgres.to_string(),
            "app::Collated.v: collation \"utf8mb4_bin\" is refused on PostgreSQL (the default \
             bind): that is a MySQL or SQLite collation; PostgreSQL's are `C`, `POSIX` or a \
             locale's"
        );
        problems.clear();
        collation_problems(&COLLATED, Dialect::MySql, &mut problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    static KEYED_TEXT: TableInfo = TableInfo {
        columns: &[
            key(),
            ColumnInfo {
                unique: true,
                ..ColumnInfo::new("email", SqlType::Text)
            },
            ColumnInfo::new("bio", SqlType::Text),
            ColumnInfo::new("avatar", SqlType::Blob),
        ],
        indexes: &[IndexInfo {
            name: "ix_profile_avatar",
            columns: &["avatar"],
            unique: false,
        }],
        ..TableInfo::new("profile", "app::Profile")
    };

    #[test]
    fn only_mysql_refuses_keyed_text_and_blob_columns() {
        let mut problems = Vec::new();
        unindexable_columns(&KEYED_TEXT, Dialect::Postgres, &mut problems);
        unindexable_columns(&KEYED_TEXT, Dialect::Sqlite, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        unindexable_columns(&KEYED_TEXT, Dialect::MySql, &mut problems);
        let columns: Vec<_> = problems.iter().map(|p| (p.column, p.sql_type)).collect();
        assert_eq!(
            columns,
            [("email", SqlType::Text), ("avatar", SqlType::Blob)],
            "an unkeyed TEXT column is fine"
        );
        assert_eq!(problems[0].bind, BindKey::DEFAULT);
    }
}
