//! Engines and per-bind schema operations on real databases: `create_all`, `drop_all`,
//! `reflect` and `check` on SQLite files, PostgreSQL, MariaDB, and one `Db` mixing all
//! three; bind selection; failures that leave transactional binds untouched; the checks
//! `Db::build` makes; pings; no password in any output.
//!
//! The models are the multi-crate example's (`accounts` in bind `auth`, `shop` in bind
//! `shop`, `audit` in the default bind) and two tables named `item` in binds `a` and `b`.

// The models' fields are read by the database, not by this file; and in a test, an
// unwrap that fails is the test failing.
#![allow(dead_code, clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

#[cfg(any(feature = "mysql", all(feature = "sqlite", feature = "postgres")))]
use bindery::PoolOptions;
use bindery::sqlx;
use bindery::{Binds, Config, Db, Dialect, Drift, Engine, Error, Model, Pool, SchemaOperation};
use common::{ScratchDb, ScratchDir, Server};

bindery::link!(accounts, shop, audit);

/// `item` in bind `a`…
#[derive(Model)]
#[model(table = "item", bind_key = "a")]
struct ItemA {
    #[model(primary_key)]
    id: i64,
    #[model(length = 40)]
    label: String,
}

/// …and another `item`, with other columns, in bind `b`.
#[derive(Model)]
#[model(table = "item", bind_key = "b")]
struct ItemB {
    #[model(primary_key)]
    id: i64,
    qty: i32,
}

/// The binds the models use, default first.
const BINDS: [Option<&str>; 5] = [None, Some("a"), Some("auth"), Some("b"), Some("shop")];

fn config(urls: [&str; 5]) -> Config {
    let [default, a, auth, b, shop] = urls;
    Config::new()
        .database_uri(default)
        .bind("a", a)
        .bind("auth", auth)
        .bind("b", b)
        .bind("shop", shop)
}

fn sqlite_config(dir: &ScratchDir) -> Config {
    config([
        "sqlite:///default.db",
        "sqlite:///a.db",
        "sqlite:///auth.db",
        "sqlite:///b.db",
        "sqlite:///shop.db",
    ])
    .sqlite_base_dir(dir.path())
}

async fn execute(engine: &Engine, sql: &str) -> Result<(), sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match engine.pool() {
        #[cfg(feature = "sqlite")]
        Pool::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        #[cfg(feature = "postgres")]
        Pool::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        #[cfg(feature = "mysql")]
        Pool::MySql(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
    }
}

async fn live_tables(db: &Db, bind: Option<&str>) -> BTreeSet<String> {
    let reflected = db.reflect(bind).await.unwrap();
    reflected[0].tables.iter().map(|t| t.name.clone()).collect()
}

fn changed(report: &bindery::SchemaReport, bind: Option<&str>) -> Vec<&'static str> {
    report.bind(bind).unwrap().changed.clone()
}

