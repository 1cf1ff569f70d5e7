//! Sessions on real databases: every operation on SQLite, PostgreSQL and MariaDB; a
//! session over three binds on three backends; rollback; a commit that fails part-way;
//! raw SQL; recorded queries; every core type round-tripped; many sessions at once; a held
//! connection the server closed, replaced.

// The models' fields are read through the database; in a test, a failed unwrap is the
// test failing.
#![allow(dead_code, clippy::unwrap_used)]
// Every fixture puts the example crates' binds on SQLite files, whatever the backend
// under test.
#![cfg(feature = "sqlite")]

mod common;

#[cfg(all(feature = "postgres", feature = "mysql"))]
use std::sync::Arc;

#[cfg(all(feature = "postgres", feature = "mysql"))]
use bindery::BindKey;
use bindery::{Binds, Config, Db, Dialect, Error, Model, params};
use common::{ScratchDb, ScratchDir, Server};

bindery::link!(accounts, shop, audit);

#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "s")]
struct Person {
    #[model(primary_key)]
    id: i64,
    #[model(length = 80)]
    name: String,
    age: Option<i32>,
    score: f64,
    active: bool,
    #[model(skip)]
    scratch: String,
}

fn person(name: &str, age: Option<i32>, score: f64) -> Person {
    Person {
        id: 0,
        name: name.to_owned(),
        age,
        score,
        active: true,
        scratch: "not stored".to_owned(),
    }
}

/// A composite key, no generated column.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "s")]
struct Tagged {
    #[model(primary_key)]
    person_id: i64,
    #[model(primary_key, length = 40)]
    tag: String,
    weight: i16,
}

/// Every core type, at its edges.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "s")]
struct Sample {
    #[model(primary_key)]
    id: i64,
    small: i16,
    int: i32,
    big: i64,
    float: f32,
    double: f64,
    flag: bool,
    text: String,
    maybe_text: Option<String>,
    #[model(length = 20)]
    short: String,
    blob: Vec<u8>,
    maybe_blob: Option<Vec<u8>>,
    maybe_int: Option<i64>,
}

/// Where each bind lives in a test.
/// A table whose only column is its generated key (a ticket counter, say).
#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "s")]
struct Ticket {
    #[model(primary_key)]
    id: i64,
}

struct Backends {
    _dir: ScratchDir,
    _servers: Vec<ScratchDb>,
    db: Db,
}

impl std::ops::Deref for Backends {
    type Target = Db;

    fn deref(&self) -> &Db {
        &self.db
    }
}

/// Bind `s` on `server` (or SQLite), the example crates' binds on SQLite files; every
/// statement recorded.
async fn setup(server: Option<Server>, tag: &str) -> Option<Backends> {
    let dir = ScratchDir::new(tag);
    let mut servers = Vec::new();
    let s_url = match server {
        None => "sqlite:///s.db".to_owned(),
        Some(server) => {
            let db = ScratchDb::new(server, tag).await?;
            let url = db.url().to_owned();
            servers.push(db);
            url
        }
    };
    let config = Config::new()
        .database_uri("sqlite:///default.db")
        .bind("auth", "sqlite:///auth.db")
        .bind("shop", "sqlite:///shop.db")
        .bind("s", &s_url)
        .sqlite_base_dir(dir.path())
        .record_queries(true);
    let db = Db::build(config).unwrap();
    db.create_all(Binds::All).await.unwrap();
    Some(Backends {
        _dir: dir,
        _servers: servers,
        db,
    })
}

/// The placeholder `n` of the bind `s`.
fn p(db: &Db, n: usize) -> String {
    common::placeholder(db, "s", n)
}

/// Five people, committed: ann (31, 9.5), bob (no age, 7.25), cy (17, 3.0) inserted with
/// their keys returned, then dee (45, 8.0) and eve (31, 1.0) queued and flushed by a read.
/// Returns the keys of ann, bob and cy.
async fn five_people(db: &Db) -> [i64; 3] {
    let mut session = db.session();
    let inserted = session
        .insert_all(vec![
            person("ann", Some(31), 9.5),
            person("bob", None, 7.25),
            person("cy", Some(17), 3.0),
        ])
        .await
        .unwrap();
    session.add(person("dee", Some(45), 8.0));
    session.add_all([person("eve", Some(31), 1.0)]);
    assert_eq!(session.query::<Person>().count().await.unwrap(), 5);
    session.commit().await.unwrap();
    [inserted[0].id, inserted[1].id, inserted[2].id]
}

