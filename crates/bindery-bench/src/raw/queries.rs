//! Raw sqlx's side of the query phases: the same statements written by hand, on one
//! connection per bind acquired at the phase's first block and held to its last (a bindery session holds one), each
//! statement's text built once and handed over as an `Arc<str>` (sqlx prepares it once
//! per connection and caches it, as it does bindery's).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bindery::KEYS_PER_SELECT;
use bindery::sqlx::{self, AssertSqlSafe};

use super::{Raw, RawConn, err};
use crate::fixture::{
    AGGREGATES, Groups, Order, PAGE, PAGE_LOADED, PAGES, PROJECTIONS, User, aggregate_bound,
    page_starts, projection_bound, projection_rows,
};
use crate::interleave::{AGGREGATES_BLOCK, Block, PAGES_BLOCK, PROJECTIONS_BLOCK};
use crate::queries::check;

/// `query.fetch_all` on a held connection, whichever its driver (`query` is written once
/// and typed per arm).
macro_rules! fetch_all {
    ($conn:expr, $query:expr) => {
        match $conn {
            RawConn::Sqlite(c) => $query.fetch_all(&mut **c).await,
            RawConn::Postgres(c) => $query.fetch_all(&mut **c).await,
            RawConn::MySql(c) => $query.fetch_all(&mut **c).await,
        }
    };
}

/// `query_as` of rows `$row`, each of `keys` bound in turn (written out per driver by
/// `fetch_all!`).
macro_rules! bind_all {
    ($row:ty, $sql:expr, $keys:expr) => {{
        let mut query = sqlx::query_as::<_, $row>(AssertSqlSafe(Arc::clone(&$sql)));
        for key in $keys {
            query = query.bind(*key);
        }
        query
    }};
}

impl RawConn {
    /// The `n`th placeholder (from 1).
    fn param(&self, n: usize) -> String {
        match self {
            RawConn::Postgres(_) => format!("${n}"),
            _ => "?".to_owned(),
        }
    }

    fn quote(&self, name: &str) -> String {
        match self {
            RawConn::MySql(_) => format!("`{name}`"),
            _ => format!("\"{name}\""),
        }
    }

    /// `head` followed by `IN (…)` of `n` placeholders.
    fn in_list(&self, head: &str, n: usize) -> Arc<str> {
        let params: Vec<String> = (1..=n).map(|i| self.param(i)).collect();
        format!("{head} IN ({})", params.join(", ")).into()
    }
}

/// Statements whose text depends on how many keys they name, each built once.
struct InLists {
    head: String,
    built: HashMap<usize, Arc<str>>,
}

impl InLists {
    fn new(head: String) -> InLists {
        InLists {
            head,
            built: HashMap::new(),
        }
    }

    fn sql(&mut self, conn: &RawConn, n: usize) -> Arc<str> {
        let sql = self
            .built
            .entry(n)
            .or_insert_with(|| conn.in_list(&self.head, n));
        Arc::clone(sql)
    }
}

impl Raw {
    /// The same projections as bindery's, on its own copies of the first table of each
    /// bind (the same rows), on one connection per bind acquired at the first block and
    /// held to the last.
    pub(crate) fn projections(&self) -> impl AsyncFnMut(Block) -> Result<(), String> {
        let mut held = Vec::with_capacity(3);
        let mut selects: Vec<Arc<str>> = Vec::with_capacity(3);
        let mut read = 0;
        async move |block| {
            if block.first {
                for pool in &self.pools {
                    held.push(pool.acquire().await.map_err(err)?);
                }
                selects = held
                    .iter()
                    .zip(&self.tables[..3])
                    .map(|(conn, table)| {
                        let (table, n) = (conn.quote(&table.name), conn.param(1));
                        format!("SELECT id, price FROM {table} WHERE qty < {n}").into()
                    })
                    .collect();
            }
            for i in block.items(PROJECTIONS_BLOCK, PROJECTIONS) {
                let (conn, sql) = (&mut held[i % 3], &selects[i % 3]);
                let got = fetch_all!(
                    conn,
                    sqlx::query_as::<_, (i32, f64)>(AssertSqlSafe(Arc::clone(sql)))
                        .bind(projection_bound(i))
                )
                .map_err(err)?;
                read += got.len();
            }
            if block.last {
                held.clear();
                check("projected rows", read, projection_rows(self.rows))?;
            }
            Ok(())
        }
    }

    /// The same aggregates as bindery's, of the same orders, on one connection to `shop`
    /// acquired at the first block and held to the last.
    pub(crate) fn aggregates(&self) -> impl AsyncFnMut(Block) -> Result<(), String> {
        let mut held: Option<(RawConn, Arc<str>)> = None;
        let mut groups = Groups::default();
        async move |block| {
            if block.first {
                let shop = self.pools[2].acquire().await.map_err(err)?;
                // MariaDB and MySQL return DECIMAL for SUM of an INTEGER: cast back to a
                // BIGINT in SQL (read as i64), as bindery does; PostgreSQL's SUM(INTEGER)
                // is already a BIGINT, and SQLite's an integer.
                let sum = match shop {
                    RawConn::MySql(_) => "CAST(SUM(qty) AS SIGNED)",
                    _ => "SUM(qty)",
                };
                let sql = format!(
                    "SELECT user_id, COUNT(*), {sum} FROM {} WHERE user_id < {} GROUP BY user_id",
                    shop.quote("bench_order"),
                    shop.param(1)
                );
                held = Some((shop, sql.into()));
            }
            let Some((shop, sql)) = &mut held else {
                return Err("no connection held".to_owned());
            };
            for i in block.items(AGGREGATES_BLOCK, AGGREGATES) {
                let got = fetch_all!(
                    &mut *shop,
                    sqlx::query_as::<_, (i32, i64, Option<i64>)>(AssertSqlSafe(Arc::clone(sql)))
                        .bind(aggregate_bound(i))
                )
                .map_err(err)?;
                groups.add(&got);
            }
            if block.last {
                held = None;
                groups.check()?;
            }
            Ok(())
        }
    }