/// The whole life of the schema, the same on every backend.
async fn create_check_alter_drop(db: &Db) {
    let created = db.create_all(Binds::All).await.unwrap();
    assert_eq!(created.operation, SchemaOperation::CreateAll);
    if db.engine(Some("shop")).unwrap().dialect() == Dialect::Sqlite {
        // Relative paths resolved against the base folder, which was created.
        let base = db.config().get_sqlite_base_dir();
        assert!(base.join("shop.db").is_file(), "{}", base.display());
    }
    assert_eq!(changed(&created, None), ["audit_log"]);
    // Foreign-key order: `user` references `role`, `admin` references `user`.
    assert_eq!(changed(&created, Some("auth")), ["role", "user", "admin"]);
    assert_eq!(changed(&created, Some("shop")), ["store", "order"]);
    assert_eq!(changed(&created, Some("a")), ["item"]);
    assert_eq!(changed(&created, Some("b")), ["item"]);

    // Existing tables are skipped.
    let again = db.create_all(Binds::All).await.unwrap();
    for bind in BINDS {
        let report = again.bind(bind).unwrap();
        assert!(report.changed.is_empty(), "{bind:?}: {report:?}");
    }
    assert_eq!(again.bind(Some("auth")).unwrap().skipped.len(), 3);

    let drift = db.check(Binds::All).await.unwrap();
    assert!(drift.is_clean(), "{drift}");

    // Drop one column by hand: `check` reports exactly that column.
    let shop = db.engine(Some("shop")).unwrap();
    let d = shop.dialect();
    execute(
        shop,
        &format!(
            "ALTER TABLE {} DROP COLUMN {}",
            d.quote("order"),
            d.quote("note")
        ),
    )
    .await
    .unwrap();
    let drift = db.check(Binds::All).await.unwrap();
    for bind in &drift.binds {
        if bind.bind.as_deref() == Some("shop") {
            assert_eq!(
                bind.drift,
                [Drift::MissingColumn {
                    table: "order",
                    column: "note",
                    model: "shop::Order",
                }]
            );
        } else {
            assert!(bind.drift.is_empty(), "{:?}: {:?}", bind.bind, bind.drift);
        }
    }
    assert_eq!(
        drift
            .to_string()
            .lines()
            .filter(|l| l.starts_with("  - "))
            .collect::<Vec<_>>(),
        ["  - column order.note (shop::Order) is missing"]
    );

    let dropped = db.drop_all(Binds::All).await.unwrap();
    assert_eq!(changed(&dropped, Some("auth")), ["admin", "user", "role"]);
    assert_eq!(changed(&dropped, Some("shop")), ["order", "store"]);
    for bind in BINDS {
        assert!(live_tables(db, bind).await.is_empty(), "{bind:?}");
    }
    let again = db.drop_all(Binds::All).await.unwrap();
    assert_eq!(
        again.bind(Some("shop")).unwrap().skipped,
        ["order", "store"]
    );
}

/// The five binds on SQLite files, or on scratch databases of one server.
struct Fixture {
    db: Db,
    _dir: ScratchDir,
    _dbs: Vec<ScratchDb>,
}

impl std::ops::Deref for Fixture {
    type Target = Db;

    fn deref(&self) -> &Db {
        &self.db
    }
}

async fn setup(server: Option<Server>, tag: &str) -> Option<Fixture> {
    let dir = ScratchDir::new(tag);
    let (dbs, db) = match server {
        None => (Vec::new(), Db::build(sqlite_config(&dir)).unwrap()),
        Some(server) => server_db(server, tag).await?,
    };
    Some(Fixture {
        db,
        _dir: dir,
        _dbs: dbs,
    })
}

on_every_backend!(create_check_alter_drop);

/// A scratch database on `server` for each bind, and the `Db` over them; `None` when the
/// server is missing and not required. Keep the databases alive as long as the `Db`.
async fn server_db(server: Server, tag: &str) -> Option<(Vec<ScratchDb>, Db)> {
    let mut dbs = Vec::new();
    for bind in ["d", "a", "auth", "b", "shop"] {
        dbs.push(ScratchDb::new(server, &format!("{tag}_{bind}")).await?);
    }
    let urls = [0, 1, 2, 3, 4].map(|i| dbs[i].url());
    let db = Db::build(config(urls)).unwrap();
    Some((dbs, db))
}

/// The name of the index `order` will want, taken by another table first.
const INDEX_BLOCKER: &str =
    "CREATE TABLE blocker (x INTEGER); CREATE INDEX ix_order_store_id_placed_by ON blocker (x)";

