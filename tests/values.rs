//! Values that the three backends would treat differently, treated one way by bindery on
//! SQLite, PostgreSQL and MariaDB alike: NaN and infinities refused with a typed error on
//! every path (writes, filters, raw parameters); rows of many megabytes batched under
//! MariaDB's `max_allowed_packet`, and a row over it refused before it is sent; LIKE
//! patterns with `%`, `_`, `!` and backslashes matching the same rows everywhere.
//!
//! Each scenario is one `async fn(&Db)`; `on_every_backend!` makes its three tests.

// In a test, a failed unwrap is the test failing.
#![allow(dead_code, clippy::unwrap_used)]

mod common;

use bindery::{Db, Dialect, Error, Model, PoolOptions, Value, params};
use common::{OnBackend, Server, count};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "v")]
struct Reading {
    #[model(primary_key)]
    id: i64,
    value: f64,
    maybe: Option<f64>,
    single: f32,
}

fn reading(value: f64) -> Reading {
    Reading {
        id: 0,
        value,
        maybe: None,
        single: 0.0,
    }
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "v")]
struct Doc {
    #[model(primary_key)]
    id: i64,
    #[model(length = 40, unique)]
    name: String,
    body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "v")]
struct Word {
    #[model(primary_key)]
    id: i64,
    #[model(length = 40)]
    text: String,
    note: Option<String>,
}

/// Bind `v` on `server` (or a SQLite file), its tables created.
async fn setup(server: Option<Server>, tag: &str) -> Option<OnBackend> {
    OnBackend::new(server, tag, "v", PoolOptions::default()).await
}

fn dialect(db: &Db) -> Dialect {
    db.engine(Some("v")).unwrap().dialect()
}

/// The placeholder `n` of bind `v`.
fn p(db: &Db, n: usize) -> String {
    common::placeholder(db, "v", n)
}

/// Asserts `result` is `Error::NotFinite` naming bind `v`, `model` and `column`.
#[track_caller]
fn assert_not_finite<T: std::fmt::Debug>(result: Result<T, Error>, model: &str, column: &str) {
    match result {
        Err(Error::NotFinite {
            bind,
            model: m,
            column: c,
            value,
        }) => {
            assert_eq!((bind.as_deref(), m, c.as_str()), (Some("v"), model, column));
            assert!(!value.is_finite());
        }
        other => panic!("expected NotFinite for {model}.{column}, got {other:?}"),
    }
}

/// NaN, +inf and -inf in f64, `Option<f64>` and f32 fields are refused on every write
/// path before the database, the same on every backend, and leave nothing behind.
async fn non_finite_writes_are_refused(db: &Db) {
    let model = "values::Reading";
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut session = db.session();
        session.add(reading(1.0));
        session.add(reading(bad));
        assert_not_finite(session.commit().await, model, "value");
        assert_not_finite(session.insert(reading(bad)).await, model, "value");
        let maybe = Reading {
            maybe: Some(bad),
            ..reading(2.0)
        };
        assert_not_finite(
            session.insert_all(vec![reading(3.0), maybe]).await,
            model,
            "maybe",
        );
        #[allow(clippy::cast_possible_truncation)] // NaN and infinities stay what they are
        let single = Reading {
            single: bad as f32,
            ..reading(4.0)
        };
        assert_not_finite(session.insert(single).await, model, "single");
        // Refused before the database: nothing failed there, the session goes on.
        assert!(!session.needs_rollback());
        session.rollback().await.unwrap();
        assert_eq!(count::<Reading>(db).await, 0);
    }

    // update: refused, and the stored row stays as it was.
    let mut session = db.session();
    let mut stored = session.insert(reading(5.0)).await.unwrap();
    session.commit().await.unwrap();
    stored.value = f64::NAN;
    assert_not_finite(session.update(&stored).await, model, "value");
    assert!(!session.needs_rollback());
    session.rollback().await.unwrap();
    let mut session = db.session();
    let read = session.get::<Reading>(stored.id).await.unwrap().unwrap();
    assert_eq!(read.value, 5.0);
    session.commit().await.unwrap();
}