/// The names of the people `filter` keeps, by name.
async fn names_where(
    session: &mut bindery::Session,
    filter: bindery::Filter<Person>,
) -> Vec<String> {
    let query = session
        .query::<Person>()
        .order_by(Person::COLUMNS.name.asc());
    let people = query.filter(filter).all().await.unwrap();
    people.into_iter().map(|p| p.name).collect()
}

on_every_backend!(inserts_return_keys_and_gets_read_them);

async fn inserts_return_keys_and_gets_read_them(db: &Db) {
    let ids = five_people(db).await;
    // insert_all: one batch, keys come back in order.
    assert!(ids[0] > 0 && ids[0] < ids[1] && ids[1] < ids[2], "{ids:?}");
    let mut session = db.session();
    // get by key; the skipped field takes its default.
    let ann = session.get::<Person>(ids[0]).await.unwrap().unwrap();
    let read = (
        ann.name.as_str(),
        ann.age,
        ann.score,
        ann.active,
        ann.scratch.as_str(),
    );
    assert_eq!(read, ("ann", Some(31), 9.5, true, ""));
    assert_eq!(
        session.get::<Person>(ids[1]).await.unwrap().unwrap().name,
        "bob"
    );
    assert!(session.get::<Person>(-1).await.unwrap().is_none());
}

on_every_backend!(queries_compare_combine_and_order);

/// Every comparison, IN, IS NULL, LIKE, and/or.
async fn queries_compare_combine_and_order(db: &Db) {
    five_people(db).await;
    let c = Person::COLUMNS;
    let mut s = db.session();
    assert_eq!(names_where(&mut s, c.name.eq("bob")).await, ["bob"]);
    assert_eq!(
        names_where(&mut s, c.name.ne("bob")).await,
        ["ann", "cy", "dee", "eve"]
    );
    assert_eq!(names_where(&mut s, c.age.lt(31)).await, ["cy"]);
    assert_eq!(
        names_where(&mut s, c.age.le(31)).await,
        ["ann", "cy", "eve"]
    );
    assert_eq!(names_where(&mut s, c.age.gt(31)).await, ["dee"]);
    assert_eq!(
        names_where(&mut s, c.age.ge(31)).await,
        ["ann", "dee", "eve"]
    );
    let listed = c.name.is_in(["cy", "eve", "zed"]);
    assert_eq!(names_where(&mut s, listed).await, ["cy", "eve"]);
    assert_eq!(names_where(&mut s, c.age.is_null()).await, ["bob"]);
    assert_eq!(names_where(&mut s, c.age.eq(None::<i32>)).await, ["bob"]);
    let known = s.query::<Person>().filter(c.age.is_not_null()).count();
    assert_eq!(known.await.unwrap(), 4);
    assert_eq!(
        names_where(&mut s, c.name.like("%e%")).await,
        ["dee", "eve"]
    );
    let either = c.age.eq(31).and(c.score.gt(5.0)).or(c.name.eq("cy"));
    assert_eq!(names_where(&mut s, either).await, ["ann", "cy"]);
    assert!(
        names_where(&mut s, c.name.is_in(Vec::<String>::new()))
            .await
            .is_empty()
    );
}

on_every_backend!(queries_page_and_insist_on_one);

/// Order, limit, offset, `first`, and `one` with none or many rows.
async fn queries_page_and_insist_on_one(db: &Db) {
    five_people(db).await;
    let c = Person::COLUMNS;
    let mut session = db.session();
    let paged = session
        .query::<Person>()
        .order_by(c.score.desc())
        .limit(2)
        .offset(1);
    let names: Vec<String> = paged
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["dee", "bob"]);
    assert_eq!(
        session.query::<Person>().offset(3).count().await.unwrap(),
        2
    );
    let oldest = session
        .query::<Person>()
        .order_by(c.age.desc())
        .filter(c.age.is_not_null());
    assert_eq!(
        oldest.first().await.unwrap().map(|p| p.name),
        Some("dee".to_owned())
    );
    let cy = session
        .query::<Person>()
        .filter(c.name.eq("cy"))
        .one()
        .await
        .unwrap();
    assert_eq!(cy.age, Some(17));
    let none = session
        .query::<Person>()
        .filter(c.name.eq("zed"))
        .one()
        .await
        .unwrap_err();
    assert!(
        matches!(none, Error::NotOne { found: "none", .. }),
        "{none}"
    );
    let many = session
        .query::<Person>()
        .filter(c.age.eq(31))
        .one()
        .await
        .unwrap_err();
    assert_eq!(
        many.to_string(),
        "bind \"s\": expected exactly one row of session::Person, found more than one"
    );
}

