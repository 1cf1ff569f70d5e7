//! Queries over a model's rows on its bind: [`Find`], a value that runs on a session, a
//! `Db` or a transaction, and `session.query::<M>()`, the same bound to one session.

use crate::backend::Models;
use crate::db::Db;
use crate::error::Error;
use crate::session::{Bulk, Session, Shape, decode, misfit};
use crate::{
    Assignment, Column, Filter, FromValues, Model, Operand, Order, Projection, ReadFrom,
    ReadPolicy, SameBind, Select, SelectItem, Value, ValueKind,
};

/// A query over model `M` built once, as a value, and run on any executor: a
/// [`Session`] (in its transaction of the bind), a [`Db`] (autocommit: a pure read sends
/// no BEGIN or COMMIT), or the session inside [`Db::transaction`]. SeaORM's
/// `Entity::find()`.
///
/// ```no_run
/// # use bindery::{Db, Error, Model};
/// # #[derive(Model)] struct User { #[model(primary_key)] id: i64, name: String }
/// # async fn run(db: Db) -> Result<(), Error> {
/// let anns = bindery::find::<User>().filter(User::COLUMNS.name.eq("ann"));
/// let on_db = anns.all(&db).await?;
/// let mut session = db.session();
/// let in_session = anns.all(&mut session).await?;
/// let in_tx = db.transaction(async |tx| anns.count(tx).await).await?;
/// # Ok(()) }
/// ```
#[must_use = "a query does nothing until `all`, `first`, `one` or `count` runs it"]
pub struct Find<M: Model> {
    select: Select<M>,
}

impl<M: Model> Clone for Find<M> {
    fn clone(&self) -> Find<M> {
        Find {
            select: self.select.clone(),
        }
    }
}

impl<M: Model> std::fmt::Debug for Find<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Find")
            .field("model", &M::TABLE.rust_type)
            .field("select", &self.select)
            .finish()
    }
}

/// Every row of model `M`, to be narrowed with `filter`, `order_by`, `limit`, `offset`.
pub fn find<M: Model>() -> Find<M> {
    Find {
        select: Select::default(),
    }
}

/// Where a query value runs: `&mut Session` (or the `tx` of [`Db::transaction`]) or `&Db`.
#[derive(Debug)]
pub enum On<'a> {
    /// In the session's transaction of the model's bind.
    Session(&'a mut Session),
    /// On a pooled connection of the model's bind, outside any transaction.
    Db(&'a Db),
}

impl On<'_> {
    /// The same executor for one more statement, so that a method that sends two (a page
    /// and its total) can take it once.
    pub(crate) fn reborrow(&mut self) -> On<'_> {
        match self {
            On::Session(session) => On::Session(session),
            On::Db(db) => On::Db(db),
        }
    }
}

/// One page of a query's rows, with the total they are a page of: Flask-SQLAlchemy's
/// `db.paginate`. Pages count from 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<M> {
    /// The rows of this page, in the query's order.
    pub items: Vec<M>,
    /// Which page this is, from 1.
    pub page: u64,
    /// How many rows a page holds.
    pub per_page: u64,
    /// How many rows the whole query matches.
    pub total: u64,
}

impl<M> Page<M> {
    /// How many pages there are (0 when the query matches nothing).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page.max(1))
    }

    /// Whether a later page has rows.
    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }

    /// Whether this is not the first page.
    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
}

impl<'a> From<&'a mut Session> for On<'a> {
    fn from(session: &'a mut Session) -> On<'a> {
        On::Session(session)
    }
}

impl<'a> From<&'a Db> for On<'a> {
    fn from(db: &'a Db) -> On<'a> {
        On::Db(db)
    }
}

