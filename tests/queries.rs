//! Reading through query values: whether any row matches, pages with their total, and
//! keyset pages. Each scenario runs on SQLite, PostgreSQL and MariaDB through one
//! generator, on a `Db` and in a session.

// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use bindery::{Db, Error, Model, PoolOptions, find};
use common::{OnBackend, Server};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "entry", bind_key = "q")]
struct Entry {
    #[model(primary_key)]
    id: i64,
    #[model(length = 20)]
    name: String,
    rank: i32,
}

/// Bind `q` on `server` (or a SQLite file), its table created.
async fn setup(server: Option<Server>, tag: &str) -> Option<OnBackend> {
    OnBackend::new(server, tag, "q", PoolOptions::default()).await
}

/// Entries `e01` … `e{n}` with ranks 1 … n, committed; their keys in rank order.
async fn entries(db: &Db, n: i32) -> Vec<i64> {
    let rows = (1..=n)
        .map(|rank| Entry {
            id: 0,
            name: format!("e{rank:02}"),
            rank,
        })
        .collect();
    let mut session = db.session();
    let inserted = session.insert_all(rows).await.unwrap();
    session.commit().await.unwrap();
    inserted.into_iter().map(|e| e.id).collect()
}

on_every_backend!(pages_carry_their_total_and_keysets_skip_nothing);

/// Seven rows in pages of three: 3, 3, 1 with a total of 7 and 3 pages; an empty page
/// past the end; keyset pages give the same rows; `exists` tells matching from none;
/// page 0 is refused.
async fn pages_carry_their_total_and_keysets_skip_nothing(db: &Db) {
    entries(db, 7).await;
    let c = Entry::COLUMNS;
    let by_rank = find::<Entry>().order_by(c.rank.asc());
    let names = |items: &[Entry]| items.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
    let first = by_rank.paginate(db, 1, 3).await.unwrap();
    assert_eq!(names(&first.items), ["e01", "e02", "e03"]);
    assert_eq!((first.total, first.pages(), first.has_next()), (7, 3, true));
    let mut session = db.session();
    let last = by_rank.paginate(&mut session, 3, 3).await.unwrap();
    assert_eq!(names(&last.items), ["e07"]);
    assert!(!last.has_next() && last.has_prev());
    let past = by_rank.paginate(db, 4, 3).await.unwrap();
    assert!(past.items.is_empty() && past.total == 7);
    let mut keyset = Vec::new();
    let mut after = 0;
    loop {
        let page = find::<Entry>()
            .after(c.rank, after)
            .limit(3)
            .all(db)
            .await
            .unwrap();
        let Some(tail) = page.last() else { break };
        after = tail.rank;
        keyset.extend(names(&page));
    }
    let all: Vec<String> = (1..=7).map(|r| format!("e{r:02}")).collect();
    assert_eq!(keyset, all);
    assert!(
        find::<Entry>()
            .filter(c.rank.gt(6))
            .exists(db)
            .await
            .unwrap()
    );
    assert!(
        !find::<Entry>()
            .filter(c.rank.gt(7))
            .exists(&mut session)
            .await
            .unwrap()
    );
    let refused = by_rank.paginate(db, 0, 3).await.unwrap_err();
    assert!(matches!(refused, Error::Unsupported { .. }), "{refused:?}");
}