on_every_backend!(updates_and_deletes_by_key);

/// Update and delete by key, on a single key and a composite one.
async fn updates_and_deletes_by_key(db: &Db) {
    let ids = five_people(db).await;
    let mut session = db.session();
    let mut cy = session.get::<Person>(ids[2]).await.unwrap().unwrap();
    cy.age = Some(18);
    cy.name = "cyd".to_owned();
    assert!(session.update(&cy).await.unwrap());
    assert_eq!(
        session.get::<Person>(ids[2]).await.unwrap().unwrap().name,
        "cyd"
    );
    cy.id = -1;
    assert!(!session.update(&cy).await.unwrap());
    assert!(session.delete::<Person>(ids[1]).await.unwrap());
    assert!(!session.delete::<Person>(ids[1]).await.unwrap());
    assert_eq!(session.all::<Person>().await.unwrap().len(), 4);

    let tag = |tag: &str, weight| Tagged {
        person_id: ids[0],
        tag: tag.into(),
        weight,
    };
    session.add_all([tag("a", 1), tag("b", -2)]);
    let b = session
        .get::<Tagged>((ids[0], "b".to_owned()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.weight, -2);
    assert!(
        session
            .delete::<Tagged>((ids[0], "a".to_owned()))
            .await
            .unwrap()
    );
    assert_eq!(session.all::<Tagged>().await.unwrap(), [b]);
    session.commit().await.unwrap();
}

on_every_backend!(raw_sql_runs_in_the_session);

/// Raw SQL on the bind, in the session's transaction, read into tuples and models.
async fn raw_sql_runs_in_the_session(db: &Db) {
    let ids = five_people(db).await;
    let mut session = db.session();
    let sql = format!(
        "UPDATE person SET score = {} WHERE name = {}",
        p(db, 1),
        p(db, 2)
    );
    let updated = session.execute(Some("s"), &sql, params![100.0_f64, "ann"]);
    assert_eq!(updated.await.unwrap(), 1);
    let sql = format!(
        "SELECT id, name FROM person WHERE score > {} ORDER BY id",
        p(db, 1)
    );
    let rows: Vec<(i64, String)> = session
        .fetch_all(Some("s"), &sql, params![50.0_f64])
        .await
        .unwrap();
    assert_eq!(rows, [(ids[0], "ann".to_owned())]);
    let sql = "SELECT id, name, age, score, active FROM person ORDER BY id";
    let people: Vec<Person> = session.fetch_all(Some("s"), sql, params![]).await.unwrap();
    assert_eq!(people.len(), 5);
    session.commit().await.unwrap();
    let mut other = db.session();
    assert_eq!(
        other.get::<Person>(ids[0]).await.unwrap().unwrap().score,
        100.0
    );
}

on_every_backend!(rollback_and_drop_leave_nothing);

/// A rolled-back session and a dropped one leave no row behind.
async fn rollback_and_drop_leave_nothing(db: &Db) {
    let c = Person::COLUMNS;
    let mut other = db.session();
    other.add(person("gone", None, 0.0));
    other.insert(person("gone too", None, 0.0)).await.unwrap();
    other.rollback().await.unwrap();
    let gone = other.query::<Person>().filter(c.name.like("gone%")).count();
    assert_eq!(gone.await.unwrap(), 0);
    {
        let mut dropped = db.session();
        dropped.insert(person("dropped", None, 0.0)).await.unwrap();
        // Dropped without commit: rolled back.
    }
    let mut check = db.session();
    let dropped = check.query::<Person>().filter(c.name.eq("dropped")).count();
    assert_eq!(dropped.await.unwrap(), 0);
    check.commit().await.unwrap();
}

fn samples() -> Vec<Sample> {
    let big_blob: Vec<u8> = (0..1_048_576_u32).map(|i| (i % 251) as u8).collect();
    let edge = Sample {
        id: 0,
        small: i16::MIN,
        int: i32::MIN,
        big: i64::MIN,
        float: -1.5e38,
        double: -1.0e300,
        flag: false,
        text: String::new(),
        maybe_text: None,
        short: String::new(),
        blob: Vec::new(),
        maybe_blob: None,
        maybe_int: None,
    };
    let other_edge = Sample {
        id: 0,
        small: i16::MAX,
        int: i32::MAX,
        big: i64::MAX,
        float: 2.5e-38,
        double: 1.0e300,
        flag: true,
        text: "quote ' double \" back \\ semi ; dash -- percent % nul-free 한국어 😀".to_owned(),
        maybe_text: Some(String::new()),
        short: "'; DROP TABLE x; --".to_owned(),
        blob: big_blob,
        maybe_blob: Some(vec![0, 255, 0]),
        maybe_int: Some(0),
    };
    let long_text = Sample {
        text: "x".repeat(1_000_000),
        maybe_text: Some("é".repeat(1000)),
        ..edge.clone()
    };
    vec![edge, other_edge, long_text]
}

async fn every_core_type_round_trips(db: &Db) {
    let mut session = db.session();
    let stored = session.insert_all(samples()).await.unwrap();
    session.commit().await.unwrap();
    let mut session = db.session();
    for sample in stored {
        let read = session.get::<Sample>(sample.id).await.unwrap().unwrap();
        assert_eq!(read, sample);
    }
    session.commit().await.unwrap();
}

on_every_backend!(every_core_type_round_trips);

#[cfg(all(feature = "postgres", feature = "mysql"))]
async fn three_backends(tag: &str) -> Option<(ScratchDir, ScratchDb, ScratchDb, Db)> {
    three_backends_with(tag, bindery::PoolOptions::default()).await
}

#[cfg(all(feature = "postgres", feature = "mysql"))]
async fn three_backends_with(
    tag: &str,
    pool: bindery::PoolOptions,
) -> Option<(ScratchDir, ScratchDb, ScratchDb, Db)> {
    let dir = ScratchDir::new(tag);
    let auth = ScratchDb::new(Server::Postgres, &format!("{tag}_auth")).await?;
    let shop = ScratchDb::new(Server::MySql, &format!("{tag}_shop")).await?;
    let config = Config::new()
        .database_uri("sqlite:///default.db")
        .bind("auth", auth.url())
        .bind("shop", shop.url())
        .bind("s", "sqlite:///s.db")
        .pool(pool)
        .sqlite_base_dir(dir.path());
    let db = Db::build(config).unwrap();
    db.create_all(Binds::All).await.unwrap();
    Some((dir, auth, shop, db))
}

/// A commit whose only work is one INSERT sends that statement alone: no BEGIN, no
/// COMMIT. When it fails, nothing is written and the session goes on. Anything more (two
/// tables, or a transaction a read began) takes the transaction path.
async fn lone_insert(db: &Db) {
    // MySQL's packet limit is read once per engine, on its own connection: not part of
    // any transaction, and left out here.
    let sql_of = |db: &Db| -> Vec<String> {
        db.take_recorded_queries()
            .into_iter()
            .filter(|q| !q.sql.contains("@@max_allowed_packet"))
            .map(|q| q.sql.split(' ').take(3).collect::<Vec<_>>().join(" "))
            .collect()
    };
    let tagged = |tag: &str| Tagged {
        person_id: 1,
        tag: tag.to_owned(),
        weight: 2,
    };
    db.take_recorded_queries();
    let mut session = db.session();
    session.add(tagged("first"));
    session.commit().await.unwrap();
    let dialect = db.engine(Some("s")).unwrap().dialect();
    assert_eq!(
        sql_of(db),
        [format!("INSERT INTO {}", dialect.quote("tagged"))]
    );

    // The same key again: a typed error, nothing written, the session usable.
    session.add_all([tagged("first"), tagged("second")]);
    let error = session.commit().await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Constraint {
                kind: bindery::ConstraintKind::Unique,
                ..
            }
        ),
        "{error:?}"
    );
    session.add(tagged("second"));
    session.commit().await.unwrap();
    db.take_recorded_queries();
    let mut reader = db.session();
    let mut tags: Vec<String> = reader
        .query::<Tagged>()
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.tag)
        .collect();
    tags.sort();
    assert_eq!(tags, ["first", "second"]);

    // On the servers a read began the transaction, and the insert joins it. (On SQLite
    // reads run outside one, so this insert is alone too.)
    reader.add(tagged("third"));
    reader.commit().await.unwrap();
    // Two tables: one transaction over both.
    session.add(tagged("fourth"));
    session.add(person("pat", None, 1.0));
    session.commit().await.unwrap();
    let recorded = sql_of(db);
    // SQLite begins with `BEGIN IMMEDIATE`; PostgreSQL commits with `SELECT 1; COMMIT`.
    let begins = recorded.iter().filter(|s| s.starts_with("BEGIN")).count();
    let commits = recorded.iter().filter(|s| s.ends_with("COMMIT")).count();
    let transactions = match dialect {
        Dialect::Sqlite => 1,
        _ => 2,
    };
    assert_eq!(
        (begins, commits),
        (transactions, transactions),
        "{recorded:#?}"
    );
}