/// The default bind on SQLite, `auth` on PostgreSQL, `shop` on MariaDB, and the two
/// `item` tables in two databases of one MariaDB server.
#[cfg(all(feature = "sqlite", feature = "postgres", feature = "mysql"))]
#[tokio::test]
async fn one_db_over_three_backends() {
    let dir = ScratchDir::new("mixed");
    let Some(auth) = ScratchDb::new(Server::Postgres, "mx_auth").await else {
        return;
    };
    let Some(shop) = ScratchDb::new(Server::MySql, "mx_shop").await else {
        return;
    };
    let Some(a) = ScratchDb::new(Server::MySql, "mx_a").await else {
        return;
    };
    let Some(b) = ScratchDb::new(Server::MySql, "mx_b").await else {
        return;
    };
    let db = Db::build(
        config([
            "sqlite:///default.db",
            a.url(),
            auth.url(),
            b.url(),
            shop.url(),
        ])
        .sqlite_base_dir(dir.path()),
    )
    .unwrap();
    let dialects: Vec<Dialect> = db.engines().iter().map(Engine::dialect).collect();
    assert_eq!(
        dialects,
        [
            Dialect::Sqlite,
            Dialect::MySql,
            Dialect::Postgres,
            Dialect::MySql,
            Dialect::MySql
        ]
    );
    create_check_alter_drop(&db).await;
    same_table_name_in_two_binds(&db).await;
    db.close().await;
}

/// Two `item` tables with different columns, one per bind, each holding its own rows.
#[cfg(all(feature = "sqlite", feature = "postgres", feature = "mysql"))]
async fn same_table_name_in_two_binds(db: &Db) {
    db.create_all(["a", "b"]).await.unwrap();
    let a = db.engine(Some("a")).unwrap();
    let b = db.engine(Some("b")).unwrap();
    execute(a, "INSERT INTO item (id, label) VALUES (1, 'from a')")
        .await
        .unwrap();
    execute(b, "INSERT INTO item (id, qty) VALUES (1, 7)")
        .await
        .unwrap();
    let (Pool::MySql(a), Pool::MySql(b)) = (a.pool(), b.pool()) else {
        panic!("binds a and b are on MariaDB here");
    };
    let label: String = sqlx::query_scalar("SELECT label FROM item WHERE id = ?")
        .bind(1_i64)
        .fetch_one(a)
        .await
        .unwrap();
    let qty: i32 = sqlx::query_scalar("SELECT qty FROM item WHERE id = ?")
        .bind(1_i64)
        .fetch_one(b)
        .await
        .unwrap();
    assert_eq!((label.as_str(), qty), ("from a", 7));
    db.drop_all(["a", "b"]).await.unwrap();
}

/// The same table name in two binds on two different servers.
#[cfg(all(feature = "sqlite", feature = "postgres", feature = "mysql"))]
#[tokio::test]
async fn same_table_name_across_servers() {
    let dir = ScratchDir::new("across");
    let Some(a) = ScratchDb::new(Server::Postgres, "ac_a").await else {
        return;
    };
    let Some(b) = ScratchDb::new(Server::MySql, "ac_b").await else {
        return;
    };
    let db = Db::build(
        config([
            "sqlite:///default.db",
            a.url(),
            "sqlite:///auth.db",
            b.url(),
            "sqlite:///shop.db",
        ])
        .sqlite_base_dir(dir.path()),
    )
    .unwrap();
    let report = db.create_all(["a", "b"]).await.unwrap();
    assert_eq!(report.binds.len(), 2);
    for bind in ["a", "b"] {
        assert_eq!(changed(&report, Some(bind)), ["item"]);
        let reflected = db.reflect(bind).await.unwrap();
        let item = reflected[0]
            .tables
            .iter()
            .find(|t| t.name == "item")
            .unwrap();
        let columns: Vec<&str> = item.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            columns,
            if bind == "a" {
                ["id", "label"]
            } else {
                ["id", "qty"]
            }
        );
    }
    assert!(db.check(["a", "b"]).await.unwrap().is_clean());
    db.drop_all(["a", "b"]).await.unwrap();
    db.close().await;
}

