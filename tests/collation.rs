//! `#[model(collation = "…")]`: a text column compares as its collation says, on each
//! backend. MariaDB's default collation (`utf8mb4_general_ci`) ignores case, accents and
//! trailing spaces; the other backends' defaults ignore none of them. A name the bind's
//! dialect cannot have is refused by `Db::build`, naming model, column and bind.

// In a test, a failed unwrap is the test failing.
#![allow(dead_code, clippy::unwrap_used)]

mod common;

use bindery::{Binds, Config, Db, Filter, Model, Registry};
use common::ScratchDir;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use common::{ScratchDb, Server};

/// Every model here has an `exact` column (case, accents and trailing spaces count), a
/// `padded` one (trailing spaces do not count, where the dialect has such a collation)
/// and a `loose` one with the database's default.
macro_rules! person {
    ($model:ident, $exact:literal, $padded:literal) => {
        #[derive(Debug, Clone, PartialEq, Model)]
        #[model(bind_key = "c", table = "person")]
        struct $model {
            #[model(primary_key)]
            id: i64,
            #[model(length = 20, collation = $exact)]
            exact: String,
            #[model(length = 20, collation = $padded)]
            padded: String,
            #[model(length = 20)]
            loose: String,
        }

        impl Person for $model {
            fn ann() -> Self {
                $model {
                    id: 0,
                    exact: "ann".into(),
                    padded: "ann".into(),
                    loose: "ann".into(),
                }
            }
            fn filters(probe: &str) -> [Filter<Self>; 3] {
                let c = $model::COLUMNS;
                [c.exact.eq(probe), c.padded.eq(probe), c.loose.eq(probe)]
            }
        }
    };
}

trait Person: Model {
    fn ann() -> Self;
    /// `exact = probe`, `padded = probe`, `loose = probe`.
    fn filters(probe: &str) -> [Filter<Self>; 3];
}

// MariaDB's `_bin` collations are PAD SPACE: only `nopad_bin` counts trailing spaces.
person!(MariaPerson, "utf8mb4_nopad_bin", "utf8mb4_bin");
person!(LitePerson, "BINARY", "RTRIM");
person!(PgPerson, "C", "POSIX");

/// Stores `ann` in each column, then counts the rows each probe matches, column by
/// column: `expected[probe] = [exact, padded, loose]`. Returns the `Db`, still open.
async fn matches<M: Person>(url: &str, dir: &ScratchDir, expected: [[u64; 3]; 4]) -> Db {
    let config = Config::new().bind("c", url).sqlite_base_dir(dir.path());
    let db = Db::build_with_registry(config, Registry::from_tables([M::TABLE])).unwrap();
    db.create_all(Binds::All).await.unwrap();
    let mut session = db.session();
    session.insert(M::ann()).await.unwrap();
    session.commit().await.unwrap();
    let probes = ["ann", "ANN", "ann ", "ánn"];
    for (probe, expected) in probes.into_iter().zip(expected) {
        let mut found = [0; 3];
        for (n, filter) in found.iter_mut().zip(M::filters(probe)) {
            *n = session.query::<M>().filter(filter).count().await.unwrap();
        }
        assert_eq!(found, expected, "{probe:?}: [exact, padded, loose]");
    }
    session.commit().await.unwrap();
    db
}