on_every_backend!(lone_insert);

fn audit(action: &str) -> audit::AuditLog {
    audit::AuditLog {
        id: 0,
        action: action.to_owned(),
        actor_id: None,
    }
}

fn user(name: &str) -> accounts::User {
    accounts::User {
        id: 0,
        name: name.to_owned(),
        email: None,
        role_id: None,
    }
}

fn store(name: &str) -> shop::Store {
    shop::Store {
        id: 0,
        name: name.to_owned(),
    }
}

#[cfg(all(feature = "postgres", feature = "mysql"))]
#[tokio::test]
async fn one_session_over_three_backends() {
    let Some((_dir, _auth, _shop, db)) = three_backends("three").await else {
        return;
    };
    let mut session = db.session();
    session.add(audit("signed up"));
    let ann = session.insert(user("ann")).await.unwrap();
    // Joined-table style: Admin's parent is User, so it lands in User's bind.
    session.add(accounts::Admin {
        user_id: ann.id,
        level: 2,
    });
    let store = session.insert(store("corner")).await.unwrap();
    session.add(shop::Order {
        id: 0,
        store_id: store.id,
        placed_by: 1,
        total_cents: 1250,
        note: Some("fragile".to_owned()),
    });
    session.commit().await.unwrap();

    let mut reader = db.session();
    assert_eq!(
        reader.all::<audit::AuditLog>().await.unwrap()[0].action,
        "signed up"
    );
    let admins: Vec<(i64, i16)> = reader
        .fetch_all(
            Some("auth"),
            "SELECT user_id, level FROM admin",
            bindery::params![],
        )
        .await
        .unwrap();
    assert_eq!(admins, [(ann.id, 2)]);
    assert_eq!(reader.all::<accounts::User>().await.unwrap()[0].name, "ann");
    let orders = reader.all::<shop::Order>().await.unwrap();
    assert_eq!(
        (orders[0].store_id, orders[0].total_cents),
        (store.id, 1250)
    );
    assert_eq!(
        db.engine(Some("auth")).unwrap().dialect(),
        Dialect::Postgres
    );
    assert_eq!(db.engine(Some("shop")).unwrap().dialect(), Dialect::MySql);
    reader.commit().await.unwrap();

    // A rollback leaves nothing on any bind.
    let mut session = db.session();
    session.add(audit("never"));
    session.add(user("never"));
    session.add(shop::Store {
        id: 0,
        name: "never".into(),
    });
    session.flush().await.unwrap();
    session.rollback().await.unwrap();
    let mut reader = db.session();
    assert_eq!(reader.all::<audit::AuditLog>().await.unwrap().len(), 1);
    assert_eq!(reader.all::<accounts::User>().await.unwrap().len(), 1);
    assert_eq!(reader.all::<shop::Store>().await.unwrap().len(), 1);
    reader.commit().await.unwrap();
    db.close().await;
}

