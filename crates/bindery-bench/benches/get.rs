//! Micro-benches of the get path: the cached statement lookup, and a routed `get` on
//! in-memory SQLite against the same query in raw sqlx.

use bindery::sqlx::{self, SqlitePool};
use bindery::{Config, Db, Dialect, Model, Pool};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

#[derive(Debug, Clone, Model)]
#[model(table = "item")]
struct Item {
    #[model(primary_key)]
    id: i32,
    #[model(length = 64)]
    name: String,
    qty: i32,
    price: f64,
    #[model(length = 255)]
    note: Option<String>,
}

fn cached_statement(c: &mut Criterion) {
    c.bench_function("cached get statement", |b| {
        b.iter(|| {
            let statements =
                Item::statements().get(black_box(Dialect::Postgres), Item::TABLE, false);
            black_box(statements.get.clone())
        })
    });
}

fn routed_get(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (db, pool) = runtime.block_on(async {
        let db = Db::build(Config::new().database_uri("sqlite://")).expect("an in-memory Db");
        db.create_all(bindery::Binds::All)
            .await
            .expect("create_all");
        let mut session = db.session();
        session.add_all((0..1_000).map(|i| Item {
            id: 0,
            name: format!("item {i}"),
            qty: i,
            price: f64::from(i) * 1.5,
            note: (i % 2 == 0).then(|| "note".to_owned()),
        }));
        session.commit().await.expect("commit");
        let Ok(Pool::Sqlite(pool)) = db.pool_for::<Item>().cloned() else {
            panic!("the default bind is SQLite here");
        };
        (db, pool)
    });

    // Both sides pay the same `block_on` per iteration.
    let mut group = c.benchmark_group("get by key, in-memory SQLite");
    let mut id = 0;
    let mut session = db.session();
    group.bench_function("bindery session.get", |b| {
        b.iter(|| {
            id = id % 1_000 + 1;
            let item = runtime.block_on(session.get::<Item>(id)).expect("get");
            black_box(item)
        })
    });
    drop(session);
    let pool: &SqlitePool = &pool;
    group.bench_function("raw sqlx query_as", |b| {
        b.iter(|| {
            id = id % 1_000 + 1;
            let row: Option<(i32, String, i32, f64, Option<String>)> = runtime
                .block_on(
                    sqlx::query_as("SELECT id, name, qty, price, note FROM item WHERE id = ?")
                        .bind(id)
                        .fetch_optional(pool),
                )
                .expect("query");
            black_box(row)
        })
    });
    group.finish();
}

criterion_group!(benches, cached_statement, routed_get);
criterion_main!(benches);