#[cfg(feature = "sqlite")] // its binds are SQLite
#[tokio::test]
async fn bind_selection() {
    let dir = ScratchDir::new("select");
    let db = Db::build(sqlite_config(&dir)).unwrap();

    let only_shop = db.create_all("shop").await.unwrap();
    assert_eq!(only_shop.binds.len(), 1);
    assert_eq!(changed(&only_shop, Some("shop")), ["store", "order"]);
    assert!(live_tables(&db, Some("auth")).await.is_empty());

    let default_and_a = db.create_all([None, Some("a")]).await.unwrap();
    let binds: Vec<Option<&str>> = default_and_a
        .binds
        .iter()
        .map(|b| b.bind.as_deref())
        .collect();
    assert_eq!(binds, [None, Some("a")]);
    assert_eq!(
        live_tables(&db, None).await,
        BTreeSet::from(["audit_log".to_owned()])
    );

    // Flask's `drop_all(bind=None)`: the default bind only.
    let dropped = db.drop_all(Binds::DEFAULT).await.unwrap();
    assert_eq!(dropped.binds.len(), 1);
    assert_eq!(changed(&dropped, None), ["audit_log"]);
    assert_eq!(live_tables(&db, Some("shop")).await.len(), 2);

    // A key that is not configured fails before anything is done.
    let error = db.create_all(["auth", "nope"]).await.unwrap_err();
    assert!(
        matches!(&error, Error::UnknownBind { bind, model: None } if *bind == "nope"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "bind \"nope\" is not configured: add it to `binds` (or set BINDERY_BIND_NOPE)"
    );
    assert!(live_tables(&db, Some("auth")).await.is_empty());
    db.close().await;
}

/// A statement that fails half-way through a bind: on PostgreSQL and SQLite the bind's
/// transaction leaves it untouched; on MariaDB the tables created before are dropped
/// again. The other binds complete.
async fn failure_leaves_the_bind_untouched(db: &Db) {
    let shop = db.engine(Some("shop")).unwrap();
    let blocker = match shop.dialect() {
        // A view is not a table to `create_all`, but it takes the name `order`.
        Dialect::MySql => "CREATE VIEW `order` AS SELECT 1 AS x",
        _ => INDEX_BLOCKER,
    };
    execute(shop, blocker).await.unwrap();
    let before = live_tables(db, Some("shop")).await;

    let error = db.create_all(Binds::All).await.unwrap_err();
    let Error::Schema(error) = error else {
        panic!("expected a schema error, got {error:?}");
    };
    assert_eq!(error.failures.len(), 1, "{error}");
    let failure = &error.failures[0];
    assert_eq!(failure.bind.as_deref(), Some("shop"));
    assert_eq!(failure.table, Some("order"));
    assert!(failure.rolled_back);
    assert!(
        error
            .to_string()
            .starts_with("create_all failed on bind \"shop\", table \"order\": "),
        "{error}"
    );
    // `store` was created before `order` failed, and is gone again.
    assert_eq!(live_tables(db, Some("shop")).await, before);
    // The other binds went ahead.
    assert_eq!(error.completed.binds.len(), 4);
    assert_eq!(live_tables(db, Some("auth")).await.len(), 3);
    db.drop_all(Binds::All).await.unwrap();
}

on_every_backend!(failure_leaves_the_bind_untouched);

/// Twelve independent tables and a parent–child pair, all in one MariaDB bind: the tables
/// of each wave go over several connections at once, the child after its parent. A table
/// failing in the middle of a wave stops the run, and every table created before or beside
/// it is dropped again. A pool of one connection runs the same DDL on that one.
#[cfg(feature = "mysql")]
#[tokio::test]
async fn mariadb_parallel_ddl_is_ordered_and_undone() {
    let Some(scratch) = ScratchDb::new(Server::MySql, "wide").await else {
        return;
    };
    let tables = wide_tables();
    for max_connections in [10, 1] {
        let config = Config::new().database_uri(scratch.url()).pool(PoolOptions {
            max_connections: Some(max_connections),
            ..PoolOptions::default()
        });
        let registry = bindery::Registry::from_tables(tables.iter().copied());
        let db = Db::build_with_registry(config, registry).unwrap();
        let engine = db.engine(None).unwrap();
        let created = db.create_all(Binds::All).await.unwrap();
        assert_eq!(created.binds[0].changed.len(), 14);
        let expected: BTreeSet<String> = tables.iter().map(|t| t.name.to_owned()).collect();
        assert_eq!(live_tables(&db, None).await, expected);
        // The child's foreign key was made, so the parent was there first.
        execute(engine, "INSERT INTO wide_parent (id) VALUES (1)")
            .await
            .unwrap();
        execute(
            engine,
            "INSERT INTO wide_child (id, parent_id) VALUES (1, 1)",
        )
        .await
        .unwrap();
        assert!(
            execute(
                engine,
                "INSERT INTO wide_child (id, parent_id) VALUES (2, 9)"
            )
            .await
            .is_err()
        );
        db.drop_all(Binds::All).await.unwrap();
        assert!(live_tables(&db, None).await.is_empty());

        // A view takes the name of the eighth independent table.
        execute(engine, "CREATE VIEW wide_7 AS SELECT 1 AS x")
            .await
            .unwrap();
        let Error::Schema(error) = db.create_all(Binds::All).await.unwrap_err() else {
            panic!("expected a schema error");
        };
        let failure = &error.failures[0];
        assert_eq!(failure.table, Some("wide_7"), "{error}");
        assert!(failure.rolled_back, "{error}");
        assert!(live_tables(&db, None).await.is_empty());
        execute(engine, "DROP VIEW wide_7").await.unwrap();
        db.close().await;
    }
}

/// `wide_0` … `wide_11`, then `wide_parent` and `wide_child` (which references it).
fn wide_tables() -> Vec<&'static bindery::TableInfo> {
    use bindery::{ColumnInfo, ForeignKey, SqlType, TableInfo};
    const ID: ColumnInfo = ColumnInfo {
        primary_key: true,
        ..ColumnInfo::new("id", SqlType::Integer)
    };
    const PARENT_ID: ColumnInfo = ColumnInfo {
        references: Some(ForeignKey {
            table: "wide_parent",
            column: "id",
        }),
        ..ColumnInfo::new("parent_id", SqlType::Integer)
    };
    static PARENT: TableInfo = TableInfo {
        columns: &[ID],
        ..TableInfo::new("wide_parent", "schema::WideParent")
    };
    static CHILD: TableInfo = TableInfo {
        columns: &[ID, PARENT_ID],
        ..TableInfo::new("wide_child", "schema::WideChild")
    };
    let mut tables: Vec<&'static TableInfo> = (0..12)
        .map(|i| {
            // A test process is short-lived: leaking the generated tables is the point.
            let name: &'static str = format!("wide_{i}").leak();
            let rust_type: &'static str = format!("schema::Wide{i}").leak();
            &*Box::leak(Box::new(TableInfo {
                columns: &[ID],
                ..TableInfo::new(name, rust_type)
            }))
        })
        .collect();
    tables.extend([&CHILD, &PARENT]);
    tables
}