/// COMMIT fails on `auth` (a deferred constraint, checked only then): the default bind,
/// first in the commit order, stays committed; `shop`, after it, is rolled back.
#[cfg(all(feature = "postgres", feature = "mysql"))]
#[tokio::test]
async fn a_commit_that_fails_part_way() {
    let Some((_dir, _auth, _shop, db)) = three_backends("partial").await else {
        return;
    };
    let mut setup = db.session();
    setup
        .execute(
            Some("auth"),
            "CREATE TABLE deferred_check (id INTEGER PRIMARY KEY, ref INTEGER, \
             CONSTRAINT deferred_ref FOREIGN KEY (ref) REFERENCES deferred_check (id) \
             DEFERRABLE INITIALLY DEFERRED)",
            params![],
        )
        .await
        .unwrap();
    setup.commit().await.unwrap();

    let mut session = db.session();
    session.add(audit("committed before the failure"));
    session.add(store("rolled back after the failure"));
    session
        .execute(
            Some("auth"),
            "INSERT INTO deferred_check VALUES (1, 999)",
            params![],
        )
        .await
        .unwrap();
    let error = session.commit().await.unwrap_err();
    let Error::PartialCommit {
        committed,
        failed,
        rolled_back,
        ..
    } = &error
    else {
        panic!("expected a partial commit, got {error}");
    };
    assert_eq!(committed, &[BindKey::DEFAULT]);
    assert_eq!(*failed, "auth");
    assert_eq!(rolled_back, &[BindKey::from("shop")]);
    assert!(
        error
            .to_string()
            .starts_with("commit failed on bind \"auth\": "),
        "{error}"
    );
    assert!(
        error.to_string().ends_with(
            "committed before it: the default bind; rolled back after it: bind \"shop\""
        ),
        "{error}"
    );

    let mut reader = db.session();
    assert_eq!(reader.all::<audit::AuditLog>().await.unwrap().len(), 1);
    assert!(reader.all::<shop::Store>().await.unwrap().is_empty());
    let rows: Vec<(i64,)> = reader
        .fetch_all(
            Some("auth"),
            "SELECT COUNT(*) FROM deferred_check",
            params![],
        )
        .await
        .unwrap();
    assert_eq!(rows, [(0,)]);
    reader.commit().await.unwrap();
    db.close().await;
}

