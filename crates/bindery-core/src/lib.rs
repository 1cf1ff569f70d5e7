//! The metadata, registry and validation behind [bindery](https://docs.rs/bindery).
//!
//! This crate does no I/O. Applications depend on `bindery`, which re-exports all of it;
//! the derives in `bindery-macros` write the [`TableInfo`] statics this crate collects.

mod collect;
mod const_check;
mod ddl;
mod dump;
mod field;
mod ident;
mod model;
mod problem;
mod registry;
mod sql_type;
mod table;

pub use ddl::{Dialect, creation_order};
pub use field::SqlField;
pub use ident::{IdentifierError, MAX_IDENTIFIER_LEN, check_identifier};
pub use model::{Bind, Model};
pub use problem::{IdentifierKind, Problem, RegistryError};
pub use registry::{BindTables, MissingCrates, Registry, registry};
pub use sql_type::{ColumnDefault, SqlType};
pub use table::{BindName, ColumnInfo, ForeignKey, IndexInfo, TableInfo};

/// Not public API: what the derives' expansions name.
#[doc(hidden)]
pub mod __private {
    pub use crate::__submit_table as submit_table;
    pub use crate::collect::*;
    pub use crate::const_check::*;
    pub use crate::{
        Bind, ColumnDefault, ColumnInfo, ForeignKey, IndexInfo, Model, SqlField, SqlType, TableInfo,
    };
    #[cfg(feature = "inventory")]
    pub use inventory;
    #[cfg(not(feature = "inventory"))]
    pub use linkme;
}
