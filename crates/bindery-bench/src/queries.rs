//! Bindery's side of the query phases: projections, grouped aggregates and loading across
//! binds, each as a user writes it, in one session per phase (which holds one connection
//! per bind, as raw sqlx's side holds one), block by block.

use bindery::{Error, Model, Session, count, find};

use crate::fixture::{
    AGGREGATES, Groups, Order, PAGE, PAGE_LOADED, PAGES, PROJECTIONS, User, aggregate_bound,
    page_starts, projection_bound, projection_rows,
};
use crate::interleave::{AGGREGATES_BLOCK, Block, PAGES_BLOCK, PROJECTIONS_BLOCK};
use crate::workload::{Bindery, T0, T1, T2, err};

impl Bindery {
    /// `SELECT id, price … WHERE qty < n`, round-robin over the three binds' first
    /// models, in one session, `PROJECTIONS_BLOCK` a block, then `commit`.
    pub(crate) fn projections(&self) -> impl AsyncFnMut(Block) -> Result<(), String> {
        let mut session = self.db.session();
        let mut read = 0;
        async move |block| {
            for i in block.items(PROJECTIONS_BLOCK, PROJECTIONS) {
                let n = projection_bound(i);
                macro_rules! project {
                    ($model:ty) => {{
                        let c = <$model>::COLUMNS;
                        let got: Vec<(i32, f64)> = find::<$model>()
                            .filter(c.qty.lt(n))
                            .select((c.id, c.price))
                            .all(&mut session)
                            .await
                            .map_err(err)?;
                        got.len()
                    }};
                }
                read += match i % 3 {
                    0 => project!(T0),
                    1 => project!(T1),
                    _ => project!(T2),
                };
            }
            if block.last {
                session.commit().await.map_err(err)?;
                check("projected rows", read, projection_rows(self.rows))?;
            }
            Ok(())
        }
    }

    /// `user_id, COUNT(*), SUM(qty) … WHERE user_id < n GROUP BY user_id` of the orders,
    /// in one session, `AGGREGATES_BLOCK` a block, then `commit`.
    pub(crate) fn aggregates(&self) -> impl AsyncFnMut(Block) -> Result<(), String> {
        let mut session = self.db.session();
        let mut groups = Groups::default();
        let o = Order::COLUMNS;
        async move |block| {
            for i in block.items(AGGREGATES_BLOCK, AGGREGATES) {
                let got: Vec<(i32, i64, Option<i64>)> = find::<Order>()
                    .filter(o.user_id.lt(aggregate_bound(i)))
                    .select((o.user_id, count(), o.qty.sum()))
                    .group_by(o.user_id)
                    .all(&mut session)
                    .await
                    .map_err(err)?;
                groups.add(&got);
            }
            if block.last {
                session.commit().await.map_err(err)?;
                groups.check()?;
            }
            Ok(())
        }
    }

    /// Pages of 50 orders (`shop`) with their users (`auth`), and of 50 users with their
    /// orders: `parents_of` and `children_of`, one SELECT on the other bind each; in one
    /// session, `PAGES_BLOCK` pages a block, then `commit`.
    pub(crate) fn loads(&self) -> impl AsyncFnMut(Block) -> Result<(), String> {
        let mut session = self.db.session();
        let mut loaded = 0;
        async move |block| {
            for p in block.items(PAGES_BLOCK, PAGES) {
                loaded += page(&mut session, p).await.map_err(err)?;
            }
            if block.last {
                session.commit().await.map_err(err)?;
                check("loaded rows", loaded, PAGES * PAGE_LOADED)?;
            }
            Ok(())
        }
    }
}

/// Loader page `p`: the rows it loaded.
async fn page(session: &mut Session, p: usize) -> Result<usize, Error> {
    let (o, u) = (Order::COLUMNS, User::COLUMNS);
    let (orders_after, users_after) = page_starts(p);
    let orders = find::<Order>()
        .filter(o.id.gt(orders_after))
        .order_by(o.id.asc())
        .limit(PAGE as u64)
        .all(&mut *session)
        .await?;
    let users = find::<User>()
        .parents_of(&orders, o.user_id, &mut *session)
        .await?;
    let mut loaded = users.iter().flatten().count();
    let users = find::<User>()
        .filter(u.id.gt(users_after))
        .order_by(u.id.asc())
        .limit(PAGE as u64)
        .all(&mut *session)
        .await?;
    let orders = find::<Order>()
        .children_of(&users, o.user_id, &mut *session)
        .await?;
    loaded += orders.iter().map(Vec::len).sum::<usize>();
    Ok(loaded)
}

/// That an implementation read what the phase is meant to read: the same work on both.
pub(crate) fn check<T: PartialEq + std::fmt::Debug>(
    what: &str,
    got: T,
    expected: T,
) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, expected {expected:?}"))
    }
}
