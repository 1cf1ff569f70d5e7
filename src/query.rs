//! `session.query::<M>()`: filter, order and page a model's rows on its bind.

use crate::error::Error;
use crate::session::{Session, decode};
use crate::{Filter, Model, Order, Select, Value};

/// A query over model `M`, built from [`Session::query`]. Filters come from the column
/// handles the derive makes: `User::COLUMNS.name.eq("ann")`.
#[must_use = "a query does nothing until `all`, `first`, `one` or `count` runs it"]
pub struct Query<'s, M: Model> {
    session: &'s mut Session,
    select: Select<M>,
}

// The session's entry to queries lives here, with the queries, so that the session
// module does not import the module that imports it.
impl Session {
    /// A query over model `M`'s rows: filter, order, page, then `all`, `first`, `one` or
    /// `count`.
    pub fn query<M: Model>(&mut self) -> Query<'_, M> {
        Query::new(self)
    }
}

impl<'s, M: Model> Query<'s, M> {
    pub(crate) fn new(session: &'s mut Session) -> Query<'s, M> {
        Query {
            session,
            select: Select::default(),
        }
    }

    /// Keeps the rows that match; every filter given must hold.
    pub fn filter(mut self, filter: Filter<M>) -> Self {
        self.select.filter(filter);
        self
    }

    /// Orders the rows; later orderings break ties of earlier ones.
    pub fn order_by(mut self, order: Order<M>) -> Self {
        self.select.order_by(order);
        self
    }

    /// At most `n` rows.
    pub fn limit(mut self, n: u64) -> Self {
        self.select.limit(n);
        self
    }

    /// Skips the first `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.select.offset(n);
        self
    }

    /// Every matching row.
    pub async fn all(self) -> Result<Vec<M>, Error> {
        let rows = self.session.run_select(&self.select, false).await?;
        rows.into_iter().map(decode::<M>).collect()
    }

    /// The first matching row, if any.
    pub async fn first(mut self) -> Result<Option<M>, Error> {
        self.select.limit(1);
        let mut rows = self.session.run_select(&self.select, false).await?;
        rows.pop().map(decode::<M>).transpose()
    }

    /// The one matching row; an error when there is none or more than one.
    pub async fn one(mut self) -> Result<M, Error> {
        self.select.limit(2);
        let mut rows = self.session.run_select(&self.select, false).await?;
        let found = match rows.len() {
            1 => {
                return rows
                    .pop()
                    .map(decode::<M>)
                    .unwrap_or_else(|| unreachable_none::<M>());
            }
            0 => "none",
            _ => "more than one",
        };
        Err(Error::NotOne {
            bind: M::TABLE.bind().into(),
            model: M::TABLE.rust_type,
            found,
        })
    }

    /// How many rows match (after limit and offset, if given).
    pub async fn count(self) -> Result<u64, Error> {
        let rows = self.session.run_select(&self.select, true).await?;
        let count = rows
            .first()
            .and_then(|row| row.first())
            .and_then(Value::as_i64)
            .unwrap_or(0);
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

/// `rows.len() == 1` was checked just before: this cannot happen, and is no panic.
fn unreachable_none<M: Model>() -> Result<M, Error> {
    Err(Error::NotOne {
        bind: M::TABLE.bind().into(),
        model: M::TABLE.rust_type,
        found: "none",
    })
}
