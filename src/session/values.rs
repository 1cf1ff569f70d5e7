//! What a session checks in every value before a database sees it, and how many bytes one
//! statement may carry on a bind.
//!
//! A value that one backend would store and another refuse, or store as something else,
//! is refused on every backend with a typed error naming bind, model and column: NaN and
//! ±infinity (SQLite stores NaN as NULL, MySQL refuses both with error 1264, PostgreSQL
//! stores both), text longer than its `VARCHAR(n)` (SQLite would store it), NUL in
//! PostgreSQL text. Every write path (queued rows, `insert`, `update`, raw statements'
//! parameters) and every filter operand goes through here.
//!
//! A negative zero is written as zero: PostgreSQL would keep its sign, SQLite and MariaDB
//! read it back as `0.0`; the two compare equal, so only the sign is lost, everywhere.

use super::Session;
use super::slots::Run;
use crate::backend::Statement;
use crate::error::Error;
use crate::handle::BindHandle;
use crate::{
    BindKey, ByteLimits, ColumnInfo, Dialect, Model, Select, SqlType, TableInfo, Value, ValueKind,
    value_bytes,
};

/// What `raw SQL` errors name as their model.
const RAW_SQL: &str = "raw SQL";

/// Why a value is refused whatever column it is meant for.
enum Refusal {
    NotFinite(f64),
    Nul,
}

fn refusal(dialect: Dialect, value: &Value) -> Option<Refusal> {
    match value {
        Value::Double(v) if !v.is_finite() => Some(Refusal::NotFinite(*v)),
        Value::Float(v) if !v.is_finite() => Some(Refusal::NotFinite(f64::from(*v))),
        Value::Text(text) if dialect == Dialect::Postgres && text.contains('\0') => {
            Some(Refusal::Nul)
        }
        _ => None,
    }
}

/// `-0.0` as `0.0` (see the module docs).
fn unsign_zero(value: &mut Value) {
    match value {
        Value::Double(v) if *v == 0.0 => *v = 0.0,
        Value::Float(v) if *v == 0.0 => *v = 0.0,
        _ => {}
    }
}

/// Checks one row of `table` on its way to `dialect` (and unsigns its zeros), and returns
/// its size in bytes (as [`value_bytes`] counts them), which must not pass `limits.row`.
pub(super) fn check_row<'v>(
    table: &TableInfo,
    dialect: Dialect,
    limits: &ByteLimits,
    columns_and_values: impl Iterator<Item = (&'v ColumnInfo, &'v mut Value)>,
) -> Result<usize, Error> {
    let mut bytes = 0_usize;
    for (column, value) in columns_and_values {
        unsign_zero(value);
        let value = &*value;
        bytes = bytes.saturating_add(value_bytes(value));
        match refusal(dialect, value) {
            Some(Refusal::NotFinite(value)) => {
                return Err(Error::NotFinite {
                    bind: table.bind().into(),
                    model: table.rust_type,
                    column: column.name.to_owned(),
                    value,
                });
            }
            Some(Refusal::Nul) => {
                return Err(Error::NulInText {
                    bind: table.bind().into(),
                    model: table.rust_type,
                    column: column.name,
                });
            }
            None => {}
        }
        if let (SqlType::VarChar(max), Value::Text(text)) = (column.sql_type, value) {
            // Bytes bound the characters from above: count only when it could matter.
            if text.len() > max as usize {
                let found = text.chars().count();
                if found > max as usize {
                    return Err(Error::TooLong {
                        bind: table.bind().into(),
                        model: table.rust_type,
                        column: column.name,
                        max,
                        found,
                    });
                }
            }
        }
    }
    if bytes > limits.row {
        return Err(Error::TooLarge {
            bind: table.bind().into(),
            model: table.rust_type,
            bytes,
            limit: limits.row,
        });
    }
    Ok(bytes)
}

/// Checks every operand of a query's filters: no backend compares NaN or infinities alike
/// (SQLite binds NaN as NULL, MySQL refuses it, PostgreSQL has NaN equal to itself).
pub(super) fn check_filter<M: Model>(select: &Select<M>, dialect: Dialect) -> Result<(), Error> {
    select.check_operands(|column, value| match refusal(dialect, value) {
        None => Ok(()),
        Some(Refusal::NotFinite(value)) => Err(Error::NotFinite {
            bind: M::TABLE.bind().into(),
            model: M::TABLE.rust_type,
            column: column.to_owned(),
            value,
        }),
        Some(Refusal::Nul) => Err(Error::NulInText {
            bind: M::TABLE.bind().into(),
            model: M::TABLE.rust_type,
            column,
        }),
    })
}

/// Checks the parameters of a raw statement (and unsigns their zeros): no NaN or
/// infinity, and no more bytes than a statement may carry. (NUL in text is left to
/// PostgreSQL, which refuses it itself.)
pub(super) fn check_params(
    bind: Option<&str>,
    dialect: Dialect,
    limits: &ByteLimits,
    params: &mut [Value],
) -> Result<(), Error> {
    let mut bytes = 0_usize;
    for (i, value) in params.iter_mut().enumerate() {
        unsign_zero(value);
        bytes = bytes.saturating_add(value_bytes(value));
        if let Some(Refusal::NotFinite(value)) = refusal(dialect, value) {
            return Err(Error::NotFinite {
                bind: BindKey::from(bind),
                model: RAW_SQL,
                column: format!("parameter {}", i + 1),
                value,
            });
        }
    }
    if bytes > limits.statement {
        return Err(Error::TooLarge {
            bind: BindKey::from(bind),
            model: RAW_SQL,
            bytes,
            limit: limits.statement,
        });
    }
    Ok(())
}

impl Session {
    /// How many bytes of values one statement and one row may carry on `bind`. On MySQL
    /// that is the server's `max_allowed_packet`, read once per engine: in the bind's
    /// transaction when one is open or about to be, otherwise on its own pooled
    /// connection, so that a statement meant to run alone does not begin a transaction
    /// to ask.
    pub(super) async fn byte_limits(
        &mut self,
        bind: BindHandle<'_>,
        run: Run,
    ) -> Result<ByteLimits, Error> {
        let dialect = bind.dialect();
        if dialect != Dialect::MySql {
            return Ok(ByteLimits::new(dialect, None));
        }
        if let Some(packet) = bind.writer().max_allowed_packet() {
            return Ok(ByteLimits::new(dialect, Some(packet)));
        }
        let ask = Statement::Fetch {
            sql: "SELECT CAST(@@max_allowed_packet AS SIGNED)".into(),
            params: Vec::new(),
            kinds: &[ValueKind::BigInt],
            at_most_one: true,
        };
        let run = if run == Run::Alone && !self.has_tx(bind) {
            Run::Alone
        } else {
            Run::Read
        };
        let answer = self.run(bind, None, ask, run).await?;
        let packet = answer
            .rows
            .first()
            .and_then(|row| row.first())
            .and_then(Value::as_i64)
            .and_then(|p| u64::try_from(p).ok());
        if let Some(packet) = packet {
            bind.writer().set_max_allowed_packet(packet);
        }
        Ok(ByteLimits::new(dialect, packet))
    }

    /// Checks the parameters of a raw statement on `bind` (see [`check_params`]).
    pub(super) async fn check_raw(
        &mut self,
        bind: BindHandle<'_>,
        params: &mut [Value],
    ) -> Result<(), Error> {
        let limits = self.byte_limits(bind, Run::InTransaction).await?;
        check_params(bind.key(), bind.dialect(), &limits, params)
    }
}