#[tokio::test]
async fn recorded_queries_carry_their_bind() {
    let b = setup(None, "record").await.unwrap();
    let db = &b.db;
    db.take_recorded_queries();
    let mut session = db.session();
    session.add(audit("a"));
    session.add(person("p", None, 1.0));
    session.commit().await.unwrap();
    let recorded = db.take_recorded_queries();
    let insert = |bind: Option<&str>, table: &str| {
        recorded
            .iter()
            .find(|q| {
                let quoted = db.engine(bind).unwrap().dialect().quote(table);
                q.bind.as_deref() == bind && q.sql.starts_with(&format!("INSERT INTO {quoted}"))
            })
            .unwrap_or_else(|| panic!("no insert into {table} on {bind:?} in {recorded:#?}"))
    };
    assert_eq!(insert(None, "audit_log").params, 2);
    assert_eq!(insert(Some("s"), "person").params, 4);
    let commits: Vec<Option<&str>> = recorded
        .iter()
        .filter(|q| q.sql.ends_with("COMMIT"))
        .map(|q| q.bind.as_deref())
        .collect();
    assert_eq!(commits, [None, Some("s")], "the default bind commits first");
    b.db.close().await;
}

/// 64 tasks × 200 operations over three binds on three backends, 5 connections each.
#[cfg(all(feature = "postgres", feature = "mysql"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_sessions_at_once() {
    let pool = bindery::PoolOptions {
        max_connections: Some(5),
        ..Default::default()
    };
    let Some((_dir, _auth, _shop, db)) = three_backends_with("load", pool).await else {
        return;
    };

    let tasks = 64;
    let per_task = 200;
    let db = Arc::new(db);
    let mut handles = Vec::new();
    for task in 0..tasks {
        let db = Arc::clone(&db);
        handles.push(tokio::spawn(async move {
            for i in 0..per_task {
                let mut session = db.session();
                let name = format!("t{task}-{i}");
                match i % 3 {
                    0 => {
                        let row = session.insert(audit(&name)).await?;
                        assert!(session.get::<audit::AuditLog>(row.id).await?.is_some());
                    }
                    1 => {
                        let row = session.insert(user(&name)).await?;
                        let c = accounts::User::COLUMNS;
                        assert_eq!(
                            session
                                .query::<accounts::User>()
                                .filter(c.id.eq(row.id))
                                .count()
                                .await?,
                            1
                        );
                    }
                    _ => {
                        let row = session.insert(store(&name)).await?;
                        assert!(session.get::<shop::Store>(row.id).await?.is_some());
                    }
                }
                session.commit().await?;
            }
            Ok::<_, Error>(())
        }));
    }
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    let mut session = db.session();
    let total = session.query::<audit::AuditLog>().count().await.unwrap()
        + session.query::<accounts::User>().count().await.unwrap()
        + session.query::<shop::Store>().count().await.unwrap();
    assert_eq!(total, (tasks * per_task) as u64);
    session.commit().await.unwrap();
    db.close().await;
}

