//! Reading through query values: whether any row matches, pages with their total,
//! keyset pages, and projections of columns and aggregates. Each scenario runs on SQLite, PostgreSQL and MariaDB through one
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
    #[model(length = 10)]
    team: String,
    score: Option<f64>,
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
            // Team `a` holds the odd ranks; every third rank has no score.
            team: if rank % 2 == 1 { "a" } else { "b" }.to_owned(),
            score: (rank % 3 != 0).then_some(f64::from(rank) / 2.0),
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

on_every_backend!(projections_and_aggregates_read_alike_everywhere);

/// Some columns instead of whole rows; aggregates per group read as one Rust type on
/// every dialect (an integer SUM is DECIMAL on MariaDB, NUMERIC on PostgreSQL), NULLs
/// left out of them, and an aggregate over no rows is `None` (a count, 0).
async fn projections_and_aggregates_read_alike_everywhere(db: &Db) {
    entries(db, 6).await;
    let c = Entry::COLUMNS;
    let firsts: Vec<(String, i32)> = find::<Entry>()
        .filter(c.rank.le(2))
        .order_by(c.rank.asc())
        .select((c.name, c.rank))
        .all(db)
        .await
        .unwrap();
    assert_eq!(firsts, [("e01".to_owned(), 1), ("e02".to_owned(), 2)]);
    // Team a: ranks 1, 3, 5, scores 0.5, none, 2.5. Team b: 2, 4, 6, scores 1.0, 2.0, none.
    let per_team = find::<Entry>()
        .order_by(c.team.asc())
        .select((
            c.team,
            bindery::count(),
            c.rank.sum(),
            c.score.avg(),
            c.score.count(),
            c.rank.max(),
        ))
        .group_by(c.team);
    let mut session = db.session();
    let rows = per_team.all(&mut session).await.unwrap();
    assert_eq!(
        rows,
        [
            ("a".to_owned(), 3, Some(9), Some(1.5), 2, Some(5)),
            ("b".to_owned(), 3, Some(12), Some(1.5), 2, Some(6)),
        ]
    );
    let none = find::<Entry>()
        .filter(c.rank.gt(100))
        .select((bindery::count(), c.rank.sum(), c.score.sum(), c.name.min()))
        .one(db)
        .await
        .unwrap();
    assert_eq!(none, (0, None, None, None));
    let teams = find::<Entry>()
        .select((c.team.count_distinct(),))
        .one(db)
        .await
        .unwrap();
    assert_eq!(teams, (2,));
    let big = find::<Entry>()
        .select((c.team, c.rank.sum()))
        .group_by(c.team)
        .having(c.rank.sum().gt(10_i64))
        .all(db)
        .await
        .unwrap();
    assert_eq!(big, [("b".to_owned(), Some(12))]);
    let distinct = find::<Entry>()
        .order_by(c.team.asc())
        .select((c.team,))
        .distinct()
        .all(db)
        .await
        .unwrap();
    assert_eq!(distinct, [("a".to_owned(),), ("b".to_owned(),)]);
}

on_every_backend!(a_stream_reads_a_large_table_in_order);

/// The resident memory of this process, in KiB (0 where /proc is not there).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// 100,000 rows streamed from a `Db`, in order, none missing; the stream holds a few
/// hundred rows at a time (the memory it took is printed: several scenarios share this
/// process, so it is not asserted). A dropped stream gives its connection up.
async fn a_stream_reads_a_large_table_in_order(db: &Db) {
    use futures_util::TryStreamExt as _;
    const ROWS: i32 = 100_000;
    let mut session = db.session();
    for start in (1..=ROWS).step_by(10_000) {
        session.add_all((start..start + 10_000).map(|rank| Entry {
            id: 0,
            name: format!("s{rank}"),
            rank,
            team: "s".to_owned(),
            score: None,
        }));
        session.flush().await.unwrap();
    }
    session.commit().await.unwrap();
    let before = rss_kib();
    let c = Entry::COLUMNS;
    let mut rows = find::<Entry>()
        .order_by(c.rank.asc())
        .stream(db)
        .await
        .unwrap();
    let (mut seen, mut last) = (0, 0);
    while let Some(entry) = rows.try_next().await.unwrap() {
        assert!(entry.rank > last, "in order");
        (seen, last) = (seen + 1, entry.rank);
    }
    assert_eq!(seen, ROWS);
    eprintln!(
        "streamed {seen} rows; resident memory {} KiB before, {} KiB after",
        before,
        rss_kib()
    );
    let mut partial = find::<Entry>().stream(db).await.unwrap();
    assert!(partial.try_next().await.unwrap().is_some());
    drop(partial);
    assert_eq!(
        find::<Entry>().count(db).await.unwrap(),
        u64::try_from(ROWS).unwrap()
    );
}
