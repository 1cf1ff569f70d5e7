//! Recorded queries (Flask's `SQLALCHEMY_RECORD_QUERIES`) and echo (`SQLALCHEMY_ECHO`).

use crate::BindKey;
use crate::Role;
use std::time::Duration;

use parking_lot::Mutex;

use crate::BindName;

/// One statement a session ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedQuery {
    /// The bind it ran on (`None`: the default bind).
    pub bind: BindKey,
    /// Which of the bind's servers ran it: the primary, or a read replica.
    pub role: Role,
    /// The statement, with placeholders (values are never recorded).
    pub sql: String,
    /// How many parameters it carried.
    pub params: usize,
    /// How long it took, waiting for a connection included.
    pub duration: Duration,
}

/// Keeps what `record_queries` asks for and echoes what `echo` asks for.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    record: bool,
    echo: bool,
    queries: Mutex<Vec<RecordedQuery>>,
}

impl Recorder {
    pub(crate) fn new(record: bool, echo: bool) -> Recorder {
        Recorder {
            record,
            echo,
            queries: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn record(
        &self,
        bind: Option<&str>,
        role: Role,
        sql: &str,
        params: usize,
        duration: Duration,
    ) {
        if self.echo {
            tracing::info!(target: "bindery::sql", bind = %BindName(bind), %role, params, ?duration, "{sql}");
        } else {
            tracing::debug!(target: "bindery::sql", bind = %BindName(bind), %role, params, ?duration, "{sql}");
        }
        if self.record {
            let query = RecordedQuery {
                bind: bind.into(),
                role,
                sql: sql.to_owned(),
                params,
                duration,
            };
            self.queries.lock().push(query);
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<RecordedQuery> {
        self.queries.lock().clone()
    }

    pub(crate) fn take(&self) -> Vec<RecordedQuery> {
        std::mem::take(&mut *self.queries.lock())
    }
}
