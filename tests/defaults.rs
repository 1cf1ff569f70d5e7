//! What the database or a function fills when a row does not give a value: an `Option`
//! generated key (`None` generated, `Some` stored as given), `server_default` and
//! `default_fn`. Each scenario runs on SQLite, PostgreSQL and MariaDB through one
//! generator.

// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use bindery::{Db, Model, PoolOptions};
use common::{OnBackend, Server};

/// A generated key the row may give itself.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "keyed", bind_key = "d")]
struct Keyed {
    #[model(primary_key)]
    id: Option<i64>,
    #[model(length = 20)]
    name: String,
}

fn keyed(id: Option<i64>, name: &str) -> Keyed {
    Keyed {
        id,
        name: name.to_owned(),
    }
}

/// Bind `d` on `server` (or a SQLite file), its tables created.
async fn setup(server: Option<Server>, tag: &str) -> Option<OnBackend> {
    OnBackend::new(server, tag, "d", PoolOptions::default()).await
}

async fn stored(db: &Db) -> Vec<(i64, String)> {
    let mut rows: Vec<(i64, String)> = db
        .session()
        .all::<Keyed>()
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.id.unwrap(), k.name))
        .collect();
    rows.sort();
    rows
}

on_every_backend!(given_and_generated_keys_mix_in_one_batch);

/// `None` keys are generated, `Some` keys stored as given, in one `insert_all` and in
/// queued rows; a key generated afterwards is past every given one (PostgreSQL's
/// sequence moved, MySQL's AUTO_INCREMENT and SQLite's rowid on their own).
async fn given_and_generated_keys_mix_in_one_batch(db: &Db) {
    let mut session = db.session();
    let rows = vec![keyed(None, "a"), keyed(Some(100), "b"), keyed(None, "c")];
    let inserted = session.insert_all(rows).await.unwrap();
    let ids: Vec<Option<i64>> = inserted.iter().map(|k| k.id).collect();
    assert_eq!(ids[1], Some(100));
    let (a, c) = (ids[0].unwrap(), ids[2].unwrap());
    assert!(a != c && a != 100 && c != 100, "{ids:?}");
    session.add_all([keyed(Some(200), "d"), keyed(None, "e")]);
    session.commit().await.unwrap();
    let mut session = db.session();
    let f = session.insert(keyed(None, "f")).await.unwrap();
    session.commit().await.unwrap();
    assert!(f.id.unwrap() > 200, "generated {f:?} after the given 200");
    let stored = stored(db).await;
    let names: Vec<&str> = stored.iter().map(|(_, n)| n.as_str()).collect();
    assert!(stored.contains(&(100, "b".to_owned())), "{stored:?}");
    assert!(stored.contains(&(200, "d".to_owned())), "{stored:?}");
    assert_eq!(names.len(), 6, "{stored:?}");
    assert!(db.check(bindery::Binds::All).await.unwrap().is_clean());
}

#[cfg(feature = "chrono")]
mod with_chrono {
    use super::*;

    static TOKENS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

    fn next_token() -> String {
        let n = TOKENS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("t-{n}")
    }

    /// Columns filled by the database and by a function.
    #[derive(Debug, Clone, PartialEq, Model)]
    #[model(table = "note", bind_key = "d")]
    pub(super) struct Note {
        #[model(primary_key)]
        id: i64,
        #[model(length = 20)]
        body: String,
        #[model(server_default = "CURRENT_TIMESTAMP")]
        created: Option<chrono::NaiveDateTime>,
        #[model(length = 20, default_fn = next_token)]
        token: Option<String>,
    }

    fn note(body: &str, created: Option<chrono::NaiveDateTime>) -> Note {
        Note {
            id: 0,
            body: body.to_owned(),
            created,
            token: None,
        }
    }

    pub(super) async fn defaults_fill_what_a_row_leaves_unset(db: &Db) {
        let given = chrono::NaiveDate::from_ymd_opt(2001, 2, 3)
            .unwrap()
            .and_hms_opt(4, 5, 6)
            .unwrap();
        let mut session = db.session();
        let inserted = session.insert(note("one", None)).await.unwrap();
        assert!(inserted.token.as_deref().unwrap().starts_with("t-"));
        session.add_all([note("two", Some(given)), note("three", None)]);
        session.commit().await.unwrap();
        let mut notes = db.session().all::<Note>().await.unwrap();
        notes.sort_by(|a, b| a.body.cmp(&b.body));
        let bodies: Vec<&str> = notes.iter().map(|n| n.body.as_str()).collect();
        assert_eq!(bodies, ["one", "three", "two"]);
        assert!(
            notes
                .iter()
                .all(|n| n.created.is_some() && n.token.is_some()),
            "{notes:?}"
        );
        assert_eq!(notes[2].created, Some(given), "a given value is kept");
        assert_ne!(notes[0].token, notes[1].token);
        let drift = db.check(bindery::Binds::All).await.unwrap();
        assert!(drift.is_clean(), "{drift}");
    }
}

#[cfg(feature = "chrono")]
use with_chrono::defaults_fill_what_a_row_leaves_unset;
#[cfg(feature = "chrono")]
on_every_backend!(defaults_fill_what_a_row_leaves_unset);
