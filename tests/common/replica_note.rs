//! The model and setup of the replica tests (`replicas.rs`, `replica_lag.rs`,
//! `replica_failover.rs`), each of which includes this file with `#[path]`: in
//! `common/mod.rs` it would put a default-bind model into every test binary.

#![allow(unreachable_pub)] // `pub` for the file that includes it

use bindery::Model;

use crate::common::Server;
use crate::common::replicated::Replicated;

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "replica_note")]
pub struct Note {
    #[model(primary_key)]
    pub id: i64,
    #[model(length = 40)]
    pub body: String,
}

impl Note {
    /// A note not saved yet.
    pub fn new(body: &str) -> Note {
        Note {
            id: 0,
            body: body.to_owned(),
        }
    }
}

/// A scratch database on `server`'s private primary + replica (none for SQLite).
pub async fn setup(server: Option<Server>, tag: &str) -> Option<Replicated> {
    Replicated::new(server?, tag).await
}
