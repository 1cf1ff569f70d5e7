//! Writes that name their rows by a query, their columns by name or their key:
//! `find::<M>()…update` and `…delete` (one statement for every matching row),
//! `Session::update_columns` (a partial update by key, so two writers of different
//! columns do not undo each other) and `Session::upsert_all` (insert or update on a
//! unique key).
//! Each scenario runs on SQLite, PostgreSQL and MariaDB through one generator.

// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use bindery::{Db, Error, Model, PoolOptions, find};
use common::{OnBackend, Server};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "member", bind_key = "b")]
struct Member {
    #[model(primary_key)]
    id: i64,
    #[model(length = 20, unique)]
    name: String,
    age: i32,
    #[model(length = 40)]
    note: Option<String>,
}

fn member(name: &str, age: i32) -> Member {
    Member {
        id: 0,
        name: name.to_owned(),
        age,
        note: None,
    }
}

/// Bind `b` on `server` (or a SQLite file), its table created, every statement recorded.
async fn setup(server: Option<Server>, tag: &str) -> Option<OnBackend> {
    OnBackend::new(server, tag, "b", PoolOptions::default()).await
}

async fn people(db: &Db) -> Vec<(String, i32, Option<String>)> {
    let all = find::<Member>()
        .order_by(Member::COLUMNS.name.asc())
        .all(db)
        .await
        .unwrap();
    all.into_iter().map(|m| (m.name, m.age, m.note)).collect()
}

on_every_backend!(bulk_update_and_delete_touch_the_matching_rows);

/// One UPDATE and one DELETE for every matching row, on a `Db` and in a session; an
/// ordered query, an empty change and a value too long for its column are refused
/// before anything is sent.
async fn bulk_update_and_delete_touch_the_matching_rows(db: &Db) {
    let mut session = db.session();
    let rows = ["ann", "bob", "cy", "dee"]
        .iter()
        .zip([31, 17, 45, 31])
        .map(|(n, a)| member(n, a));
    session.insert_all(rows.collect()).await.unwrap();
    session.commit().await.unwrap();
    let c = Member::COLUMNS;
    let thirty_one = find::<Member>().filter(c.age.eq(31));
    let set = [c.note.set("thirty-one"), c.age.set(32)];
    assert_eq!(thirty_one.update(db, set).await.unwrap(), 2);
    let mut session = db.session();
    let minors = find::<Member>().filter(c.age.lt(18));
    assert_eq!(minors.delete(&mut session).await.unwrap(), 1);
    session.commit().await.unwrap();
    assert_eq!(
        people(db).await,
        [
            ("ann".to_owned(), 32, Some("thirty-one".to_owned())),
            ("cy".to_owned(), 45, None),
            ("dee".to_owned(), 32, Some("thirty-one".to_owned())),
        ]
    );
    let ordered = find::<Member>().order_by(c.age.asc());
    let refused = ordered.delete(db).await.unwrap_err();
    assert!(matches!(refused, Error::Unsupported { .. }), "{refused:?}");
    let refused = find::<Member>().update(db, []).await.unwrap_err();
    assert!(matches!(refused, Error::Unsupported { .. }), "{refused:?}");
    let long = "x".repeat(41);
    let refused = find::<Member>()
        .update(db, [c.note.set(long)])
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::TooLong { .. }), "{refused:?}");
    assert_eq!(people(db).await.len(), 3, "nothing was sent");
}

on_every_backend!(partial_updates_do_not_undo_each_other);

/// Two writers read the same row; one changes its name, the other its note, each by
/// `update_columns`: both changes stay (a whole-row `update` would write back the name
/// the second writer read). The statement names only the columns asked for.
async fn partial_updates_do_not_undo_each_other(db: &Db) {
    let mut session = db.session();
    let ann = session.insert(member("ann", 31)).await.unwrap();
    session.commit().await.unwrap();
    let (mut first, mut second) = (ann.clone(), ann.clone());
    first.name = "anne".to_owned();
    second.note = Some("prefers tea".to_owned());
    let c = Member::COLUMNS;
    let mut session = db.session();
    assert!(
        session
            .update_columns(&first, [c.name.into()])
            .await
            .unwrap()
    );
    session.commit().await.unwrap();
    db.take_recorded_queries();
    let mut session = db.session();
    assert!(
        session
            .update_columns(&second, [c.note.into()])
            .await
            .unwrap()
    );
    session.commit().await.unwrap();
    let updates: Vec<String> = db
        .take_recorded_queries()
        .into_iter()
        .map(|q| q.sql)
        .filter(|sql| sql.starts_with("UPDATE"))
        .collect();
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert!(!updates[0].contains("name"), "{updates:?}");
    assert_eq!(
        people(db).await,
        [("anne".to_owned(), 31, Some("prefers tea".to_owned()))]
    );
    let gone = Member {
        id: ann.id + 1000,
        ..ann
    };
    let mut session = db.session();
    assert!(!session.update_columns(&gone, [c.age.into()]).await.unwrap());
}