#[cfg(feature = "mysql")]
#[tokio::test]
async fn collations_decide_equality_on_mariadb() {
    let dir = ScratchDir::new("coll_my");
    let Some(scratch) = ScratchDb::new(Server::MySql, "coll_my").await else {
        return;
    };
    // The default matches all three; utf8mb4_bin still ignores trailing spaces.
    let expected = [[1, 1, 1], [0, 0, 1], [0, 1, 1], [0, 0, 1]];
    matches::<MariaPerson>(scratch.url(), &dir, expected)
        .await
        .close()
        .await;
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn collations_decide_equality_on_sqlite() {
    let dir = ScratchDir::new("coll_lite");
    // SQLite's default is BINARY; RTRIM ignores trailing spaces.
    let expected = [[1, 1, 1], [0, 0, 0], [0, 1, 0], [0, 0, 0]];
    matches::<LitePerson>("sqlite:///c.db", &dir, expected)
        .await
        .close()
        .await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn collations_decide_equality_on_postgres() {
    let dir = ScratchDir::new("coll_pg");
    let Some(scratch) = ScratchDb::new(Server::Postgres, "coll_pg").await else {
        return;
    };
    // PostgreSQL's deterministic collations compare every character.
    let expected = [[1, 1, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0]];
    let db = matches::<PgPerson>(scratch.url(), &dir, expected).await;
    // Equality cannot tell "C" from the default: the catalog can.
    let mut session = db.session();
    let collations: Vec<(String, Option<String>)> = session
        .fetch_all(
            Some("c"),
            "SELECT column_name::text, collation_name::text FROM information_schema.columns \
             WHERE table_name = 'person' AND data_type <> 'bigint' ORDER BY ordinal_position",
            vec![],
        )
        .await
        .unwrap();
    let named = |c: &str, n: Option<&str>| (c.to_owned(), n.map(str::to_owned));
    assert_eq!(
        collations,
        [
            named("exact", Some("C")),
            named("padded", Some("POSIX")),
            named("loose", None)
        ]
    );
    session.commit().await.unwrap();
    db.close().await;
}

/// A collation of one dialect on a bind of another is a typed build problem, found
/// before any connection: each refused column is named, with its model and bind.
#[tokio::test]
async fn a_collation_the_dialect_cannot_have_fails_the_build() {
    let cases = [
        (
            "sqlite:///unused.db",
            MariaPerson::TABLE,
            "cannot build the Db (2 problems):\n  \
             - collation::MariaPerson.exact: collation \"utf8mb4_nopad_bin\" is refused on SQLite (bind \"c\"): SQLite knows only BINARY, NOCASE and RTRIM\n  \
             - collation::MariaPerson.padded: collation \"utf8mb4_bin\" is refused on SQLite (bind \"c\"): SQLite knows only BINARY, NOCASE and RTRIM",
        ),
        (
            "postgres://root@127.0.0.1:9/unused",
            LitePerson::TABLE,
            "cannot build the Db (2 problems):\n  \
             - collation::LitePerson.exact: collation \"BINARY\" is refused on PostgreSQL (bind \"c\"): that is a MySQL or SQLite collation; PostgreSQL's are `C`, `POSIX` or a locale's\n  \
             - collation::LitePerson.padded: collation \"RTRIM\" is refused on PostgreSQL (bind \"c\"): that is a MySQL or SQLite collation; PostgreSQL's are `C`, `POSIX` or a locale's",
        ),
        (
            "mysql://root@127.0.0.1:9/unused",
            PgPerson::TABLE,
            "cannot build the Db (2 problems):\n  \
             - collation::PgPerson.exact: collation \"C\" is refused on MySQL (bind \"c\"): MySQL tables are utf8mb4, so the collation must be a `utf8mb4_…` one\n  \
             - collation::PgPerson.padded: collation \"POSIX\" is refused on MySQL (bind \"c\"): MySQL tables are utf8mb4, so the collation must be a `utf8mb4_…` one",
        ),
    ];
    let dir = ScratchDir::new("coll_build");
    for (url, table, expected) in cases {
        // Without its driver a bind fails with `DriverMissing` instead (tests/drivers.rs).
        let dialect = bindery::DatabaseUrl::parse(url).unwrap().dialect();
        if !common::driver_on(dialect) {
            continue;
        }
        let config = Config::new().bind("c", url).sqlite_base_dir(dir.path());
        let error = Db::build_with_registry(config, Registry::from_tables([table])).unwrap_err();
        assert_eq!(error.to_string(), expected);
    }
}