    /// The same loader pages as bindery's, by hand, on one connection to `auth` and one
    /// to `shop` acquired at the first block (the statements' text built then, once) and
    /// held to the last.
    pub(crate) fn loads(&self) -> impl AsyncFnMut(Block) -> Result<(), String> {
        let mut held: Option<(RawConn, RawConn, Loader)> = None;
        let mut loaded = 0;
        async move |block| {
            if block.first {
                let auth = self.pools[1].acquire().await.map_err(err)?;
                let shop = self.pools[2].acquire().await.map_err(err)?;
                let loader = Loader::new(&auth, &shop);
                held = Some((auth, shop, loader));
            }
            let Some((auth, shop, loader)) = &mut held else {
                return Err("no connection held".to_owned());
            };
            for p in block.items(PAGES_BLOCK, PAGES) {
                loaded += loader.page(auth, shop, p).await.map_err(err)?;
            }
            if block.last {
                held = None;
                check("loaded rows", loaded, PAGES * PAGE_LOADED)?;
            }
            Ok(())
        }
    }
}

type OrderRow = (i32, i32, i32, f64);

fn order((id, user_id, qty, price): OrderRow) -> Order {
    Order {
        id,
        user_id,
        qty,
        price,
    }
}

/// Each key once, in the order first seen, as bindery's loaders send them.
fn distinct(keys: impl Iterator<Item = i32>) -> Vec<i32> {
    let mut seen = HashSet::new();
    keys.filter(|k| seen.insert(*k)).collect()
}

/// What `queries::page` does, by hand: a page of orders, then their users in one
/// `IN (…)` on the other bind, matched up through a map by key; a page of users, then
/// their orders in one `IN (…)`, grouped by user. Each statement's text built once.
struct Loader {
    orders_page: Arc<str>,
    users_page: Arc<str>,
    users_by_id: InLists,
    orders_by_user: InLists,
}

impl Loader {
    fn new(auth: &RawConn, shop: &RawConn) -> Loader {
        let (users, orders) = (auth.quote("bench_user"), shop.quote("bench_order"));
        Loader {
            orders_page: format!(
                "SELECT id, user_id, qty, price FROM {orders} WHERE id > {} ORDER BY id ASC LIMIT {PAGE}",
                shop.param(1)
            )
            .into(),
            users_page: format!(
                "SELECT id, name FROM {users} WHERE id > {} ORDER BY id ASC LIMIT {PAGE}",
                auth.param(1)
            )
            .into(),
            users_by_id: InLists::new(format!("SELECT id, name FROM {users} WHERE id")),
            orders_by_user: InLists::new(format!(
                "SELECT id, user_id, qty, price FROM {orders} WHERE user_id"
            )),
        }
    }

    /// Page `p`: the rows it loaded.
    async fn page(
        &mut self,
        auth: &mut RawConn,
        shop: &mut RawConn,
        p: usize,
    ) -> Result<usize, sqlx::Error> {
        let (orders_after, users_after) = page_starts(p);

        let page: Vec<Order> = fetch_all!(
            &mut *shop,
            sqlx::query_as::<_, OrderRow>(AssertSqlSafe(Arc::clone(&self.orders_page)))
                .bind(orders_after)
        )?
        .into_iter()
        .map(order)
        .collect();
        let keys = distinct(page.iter().map(|o| o.user_id));
        let mut by_id: HashMap<i32, User> = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(KEYS_PER_SELECT) {
            let sql = self.users_by_id.sql(auth, chunk.len());
            let found = fetch_all!(&mut *auth, bind_all!((i32, String), sql, chunk))?;
            by_id.extend(found.into_iter().map(|(id, name)| (id, User { id, name })));
        }
        let parents: Vec<Option<User>> = page
            .iter()
            .map(|o| by_id.get(&o.user_id).cloned())
            .collect();
        let mut loaded = parents.iter().flatten().count();

        let page: Vec<User> = fetch_all!(
            &mut *auth,
            sqlx::query_as::<_, (i32, String)>(AssertSqlSafe(Arc::clone(&self.users_page)))
                .bind(users_after)
        )?
        .into_iter()
        .map(|(id, name)| User { id, name })
        .collect();
        let keys = distinct(page.iter().map(|u| u.id));
        let mut groups: HashMap<i32, Vec<Order>> = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(KEYS_PER_SELECT) {
            let sql = self.orders_by_user.sql(shop, chunk.len());
            for row in fetch_all!(&mut *shop, bind_all!(OrderRow, sql, chunk))? {
                groups.entry(row.1).or_default().push(order(row));
            }
        }
        let children: Vec<Vec<Order>> = page
            .iter()
            .map(|u| groups.remove(&u.id).unwrap_or_default())
            .collect();
        loaded += children.iter().map(Vec::len).sum::<usize>();
        Ok(loaded)
    }
}