impl<M: Model> Find<M> {
    /// Its SELECT, for the loaders.
    pub(crate) fn select_of(&self) -> &Select<M> {
        &self.select
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

    /// Keeps the rows whose `column` is among the values `sub` selects — one column of a
    /// model of the same bind, of the same type: `column IN (SELECT … FROM … WHERE …)`.
    /// A subquery of a model of another bind does not compile ([`SameBind`]): one
    /// statement cannot read two databases; `parents_of` / `children_of` load across
    /// binds.
    ///
    /// ```compile_fail,E0277
    /// # use bindery::{Model, find};
    /// # #[derive(Model)] #[model(bind_key = "auth")]
    /// # struct User { #[model(primary_key)] id: i64 }
    /// # #[derive(Model)] #[model(bind_key = "shop")]
    /// # struct Order { #[model(primary_key)] id: i64, user_id: i64 }
    /// // error: bindery: the two models live on different binds, …
    /// let users = find::<User>().select((User::COLUMNS.id,));
    /// let orders = find::<Order>().filter_in(Order::COLUMNS.user_id, users);
    /// ```
    pub fn filter_in<T, N: Model + SameBind<M>>(
        mut self,
        column: Column<M, T>,
        sub: Projected<N, (Column<N, T>,)>,
    ) -> Self {
        let item = SelectItem::Column(sub.projection.0.name());
        let filter = Filter::in_subquery(column.name(), item, &sub.find.select);
        self.select.filter(filter);
        self
    }

    /// Keyset pagination: the rows whose `column` comes after `last` (the last row of the
    /// previous page), ordered by `column` first. Unlike an offset, it does not read the
    /// pages before; `column` should be unique (the key), or add one that breaks ties.
    pub fn after<T>(mut self, column: Column<M, T>, last: impl Operand<T>) -> Self {
        self.select.filter(column.gt(last));
        self.select.order_first(column.asc());
        self
    }

    /// Skips the first `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.select.offset(n);
        self
    }

    /// Reads the bind's primary, even where a replica could serve (rows this request
    /// must see at once, a read before a write that depends on it).
    pub fn on_primary(self) -> Self {
        self.read_from(ReadFrom::Primary)
    }

    /// Reads a replica even inside a session's transaction that wrote to the bind (its
    /// uncommitted rows are not there); still the primary when no replica can serve.
    pub fn on_replica(self) -> Self {
        self.read_from(ReadFrom::Replica)
    }

    fn read_from(mut self, from: ReadFrom) -> Self {
        let policy = self.select.read_policy();
        self.select.set_read_policy(ReadPolicy { from, ..policy });
        self
    }

    /// Skips replicas measured further behind their primary than `bound`: with none
    /// near enough, the primary serves the read.
    pub fn max_staleness(mut self, bound: std::time::Duration) -> Self {
        let policy = self.select.read_policy();
        self.select.set_read_policy(ReadPolicy {
            max_staleness: Some(bound),
            ..policy
        });
        self
    }