on_every_backend!(an_upsert_inserts_new_rows_and_updates_stored_ones);

/// New and stored rows in one call: the stored ones take the new values (the last of two
/// rows with one key wins), the new ones are inserted, the others are untouched; a key
/// that is not unique is refused.
async fn an_upsert_inserts_new_rows_and_updates_stored_ones(db: &Db) {
    let mut session = db.session();
    session
        .insert_all(vec![member("ann", 31), member("bob", 17)])
        .await
        .unwrap();
    session.commit().await.unwrap();
    let c = Member::COLUMNS;
    let with_note = |name: &str, age: i32, note: &str| Member {
        note: Some(note.to_owned()),
        ..member(name, age)
    };
    let rows = vec![
        with_note("ann", 40, "first"),
        member("cy", 20),
        with_note("ann", 41, "last"),
    ];
    let mut session = db.session();
    let _ = session.upsert_all(rows, [c.name.into()]).await.unwrap();
    session.commit().await.unwrap();
    assert_eq!(
        people(db).await,
        [
            ("ann".to_owned(), 41, Some("last".to_owned())),
            ("bob".to_owned(), 17, None),
            ("cy".to_owned(), 20, None),
        ]
    );
    let mut session = db.session();
    let refused = session
        .upsert_all(vec![member("dee", 31)], [c.age.into()])
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Unsupported { .. }), "{refused:?}");
}

on_every_backend!(an_upsert_hands_back_the_key_of_each_row);

/// Each row comes back with the key of the row it inserted or updated: a stored row's
/// own key, a fresh one for a new row, one key for two rows of one name. A name that differs from the stored one only in case is the
/// same row where the column's collation says so (MariaDB's default) and a new one
/// elsewhere: either way its key is that of a row of that name. RETURNING's order is not
/// relied on.
async fn an_upsert_hands_back_the_key_of_each_row(db: &Db) {
    let mut session = db.session();
    let stored = session
        .insert_all(vec![member("ann", 31), member("bob", 17)])
        .await
        .unwrap();
    session.commit().await.unwrap();
    let c = Member::COLUMNS;
    let rows = vec![
        member("cy", 20),
        member("bob", 18),
        member("dee", 40),
        member("cy", 21),
        member("ANN", 32),
    ];
    let mut session = db.session();
    let upserted = session.upsert_all(rows, [c.name.into()]).await.unwrap();
    session.commit().await.unwrap();
    let all = find::<Member>().all(db).await.unwrap();
    let key_of = |name: &str| all.iter().find(|m| m.name == name).map(|m| m.id);
    assert_eq!(upserted[1].id, stored[1].id, "bob keeps his key");
    assert_eq!(Some(upserted[0].id), key_of("cy"));
    assert_eq!(
        upserted[0].id, upserted[3].id,
        "one key for both rows of cy"
    );
    assert_eq!(Some(upserted[2].id), key_of("dee"));
    let ann = all.iter().find(|m| m.id == upserted[4].id).unwrap();
    assert!(ann.name.eq_ignore_ascii_case("ann"), "{ann:?}");
    assert_eq!(ann.age, 32);
    // Many rows: each key is its own row's.
    let many: Vec<Member> = (0..2_500).map(|i| member(&format!("m{i}"), i)).collect();
    let mut session = db.session();
    let upserted = session.upsert_all(many, [c.name.into()]).await.unwrap();
    session.commit().await.unwrap();
    let all = find::<Member>().all(db).await.unwrap();
    for row in upserted.iter().step_by(97) {
        assert_eq!(
            Some(row.id),
            all.iter().find(|m| m.name == row.name).map(|m| m.id)
        );
    }
}
