//! The unit of work: rows queued by `add`, sent by `flush` as one multi-row INSERT per
//! table and batch; `insert_all` sends at once and hands the rows back with their keys.

use std::collections::HashMap;
use std::sync::Arc;

use super::Session;
use super::slots::Run;
use super::{identity, values};
use crate::backend::Statement;
use crate::error::Error;
use crate::handle::BindHandle;
use crate::{
    AnyColumn, ColumnInfo, Dialect, Model, SqlWriter, StatementCache, TableInfo, UpsertKey, Value,
    ValueKind, batches_rows, generated_column, insert_leaving_out, is_unique_key, left_out,
    next_batch, rows_per_insert_of, upsert_clause,
};

/// The rows queued for one table that leave out the same columns, their values stored
/// row after row in one vector: a batch of a thousand rows is then one allocation, handed
/// to the driver as it is, rather than a vector per row copied into the statement's.
pub(super) struct Pending {
    table: &'static TableInfo,
    statements: &'static StatementCache,
    kinds: &'static [ValueKind],
    /// The columns these rows leave for the database to fill, sorted: the generated key
    /// (unless the rows give their own), and `None`s of `none_is_unset` columns.
    left_out: Vec<usize>,
    /// Whether `left_out` is the table's usual set (just the generated key, if any),
    /// whose statements are cached.
    usual: bool,
    /// The values of one row: the table's columns but those left out.
    width: usize,
    /// How many rows are queued (kept apart: a row may have no values to store).
    rows: usize,
    values: Vec<Value>,
    /// The first row whose model gave a number of values other than its columns' (a
    /// hand-written `Model` impl's bug): the rows are refused rather than misaligned.
    malformed: Option<usize>,
    /// For an upsert: the unique key the rows may collide on, and the columns a
    /// collision updates.
    on_conflict: Option<Upsert>,
}

/// What an upsert does with a row that collides with a stored one.
#[derive(Debug, Clone)]
struct Upsert {
    /// The unique key (primary key or a unique constraint) it collides on.
    conflict: Vec<&'static str>,
    /// The columns the stored row takes from the new one.
    update: Vec<&'static str>,
}

/// How the rows an upsert's RETURNING lists are matched to the rows sent: by the values
/// of the unique key they collided on.
struct UpsertMatch {
    /// What RETURNING lists: the generated key, then the conflict columns.
    kinds: Vec<ValueKind>,
    /// Where each conflict column's value sits among a sent row's values.
    at: Vec<usize>,
}

impl UpsertMatch {
    /// For rows of `table` (whose columns travel as `kinds`) that store `stored` columns,
    /// collide on `conflict` and hand back a generated key of `key_kind`; refused when the
    /// database fills a conflict column itself (nothing sent to match by).
    fn new(
        table: &'static TableInfo,
        key_kind: ValueKind,
        kinds: &[ValueKind],
        stored: &[&ColumnInfo],
        conflict: &[&'static str],
    ) -> Result<UpsertMatch, Error> {
        let mut matching = UpsertMatch {
            kinds: vec![key_kind],
            at: Vec::new(),
        };
        for name in conflict {
            let (Some(at), Some(kind)) = (
                stored.iter().position(|c| c.name == *name),
                table
                    .columns
                    .iter()
                    .position(|c| c.name == *name)
                    .map(|i| kinds[i]),
            ) else {
                return Err(Error::Unsupported {
                    bind: table.bind().into(),
                    model: table.rust_type,
                    reason: "an upsert of rows that leave a column of its unique key to the database",
                });
            };
            matching.at.push(at);
            matching.kinds.push(kind);
        }
        Ok(matching)
    }

    /// The unique key of each row of a batch (`width` values a row), before it is sent.
    fn sent(&self, params: &[Value], width: usize) -> Vec<Vec<Value>> {
        params
            .chunks(width.max(1))
            .map(|row| {
                self.at
                    .iter()
                    .filter_map(|&i| row.get(i).cloned())
                    .collect()
            })
            .collect()
    }

    /// The generated key of each sent row, in order, from what RETURNING listed. A key
    /// that comes back other than sent (a case-insensitive collation keeps the stored
    /// row's spelling; PAD SPACE ignores trailing blanks) is matched as the database
    /// compared it.
    fn keys(
        &self,
        table: &TableInfo,
        returned: &[Vec<Value>],
        sent: &[Vec<Value>],
    ) -> Result<Vec<i64>, Error> {
        let mut exact = HashMap::new();
        let mut folded = HashMap::new();
        for row in returned {
            let (Some(key), Some(unique)) = (row.first().and_then(Value::as_i64), row.get(1..))
            else {
                continue;
            };
            exact.insert(unique_identity(unique, false), key);
            folded.insert(unique_identity(unique, true), key);
        }
        sent.iter()
            .map(|unique| {
                exact
                    .get(&unique_identity(unique, false))
                    .or_else(|| folded.get(&unique_identity(unique, true)))
                    .copied()
                    .ok_or_else(|| Error::Decode {
                        bind: table.bind().into(),
                        model: table.rust_type,
                        reason: "the upsert listed no key for one of its rows".into(),
                    })
            })
            .collect()
    }
}

/// The values of a unique key as one string; `folded`: text lowercased and without
/// trailing blanks, as a case-insensitive PAD SPACE collation compares it.
fn unique_identity(values: &[Value], folded: bool) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|value| match value {
            Value::Text(text) if folded => text.trim_end_matches(' ').to_lowercase(),
            other => identity(other).into_text(),
        })
        .collect();
    parts.join("\u{1f}")
}