    /// Every matching row.
    pub async fn all<'a>(&self, on: impl Into<On<'a>>) -> Result<Vec<M>, Error> {
        models(on.into(), &self.select).await
    }

    /// The first matching row, if any.
    pub async fn first<'a>(&self, on: impl Into<On<'a>>) -> Result<Option<M>, Error> {
        let mut select = self.select.clone();
        select.limit(1);
        Ok(models(on.into(), &select).await?.pop())
    }

    /// The one matching row; an error when there is none or more than one.
    pub async fn one<'a>(&self, on: impl Into<On<'a>>) -> Result<M, Error> {
        let mut select = self.select.clone();
        select.limit(2);
        let rows = models(on.into(), &select).await?;
        exactly_one::<M, _>(rows)
    }

    /// How many rows match (after limit and offset, if given).
    pub async fn count<'a>(&self, on: impl Into<On<'a>>) -> Result<u64, Error> {
        let rows = run(on.into(), &self.select, true).await?;
        let count = rows
            .first()
            .and_then(|row| row.first())
            .and_then(Value::as_i64)
            .unwrap_or(0);
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

impl<M: Model> Find<M> {
    /// Every matching row as a stream, read from the database as the stream is read: a
    /// table of any size in flat memory. Each row must come within the bind's statement
    /// timeout.
    ///
    /// On a [`Db`] it runs on a pooled connection of its own, outside any transaction,
    /// at most a few hundred rows ahead of the reader; it holds the connection until the
    /// stream ends or is dropped, and closes it if a row fails or the stream is dropped
    /// mid-way.
    ///
    /// On a [`Session`] it first flushes the session's pending inserts, then reads where
    /// the session's other reads of the bind run (its transaction, so it sees the
    /// session's own uncommitted writes; on SQLite, before the session writes there, the
    /// connection it holds for reads), one row at a time. The stream borrows the session
    /// until it is dropped. A row that fails or does not come in time ends the stream with
    /// the error and leaves the session needing [`Session::rollback`], as any failed
    /// statement does. Dropped mid-way, the stream leaves the transaction usable: the
    /// rows it did not read are read off (and thrown away) before the next statement.
    ///
    /// ```no_run
    /// # use bindery::{Db, Error, Model};
    /// # #[derive(Model)] struct Event { #[model(primary_key)] id: i64 }
    /// # async fn run(db: Db) -> Result<(), Error> {
    /// use futures_util::TryStreamExt as _;
    /// let mut events = bindery::find::<Event>().stream(&db).await?;
    /// while let Some(event) = events.try_next().await? {
    ///     // one row at a time
    /// }
    /// let mut session = db.session();
    /// session.add(Event { id: 0 });
    /// let mut in_session = bindery::find::<Event>().stream(&mut session).await?;
    /// while let Some(event) = in_session.try_next().await? {
    ///     // the added event among them
    /// }
    /// drop(in_session);
    /// session.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn stream<'a>(
        &self,
        on: impl Into<On<'a>>,
    ) -> Result<futures_util::stream::BoxStream<'a, Result<M, Error>>, Error>
    where
        M: Send + 'a,
    {
        match on.into() {
            On::Session(session) => session.stream_select(&self.select).await,
            On::Db(db) => db.stream_select(&self.select).await,
        }
    }

    /// Whether any row matches (`SELECT COUNT(*) FROM (SELECT 1 … LIMIT 1)`: the
    /// database stops at the first).
    pub async fn exists<'a>(&self, on: impl Into<On<'a>>) -> Result<bool, Error> {
        let mut select = self.select.clone();
        select.limit(1);
        let rows = run(on.into(), &select, true).await?;
        Ok(rows
            .first()
            .and_then(|row| row.first())
            .and_then(Value::as_i64)
            .is_some_and(|n| n > 0))
    }

    /// Page `page` (from 1) of `per_page` rows, in the query's order, with the total the
    /// query matches: two statements, the page and its count. Give the query an
    /// `order_by`, or pages may overlap. Refused for a query that has its own limit or
    /// offset, for page 0 and for `per_page` 0.
    pub async fn paginate<'a>(
        &self,
        on: impl Into<On<'a>>,
        page: u64,
        per_page: u64,
    ) -> Result<Page<M>, Error> {
        let refuse = |reason| Error::Unsupported {
            bind: M::TABLE.bind().into(),
            model: M::TABLE.rust_type,
            reason,
        };
        if self.select.is_paged() {
            return Err(refuse("pages of a query that has its own limit or offset"));
        }
        if page == 0 || per_page == 0 {
            return Err(refuse("page 0 or pages of 0 rows: pages count from 1"));
        }
        let mut on = on.into();
        let mut select = self.select.clone();
        select.limit(per_page);
        select.offset((page - 1).saturating_mul(per_page));
        let items = models(on.reborrow(), &select).await?;
        let total = self.count(on).await?;
        Ok(Page {
            items,
            page,
            per_page,
            total,
        })
    }

    /// Sets `changes` on every matching row, in one `UPDATE … WHERE` (SQLAlchemy's
    /// `update(User).where(…).values(…)`); returns how many rows it changed. On a `Db` it
    /// runs alone (atomic by itself); on a session, in its transaction. Refused for an
    /// ordered or paged query, and when `changes` is empty.
    pub async fn update<'a>(
        &self,
        on: impl Into<On<'a>>,
        changes: impl IntoIterator<Item = Assignment<M>>,
    ) -> Result<u64, Error> {
        let mut changes: Vec<Assignment<M>> = changes.into_iter().collect();
        let bulk = Bulk::Update(&mut changes);
        match on.into() {
            On::Session(session) => session.run_bulk(&self.select, bulk).await,
            On::Db(db) => db.run_bulk(&self.select, bulk).await,
        }
    }

    /// Deletes every matching row, in one `DELETE … WHERE`; returns how many. Refused for
    /// an ordered or paged query.
    pub async fn delete<'a>(&self, on: impl Into<On<'a>>) -> Result<u64, Error> {
        match on.into() {
            On::Session(session) => session.run_bulk(&self.select, Bulk::Delete).await,
            On::Db(db) => db.run_bulk(&self.select, Bulk::Delete).await,
        }
    }
}

