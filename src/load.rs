//! Related rows, loaded in batches by key, within a bind or across binds: SQLAlchemy's
//! `selectinload`, which follows a relationship into another bind. Given a page of
//! orders (bind `shop`), their users (bind `auth`) are one more SELECT on `auth`, not one
//! per order: the keys go in `IN (…)` lists of at most [`KEYS_PER_SELECT`].
//!
//! A loader follows what the models declare: a link (`#[model(link = User)]`, any bind)
//! or a foreign key (`references`, the same bind); any other column is refused.

use std::collections::HashMap;

use crate::error::Error;
use crate::query::{Find, On, read};
use crate::session::{Identity, identity};
use crate::{Column, Filter, Model, TableInfo, Value};

/// The most keys one loader SELECT names (far below every dialect's parameter limit).
pub const KEYS_PER_SELECT: usize = 1_000;

impl<M: Model> Find<M> {
    /// The row of `M` each of `children` points at through `column` (a link or foreign
    /// key of the child model to `M`), in the children's order: `None` where the column
    /// is NULL or names no row. One SELECT per [`KEYS_PER_SELECT`] distinct keys, on
    /// `M`'s bind; the query's own filters apply too.
    ///
    /// ```no_run
    /// # use bindery::{Db, Error, Model};
    /// # #[derive(Model, Clone)] #[model(bind_key = "auth")] struct User { #[model(primary_key)] id: i64 }
    /// # #[derive(Model, Clone)] #[model(bind_key = "shop")] struct Order { #[model(primary_key)] id: i64, #[model(link = User)] user_id: i64 }
    /// # async fn run(db: Db, orders: Vec<Order>) -> Result<(), Error> {
    /// let users = bindery::find::<User>()
    ///     .parents_of(&orders, Order::COLUMNS.user_id, &db)
    ///     .await?; // users[i] is the user of orders[i]
    /// # Ok(()) }
    /// ```
    pub async fn parents_of<'a, C: Model, K>(
        &self,
        children: &[C],
        column: Column<C, K>,
        on: impl Into<On<'a>>,
    ) -> Result<Vec<Option<M>>, Error>
    where
        M: Clone,
    {
        let key = relation(C::TABLE, column.name(), M::TABLE)?;
        let at = position(C::TABLE, column.name());
        let wanted: Vec<Option<Value>> = children
            .iter()
            .map(|child| at.and_then(|at| child.value_at(at)))
            .map(|value| value.filter(|v| !v.is_null()))
            .collect();
        let (keys, found) = self.load(wanted.iter().flatten().cloned(), key, on).await?;
        let by_key: HashMap<Identity, M> = keys.iter().map(identity).zip(found).collect();
        Ok(wanted
            .iter()
            .map(|value| {
                value
                    .as_ref()
                    .and_then(|v| by_key.get(&identity(v)).cloned())
            })
            .collect())
    }

    /// The rows of `M` that point at each of `parents` through `column` (a link or
    /// foreign key of `M` to the parent model), grouped in the parents' order, each group
    /// in the query's order. One SELECT per [`KEYS_PER_SELECT`] parents, on `M`'s bind.
    pub async fn children_of<'a, P: Model, K>(
        &self,
        parents: &[P],
        column: Column<M, K>,
        on: impl Into<On<'a>>,
    ) -> Result<Vec<Vec<M>>, Error> {
        let key = relation(M::TABLE, column.name(), P::TABLE)?;
        let key_at = position(P::TABLE, key);
        let keys: Vec<Option<Value>> = parents
            .iter()
            .map(|parent| key_at.and_then(|at| parent.value_at(at)))
            .collect();
        let (found_keys, found) = self
            .load(keys.iter().flatten().cloned(), column.name(), on)
            .await?;
        let mut groups: HashMap<Identity, Vec<M>> = HashMap::with_capacity(parents.len());
        for (value, row) in found_keys.iter().zip(found) {
            groups.entry(identity(value)).or_default().push(row);
        }
        Ok(keys
            .iter()
            .map(|key| {
                key.as_ref()
                    .and_then(|k| groups.remove(&identity(k)))
                    .unwrap_or_default()
            })
            .collect())
    }

    /// The rows of this query whose `column` is one of `keys`, distinct keys in batches,
    /// and beside them the value of `column` of each, at the same index (kept as the row
    /// is read into the model: no copy of the row to find it).
    async fn load<'a>(
        &self,
        keys: impl Iterator<Item = Value>,
        column: &'static str,
        on: impl Into<On<'a>>,
    ) -> Result<(Vec<Value>, Vec<M>), Error> {
        let mut seen = std::collections::HashSet::new();
        let keys: Vec<Value> = keys.filter(|k| seen.insert(identity(k))).collect();
        let mut on = on.into();
        let (mut found_keys, mut found) = (Vec::new(), Vec::new());
        // `column` is always `M`'s (`relation` named it); were it not, no row could be
        // placed, and none is read.
        let Some(at) = position(M::TABLE, column) else {
            return Ok((found_keys, found));
        };
        for chunk in keys.chunks(KEYS_PER_SELECT) {
            let mut select = self.select_of().clone();
            select.filter(Filter::column_in(column, chunk.to_vec()));
            let (rows, row_keys) = read(on.reborrow(), &select, Some(at)).await?;
            if found.is_empty() {
                // The first batch, usually the only one, is kept as read.
                (found, found_keys) = (rows, row_keys);
            } else {
                found.extend(rows);
                found_keys.extend(row_keys);
            }
        }
        Ok((found_keys, found))
    }
}

/// The key column of `parent` that `child.column` points at, or why a loader refuses it.
fn relation(
    child: &'static TableInfo,
    column: &'static str,
    parent: &'static TableInfo,
) -> Result<&'static str, Error> {
    child.points_at(column, parent).ok_or(Error::Unsupported {
        bind: child.bind().into(),
        model: child.rust_type,
        reason: "loading through a column that is not a declared link or foreign key to the other model (declare `link = …` or `references = …`)",
    })
}

fn position(table: &TableInfo, column: &str) -> Option<usize> {
    table.columns.iter().position(|c| c.name == column)
}
