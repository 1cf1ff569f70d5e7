//! What the query phases read, and how much of it: projections and aggregates over rows
//! the workload inserted, and a pair of models across binds for the loaders — users on
//! `auth`, orders on `shop` linking to them — created and filled once per process, before
//! the runs, so that both implementations read the very same rows.

use bindery::{Binds, Db, Model, Registry};

use crate::servers::Places;
use crate::workload::Bench;

/// Filtered projections per run, round-robin over the first model of each bind.
pub(crate) const PROJECTIONS: usize = 600;
/// Grouped aggregates of orders per run.
pub(crate) const AGGREGATES: usize = 300;
/// Loader pages per run: each one page of orders with their users, and one page of users
/// with their orders.
pub(crate) const PAGES: usize = 100;
/// Rows per page, as issue 14 asks.
pub(crate) const PAGE: usize = 50;
pub(crate) const USERS: usize = 1_000;
pub(crate) const ORDERS: usize = 10_000;

/// A user, on `auth`.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "bench_user", bind_key = "auth")]
pub(crate) struct User {
    #[model(primary_key)]
    pub(crate) id: i32,
    #[model(length = 64)]
    pub(crate) name: String,
}

/// An order, on `shop`, placed by a user of `auth`: a link, since a foreign key cannot
/// leave its database; indexed, as a column loaded by would be.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "bench_order", bind_key = "shop")]
pub(crate) struct Order {
    #[model(primary_key)]
    pub(crate) id: i32,
    #[model(link = User, index)]
    pub(crate) user_id: i32,
    pub(crate) qty: i32,
    pub(crate) price: f64,
}

/// Order `i` (from 0) is placed by this user: two orders in a row by the same user, so
/// that a page of 50 orders names 25 distinct users (the loaders' keys are distinct), and
/// every user has `ORDERS / USERS` orders.
fn user_of(i: usize) -> i32 {
    i32::try_from((i / 2 * 7) % USERS + 1).unwrap_or(1)
}

/// The bound of projection `i`'s `qty < n`: 1 to 200 of the workload's rows.
pub(crate) fn projection_bound(i: usize) -> i32 {
    i32::try_from(1 + i * 37 % 200).unwrap_or(1)
}

/// The rows all projections together read, when each table holds `rows` rows (`qty` is
/// 0 … rows−1).
pub(crate) fn projection_rows(rows: usize) -> usize {
    (0..PROJECTIONS)
        .map(|i| usize::try_from(projection_bound(i)).map_or(0, |n| n.min(rows)))
        .sum()
}

/// The bound of aggregate `i`'s `user_id < n`: the orders of 10 to 59 users, a group each.
pub(crate) fn aggregate_bound(i: usize) -> i32 {
    i32::try_from(11 + i * 13 % 50).unwrap_or(11)
}

/// What the aggregates returned (user, orders, their `qty` summed), to check against
/// what they should have.
#[derive(Default)]
pub(crate) struct Groups {
    groups: usize,
    orders: i64,
}

impl Groups {
    pub(crate) fn add(&mut self, rows: &[(i32, i64, Option<i64>)]) {
        self.groups += rows.len();
        self.orders += rows.iter().map(|(_, n, _)| n).sum::<i64>();
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        crate::queries::check(
            "aggregate groups and orders",
            (self.groups, self.orders),
            aggregate_totals(),
        )
    }
}

/// The groups all aggregates together return, and the orders they count.
fn aggregate_totals() -> (usize, i64) {
    let per_user = (ORDERS / USERS) as i64;
    (0..AGGREGATES)
        .map(|i| usize::try_from(aggregate_bound(i) - 1).unwrap_or(0))
        .fold((0, 0), |(groups, orders), n| {
            (groups + n, orders + n as i64 * per_user)
        })
}

/// Where loader page `p` starts: the orders after this id, and the users after this id.
pub(crate) fn page_starts(p: usize) -> (i32, i32) {
    let orders = p % (ORDERS / PAGE) * PAGE;
    let users = p % (USERS / PAGE) * PAGE;
    (
        i32::try_from(orders).unwrap_or(0),
        i32::try_from(users).unwrap_or(0),
    )
}

/// What every loader page finds: a user for each of its orders, and the orders of each of
/// its users.
pub(crate) const PAGE_LOADED: usize = PAGE + PAGE * (ORDERS / USERS);

/// Creates the users and orders, once per process, through bindery (setup, not timed).
pub(crate) async fn create(places: &Places) -> Result<(), String> {
    let registry = Registry::from_tables([User::TABLE, Order::TABLE]);
    let db = Db::build_with_registry(Bench::config(places), registry).map_err(|e| e.to_string())?;
    let err = |e: bindery::Error| e.to_string();
    db.create_all(Binds::All).await.map_err(err)?;
    let mut session = db.session();
    session.add_all((1..=USERS).map(|id| User {
        id: 0,
        name: format!("user-{id}"),
    }));
    session.add_all((0..ORDERS).map(|i| Order {
        id: 0,
        user_id: user_of(i),
        qty: i32::try_from(i % 100).unwrap_or(0),
        price: i as f64 * 0.25,
    }));
    session.commit().await.map_err(err)?;
    db.close().await;
    Ok(())
}
