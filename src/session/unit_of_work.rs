//! The unit of work: rows queued by `add`, sent by `flush` as one multi-row INSERT per
//! table and batch; `insert_all` sends at once and hands the rows back with their keys.

use std::sync::Arc;

use super::Session;
use super::slots::Run;
use super::values;
use crate::backend::Statement;
use crate::error::Error;
use crate::handle::BindHandle;
use crate::{
    ColumnInfo, Dialect, Model, StatementCache, TableInfo, Value, ValueKind, generated_column,
    insert_statement, next_batch, rows_per_insert,
};

/// The rows queued for one table.
pub(super) struct Pending {
    table: &'static TableInfo,
    statements: &'static StatementCache,
    kinds: &'static [ValueKind],
    rows: Vec<Vec<Value>>,
}

impl Pending {
    /// How many rows are queued.
    pub(super) fn len(&self) -> usize {
        self.rows.len()
    }
}

/// What an insert asks back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// The generated keys, in row order.
    Wanted,
    /// Nothing: queued rows are not handed back, and RETURNING costs a row per row.
    NotWanted,
}

impl Session {
    /// Queues `row` for insertion into its model's bind; sent in batches by `flush`,
    /// `commit`, or any read. A generated key is left to the database (use
    /// [`Session::insert_all`] to get the rows back with their keys).
    pub fn add<M: Model>(&mut self, row: M) {
        self.add_all(std::iter::once(row));
    }

    /// Queues every row of `rows` for insertion, as [`Session::add`].
    pub fn add_all<M: Model>(&mut self, rows: impl IntoIterator<Item = M>) {
        let index = match self
            .pending
            .iter()
            .position(|p| std::ptr::eq(p.table, M::TABLE))
        {
            Some(index) => index,
            None => {
                self.pending.push(Pending {
                    table: M::TABLE,
                    statements: M::statements(),
                    kinds: M::KINDS,
                    rows: Vec::new(),
                });
                self.pending.len() - 1
            }
        };
        let generated = generated_column(M::TABLE);
        let pending = &mut self.pending[index];
        pending.rows.extend(rows.into_iter().map(|row| {
            let mut values = row.into_values();
            if let Some(g) = generated {
                values.remove(g);
            }
            values
        }));
    }

    /// Inserts `rows` now, in batches, and returns them with the keys the database
    /// generated.
    pub async fn insert_all<M: Model>(&mut self, mut rows: Vec<M>) -> Result<Vec<M>, Error> {
        self.flush().await?;
        let generated = generated_column(M::TABLE);
        let values: Vec<Vec<Value>> = rows
            .iter()
            .map(|row| {
                let mut values = row.to_values();
                if let Some(g) = generated {
                    values.remove(g);
                }
                values
            })
            .collect();
        let pending = Pending {
            table: M::TABLE,
            statements: M::statements(),
            kinds: M::KINDS,
            rows: values,
        };
        let keys = self
            .insert_rows(pending, Keys::Wanted, Run::InTransaction)
            .await?;
        for (row, key) in rows.iter_mut().zip(keys) {
            row.set_generated_key(key).map_err(|e| Error::Decode {
                bind: M::TABLE.bind().into(),
                model: M::TABLE.rust_type,
                reason: format!("generated key: {e}"),
            })?;
        }
        Ok(rows)
    }

    /// Inserts one row now and returns it with its generated key.
    pub async fn insert<M: Model>(&mut self, row: M) -> Result<M, Error> {
        let mut rows = self.insert_all(vec![row]).await?;
        rows.pop().ok_or_else(|| Error::Decode {
            bind: M::TABLE.bind().into(),
            model: M::TABLE.rust_type,
            reason: "the insert returned no row".into(),
        })
    }

