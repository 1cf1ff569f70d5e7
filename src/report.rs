//! What `create_all` and `drop_all` report, bind by bind: plain data that both the schema
//! operations and their errors hold.

use core::fmt;

use crate::{AsBindKey, BindKey, BindName, Dialect};

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
