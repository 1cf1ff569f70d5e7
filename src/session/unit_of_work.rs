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

/// The rows queued for one table, their values (without the generated column) stored
/// row after row in one vector: a batch of a thousand rows is then one allocation, handed
/// to the driver as it is, rather than a vector per row copied into the statement's.
pub(super) struct Pending {
    table: &'static TableInfo,
    statements: &'static StatementCache,
    kinds: &'static [ValueKind],
    /// The values of one row: the table's columns but the generated one.
    width: usize,
    /// How many rows are queued (kept apart: a row may have no values to store).
    rows: usize,
    values: Vec<Value>,
    /// The first row whose model gave a number of values other than its columns' (a
    /// hand-written `Model` impl's bug): the rows are refused rather than misaligned.
    malformed: Option<usize>,
}

impl Pending {
    fn new<M: Model>() -> Pending {
        Pending {
            table: M::TABLE,
            statements: M::statements(),
            kinds: M::KINDS,
            width: M::TABLE.columns.len() - usize::from(generated_column(M::TABLE).is_some()),
            rows: 0,
            values: Vec::new(),
            malformed: None,
        }
    }

    /// Appends one row's values (every column's, in order), leaving out the generated
    /// column `generated`.
    fn push(&mut self, values: Vec<Value>, generated: Option<usize>) {
        let columns = self.width + usize::from(generated.is_some());
        if values.len() != columns {
            self.malformed.get_or_insert(values.len());
        }
        match generated {
            // Skipped on the way in, rather than removed first (which shifts the rest).
            Some(g) => self.values.extend(
                values
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| *i != g)
                    .map(|(_, v)| v),
            ),
            None => self.values.extend(values),
        }
        self.rows += 1;
    }

    /// How many rows are queued.
    pub(super) fn len(&self) -> usize {
        self.rows
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
                self.pending.push(Pending::new::<M>());
                self.pending.len() - 1
            }
        };
        let generated = generated_column(M::TABLE);
        let pending = &mut self.pending[index];
        let rows = rows.into_iter();
        pending
            .values
            .reserve(rows.size_hint().0.saturating_mul(pending.width));
        for row in rows {
            pending.push(row.into_values(), generated);
        }
    }

    /// Inserts `rows` now, in batches, and returns them with the keys the database
    /// generated.
    pub async fn insert_all<M: Model>(&mut self, mut rows: Vec<M>) -> Result<Vec<M>, Error> {
        self.flush().await?;
        let generated = generated_column(M::TABLE);
        let mut pending = Pending::new::<M>();
        pending
            .values
            .reserve(rows.len().saturating_mul(pending.width));
        for row in &rows {
            pending.push(row.to_values(), generated);
        }
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
            if table.rows == 0 {
                continue;
            }
            self.insert_rows(table, Keys::NotWanted, run).await?;
        }
        Ok(())
    }

    /// Whether the queued inserts are one table's rows that fit one statement.
    pub(super) fn is_one_statement(&self) -> Result<bool, Error> {
        let mut queued = self.pending.iter().filter(|p| p.rows > 0);
        let (Some(only), None) = (queued.next(), queued.next()) else {
            return Ok(false);
        };
        let dialect = self.db.resolve_table(only.table)?.dialect();
        Ok(only.rows <= rows_per_insert(dialect, only.table))
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
            width,
            rows,
            mut values,
            malformed,
        } = pending;
        let db = self.db.clone();
        let bind = db.resolve_table(table)?;
        if let Some(found) = malformed {
            return Err(Error::Decode {
                bind: table.bind().into(),
                model: table.rust_type,
                reason: format!(
                    "the model gave {found} values for its {} columns",
                    table.columns.len()
                ),
            });
        }
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
        let mut sizes = Vec::with_capacity(rows);
        for row in 0..rows {
            let row = values
                .get_mut(row * width..(row + 1) * width)
                .unwrap_or_default();
            let columns_and_values = stored_columns.iter().copied().zip(row.iter_mut());
            sizes.push(values::check_row(
                table,
                dialect,
                &limits,
                columns_and_values,
            )?);
        }
        let returning = match (generated, dialect) {
            (None, _) => false,
            (Some(_), Dialect::MySql) => self.is_mariadb(bind).await?,
            (Some(_), _) => true,
        };
        let cached = statements.get(dialect, table, returning);
        let key_kind = generated.map(|g| kinds[g]);
        let mut keys = Vec::with_capacity(if generated.is_some() { rows } else { 0 });
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
        let mut rest = values.into_iter();
        while !sizes.is_empty() {
            let take = next_batch(sizes, per_statement, limits.statement);
            sizes = sizes.get(take..).unwrap_or_default();
            if !sizes.is_empty() {
                // More than one statement is no longer atomic alone: use the transaction.
                run = Run::InTransaction;
            }
            let batch_rows = take;
            let params: Vec<Value> = if sizes.is_empty() {
                // The last (usually the only) batch: the queued vector itself, not a copy
                // (collecting a `vec::IntoIter` reuses its buffer).
                std::mem::take(&mut rest).collect()
            } else {
                rest.by_ref().take(take * width).collect()
            };
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
