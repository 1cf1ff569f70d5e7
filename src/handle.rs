//! A bind resolved once per operation into a handle: which of the `Db`'s engines serves
//! it, and which of a session's connection slots is its own.
//!
//! Every operation turns its model's bind key into a [`BindHandle`] once, at its start;
//! everything after (dialect, deadline, pool, the session's connection) is read off the
//! handle, never looked up again. A bind with several engines is one handle: the primary
//! ([`BindHandle::writer`]) and its read replicas ([`BindHandle::replicas`]).

use std::time::Duration;

use crate::db::Db;
use crate::engine::Engine;
use crate::error::Error;
use crate::replica::Replicas;
use crate::{BindKey, BindName, Dialect, TableInfo};

/// One bind of a [`Db`], resolved.
#[derive(Clone, Copy)]
pub(crate) struct BindHandle<'db> {
    /// The bind's place among the `Db`'s engines (the default bind first, then by key):
    /// also the index of a session's connection slot for it, so slots in index order are
    /// the commit order.
    index: usize,
    engine: &'db Engine,
    replicas: &'db Replicas,
}

impl<'db> BindHandle<'db> {
    /// The bind's place among the `Db`'s binds.
    pub(crate) fn index(self) -> usize {
        self.index
    }

    /// The bind key (`None`: the default bind).
    pub(crate) fn key(self) -> Option<&'db str> {
        self.engine.key()
    }

    /// The bind, ready to print.
    pub(crate) fn name(self) -> BindName<'db> {
        BindName(self.key())
    }

    /// The engine of the bind's primary: every write, and the reads that must see them.
    pub(crate) fn writer(self) -> &'db Engine {
        self.engine
    }

    /// The bind's read replicas (often none).
    pub(crate) fn replicas(self) -> &'db Replicas {
        self.replicas
    }

    /// The dialect of the bind.
    pub(crate) fn dialect(self) -> Dialect {
        self.engine.dialect()
    }

    /// The longest one statement may take on the bind.
    pub(crate) fn deadline(self) -> Duration {
        self.engine.statement_timeout()
    }
}

impl Db {
    /// Bind `key` (`None`: the default bind) resolved into a handle.
    pub(crate) fn resolve(&self, key: Option<&str>) -> Result<BindHandle<'_>, Error> {
        self.resolve_for(key, None)
    }

    /// The bind of `table` resolved into a handle; an error names the table's model.
    pub(crate) fn resolve_table(&self, table: &TableInfo) -> Result<BindHandle<'_>, Error> {
        self.resolve_for(table.bind_key, Some(table.rust_type))
    }

    fn resolve_for(
        &self,
        key: Option<&str>,
        model: Option<&'static str>,
    ) -> Result<BindHandle<'_>, Error> {
        self.engines()
            .iter()
            .position(|engine| engine.key() == key)
            .and_then(|index| self.handle_at(index))
            .ok_or_else(|| match key {
                None => Error::NoDefaultBind { model },
                Some(key) => Error::UnknownBind {
                    bind: BindKey::from(key),
                    model,
                },
            })
    }

    /// The handle of the bind at `index` (a slot of a session of this `Db`).
    pub(crate) fn handle_at(&self, index: usize) -> Option<BindHandle<'_>> {
        Some(BindHandle {
            index,
            engine: self.engines().get(index)?,
            replicas: self.replica_sets().get(index)?,
        })
    }
}