/// Filters and raw parameters refuse NaN and infinities too: no backend compares them
/// alike (SQLite binds NaN as NULL, MariaDB refuses it, PostgreSQL has NaN = NaN).
async fn non_finite_operands_are_refused(db: &Db) {
    let c = Reading::COLUMNS;
    let model = "values::Reading";
    let mut session = db.session();
    session.add(reading(1.0));
    session.commit().await.unwrap();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let query = session.query::<Reading>().filter(c.value.lt(bad));
        assert_not_finite(query.all().await, model, "value");
        let query = session.query::<Reading>().filter(c.maybe.eq(bad));
        assert_not_finite(query.count().await, model, "maybe");
        let query = session
            .query::<Reading>()
            .filter(c.value.eq(1.0).or(c.value.is_in([0.0, bad])));
        assert_not_finite(query.first().await, model, "value");
        let sql = format!("UPDATE reading SET value = {}", p(db, 1));
        let raw = session.execute(Some("v"), &sql, params![bad]).await;
        assert_not_finite(raw, "raw SQL", "parameter 1");
        let sql = format!("SELECT id FROM reading WHERE value < {}", p(db, 2));
        let raw = session
            .fetch_all::<(i64,)>(Some("v"), &sql.replace("$2", "$1"), params![bad])
            .await;
        assert_not_finite(raw, "raw SQL", "parameter 1");
    }
    session.rollback().await.unwrap();
    let mut session = db.session();
    let all = session.all::<Reading>().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].value, 1.0);
    session.commit().await.unwrap();
}

/// A negative zero reads back as zero on every backend (PostgreSQL alone would keep the
/// sign), through insert, update and raw parameters; and it still compares equal to 0.
async fn negative_zero_reads_back_as_zero(db: &Db) {
    let signs = |r: &Reading| {
        (
            r.value.is_sign_negative(),
            r.maybe.map(f64::is_sign_negative),
            r.single.is_sign_negative(),
        )
    };
    let mut session = db.session();
    let mut stored = session
        .insert(Reading {
            id: 0,
            value: -0.0,
            maybe: Some(-0.0),
            single: -0.0,
        })
        .await
        .unwrap();
    session.commit().await.unwrap();
    let read = session.get::<Reading>(stored.id).await.unwrap().unwrap();
    assert_eq!(signs(&read), (false, Some(false), false), "{read:?}");

    stored.value = 1.0;
    session.update(&stored).await.unwrap();
    stored.value = -0.0;
    session.update(&stored).await.unwrap();
    let sql = format!("UPDATE reading SET maybe = {}", p(db, 1));
    session
        .execute(Some("v"), &sql, params![-0.0_f64])
        .await
        .unwrap();
    session.commit().await.unwrap();
    let c = Reading::COLUMNS;
    let read = session
        .query::<Reading>()
        .filter(c.value.eq(-0.0).and(c.maybe.eq(0.0)))
        .one()
        .await
        .unwrap();
    assert_eq!(signs(&read), (false, Some(false), false), "{read:?}");
    session.commit().await.unwrap();
}

on_every_backend!(non_finite_writes_are_refused);
on_every_backend!(non_finite_operands_are_refused);
on_every_backend!(negative_zero_reads_back_as_zero);

/// A row of `mib` MiB: its bytes tell rows apart.
fn doc(name: &str, mib: usize) -> Doc {
    let seed = name.bytes().fold(0_u8, u8::wrapping_add);
    Doc {
        id: 0,
        name: name.to_owned(),
        body: (0..mib << 20)
            .map(|i| seed.wrapping_add((i % 251) as u8))
            .collect(),
    }
}