/// The only row of `rows` (read with a limit of 2); an error naming model `M` when there
/// is none or more than one.
fn exactly_one<M: Model, R>(mut rows: Vec<R>) -> Result<R, Error> {
    let found = match (rows.pop(), rows.is_empty()) {
        (Some(row), true) => return Ok(row),
        (None, _) => "none",
        (Some(_), false) => "more than one",
    };
    Err(Error::NotOne {
        bind: M::TABLE.bind().into(),
        model: M::TABLE.rust_type,
        found,
    })
}

pub(crate) async fn run<M: Model>(
    on: On<'_>,
    select: &Select<M>,
    count: bool,
) -> Result<Vec<Vec<Value>>, Error> {
    let shape = if count { Shape::Count } else { Shape::Rows };
    run_shape(on, select, shape).await
}

/// The rows `select` matches, each read straight into the model as it is fetched, and
/// with `keep`, the value of that column of each (a loader's key), one per row. A row
/// that does not fit `M` is `Error::Decode`, after the statement has read its rows (a
/// session stays usable, as after `decode`).
pub(crate) async fn read<M: Model>(
    on: On<'_>,
    select: &Select<M>,
    keep: Option<usize>,
) -> Result<(Vec<M>, Vec<Value>), Error> {
    let mut models = Models::<M>::new(keep);
    run_shape(on, select, Shape::Models(&mut models)).await?;
    models.keyed().map_err(misfit::<M>)
}

/// The rows `select` matches, as models.
async fn models<M: Model>(on: On<'_>, select: &Select<M>) -> Result<Vec<M>, Error> {
    Ok(read(on, select, None).await?.0)
}

async fn run_shape<M: Model>(
    on: On<'_>,
    select: &Select<M>,
    shape: Shape<'_, M>,
) -> Result<Vec<Vec<Value>>, Error> {
    match on {
        On::Session(session) => session.run_select(select, shape).await,
        On::Db(db) => db.run_select(select, shape).await,
    }
}

/// Model `M`'s rows, each with the row of model `N` its foreign key (or link) points at,
/// in one `INNER JOIN` on their shared bind: `find::<Line>().join::<Order>(l.order_id)`.
/// Diesel's `inner_join`; SeaORM's `find_also_related`. Filters and order are `M`'s.
#[must_use = "a query does nothing until `all` or `first` runs it"]
pub struct Joined<M: Model, N: Model> {
    find: Find<M>,
    on: &'static str,
    _other: std::marker::PhantomData<fn() -> N>,
}

impl<M: Model> Find<M> {
    /// Each row with the row of `N` that `column` points at (a declared foreign key or
    /// link of `M` to `N`); rows whose column points at nothing are left out. Both models
    /// must live in one bind ([`SameBind`]): a join across binds does not compile (one
    /// statement runs on one database; `parents_of` loads across binds). A join of a
    /// table with itself, or through a column that is no declared relation, is refused
    /// when the query runs (`Error::Unsupported`).
    ///
    /// ```compile_fail,E0277
    /// # use bindery::{Model, find};
    /// # #[derive(Model)] #[model(bind_key = "auth")]
    /// # struct User { #[model(primary_key)] id: i64 }
    /// # #[derive(Model)] #[model(bind_key = "shop")]
    /// # struct Order { #[model(primary_key)] id: i64, #[model(link = User)] user_id: i64 }
    /// // error: bindery: the two models live on different binds, …
    /// let pairs = find::<Order>().join::<User, _>(Order::COLUMNS.user_id);
    /// ```
    pub fn join<N: Model + SameBind<M>, T>(self, column: Column<M, T>) -> Joined<M, N> {
        Joined {
            find: self,
            on: column.name(),
            _other: std::marker::PhantomData,
        }
    }
}