/// A session dropped outside any runtime (here: after `block_on` returned) neither
/// panics nor keeps its writes: it rolls back on the runtime the `Db` was built in.
#[test]
fn a_session_dropped_outside_the_runtime_rolls_back() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let b = runtime.block_on(setup(None, "drop_out")).unwrap();
    let mut session = b.db.session();
    runtime
        .block_on(session.insert(person("left behind", None, 0.0)))
        .unwrap();
    drop(session); // outside block_on: no tokio context here
    let count = runtime.block_on(async {
        let mut check = b.db.session();
        let n = check
            .query::<Person>()
            .filter(Person::COLUMNS.name.eq("left behind"))
            .count()
            .await
            .unwrap();
        check.commit().await.unwrap();
        n
    });
    assert_eq!(count, 0);
    runtime.block_on(b.db.close());
}

/// `Person` rows as the session on `db` counts them now.
async fn people(db: &Db) -> usize {
    let mut session = db.session();
    let n = session.all::<Person>().await.unwrap().len();
    session.commit().await.unwrap();
    n
}

/// On SQLite a session reads on one connection it holds, outside any transaction: another
/// session still writes and commits meanwhile, the reader sees that commit at its next
/// read, and its own first write begins the transaction on that same connection.
#[tokio::test]
async fn sqlite_reads_on_a_held_connection_see_commits_and_block_no_writer() {
    let backends = setup(None, "held-read").await.unwrap();
    let db = &backends.db;
    let mut reader = db.session();
    assert_eq!(reader.get::<Person>(1).await.unwrap(), None);

    let mut writer = db.session();
    writer.add(person("ann", None, 1.0));
    let committed = tokio::time::timeout(std::time::Duration::from_secs(10), writer.commit());
    committed
        .await
        .expect("a held read blocks no writer")
        .unwrap();

    let ann = reader.get::<Person>(1).await.unwrap().unwrap();
    assert_eq!(ann.name, "ann");
    reader.add(person("bob", None, 2.0));
    reader.flush().await.unwrap();
    reader.commit().await.unwrap();
    assert_eq!(people(db).await, 2);
    let sql: Vec<String> = db.recorded_queries().into_iter().map(|q| q.sql).collect();
    assert!(sql.iter().any(|s| s == "BEGIN IMMEDIATE"), "{sql:?}");
}

/// With a pool of one connection a session does not keep it for its reads: another
/// session (or the `Db`) would wait for it until the session ends.
#[tokio::test]
async fn sqlite_pool_of_one_is_not_held_for_reads() {
    let dir = ScratchDir::new("one-conn");
    let config = Config::new()
        .database_uri("sqlite:///default.db")
        .bind("auth", "sqlite:///auth.db")
        .bind("shop", "sqlite:///shop.db")
        .bind("s", "sqlite:///s.db")
        .sqlite_base_dir(dir.path())
        .pool(bindery::PoolOptions {
            max_connections: Some(1),
            acquire_timeout: Some(std::time::Duration::from_secs(5)),
            ..Default::default()
        });
    let db = Db::build(config).unwrap();
    db.create_all(Binds::All).await.unwrap();
    let mut reader = db.session();
    assert_eq!(reader.get::<Person>(1).await.unwrap(), None);
    let mut writer = db.session();
    writer.add(person("ann", None, 1.0));
    writer.commit().await.unwrap();
    assert!(reader.get::<Person>(1).await.unwrap().is_some());
    reader.commit().await.unwrap();
}