impl Pending {
    /// No rows yet of `M`, leaving out `left_out` (`None`: the usual set).
    fn new<M: Model>(left_out: Option<Vec<usize>>) -> Pending {
        let usual: Vec<usize> = generated_column(M::TABLE).into_iter().collect();
        let left_out = left_out.unwrap_or(usual.clone());
        Pending {
            table: M::TABLE,
            statements: M::statements(),
            kinds: M::KINDS,
            usual: left_out == usual,
            width: M::TABLE.columns.len().saturating_sub(left_out.len()),
            left_out,
            rows: 0,
            values: Vec::new(),
            malformed: None,
            on_conflict: None,
        }
    }

    /// Appends one row's values (every column's, in order), leaving out `left_out`.
    fn push(&mut self, values: Vec<Value>) {
        let start = self.values.len();
        self.values.extend(values);
        self.pushed(start);
    }

    /// Counts the row whose values (every column's, in order) were just appended at
    /// `start`, removing those of the columns it leaves out.
    fn pushed(&mut self, start: usize) {
        let given = self.values.len() - start;
        if given != self.table.columns.len() {
            self.malformed.get_or_insert(given);
        } else {
            // Few and sorted: removed from the last, each shifts only the row's tail.
            for &column in self.left_out.iter().rev() {
                self.values.remove(start + column);
            }
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

/// Stores the key the database generated for `row`.
fn set_key<M: Model>(row: &mut M, key: i64) -> Result<(), Error> {
    row.set_generated_key(key).map_err(|e| Error::Decode {
        bind: M::TABLE.bind().into(),
        model: M::TABLE.rust_type,
        reason: format!("generated key: {e}"),
    })
}

/// Rows of `M` with their places, grouped by the columns they leave for the database to
/// fill (each group is one statement's shape), groups in the order their first row
/// comes; each group carries `on_conflict` for an upsert.
fn group_by_left_out<M: Model>(
    rows: impl IntoIterator<Item = (usize, Vec<Value>)>,
    on_conflict: Option<&Upsert>,
) -> Vec<(Pending, Vec<usize>)> {
    let mut groups: Vec<(Pending, Vec<usize>)> = Vec::new();
    for (at, values) in rows {
        let left = left_out(M::TABLE, &values);
        let group = match groups.iter().position(|(p, _)| p.left_out == left) {
            Some(group) => group,
            None => {
                let mut pending = Pending::new::<M>(Some(left));
                pending.on_conflict = on_conflict.cloned();
                groups.push((pending, Vec::new()));
                groups.len() - 1
            }
        };
        groups[group].0.push(values);
        groups[group].1.push(at);
    }
    groups
}

impl Session {
    /// Queues `row` for insertion into its model's bind; sent in batches by `flush`,
    /// `commit`, or any read. A generated key is left to the database (use
    /// [`Session::insert_all`] to get the rows back with their keys).
    pub fn add<M: Model>(&mut self, row: M) {
        self.add_all(std::iter::once(row));
    }

    /// Queues every row of `rows` for insertion, as [`Session::add`]. A `default_fn`
    /// fills its field's `None` now.
    pub fn add_all<M: Model>(&mut self, rows: impl IntoIterator<Item = M>) {
        // Rows leave out different columns only where an `Option` may be "not given".
        let varies = M::TABLE.columns.iter().any(|c| c.none_is_unset);
        let mut index = self.pending_for::<M>(None);
        let rows = rows.into_iter();
        let reserve = rows.size_hint().0.saturating_mul(self.pending[index].width);
        self.pending[index].values.reserve(reserve);
        for mut row in rows {
            row.fill_defaults();
            let pending = &mut self.pending[index];
            let start = pending.values.len();
            row.push_values(&mut pending.values);
            if varies {
                let left = left_out(M::TABLE, &pending.values[start..]);
                if left != pending.left_out {
                    // Rare: a row that leaves out other columns moves to their queue.
                    let values = pending.values.split_off(start);
                    index = self.pending_for::<M>(Some(left));
                    self.pending[index].push(values);
                    continue;
                }
            }
            pending.pushed(start);
        }
    }

    /// The index of the queue of `M`'s rows that leave out `left_out` (`None`: the usual
    /// set), made if there is none.
    fn pending_for<M: Model>(&mut self, left_out: Option<Vec<usize>>) -> usize {
        let found = self.pending.iter().position(|p| {
            std::ptr::eq(p.table, M::TABLE)
                && match &left_out {
                    None => p.usual,
                    Some(left_out) => p.left_out == *left_out,
                }
        });
        found.unwrap_or_else(|| {
            self.pending.push(Pending::new::<M>(left_out));
            self.pending.len() - 1
        })
    }

    /// Inserts `rows` now, in batches, and returns them with the keys the database
    /// generated (a row that gave its own key keeps it). A `default_fn` fills its
    /// field's `None` first.
    pub async fn insert_all<M: Model>(&mut self, mut rows: Vec<M>) -> Result<Vec<M>, Error> {
        self.flush().await?;
        let values = rows.iter_mut().enumerate().map(|(at, row)| {
            row.fill_defaults();
            (at, row.to_values())
        });
        let groups = group_by_left_out::<M>(values, None);
        for (at, key) in self.insert_groups::<M>(groups).await? {
            let row = rows.get_mut(at).ok_or_else(|| Error::Decode {
                bind: M::TABLE.bind().into(),
                model: M::TABLE.rust_type,
                reason: "a generated key without its row".into(),
            })?;
            set_key(row, key)?;
        }
        Ok(rows)
    }

    /// Sends each group of `M`'s rows now, in the session's transaction, and returns the
    /// place and key of each row whose key the database generated (a group whose rows
    /// gave their keys has none).
    async fn insert_groups<M: Model>(
        &mut self,
        groups: Vec<(Pending, Vec<usize>)>,
    ) -> Result<Vec<(usize, i64)>, Error> {
        let mut generated_keys = Vec::new();
        for (pending, members) in groups {
            let generated = generated_column(M::TABLE).filter(|g| pending.left_out.contains(g));
            let keys = self
                .insert_rows(pending, Keys::Wanted, Run::InTransaction)
                .await?;
            if generated.is_some() {
                generated_keys.extend(members.into_iter().zip(keys));
            }
        }
        Ok(generated_keys)
    }

    /// Inserts `rows`, or, for a row that collides with a stored one on the unique key
    /// `on` (the primary key or a unique constraint of the model), updates the stored
    /// row's other columns from it: SQLAlchemy's `on_conflict_do_update`, SeaORM's
    /// `on_conflict`. `ON CONFLICT … DO UPDATE` on PostgreSQL and SQLite, `ON DUPLICATE KEY
    /// UPDATE` on MySQL and MariaDB; sent now, in batches, in the session's transaction.
    /// Of rows with the same key in one call the last wins; a column a row leaves to the
    /// database (a `None` server default) is not updated.
    ///
    /// Returns the rows, each with the generated key of the row it inserted or updated
    /// (two rows with one key get the same): from `RETURNING` on PostgreSQL, SQLite and
    /// MariaDB, matched to the rows by their unique key; on MySQL, one row per statement
    /// with `LAST_INSERT_ID(key)`.
    pub async fn upsert_all<M: Model>(
        &mut self,
        mut rows: Vec<M>,
        on: impl IntoIterator<Item = AnyColumn<M>>,
    ) -> Result<Vec<M>, Error> {
        self.flush().await?;
        let conflict: Vec<&'static str> = on.into_iter().map(|c| c.name()).collect();
        if !is_unique_key(M::TABLE, &conflict) {
            // MySQL's ON DUPLICATE KEY collides on any unique key: only a named unique key
            // means the same on every dialect.
            return Err(Error::Unsupported {
                bind: M::TABLE.bind().into(),
                model: M::TABLE.rust_type,
                reason: "an upsert on columns that are not a unique key of the model (its primary key or a unique constraint)",
            });
        }
        let update: Vec<&'static str> = M::TABLE
            .columns
            .iter()
            .filter(|c| !c.primary_key && !conflict.contains(&c.name))
            .map(|c| c.name)
            .collect();
        let at: Vec<usize> = conflict
            .iter()
            .filter_map(|name| M::TABLE.columns.iter().position(|c| c.name == *name))
            .collect();
        for row in &mut rows {
            row.fill_defaults();
        }
        let values: Vec<Vec<Value>> = rows.iter().map(Model::to_values).collect();
        let unique: Vec<String> = values
            .iter()
            .map(|values| {
                let key: Vec<Value> = at.iter().filter_map(|&c| values.get(c).cloned()).collect();
                unique_identity(&key, false)
            })
            .collect();
        // One statement cannot touch a row twice (PostgreSQL refuses): the last row of
        // each key stands for it, as if they had been sent one after the other.
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, key) in unique.iter().enumerate() {
            last.insert(key, i);
        }
        let kept = values
            .into_iter()
            .enumerate()
            .filter(|(i, _)| last.get(unique[*i].as_str()) == Some(i));
        let upsert = Upsert { conflict, update };
        let groups = group_by_left_out::<M>(kept, Some(&upsert));
        let key_of: HashMap<&str, i64> = self
            .insert_groups::<M>(groups)
            .await?
            .into_iter()
            .map(|(member, key)| (unique[member].as_str(), key))
            .collect();
        for (row, unique) in rows.iter_mut().zip(&unique) {
            if let Some(&key) = key_of.get(unique.as_str()) {
                set_key(row, key)?;
            }
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
        let bind = self.db.resolve_table(only.table)?;
        if bind.replicas().any() {
            // Sent alone, no COMMIT would carry the read of the primary's position.
            return Ok(false);
        }
        let dialect = bind.dialect();
        let per_statement = if batches_rows(dialect, only.table, &only.left_out) {
            rows_per_insert_of(dialect, only.width)
        } else {
            1
        };
        Ok(only.rows <= per_statement)
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
            left_out,
            usual,
            width,
            rows,
            mut values,
            malformed,
            on_conflict,
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
        let stored_columns: Vec<&ColumnInfo> = table
            .columns
            .iter()
            .enumerate()
            .filter(|(i, _)| !left_out.contains(i))
            .map(|(_, c)| c)
            .collect();
        // The key the database generates for these rows; rows that give their own key
        // (an `Option` key that is `Some`) leave nothing to generate.
        let generated = generated_column(table).filter(|g| left_out.contains(g));
        let given_key = generated_column(table).filter(|g| !left_out.contains(g));
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
        let cached =
            (usual && on_conflict.is_none()).then(|| statements.get(dialect, table, returning));
        // An upsert updates, of the columns its rows give, those its conflict does not
        // name, and hands back the key of each row, new or stored.
        let upsert_key = match generated {
            None => UpsertKey::None,
            Some(g) if returning => UpsertKey::Returning(table.columns[g].name),
            Some(g) => UpsertKey::LastInsertId(table.columns[g].name),
        };
        let upsert = on_conflict.map(|upsert| {
            let given = |name: &&str| stored_columns.iter().any(|c| c.name == *name);
            let update: Vec<&str> = upsert.update.iter().copied().filter(given).collect();
            let clause = upsert_clause(dialect, &upsert.conflict, &update, upsert_key);
            (clause, upsert.conflict)
        });
        // RETURNING lists an upsert's rows in no promised order: each is matched to its
        // row by the values it collided on.
        let key_kind = generated.map(|g| kinds[g]);
        let matching =
            match (&upsert, upsert_key, key_kind) {
                (Some((_, conflict)), UpsertKey::Returning(_), Some(kind)) => Some(
                    UpsertMatch::new(table, kind, kinds, &stored_columns, conflict)?,
                ),
                _ => None,
            };
        let mut keys = Vec::with_capacity(if generated.is_some() { rows } else { 0 });
        // MySQL without RETURNING: one row per statement, each key from LAST_INSERT_ID().
        let per_statement =
            if (generated.is_some() && !returning) || !batches_rows(dialect, table, &left_out) {
                1
            } else {
                rows_per_insert_of(dialect, width)
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
            let sql: Arc<str> = match cached {
                Some(cached) if batch_rows == cached.insert_batch.0 => {
                    cached.insert_batch.1.clone()
                }
                Some(cached) if batch_rows == 1 => cached.insert_one.clone(),
                _ => {
                    // An upsert's RETURNING comes after its clause, which writes it.
                    let returning = returning && upsert.is_none();
                    let mut sql =
                        insert_leaving_out(dialect, table, &left_out, batch_rows, returning);
                    if let Some((clause, _)) = &upsert {
                        sql.push_str(clause);
                    }
                    sql.into()
                }
            };
            let on = Some(table.name);
            match key_kind {
                Some(kind) if returning => {
                    let sent = matching.as_ref().map(|m| m.sent(&params, width));
                    let key_only = [kind];
                    let statement = Statement::Fetch {
                        sql,
                        params,
                        kinds: matching.as_ref().map_or(&key_only[..], |m| &m.kinds),
                        at_most_one: false,
                    };
                    let returned = self.run(bind, on, statement, Run::InTransaction).await?;
                    if let (Some(matching), Some(sent)) = (&matching, sent) {
                        keys.extend(matching.keys(table, &returned.rows, &sent)?);
                        continue;
                    }
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
        if let (Some(key), Dialect::Postgres) = (given_key, dialect) {
            self.keep_sequence_ahead(bind, table, key).await?;
        }
        Ok(keys)
    }

    /// After rows that gave their own keys, moves PostgreSQL's sequence of the generated
    /// column `key` past the greatest key in the table (never back), so that the next
    /// generated key does not collide with one given. MySQL's AUTO_INCREMENT and SQLite's
    /// rowid move on their own; a PostgreSQL sequence does not (SQLAlchemy leaves this to
    /// you; bindery does it in the same transaction).
    async fn keep_sequence_ahead(
        &mut self,
        bind: BindHandle<'_>,
        table: &'static TableInfo,
        key: usize,
    ) -> Result<(), Error> {
        let column = table.columns[key].name;
        let dialect = bind.dialect();
        let mut w = SqlWriter::new(dialect);
        w.push("SELECT setval(s.seq, GREATEST(m.top, COALESCE(pg_sequence_last_value(s.seq), 1))) FROM (SELECT pg_get_serial_sequence(")
            .param()
            .push(", ")
            .param()
            .push(")::regclass AS seq) AS s, (SELECT MAX(")
            .ident(column)
            .push(") AS top FROM ")
            .ident(table.name)
            .push(") AS m WHERE s.seq IS NOT NULL AND m.top > 0");
        let statement = Statement::Execute {
            sql: w.finish().into(),
            // The table as PostgreSQL parses a name (quoted: case kept); the column as is.
            params: vec![
                Value::Text(dialect.quote(table.name)),
                Value::Text(column.to_owned()),
            ],
        };
        self.run(bind, Some(table.name), statement, Run::InTransaction)
            .await
            .map(drop)
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