impl<M: Model, N: Model> Joined<M, N> {
    /// Every joined pair, in the query's order.
    pub async fn all<'a>(&self, on: impl Into<On<'a>>) -> Result<Vec<(M, N)>, Error> {
        self.pairs(on.into(), &self.find.select).await
    }

    /// The first joined pair, if any.
    pub async fn first<'a>(&self, on: impl Into<On<'a>>) -> Result<Option<(M, N)>, Error> {
        let mut select = self.find.select.clone();
        select.limit(1);
        Ok(self.pairs(on.into(), &select).await?.pop())
    }

    async fn pairs(&self, on: On<'_>, select: &Select<M>) -> Result<Vec<(M, N)>, Error> {
        let refuse = |reason| Error::Unsupported {
            bind: M::TABLE.bind().into(),
            model: M::TABLE.rust_type,
            reason,
        };
        // `join` asked the compiler for one bind (`SameBind`), but of a hash of the keys:
        // two keys that hash alike would pass it, so the keys themselves are compared too.
        if M::TABLE.bind_key != N::TABLE.bind_key {
            return Err(refuse(
                "a join across binds: one statement runs on one database (load the other rows with parents_of)",
            ));
        }
        if std::ptr::eq(M::TABLE, N::TABLE) {
            return Err(refuse("a join of a table with itself"));
        }
        let Some(key) = M::TABLE.points_at(self.on, N::TABLE) else {
            return Err(refuse(
                "a join through a column that is not a declared foreign key or link to the other model",
            ));
        };
        let kinds: Vec<ValueKind> = M::KINDS.iter().chain(N::KINDS).copied().collect();
        let shape = Shape::Join {
            other: N::TABLE,
            on: self.on,
            key,
            kinds: &kinds,
        };
        let rows = run_shape(on, select, shape).await?;
        rows.into_iter()
            .map(|mut values| {
                let other = values.split_off(M::KINDS.len());
                Ok((decode::<M>(values)?, decode::<N>(other)?))
            })
            .collect()
    }
}

/// A query of some columns and aggregates of model `M`'s rows, read into tuples of type
/// `P::Row`: `find::<Order>().select((c.store_id, c.total.sum())).group_by(c.store_id)`.
/// SQLAlchemy's `with_only_columns` and `func.sum`, SeaORM's `select_only().column_as()
/// .group_by().into_tuple()`. Aggregates are read as one Rust type on every dialect.
#[must_use = "a query does nothing until `all`, `first` or `one` runs it"]
pub struct Projected<M: Model, P> {
    find: Find<M>,
    projection: P,
    group_by: Vec<&'static str>,
    /// `HAVING`, kept as a SELECT's filter.
    having: Select<M>,
    distinct: bool,
}

impl<M: Model> Find<M> {
    /// These columns and aggregates instead of whole rows.
    pub fn select<P: Projection<M>>(self, projection: P) -> Projected<M, P> {
        Projected {
            find: self,
            projection,
            group_by: Vec::new(),
            having: Select::default(),
            distinct: false,
        }
    }
}

impl<M: Model, P: Projection<M>> Projected<M, P> {
    /// One row per value of `column` (and of the other `group_by` columns).
    pub fn group_by<T>(mut self, column: Column<M, T>) -> Self {
        self.group_by.push(column.name());
        self
    }