/// Reads every `Doc` back and checks it is exactly one of `expected`, by name.
async fn assert_docs(db: &Db, expected: &[Doc]) {
    let mut session = db.session();
    let mut read = session.all::<Doc>().await.unwrap();
    session.commit().await.unwrap();
    read.sort_by(|a, b| a.name.cmp(&b.name));
    let mut expected = expected.to_vec();
    expected.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(read.len(), expected.len());
    for (read, expected) in read.iter().zip(&expected) {
        assert_eq!(read.name, expected.name);
        assert!(read.body == expected.body, "{}: body differs", read.name);
    }
}

/// Twenty rows of 1 MiB (more than MariaDB's 16 MiB `max_allowed_packet` together, each
/// well under it) go in through `add_all` + `commit` and through `insert_all`, and read
/// back whole; a duplicate in the last of them leaves nothing of the first.
async fn megabyte_rows_are_batched_by_bytes(db: &Db) {
    let first: Vec<Doc> = (0..20).map(|i| doc(&format!("a{i:02}"), 1)).collect();
    let mut session = db.session();
    session.add_all(first.clone());
    session.commit().await.unwrap();
    assert_docs(db, &first).await;

    let second: Vec<Doc> = (0..20).map(|i| doc(&format!("b{i:02}"), 1)).collect();
    let inserted = session.insert_all(second.clone()).await.unwrap();
    session.commit().await.unwrap();
    let mut ids: Vec<i64> = inserted.iter().map(|d| d.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    assert!(ids.iter().all(|id| *id > 0), "{ids:?}");
    let both: Vec<Doc> = first.iter().chain(&second).cloned().collect();
    assert_docs(db, &both).await;

    // A commit that needs more than one statement is one transaction, even when it began
    // as a lone INSERT: the duplicate name in the last row undoes the first fifteen.
    let mut third: Vec<Doc> = (0..19).map(|i| doc(&format!("c{i:02}"), 1)).collect();
    third.push(doc("a00", 1));
    session.add_all(third);
    let error = session.commit().await.unwrap_err();
    assert!(matches!(error, Error::Constraint { .. }), "{error:?}");
    assert_docs(db, &both).await;
}

/// A row larger than a statement may carry is refused before it is sent, naming model,
/// bind and limit, on every path: on MariaDB a 17 MiB row is over its 16 MiB
/// `max_allowed_packet` (SQLite and PostgreSQL take it: their limits are 10⁹ bytes and
/// 1 GiB). The limit comes from the server, read once per engine.
async fn an_oversized_row_is_refused_before_it_is_sent(db: &Db) {
    let big = doc("big", 17);
    let mut session = db.session();
    if dialect(db) != Dialect::MySql {
        let stored = session.insert(big.clone()).await.unwrap();
        session.commit().await.unwrap();
        assert_docs(
            db,
            &[Doc {
                id: stored.id,
                ..big
            }],
        )
        .await;
        return;
    }
    let limit = (16 << 20) - 64 * 1024;
    let refused = |result: Result<_, Error>, what: &str| match result {
        Err(Error::TooLarge {
            bind,
            model,
            bytes,
            limit: l,
        }) => {
            assert_eq!((bind.as_deref(), l), (Some("v"), limit), "{what}");
            assert!(bytes > 17 << 20, "{what}: {bytes}");
            model
        }
        other => panic!("{what}: expected TooLarge, got {other:?}"),
    };
    session.add(doc("small", 1));
    session.add(big.clone());
    assert_eq!(refused(session.commit().await, "commit"), "values::Doc");
    assert_eq!(
        refused(session.insert(big.clone()).await.map(drop), "insert"),
        "values::Doc"
    );
    let mut stored = session.insert(doc("small", 1)).await.unwrap();
    stored.body.clone_from(&big.body);
    assert_eq!(
        refused(session.update(&stored).await.map(drop), "update"),
        "values::Doc"
    );
    let sql = format!("UPDATE doc SET body = {}", p(db, 1));
    let raw = session
        .execute(Some("v"), &sql, vec![Value::Blob(big.body.clone())])
        .await;
    assert_eq!(refused(raw.map(drop), "raw"), "raw SQL");
    assert!(!session.needs_rollback());
    session.rollback().await.unwrap();
    assert_eq!(count::<Doc>(db).await, 0);
    // Only the bind's first write asked the server for its limit.
    let asked = db
        .take_recorded_queries()
        .iter()
        .filter(|q| q.sql.contains("max_allowed_packet"))
        .count();
    assert!(asked <= 1, "{asked}");
}

on_every_backend!(megabyte_rows_are_batched_by_bytes);
on_every_backend!(an_oversized_row_is_refused_before_it_is_sent);

/// LIKE patterns mean the same on every backend: `%` and `_` wildcards, a backslash that
/// makes the next character literal (`\%`, `\_`, `\\`), `!` (the escape bindery renders)
/// and GLOB's `*?[` as plain characters, case-sensitive, `_` one character (not byte);
/// `contains`/`starts_with`/`ends_with` take every character of their text literally.
async fn like_matches_the_same_rows_everywhere(db: &Db) {
    let texts = [
        "100%",
        "100x",
        "1000",
        "a_b",
        "axb",
        r"back\slash",
        "backslash",
        "bang!",
        "ban",
        "Abc",
        "abc",
        "star*",
        "q?",
        "[x]",
        "été",
    ];
    let mut session = db.session();
    session.add_all(texts.iter().map(|t| Word {
        id: 0,
        text: (*t).to_owned(),
        note: Some(format!("<{t}>")),
    }));
    session.commit().await.unwrap();
    let c = Word::COLUMNS;
    let cases = [
        (c.text.like(r"100\%"), vec!["100%"]),
        (c.text.like("100%"), vec!["100%", "1000", "100x"]),
        (c.text.like(r"a\_b"), vec!["a_b"]),
        (c.text.like("a_b"), vec!["a_b", "axb"]),
        (c.text.like(r"back\\slash"), vec![r"back\slash"]),
        (c.text.like(r"%\\%"), vec![r"back\slash"]),
        (c.text.like("bang!"), vec!["bang!"]),
        (c.text.like("%!"), vec!["bang!"]),
        (c.text.like("a%"), vec!["a_b", "abc", "axb"]),
        (c.text.like("A%"), vec!["Abc"]),
        (c.text.like("q?"), vec!["q?"]),
        (c.text.like("q_"), vec!["q?"]),
        (c.text.like("[x]"), vec!["[x]"]),
        (c.text.like("star*"), vec!["star*"]),
        (c.text.like("_té"), vec!["été"]),
        (c.text.contains("%"), vec!["100%"]),
        (c.text.contains("_"), vec!["a_b"]),
        (c.text.contains("\\"), vec![r"back\slash"]),
        (c.text.contains("!"), vec!["bang!"]),
        (c.text.contains("[x"), vec!["[x]"]),
        (
            c.text.starts_with("ba"),
            vec![r"back\slash", "backslash", "ban", "bang!"],
        ),
        (c.text.starts_with("B"), vec![]),
        (c.text.ends_with("*"), vec!["star*"]),
        (c.note.contains("%>"), vec!["100%"]),
        (c.note.starts_with("<a_"), vec!["a_b"]),
        (
            !c.text.like("%a%"),
            vec!["100%", "1000", "100x", "Abc", "[x]", "q?", "été"],
        ),
    ];
    for (i, (filter, expected)) in cases.into_iter().enumerate() {
        let mut found: Vec<String> = session
            .query::<Word>()
            .filter(filter)
            .all()
            .await
            .unwrap()
            .into_iter()
            .map(|w| w.text)
            .collect();
        found.sort();
        let mut expected: Vec<String> = expected.into_iter().map(str::to_owned).collect();
        expected.sort();
        assert_eq!(found, expected, "case {i}");
    }
    session.commit().await.unwrap();
}

on_every_backend!(like_matches_the_same_rows_everywhere);
