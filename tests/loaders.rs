//! Related rows loaded in batches across binds: a page of orders (bind `shop`) with their
//! users (bind `auth`, through a declared link) and their lines (bind `shop`, through a
//! foreign key) is three SELECTs, whatever the two binds run on. Every pair of backends
//! runs, by one generator.

// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use bindery::{Base, Binds, Config, Db, Error, Model, Sql, find};
use common::{ScratchDb, ScratchDir, Server};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "ld_user", bind_key = "auth")]
struct User {
    #[model(primary_key)]
    id: i64,
    #[model(length = 20)]
    name: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "ld_order", bind_key = "shop")]
struct Order {
    #[model(primary_key)]
    id: i64,
    #[model(link = User)]
    user_id: i64,
    #[model(length = 20)]
    note: String,
}

/// The bind of `Line`, inherited: `Line` and `Order` reach bind `shop` by different
/// paths, and the compiler still sees one bind (their join and subquery compile).
#[derive(Base)]
#[model(bind_key = "shop")]
struct ShopBase;

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "ld_line", parent = ShopBase)]
struct Line {
    #[model(primary_key)]
    id: i64,
    #[model(references = "ld_order.id")]
    order_id: i64,
    qty: i32,
}

/// A note on a user. Its table is made again by hand in
/// `a_row_that_does_not_fit_is_a_decode_error`, with `text` nullable.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "ld_note", bind_key = "auth")]
struct Note {
    #[model(primary_key)]
    id: i64,
    #[model(link = User)]
    user_id: i64,
    #[model(length = 20)]
    text: String,
}

/// `auth` and `shop` on the given backends (`None`: SQLite files), tables created.
struct Mixed {
    db: Db,
    _dir: ScratchDir,
    _servers: Vec<ScratchDb>,
}

async fn mixed(auth: Option<Server>, shop: Option<Server>, tag: &str) -> Option<Mixed> {
    let dir = ScratchDir::new(tag);
    let mut servers = Vec::new();
    let mut urls = Vec::new();
    for (server, bind) in [(auth, "auth"), (shop, "shop")] {
        urls.push(match server {
            None => format!("sqlite:///{bind}.db"),
            Some(server) => {
                let scratch = ScratchDb::new(server, &format!("{tag}_{bind}")).await?;
                let url = scratch.url().to_owned();
                servers.push(scratch);
                url
            }
        });
    }
    let config = Config::new()
        .bind("auth", &urls[0])
        .bind("shop", &urls[1])
        .sqlite_base_dir(dir.path())
        .record_queries(true);
    let db = Db::build(config).unwrap();
    db.create_all(Binds::All).await.unwrap();
    Some(Mixed {
        db,
        _dir: dir,
        _servers: servers,
    })
}

/// Five users; fifty orders, round robin over them; two lines per order.
async fn fill(db: &Db) {
    let mut session = db.session();
    let users = (1..=5)
        .map(|n| User {
            id: 0,
            name: format!("u{n}"),
        })
        .collect();
    let users = session.insert_all(users).await.unwrap();
    let orders = (0..50)
        .map(|n| Order {
            id: 0,
            user_id: users[n % 5].id,
            note: format!("o{n:02}"),
        })
        .collect();
    let orders = session.insert_all(orders).await.unwrap();
    session.add_all(orders.iter().flat_map(|o| {
        [1, 2].map(|qty| Line {
            id: 0,
            order_id: o.id,
            qty,
        })
    }));
    session.commit().await.unwrap();
}

/// Fifty orders, their users and their lines: exactly three SELECTs; every order gets its
/// own user and its own two lines; a column that is no declared relation is refused.
async fn a_page_with_its_users_and_lines_is_three_selects(db: &Db) {
    fill(db).await;
    db.take_recorded_queries();
    let orders = find::<Order>()
        .order_by(Order::COLUMNS.note.asc())
        .all(db)
        .await
        .unwrap();
    let users = find::<User>()
        .parents_of(&orders, Order::COLUMNS.user_id, db)
        .await
        .unwrap();
    let lines = find::<Line>()
        .order_by(Line::COLUMNS.qty.asc())
        .children_of(&orders, Line::COLUMNS.order_id, db)
        .await
        .unwrap();
    let selects: Vec<String> = db
        .take_recorded_queries()
        .into_iter()
        .map(|q| q.sql)
        .filter(|sql| sql.starts_with("SELECT"))
        .collect();
    assert_eq!(selects.len(), 3, "{selects:#?}");
    assert_eq!((orders.len(), users.len(), lines.len()), (50, 50, 50));
    for ((order, user), lines) in orders.iter().zip(&users).zip(&lines) {
        assert_eq!(user.as_ref().map(|u| u.id), Some(order.user_id));
        let qty: Vec<i32> = lines.iter().map(|l| l.qty).collect();
        assert_eq!(qty, [1, 2], "{order:?}");
        assert!(lines.iter().all(|l| l.order_id == order.id));
    }
    let refused = find::<User>()
        .parents_of(&orders, Order::COLUMNS.id, db)
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Unsupported { .. }), "{refused:?}");
    subqueries_stay_in_their_bind(db).await;
    joins_stay_in_their_bind(db).await;
    a_row_that_does_not_fit_is_a_decode_error(db, &users).await;
}