#[cfg(feature = "sqlite")] // its binds are SQLite
#[tokio::test]
async fn build_names_every_unconfigured_bind_and_its_models() {
    let dir = ScratchDir::new("missing");
    let config = Config::new()
        .database_uri("sqlite:///default.db")
        .bind("auth", "sqlite:///auth.db")
        .bind("b", "sqlite:///b.db")
        .sqlite_base_dir(dir.path());
    let error = Db::build(config).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot build the Db (2 problems):\n  \
         - bind \"a\" is not configured, but schema::ItemA uses it: add `binds.a` (or set BINDERY_BIND_A)\n  \
         - bind \"shop\" is not configured, but shop::Order, shop::Store use it: add `binds.shop` (or set BINDERY_BIND_SHOP)"
    );

    let only_shop_missing = sqlite_config(&dir).merge(Config::new());
    assert!(Db::build(only_shop_missing).is_ok());
}

#[cfg(feature = "mysql")]
#[tokio::test]
async fn build_refuses_text_keys_on_mysql() {
    // `ItemA.label` is VARCHAR(40): fine. A TEXT key is not. (Written by hand and not
    // submitted: a derived model would join every other test's registry.)
    static TAG: bindery::TableInfo = bindery::TableInfo {
        bind_key: Some("m"),
        columns: &[bindery::ColumnInfo {
            primary_key: true,
            ..bindery::ColumnInfo::new("code", bindery::SqlType::Text)
        }],
        ..bindery::TableInfo::new("tag", "schema::Tag")
    };
    let registry = bindery::Registry::from_tables([&TAG]);
    let config = Config::new().bind("m", "mysql://root@127.0.0.1:3306/unused");
    let error = Db::build_with_registry(config, registry).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot build the Db: schema::Tag.code is TEXT and part of a key or index, \
         which MySQL cannot index without a length: give it `#[model(length = N)]` (bind \"m\")"
    );
}

