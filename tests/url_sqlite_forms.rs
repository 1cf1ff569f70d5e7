//! SQLAlchemy's SQLite URL forms, opened for real through `Db::build`, `create_all`, an
//! insert and a read: every in-memory spelling is one in-memory database, a `file:` URI
//! with `uri=true` is SQLite's URI filename (relative to `sqlite_base_dir`, its `mode`,
//! `cache` and `immutable` applied), and a `file:` path without `uri=true` is a file of
//! that name, as SQLAlchemy opens it.

// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]
// Every test but one opens its URL with the SQLite driver.
#![cfg(feature = "sqlite")]

mod common;

use bindery::{BuildProblem, Config, ConfigProblem, Db, Dialect, Error, Model, UrlError};
use common::ScratchDir;

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "note")]
struct Note {
    #[model(primary_key)]
    id: i64,
    #[model(length = 40)]
    text: String,
}

fn note(id: i64) -> Note {
    Note {
        id,
        text: format!("note {id}"),
    }
}

/// A `Db` on `url`, relative paths under `dir`; nothing connects yet.
fn build(url: &str, dir: &ScratchDir) -> Db {
    let config = Config::new().database_uri(url).sqlite_base_dir(dir.path());
    Db::build(config).unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// A `Db` on `url`, its tables created.
async fn open(url: &str, dir: &ScratchDir) -> Db {
    let db = build(url, dir);
    db.create_all(bindery::Binds::All)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    db
}

/// Opens `url`, writes and reads note `id`, and closes it.
async fn round_trip(url: &str, dir: &ScratchDir, id: i64) {
    let db = open(url, dir).await;
    write_and_read(&db, id).await;
    db.close().await;
}

/// Inserts note `id` in one session, and reads it back in another.
async fn write_and_read(db: &Db, id: i64) {
    let mut session = db.session();
    session.insert(note(id)).await.unwrap();
    session.commit().await.unwrap();
    let mut other = db.session();
    assert_eq!(other.get::<Note>(id).await.unwrap(), Some(note(id)));
    other.commit().await.unwrap();
}

#[tokio::test]
async fn every_in_memory_spelling_is_one_shared_in_memory_database() {
    let dir = ScratchDir::new("mem_forms");
    for url in [
        "sqlite://",
        "sqlite:///",
        "sqlite:///:memory:",
        "sqlite://:memory:",
        "sqlite::memory:",
        "sqlite+pysqlite:///:memory:?uri=true",
        "sqlite:///file::memory:?uri=true",
        "sqlite:///file::memory:?cache=shared&uri=true",
        "sqlite:///file:mem?mode=memory&cache=shared&uri=true",
    ] {
        let db = open(url, &dir).await;
        assert!(db.engine(None).unwrap().url().is_memory(), "{url}");
        // Two sessions, one database: what one wrote, the other reads.
        write_and_read(&db, 1).await;
        db.close().await;
    }
    // No file was made for any of them.
    assert!(!dir.path().exists() || std::fs::read_dir(dir.path()).unwrap().count() == 0);
}

#[tokio::test]
async fn a_relative_file_uri_is_a_file_under_the_base_dir() {
    let dir = ScratchDir::new("uri_rel");
    round_trip("sqlite:///file:data/app.db?uri=true", &dir, 1).await;
    assert!(dir.path().join("data/app.db").is_file());
    // The same file through a plain path: the row is there.
    let db = open("sqlite:///data/app.db", &dir).await;
    assert_eq!(db.session().get::<Note>(1).await.unwrap(), Some(note(1)));
    db.close().await;
}

#[tokio::test]
async fn an_absolute_percent_encoded_file_uri_opens_that_file() {
    let dir = ScratchDir::new("uri_abs");
    let file = dir.path().join("my notes.db");
    let absolute = file.to_str().unwrap().replace(' ', "%20");
    let urls = [
        format!("sqlite:///file://{absolute}?mode=rwc&uri=true"),
        format!("sqlite:///file://localhost{absolute}?uri=1"),
    ];
    for (id, url) in (1..).zip(urls) {
        round_trip(&url, &dir, id).await;
    }
    assert!(file.is_file());
}

#[tokio::test]
async fn mode_ro_refuses_a_write_with_a_typed_error() {
    let dir = ScratchDir::new("uri_ro");
    round_trip("sqlite:///file:ro.db?mode=rwc&uri=true", &dir, 1).await;
    let db = build("sqlite:///file:ro.db?mode=ro&uri=true", &dir);
    let mut session = db.session();
    assert_eq!(session.get::<Note>(1).await.unwrap(), Some(note(1)));
    session.commit().await.unwrap();
    let error = session.insert(note(2)).await.unwrap_err();
    match &error {
        Error::Database { source, .. } => {
            assert!(source.to_string().contains("readonly"), "{source}")
        }
        other => panic!("not a database error: {other:?}"),
    }
    drop(session);
    db.close().await;
}

#[tokio::test]
async fn mode_rw_does_not_create_a_missing_file() {
    let dir = ScratchDir::new("uri_rw");
    std::fs::create_dir_all(dir.path()).unwrap();
    let db = build("sqlite:///file:missing.db?mode=rw&uri=true", &dir);
    let error = db.create_all(bindery::Binds::All).await.unwrap_err();
    assert!(matches!(error, Error::Schema(_)), "{error:?}");
    assert!(error.to_string().contains("unable to open"), "{error}");
    db.close().await;
    assert!(!dir.path().join("missing.db").exists());
}

#[tokio::test]
async fn shared_cache_and_immutable_apply_to_a_file_uri() {
    let dir = ScratchDir::new("uri_imm");
    round_trip("sqlite:///file:frozen.db?cache=shared&uri=true", &dir, 1).await;
    // An immutable database is read without its WAL: wait for the last connection's
    // close (which may finish on another task) to fold the WAL in and remove it.
    let wal = dir.path().join("frozen.db-wal");
    for _ in 0..500 {
        if !wal.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(!wal.exists(), "the WAL outlived every connection");
    let db = build("sqlite:///file:frozen.db?immutable=1&uri=true", &dir);
    assert_eq!(db.session().get::<Note>(1).await.unwrap(), Some(note(1)));
    db.close().await;
}

#[tokio::test]
async fn a_file_path_without_uri_true_is_a_file_of_that_name() {
    // SQLAlchemy (and Flask-SQLAlchemy, under its instance folder) opens the file
    // `file:plain.db`; sqlx's URI flag must not read it as a URI.
    let dir = ScratchDir::new("uri_off");
    for url in [
        "sqlite:///file:plain.db",
        "sqlite:///file:plain.db?uri=false",
    ] {
        let db = open(url, &dir).await;
        db.close().await;
    }
    assert!(dir.path().join("file:plain.db").is_file());
    assert!(!dir.path().join("plain.db").exists());
}

#[tokio::test]
async fn uri_true_on_a_plain_path_is_that_path_and_takes_no_other_option() {
    let dir = ScratchDir::new("uri_plain");
    round_trip("sqlite:///plain.db?uri=true", &dir, 1).await;
    assert!(dir.path().join("plain.db").is_file());
    // SQLAlchemy would open a file named `plain.db?mode=ro`: refused, naming `uri`.
    let config = Config::new().database_uri("sqlite:///plain.db?mode=ro&uri=true");
    match Db::build(config) {
        Err(Error::Build(error)) => assert!(
            matches!(
                error.problems(),
                [BuildProblem::Config(ConfigProblem::BadUrl {
                    error: UrlError::BadOption { option, .. },
                    ..
                })] if option == "uri"
            ),
            "{error:?}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn sqlite_uri_options_bindery_cannot_apply_are_refused_by_name() {
    for (url, option) in [
        ("sqlite:///file:x.db?vfs=unix-dotfile&uri=true", "vfs"),
        ("sqlite:///file:x.db?nolock=1&uri=true", "nolock"),
        ("sqlite:///file:x.db?psow=0&uri=true", "psow"),
        ("sqlite:///file:x.db?timeout=10&uri=true", "timeout"),
    ] {
        let error = bindery::DatabaseUrl::parse(url).unwrap_err();
        assert!(
            matches!(&error, UrlError::UnknownOption { option: o, dialect: Dialect::Sqlite, .. } if o == option),
            "{url}: {error:?}"
        );
    }
}