    /// Keeps the groups whose aggregates match: `HAVING` (`c.total.sum().gt(100)`);
    /// every condition given must hold.
    pub fn having(mut self, filter: Filter<M>) -> Self {
        self.having.filter(filter);
        self
    }

    /// Each distinct row once: `SELECT DISTINCT`.
    pub fn distinct(mut self) -> Self {
        self.distinct = true;
        self
    }

    /// Every row, in the query's order.
    pub async fn all<'a>(&self, on: impl Into<On<'a>>) -> Result<Vec<P::Row>, Error> {
        self.rows(on.into(), &self.find.select).await
    }

    /// The first row, if any.
    pub async fn first<'a>(&self, on: impl Into<On<'a>>) -> Result<Option<P::Row>, Error> {
        let mut select = self.find.select.clone();
        select.limit(1);
        Ok(self.rows(on.into(), &select).await?.pop())
    }

    /// The one row (an aggregate of the whole table is one); an error when there is none
    /// or more than one.
    pub async fn one<'a>(&self, on: impl Into<On<'a>>) -> Result<P::Row, Error> {
        let mut select = self.find.select.clone();
        select.limit(2);
        let rows = self.rows(on.into(), &select).await?;
        exactly_one::<M, _>(rows)
    }

    async fn rows(&self, on: On<'_>, select: &Select<M>) -> Result<Vec<P::Row>, Error> {
        let items = self.projection.items();
        let shape = Shape::Projection {
            items: &items,
            group_by: &self.group_by,
            having: self.having.filter_of().is_some().then_some(&self.having),
            distinct: self.distinct,
            kinds: <P::Row as FromValues>::KINDS,
        };
        let rows = run_shape(on, select, shape).await?;
        rows.into_iter()
            .map(|values| {
                <P::Row as FromValues>::from_values(values).map_err(|e| Error::Decode {
                    bind: M::TABLE.bind().into(),
                    model: M::TABLE.rust_type,
                    reason: e.to_string(),
                })
            })
            .collect()
    }
}

/// A query over model `M` bound to a session, built from [`Session::query`]: a [`Find`]
/// that runs in that session. Filters come from the column handles the derive makes:
/// `User::COLUMNS.name.eq("ann")`.
#[must_use = "a query does nothing until `all`, `first`, `one` or `count` runs it"]
pub struct Query<'s, M: Model> {
    session: &'s mut Session,
    find: Find<M>,
}

// The session's entry to queries lives here, with the queries, so that the session
// module does not import the module that imports it.
impl Session {
    /// A query over model `M`'s rows: filter, order, page, then `all`, `first`, `one` or
    /// `count`.
    pub fn query<M: Model>(&mut self) -> Query<'_, M> {
        Query {
            session: self,
            find: find::<M>(),
        }
    }
}

impl<M: Model> Query<'_, M> {
    /// Keeps the rows that match; every filter given must hold.
    pub fn filter(mut self, filter: Filter<M>) -> Self {
        self.find = self.find.filter(filter);
        self
    }

    /// Orders the rows; later orderings break ties of earlier ones.
    pub fn order_by(mut self, order: Order<M>) -> Self {
        self.find = self.find.order_by(order);
        self
    }

    /// At most `n` rows.
    pub fn limit(mut self, n: u64) -> Self {
        self.find = self.find.limit(n);
        self
    }

    /// Skips the first `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.find = self.find.offset(n);
        self
    }

    /// The query as a value, to run again elsewhere.
    pub fn into_find(self) -> Find<M> {
        self.find
    }

    /// Every matching row.
    pub async fn all(self) -> Result<Vec<M>, Error> {
        self.find.all(self.session).await
    }

    /// The first matching row, if any.
    pub async fn first(self) -> Result<Option<M>, Error> {
        self.find.first(self.session).await
    }

    /// The one matching row; an error when there is none or more than one.
    pub async fn one(self) -> Result<M, Error> {
        self.find.one(self.session).await
    }

    /// How many rows match (after limit and offset, if given).
    pub async fn count(self) -> Result<u64, Error> {
        self.find.count(self.session).await
    }
}