on_every_backend!(a_key_only_table_takes_inserts);

/// A table with no column but its generated key: one row, a batch, and queued rows all
/// get keys of their own (no dialect but MySQL takes `() VALUES ()`).
async fn a_key_only_table_takes_inserts(db: &Db) {
    let mut session = db.session();
    let one = session.insert(Ticket { id: 0 }).await.unwrap();
    let batch = session
        .insert_all(vec![Ticket { id: 0 }, Ticket { id: 0 }, Ticket { id: 0 }])
        .await
        .unwrap();
    session.add_all([Ticket { id: 0 }, Ticket { id: 0 }]);
    session.commit().await.unwrap();
    let mut keys: Vec<i64> = std::iter::once(one.id)
        .chain(batch.iter().map(|t| t.id))
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "keys in row order: {keys:?}"
    );
    let mut stored: Vec<i64> = db
        .session()
        .all::<Ticket>()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    stored.sort_unstable();
    assert_eq!(stored.len(), 6, "{stored:?}");
    keys.retain(|k| stored.contains(k));
    assert_eq!(keys.len(), 4, "every returned key is a stored row");
}

on_every_backend!(portable_sql_is_written_once_for_every_dialect);

/// One `Sql` value, no placeholder or quote written by hand, runs unchanged on every
/// dialect; a `?` written as text stays text (it is not a placeholder).
async fn portable_sql_is_written_once_for_every_dialect(db: &Db) {
    let insert = bindery::Sql::new("INSERT INTO ")
        .ident("person")
        .text(" (")
        .ident("name")
        .text(", ")
        .ident("score")
        .text(", ")
        .ident("active")
        .text(") VALUES (")
        .value("who?".to_owned())
        .text(", ")
        .value(2.5_f64)
        .text(", ")
        .value(true)
        .text(")");
    let mut session = db.session();
    assert_eq!(session.execute_sql("s", &insert).await.unwrap(), 1);
    let read = bindery::Sql::new("SELECT ")
        .ident("name")
        .text(", ")
        .ident("score")
        .text(" FROM ")
        .ident("person")
        .text(" WHERE ")
        .ident("name")
        .text(" = ")
        .value("who?".to_owned());
    let rows: Vec<(String, f64)> = session.fetch_sql("s", &read).await.unwrap();
    assert_eq!(rows, [("who?".to_owned(), 2.5)]);
    session.commit().await.unwrap();
}

on_every_backend!(a_held_connection_the_server_closed_is_replaced: postgres, mariadb);

/// A session holds its connection between transactions; the server closes it (as a
/// restart or an idle timeout would); once the connection has sat idle past
/// `PING_AFTER_IDLE`, the session's next commit pings it, finds it gone, and runs on a
/// new one.
async fn a_held_connection_the_server_closed_is_replaced(db: &Db) {
    let whoami = match db.engine(Some("s")).unwrap().dialect() {
        Dialect::Postgres => "SELECT CAST(pg_backend_pid() AS BIGINT)",
        _ => "SELECT CAST(CONNECTION_ID() AS SIGNED)",
    };
    let mut session = db.session();
    session.add(person("ann", None, 1.0));
    session.commit().await.unwrap();
    let held: Vec<(i64,)> = session
        .fetch_all(Some("s"), whoami, params![])
        .await
        .unwrap();
    session.commit().await.unwrap();
    let mut killer = db.session();
    let kill = match db.engine(Some("s")).unwrap().dialect() {
        Dialect::Postgres => format!("SELECT pg_terminate_backend({})", held[0].0),
        _ => format!("KILL {}", held[0].0),
    };
    killer.execute(Some("s"), &kill, params![]).await.unwrap();
    killer.commit().await.unwrap();
    tokio::time::sleep(bindery::PING_AFTER_IDLE + std::time::Duration::from_millis(100)).await;
    session.add(person("bob", None, 2.0));
    session.commit().await.unwrap();
    let now: Vec<(i64,)> = session
        .fetch_all(Some("s"), whoami, params![])
        .await
        .unwrap();
    assert_ne!(now, held, "the closed connection was used again");
    assert_eq!(session.query::<Person>().count().await.unwrap(), 2);
}
