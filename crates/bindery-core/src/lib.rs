//! The metadata, registry and validation behind [bindery](https://docs.rs/bindery).
//!
//! This crate does no I/O. Applications depend on `bindery`, which re-exports all of it;
//! the derives in `bindery-macros` write the [`TableInfo`] statics this crate collects.

mod autogenerate;
mod bind_tag;
mod catalog;
mod causal;
mod collect;
mod const_check;
mod ddl;
mod dml;
mod drift;
mod dump;
mod field;
mod field_kinds;
mod ident;
mod migration;
mod migration_file;
mod model;
mod problem;
mod projection;
mod query;
mod raw;
mod registry;
mod sql_type;
mod table;
mod value;

pub use autogenerate::AutoMigration;
pub use bind_tag::SameBind;
pub use catalog::{LiveColumn, LiveForeignKey, LiveIndex, LiveTable};
#[doc(hidden)]
pub use causal::ReadPolicy;
pub use causal::{CausalToken, Position, PositionError, ReadFrom, Role};
pub use ddl::{CollationError, Dialect, creation_order};
pub use drift::Drift;
// The facade's plumbing: public for `bindery` (and the derives), not for applications.
#[doc(hidden)]
pub use autogenerate::autogenerate;
#[doc(hidden)]
pub use catalog::{mysql_type, postgres_type, server_default_of, sqlite_type, types_match};
#[doc(hidden)]
pub use dml::{
    ByteLimits, STATEMENT_HEADROOM, SqlWriter, StatementCache, Statements, UpsertKey,
    VALUE_OVERHEAD, batches_rows, generated_column, insert as insert_statement, insert_leaving_out,
    is_unique_key, left_out, next_batch, rows_per_insert, rows_per_insert_of, upsert_clause,
    value_bytes,
};
#[doc(hidden)]
pub use drift::drift_of;
#[doc(hidden)]
pub use field::key_from_i64;
pub use field::{Operand, SqlField, ToParam};
pub use field_kinds::{
    DateField, DecimalField, DefaultFits, GeneratedKeyField, IntegerField, NonNullField, TextField,
    TimeField, TimestampField, UnsetField, default_literal,
};
pub use ident::{IdentifierError, MAX_IDENTIFIER_LEN, check_identifier, check_table_name};
pub use migration::{
    Goal, HistoryRow, HistoryState, Migration, PlanProblem, Step, next_step, split_statements,
};
pub use migration_file::{
    Direction, FileNameError, MigrationFileName, bind_folder, parse_migration_file_name,
};
pub use model::{Bind, FromValues, Model, RowError};
pub use problem::{
    IdentifierKind, Problem, RegistryError, UnindexableColumn, collation_problems,
    unindexable_columns,
};
pub use projection::{OrNull, Projection, Selectable, Selected, Summable, count};
#[doc(hidden)]
pub use query::Select;
pub use query::{AnyColumn, Assignment, Column, Filter, Order, SelectItem};
pub use raw::Sql;
pub use registry::{BindTables, LinkEdge, MissingCrates, Registry, registry};
pub use sql_type::{ColumnDefault, ServerDefault, SqlType};
#[doc(hidden)]
pub use table::LinkTarget;
pub use table::{AsBindKey, BindKey, BindName, ColumnInfo, ForeignKey, IndexInfo, Link, TableInfo};
pub use value::{Value, ValueError, ValueKind};

/// Not public API: what the derives' expansions name.
#[doc(hidden)]
pub mod __private {
    pub use crate::__submit_linked as submit_linked;
    pub use crate::__submit_table as submit_table;
    pub use crate::bind_tag::{BindTag, SameBindTag, bind_hash};
    pub use crate::collect::*;
    pub use crate::const_check::*;
    pub use crate::model::{ReadColumns, ValueColumns, read_field};
    pub use crate::{
        Bind, Column, ColumnDefault, ColumnInfo, DateField, DecimalField, DefaultFits, ForeignKey,
        FromValues, GeneratedKeyField, IndexInfo, IntegerField, Link, LinkTarget, Model,
        NonNullField, RowError, Select, ServerDefault, SqlField, SqlType, StatementCache,
        TableInfo, TextField, TimeField, TimestampField, UnsetField, Value, ValueError, ValueKind,
        default_literal, key_from_i64,
    };
    #[cfg(feature = "inventory")]
    pub use inventory;
    #[cfg(not(feature = "inventory"))]
    pub use linkme;
}