    /// Sends every queued insert: one multi-row INSERT per table and batch, tables in
    /// the order they were first added to.
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.flush_in(Run::InTransaction).await
    }

    pub(super) async fn flush_in(&mut self, run: Run) -> Result<(), Error> {
        let pending = std::mem::take(&mut self.pending);
        for table in pending {
            if table.rows.is_empty() {
                continue;
            }
            self.insert_rows(table, Keys::NotWanted, run).await?;
        }
        Ok(())
    }

    /// Whether the queued inserts are one table's rows that fit one statement.
    pub(super) fn is_one_statement(&self) -> Result<bool, Error> {
        let mut queued = self.pending.iter().filter(|p| !p.rows.is_empty());
        let (Some(only), None) = (queued.next(), queued.next()) else {
            return Ok(false);
        };
        let dialect = self.db.resolve_table(only.table)?.dialect();
        Ok(only.rows.len() <= rows_per_insert(dialect, only.table))
    }

    /// Inserts the rows of `pending` (values without the generated column); with
    /// `Keys::Wanted`, returns the generated keys in row order (nothing for a table
    /// without a generated column). Keys are only asked for in the bind's transaction.
    async fn insert_rows(
        &mut self,
        pending: Pending,
        keys: Keys,
        run: Run,
    ) -> Result<Vec<i64>, Error> {
        let Pending {
            table,
            statements,
            kinds,
            mut rows,
        } = pending;
        let db = self.db.clone();
        let bind = db.resolve_table(table)?;
        let dialect = bind.dialect();
        let generated = generated_column(table);
        let stored_columns: Vec<&ColumnInfo> = table
            .columns
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != generated)
            .map(|(_, c)| c)
            .collect();
        let generated = generated.filter(|_| keys == Keys::Wanted);
        let limits = self.byte_limits(bind, run).await?;
        // Every row is checked and sized before the first is sent: a bad one sends nothing.
        let sizes = rows
            .iter_mut()
            .map(|row| {
                let columns_and_values = stored_columns.iter().copied().zip(row.iter_mut());
                values::check_row(table, dialect, &limits, columns_and_values)
            })
            .collect::<Result<Vec<usize>, Error>>()?;
        let returning = match (generated, dialect) {
            (None, _) => false,
            (Some(_), Dialect::MySql) => self.is_mariadb(bind).await?,
            (Some(_), _) => true,
        };
        let cached = statements.get(dialect, table, returning);
        let key_kind = generated.map(|g| kinds[g]);
        let mut keys = Vec::with_capacity(if generated.is_some() { rows.len() } else { 0 });
        // MySQL without RETURNING: one row per statement, each key from LAST_INSERT_ID().
        let per_statement = if generated.is_some() && !returning {
            1
        } else {
            rows_per_insert(dialect, table)
        };
        // A batch ends at `per_statement` rows or at the bind's byte limit, whichever
        // comes first (MySQL's max_allowed_packet caps a statement's bytes).
        let mut sizes = sizes.as_slice();
        let mut run = run;
        let mut rows = rows.into_iter();
        while !sizes.is_empty() {
            let take = next_batch(sizes, per_statement, limits.statement);
            sizes = sizes.get(take..).unwrap_or_default();
            if !sizes.is_empty() {
                // More than one statement is no longer atomic alone: use the transaction.
                run = Run::InTransaction;
            }
            // Each row's values appended whole (a copy of the row, not a value at a time
            // as `flatten` would), into one vector sized for the batch.
            let mut params = Vec::with_capacity(take * stored_columns.len());
            let mut batch_rows = 0;
            for row in rows.by_ref().take(take) {
                params.extend(row);
                batch_rows += 1;
            }
            let sql: Arc<str> = if batch_rows == cached.insert_batch.0 {
                cached.insert_batch.1.clone()
            } else if batch_rows == 1 {
                cached.insert_one.clone()
            } else {
                insert_statement(dialect, table, batch_rows, returning).into()
            };
            let on = Some(table.name);
            match key_kind {
                Some(kind) if returning => {
                    let statement = Statement::Fetch {
                        sql,
                        params,
                        kinds: &[kind],
                        at_most_one: false,
                    };
                    let returned = self.run(bind, on, statement, Run::InTransaction).await?;
                    // Keys grow in insertion order within one statement on every backend,
                    // whatever order RETURNING lists them in.
                    let mut batch_keys: Vec<i64> = returned
                        .rows
                        .iter()
                        .filter_map(|row| row.first().and_then(Value::as_i64))
                        .collect();
                    batch_keys.sort_unstable();
                    keys.extend(batch_keys);
                }
                Some(_) => {
                    let statement = Statement::Execute { sql, params };
                    self.run(bind, on, statement, Run::InTransaction).await?;
                    let last_id = Statement::Fetch {
                        sql: "SELECT CAST(LAST_INSERT_ID() AS SIGNED)".into(),
                        params: Vec::new(),
                        kinds: &[ValueKind::BigInt],
                        at_most_one: true,
                    };
                    let id = self.run(bind, on, last_id, Run::InTransaction).await?;
                    keys.extend(
                        id.rows
                            .first()
                            .and_then(|r| r.first())
                            .and_then(Value::as_i64),
                    );
                }
                None => {
                    self.run(bind, on, Statement::Execute { sql, params }, run)
                        .await?;
                }
            }
        }
        Ok(keys)
    }

    /// Whether a MySQL-dialect bind is MariaDB (10.5+ has `INSERT … RETURNING`).
    async fn is_mariadb(&mut self, bind: BindHandle<'_>) -> Result<bool, Error> {
        if let Some(known) = bind.writer().is_mariadb() {
            return Ok(known);
        }
        let version = Statement::Fetch {
            sql: "SELECT VERSION()".into(),
            params: Vec::new(),
            kinds: &[ValueKind::Text],
            at_most_one: true,
        };
        let answer = self.run(bind, None, version, Run::Read).await?;
        let mariadb = matches!(answer.rows.first().and_then(|r| r.first()), Some(Value::Text(v)) if v.contains("MariaDB"));
        bind.writer().set_mariadb(mariadb);
        Ok(mariadb)
    }
}
