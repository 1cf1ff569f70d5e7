//! Bad input at run time, on SQLite, PostgreSQL and MariaDB: every fault is a typed error
//! that names its culprit (bind, model, column or constraint), nothing of a failed commit
//! is left behind, awkward values and reserved words work, and DDL that meets a lock
//! fails after the configured timeout instead of hanging.

// The models' fields are read through the database; in a test, a failed unwrap is the
// test failing.
#![allow(dead_code, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bindery::{Binds, Config, ConstraintKind, Db, Dialect, Error, Model};
use common::{ScratchDb, ScratchDir, Server, count};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "f")]
struct Account {
    #[model(primary_key)]
    id: i64,
    #[model(length = 20, unique)]
    login: String,
    nick: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "f")]
struct Post {
    #[model(primary_key)]
    id: i64,
    #[model(references = "account.id")]
    account_id: i64,
    body: String,
}

/// Reserved words as table and column names.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "f", table = "group")]
struct Group {
    #[model(primary_key, column = "select")]
    id: i64,
    #[model(column = "order", length = 30)]
    order_name: String,
    #[model(column = "user")]
    user_count: i32,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "f", table = "select")]
struct Select {
    #[model(primary_key)]
    id: i64,
    #[model(column = "group")]
    group_id: Option<i64>,
}

fn account(login: &str) -> Account {
    Account {
        id: 0,
        login: login.to_owned(),
        nick: None,
    }
}

struct Place {
    _dir: ScratchDir,
    _server: Option<ScratchDb>,
    db: Db,
}

impl std::ops::Deref for Place {
    type Target = Db;

    fn deref(&self) -> &Db {
        &self.db
    }
}

async fn setup(server: Option<Server>, tag: &str) -> Option<Place> {
    let dir = ScratchDir::new(tag);
    let (url, scratch) = match server {
        None => ("sqlite:///f.db".to_owned(), None),
        Some(server) => {
            let db = ScratchDb::new(server, tag).await?;
            (db.url().to_owned(), Some(db))
        }
    };
    let config = Config::new()
        .bind("f", &url)
        .sqlite_base_dir(dir.path())
        .ddl_lock_timeout(Duration::from_secs(1));
    let db = Db::build(config).unwrap();
    db.create_all(Binds::All).await.unwrap();
    Some(Place {
        _dir: dir,
        _server: scratch,
        db,
    })
}

/// The placeholder `n` of bind `f`.
fn p(db: &Db, n: usize) -> String {
    common::placeholder(db, "f", n)
}

on_every_backend!(constraint_violations_are_typed);

/// UNIQUE, FOREIGN KEY and NOT NULL: typed, naming the constraint, leaving nothing.
async fn constraint_violations_are_typed(db: &Db) {
    // UNIQUE: the commit fails at flush, names the constraint, and leaves nothing.
    let mut session = db.session();
    session.add(account("ann"));
    session.add(account("ann"));
    let error = session.commit().await.unwrap_err();
    let Error::Constraint {
        kind,
        constraint,
        bind,
        ..
    } = &error
    else {
        panic!("expected a UNIQUE violation, got {error:?}");
    };
    assert_eq!(
        (*kind, bind.as_deref()),
        (ConstraintKind::Unique, Some("f"))
    );
    assert!(
        constraint.contains("login"),
        "the constraint names the column: {constraint}"
    );
    assert!(
        error
            .to_string()
            .starts_with("bind \"f\": UNIQUE constraint"),
        "{error}"
    );
    assert_eq!(
        count::<Account>(db).await,
        0,
        "nothing of the failed commit is visible"
    );

    // FOREIGN KEY, enforced on every backend (SQLite's foreign keys are on).
    let mut session = db.session();
    session.add(Post {
        id: 0,
        account_id: 999,
        body: "orphan".into(),
    });
    let error = session.commit().await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Constraint {
                kind: ConstraintKind::ForeignKey,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(count::<Post>(db).await, 0);

    // NOT NULL, through raw SQL (a model cannot hold the NULL).
    let mut session = db.session();
    let sql = format!(
        "INSERT INTO account (login, nick) VALUES ({}, {})",
        p(db, 1),
        p(db, 2)
    );
    let error = session
        .execute(
            Some("f"),
            &sql,
            vec![
                bindery::Value::Null(bindery::ValueKind::Text),
                "x".to_param(),
            ],
        )
        .await
        .unwrap_err();
    let Error::Constraint {
        kind: ConstraintKind::NotNull,
        constraint,
        ..
    } = &error
    else {
        panic!("expected a NOT NULL violation, got {error:?}");
    };
    assert!(constraint.contains("login"), "{constraint}");
    session.rollback().await.unwrap();
}

on_every_backend!(text_is_checked_then_stored_as_given);

/// Text too long for its column is refused before the database; awkward text (quotes,
/// comment and statement separators, unicode, NUL where the backend can store it) is
/// stored and read back as given.
async fn text_is_checked_then_stored_as_given(db: &Db) {
    let dialect = db.engine(Some("f")).unwrap().dialect();
    // Too long for VARCHAR(20): refused before the database, on SQLite too.
    let mut session = db.session();
    let error = session.insert(account(&"x".repeat(21))).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "bind \"f\": faults::Account.login holds at most 20 characters, and the value has 21"
    );
    // Twenty characters of four bytes each fit: the limit counts characters.
    session.insert(account(&"😀".repeat(20))).await.unwrap();
    session.rollback().await.unwrap();

    // Awkward text: quotes, comment and statement separators, unicode; NUL where it fits.
    let awkward = "it's \"quoted\" -- not a comment; DROP TABLE account; \\ 한국어 🎉";
    let mut session = db.session();
    let mut stored = session
        .insert(Account {
            id: 0,
            login: "awkward".into(),
            nick: Some(awkward.into()),
        })
        .await
        .unwrap();
    let with_nul = Account {
        nick: Some("before\0after".into()),
        ..account("nul")
    };
    match (dialect, session.insert(with_nul.clone()).await) {
        (Dialect::Postgres, Err(error)) => assert_eq!(
            error.to_string(),
            "bind \"f\": faults::Account.nick holds a NUL character, which PostgreSQL text cannot store (use a `Vec<u8>` column for binary data)"
        ),
        (Dialect::Postgres, Ok(_)) => panic!("PostgreSQL cannot store NUL in text"),
        (_, result) => {
            let row = result.unwrap();
            let read = session.get::<Account>(row.id).await.unwrap().unwrap();
            assert_eq!(read.nick, with_nul.nick);
        }
    }
    session.commit().await.unwrap();
    let mut session = db.session();
    assert_eq!(
        session
            .get::<Account>(stored.id)
            .await
            .unwrap()
            .unwrap()
            .nick
            .as_deref(),
        Some(awkward)
    );
    let c = Account::COLUMNS;
    let found = session
        .query::<Account>()
        .filter(c.nick.eq(awkward))
        .one()
        .await
        .unwrap();
    assert_eq!(found.id, stored.id);
    stored.nick = Some("'; --".into());
    assert!(session.update(&stored).await.unwrap());
    session.commit().await.unwrap();
}

