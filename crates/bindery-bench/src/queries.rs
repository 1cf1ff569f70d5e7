//! Bindery's side of the query phases: projections, grouped aggregates and loading across
//! binds, each as a user writes it, in one session (which holds one connection per bind,
//! as raw sqlx's side holds one).

use std::time::Instant;

use bindery::{Db, Error, Model, count, find};

use crate::fixture::{
    AGGREGATES, Groups, Order, PAGE, PAGE_LOADED, PAGES, PROJECTIONS, User, aggregate_bound,
    page_starts, projection_bound, projection_rows,
};
use crate::workload::{T0, T1, T2};

/// Per second: projections, aggregates and loader pages.
pub(crate) struct Rates {
    pub(crate) projection: f64,
    pub(crate) aggregate: f64,
    pub(crate) load_pages: f64,
}

/// `SELECT id, price … WHERE qty < n`, round-robin over the three binds' first models,
/// then `user_id, COUNT(*), SUM(qty) … WHERE user_id < n GROUP BY user_id` of the orders.
pub(crate) async fn projections(db: &Db, rows: usize) -> Result<Rates, String> {
    let err = |e: Error| e.to_string();
    let started = Instant::now();
    let mut session = db.session();
    let mut read = 0;
    for i in 0..PROJECTIONS {
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
    session.commit().await.map_err(err)?;
    let projection = PROJECTIONS as f64 / started.elapsed().as_secs_f64();
    check("projected rows", read, projection_rows(rows))?;

    let started = Instant::now();
    let mut session = db.session();
    let mut groups = Groups::default();
    let o = Order::COLUMNS;
    for i in 0..AGGREGATES {
        let got: Vec<(i32, i64, Option<i64>)> = find::<Order>()
            .filter(o.user_id.lt(aggregate_bound(i)))
            .select((o.user_id, count(), o.qty.sum()))
            .group_by(o.user_id)
            .all(&mut session)
            .await
            .map_err(err)?;
        groups.add(&got);
    }
    session.commit().await.map_err(err)?;
    let aggregate = AGGREGATES as f64 / started.elapsed().as_secs_f64();
    groups.check()?;

    let (load_pages, loaded) = load(db).await.map_err(err)?;
    check("loaded rows", loaded, PAGES * PAGE_LOADED)?;
    Ok(Rates {
        projection,
        aggregate,
        load_pages,
    })
}

/// Pages of 50 orders (`shop`) with their users (`auth`), and of 50 users with their
/// orders: `parents_of` and `children_of`, one SELECT on the other bind each.
async fn load(db: &Db) -> Result<(f64, usize), Error> {
    let (o, u) = (Order::COLUMNS, User::COLUMNS);
    let started = Instant::now();
    let mut session = db.session();
    let mut loaded = 0;
    for p in 0..PAGES {
        let (orders_after, users_after) = page_starts(p);
        let orders = find::<Order>()
            .filter(o.id.gt(orders_after))
            .order_by(o.id.asc())
            .limit(PAGE as u64)
            .all(&mut session)
            .await?;
        let users = find::<User>()
            .parents_of(&orders, o.user_id, &mut session)
            .await?;
        loaded += users.iter().flatten().count();
        let users = find::<User>()
            .filter(u.id.gt(users_after))
            .order_by(u.id.asc())
            .limit(PAGE as u64)
            .all(&mut session)
            .await?;
        let orders = find::<Order>()
            .children_of(&users, o.user_id, &mut session)
            .await?;
        loaded += orders.iter().map(Vec::len).sum::<usize>();
    }
    session.commit().await?;
    Ok((PAGES as f64 / started.elapsed().as_secs_f64(), loaded))
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