/// A row that does not fit its model (a NULL for a field that takes none), read straight
/// into the model, is `Error::Decode` naming the model and the column, from a loader and
/// a query alike; the statement itself completed, so a session goes on.
async fn a_row_that_does_not_fit_is_a_decode_error(db: &Db, users: &[Option<User>]) {
    let users: Vec<User> = users.iter().flatten().take(1).cloned().collect();
    let mut session = db.session();
    // The table as another program may have left it: `text` takes NULL.
    for sql in [
        "DROP TABLE ld_note".to_owned(),
        "CREATE TABLE ld_note (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, text VARCHAR(20))"
            .to_owned(),
        format!(
            "INSERT INTO ld_note (id, user_id, text) VALUES (1, {0}, 'fine'), (2, {0}, NULL)",
            users[0].id
        ),
    ] {
        session.execute_sql("auth", &Sql::new(sql)).await.unwrap();
    }
    session.commit().await.unwrap();
    let is_misfit = |e: &Error| {
        matches!(e, Error::Decode { model, reason, .. }
            if model.ends_with("Note") && reason.contains("\"text\""))
    };
    let loaded = find::<Note>()
        .children_of(&users, Note::COLUMNS.user_id, db)
        .await
        .unwrap_err();
    assert!(is_misfit(&loaded), "{loaded:?}");
    let mut session = db.session();
    let all = find::<Note>().all(&mut session).await.unwrap_err();
    assert!(is_misfit(&all), "{all:?}");
    assert!(!session.needs_rollback());
    let fine = find::<Note>()
        .filter(Note::COLUMNS.id.eq(1))
        .children_of(&users, Note::COLUMNS.user_id, &mut session)
        .await
        .unwrap();
    assert_eq!(
        fine[0].iter().map(|n| n.text.as_str()).collect::<Vec<_>>(),
        ["fine"]
    );
    session.commit().await.unwrap();
}

/// An INNER JOIN through a foreign key pairs each line with its order (the filter and
/// order name `id`, which both tables have: they are the line's). A join across binds
/// does not compile (`tests/ui/join_across_binds.rs`).
async fn joins_stay_in_their_bind(db: &Db) {
    let l = Line::COLUMNS;
    let pairs = find::<Line>()
        .filter(l.qty.eq(2))
        .filter(l.id.gt(0))
        .order_by(l.id.asc())
        .join::<Order, _>(l.order_id)
        .all(db)
        .await
        .unwrap();
    assert_eq!(pairs.len(), 50);
    assert!(
        pairs
            .iter()
            .all(|(line, order)| line.order_id == order.id && line.qty == 2)
    );
}

/// `IN (SELECT …)` of a model of the same bind runs. Of another bind it does not compile
/// (`tests/ui/filter_in_across_binds.rs`).
async fn subqueries_stay_in_their_bind(db: &Db) {
    let (o, l) = (Order::COLUMNS, Line::COLUMNS);
    let first_order = find::<Order>().filter(o.note.eq("o01")).select((o.id,));
    let lines = find::<Line>()
        .filter_in(l.order_id, first_order)
        .order_by(l.qty.asc())
        .all(db)
        .await
        .unwrap();
    assert_eq!(lines.iter().map(|l| l.qty).collect::<Vec<_>>(), [1, 2]);
}

/// One test per pair of backends for (`auth`, `shop`), built when both drivers are.
macro_rules! on_every_pair {
    ($($name:ident: $auth:expr, $shop:expr, $drivers:meta;)+) => {
        $(
            #[cfg($drivers)]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let tag = format!("ld_{}", &stringify!($name)[..5]);
                if let Some(fixture) = mixed($auth, $shop, &tag).await {
                    a_page_with_its_users_and_lines_is_three_selects(&fixture.db).await;
                }
            }
        )+
    };
}

on_every_pair! {
    sq_sq: None, None, feature = "sqlite";
    sq_pg: None, Some(Server::Postgres), all(feature = "sqlite", feature = "postgres");
    sq_ma: None, Some(Server::MySql), all(feature = "sqlite", feature = "mysql");
    pg_sq: Some(Server::Postgres), None, all(feature = "postgres", feature = "sqlite");
    pg_pg: Some(Server::Postgres), Some(Server::Postgres), feature = "postgres";
    pg_ma: Some(Server::Postgres), Some(Server::MySql), all(feature = "postgres", feature = "mysql");
    ma_sq: Some(Server::MySql), None, all(feature = "mysql", feature = "sqlite");
    ma_pg: Some(Server::MySql), Some(Server::Postgres), all(feature = "mysql", feature = "postgres");
    ma_ma: Some(Server::MySql), Some(Server::MySql), feature = "mysql";
}