#[cfg(all(feature = "sqlite", feature = "postgres"))]
#[tokio::test]
async fn ping_reports_each_bind_and_a_dead_one_fails_fast() {
    let dir = ScratchDir::new("ping");
    let fast = PoolOptions {
        acquire_timeout: Some(std::time::Duration::from_secs(2)),
        ..PoolOptions::default()
    };
    // Nothing listens on port 9: the bind is down from the start, and Db still builds.
    let config = sqlite_config(&dir).bind_with("shop", "postgres://root@127.0.0.1:9/shop", fast);
    let db = Db::build(config).unwrap();
    let pings = db.ping().await;
    assert_eq!(pings.len(), 5);
    for ping in &pings {
        match ping.bind.as_deref() {
            Some("shop") => {
                let error = ping.result.as_ref().unwrap_err();
                assert!(error.to_string().starts_with("bind \"shop\": "), "{error}");
            }
            other => assert!(ping.result.is_ok(), "{other:?}: {:?}", ping.result),
        }
    }
    db.close().await;
}

#[cfg(all(feature = "sqlite", feature = "postgres", feature = "mysql"))]
#[tokio::test]
async fn no_password_in_any_output() {
    let dir = ScratchDir::new("secret");
    let secret = "s3cr3t-Pa55";
    let mysql = std::env::var("BINDERY_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned());
    let mut wrong = url::Url::parse(&mysql).unwrap();
    wrong.set_password(Some(secret)).unwrap();
    let fast = PoolOptions {
        acquire_timeout: Some(std::time::Duration::from_secs(2)),
        ..PoolOptions::default()
    };
    let config = sqlite_config(&dir)
        .bind_with("shop", wrong.as_str(), fast.clone())
        .bind_with(
            "auth",
            &format!("postgresql+psycopg2://root:{secret}@127.0.0.1:9/auth"),
            fast,
        );
    assert!(!format!("{config:?}").contains(secret));
    let db = Db::build(config).unwrap();
    let debug = format!("{db:?}");
    assert!(!debug.contains(secret), "{debug}");
    assert!(debug.contains("root:***@"), "{debug}");
    for engine in db.engines() {
        assert!(!engine.url().to_string().contains(secret));
    }
    for ping in db.ping().await {
        if let Err(error) = &ping.result {
            for text in [error.to_string(), format!("{error:?}")] {
                assert!(!text.contains(secret), "{text}");
            }
        }
    }
    let error = db.create_all(Binds::All).await.unwrap_err();
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains(secret), "{text}");
    }
    db.close().await;
}

/// `sqlite://` is one in-memory database for the whole `Db`, as SQLAlchemy's StaticPool
/// makes it: what one operation creates, the next one sees.
#[cfg(feature = "sqlite")] // its binds are SQLite
#[tokio::test]
async fn sqlite_memory_is_one_database() {
    let db = Db::build(config(["sqlite://"; 5])).unwrap();
    db.create_all(Binds::All).await.unwrap();
    assert_eq!(live_tables(&db, Some("shop")).await.len(), 2);
    assert!(db.check(Binds::All).await.unwrap().is_clean());
    db.close().await;
}