on_every_backend!(reserved_words_name_tables_and_columns);

/// Reserved words as table and column names: created, written, read, checked.
async fn reserved_words_name_tables_and_columns(db: &Db) {
    let mut session = db.session();
    let group = session
        .insert(Group {
            id: 0,
            order_name: "first".into(),
            user_count: 3,
        })
        .await
        .unwrap();
    session.add(Select {
        id: 0,
        group_id: Some(group.id),
    });
    session.commit().await.unwrap();
    let mut session = db.session();
    let g = Group::COLUMNS;
    let read = session
        .query::<Group>()
        .filter(g.order_name.eq("first"))
        .one()
        .await
        .unwrap();
    assert_eq!(read, group);
    assert_eq!(
        session.all::<Select>().await.unwrap()[0].group_id,
        Some(group.id)
    );
    session.commit().await.unwrap();
    assert!(db.check(Binds::All).await.unwrap().is_clean());
}

/// `drop_all` while a session still holds a transaction on a table: it fails after the
/// DDL lock timeout (1 s here), naming the bind and table, where Flask-SQLAlchemy waits
/// for ever. Once the session ends, `drop_all` goes through.
async fn ddl_meets_a_lock(db: &Db) {
    let mut holder = db.session();
    holder.insert(account("holder")).await.unwrap();
    holder.commit().await.unwrap();
    // An open read transaction: PostgreSQL's ACCESS SHARE lock, MariaDB's metadata lock.
    assert_eq!(holder.all::<Account>().await.unwrap().len(), 1);

    let error = db.drop_all(Binds::All).await.unwrap_err();
    let Error::Schema(schema) = &error else {
        panic!("expected a schema error, got {error:?}");
    };
    let failure = &schema.failures[0];
    assert_eq!(failure.bind.as_deref(), Some("f"));
    assert!(
        failure.table.is_some(),
        "the failure names its table: {error}"
    );
    assert!(
        error
            .to_string()
            .starts_with("drop_all failed on bind \"f\", table "),
        "{error}"
    );

    holder.commit().await.unwrap();
    db.drop_all(Binds::All).await.unwrap();
}

on_every_backend!(ddl_meets_a_lock: postgres, mariadb);

#[cfg(feature = "postgres")]
#[tokio::test]
async fn unreachable_host_fails_with_the_bind_and_no_password() {
    let pool = bindery::PoolOptions {
        acquire_timeout: Some(Duration::from_secs(1)),
        ..Default::default()
    };
    let config =
        Config::new().bind_with("f", "postgresql://app:Hunter2-secret@127.0.0.1:9/f", pool);
    let db = Db::build(config).unwrap();
    let mut session = db.session();
    let error = session.all::<Account>().await.unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with("bind \"f\": "), "{text}");
    assert!(!text.contains("Hunter2") && !format!("{error:?}").contains("Hunter2"));
}

use bindery::ToParam as _;
