//! Hostile identifiers on SQLite, PostgreSQL and MariaDB: table, column and index names
//! made of every dialect's quote characters, comment and statement separators and
//! unicode go through `create_all`, every session statement, `Db::check` and `drop_all`
//! as names and nothing else, while a canary table beside them stays untouched. Names no
//! dialect accepts are refused with a typed problem before any database is touched.

// In a test, a failed unwrap is the test failing.
#![allow(dead_code, clippy::unwrap_used)]

mod common;

use bindery::{
    Binds, ColumnInfo, Config, Db, Dialect, Error, IndexInfo, Model, Problem, Registry, SqlType,
    TableInfo, Value, check_identifier, check_table_name,
};
use common::{ScratchDb, ScratchDir, Server};

/// Where a scenario runs: a SQLite file, or a scratch database on a server.
struct Place {
    dir: ScratchDir,
    server: Option<ScratchDb>,
    url: String,
}

impl Place {
    async fn new(server: Option<Server>, tag: &str) -> Option<Place> {
        let dir = ScratchDir::new(tag);
        let (url, server) = match server {
            None => ("sqlite:///x.db".to_owned(), None),
            Some(server) => {
                let db = ScratchDb::new(server, tag).await?;
                (db.url().to_owned(), Some(db))
            }
        };
        Some(Place { dir, server, url })
    }

    /// A `Db` for these tables alone, in bind `x`.
    fn db(&self, tables: &[&'static TableInfo]) -> Result<Db, Error> {
        let config = Config::new()
            .bind("x", &self.url)
            .sqlite_base_dir(self.dir.path());
        Db::build_with_registry(config, Registry::from_tables(tables.iter().copied()))
    }
}

/// Runs `$scenario(&Place)` (an async fn) on each backend as its own test. With `sync`,
/// `$scenario(&Runtime, &Place)` is a blocking fn that drives its own runtime, for
/// proptest's runner.
macro_rules! on_every_backend {
    ($scenario:ident) => {
        mod $scenario {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let place = Place::new(None, "id_lite").await.unwrap();
                super::$scenario(&place).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(place) = Place::new(Some(Server::Postgres), "id_pg").await {
                    super::$scenario(&place).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mariadb() {
                if let Some(place) = Place::new(Some(Server::MySql), "id_my").await {
                    super::$scenario(&place).await;
                }
            }
        }
    };
    (sync $scenario:ident) => {
        mod $scenario {
            use super::*;

            fn run(server: Option<Server>, tag: &str) {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                if let Some(place) = runtime.block_on(Place::new(server, tag)) {
                    super::$scenario(&runtime, &place);
                }
            }

            #[test]
            fn sqlite() {
                run(None, "idp_lite");
            }

            #[test]
            fn postgres() {
                run(Some(Server::Postgres), "idp_pg");
            }

            #[test]
            fn mariadb() {
                run(Some(Server::MySql), "idp_my");
            }
        }
    };
}

// ---------------------------------------------------------------------------------------
// The canary: a table bindery knows nothing of, which no statement of bindery may touch.

/// Creates the table `victim` with one row, outside bindery's models.
async fn plant_canary(db: &Db) {
    let mut session = db.session();
    session
        .execute(
            Some("x"),
            "CREATE TABLE victim (id BIGINT PRIMARY KEY, note VARCHAR(20))",
            vec![],
        )
        .await
        .unwrap();
    session
        .execute(
            Some("x"),
            "INSERT INTO victim (id, note) VALUES (1, 'alive')",
            vec![],
        )
        .await
        .unwrap();
    session.commit().await.unwrap();
}

/// `victim` still holds exactly its one row.
async fn assert_canary(db: &Db, after: &str) {
    let mut session = db.session();
    let rows = session
        .fetch_all::<(i64, String)>(Some("x"), "SELECT id, note FROM victim", vec![])
        .await
        .unwrap_or_else(|e| panic!("the canary is gone after {after}: {e}"));
    session.commit().await.unwrap();
    assert_eq!(rows, [(1, "alive".to_owned())], "after {after}");
}

// ---------------------------------------------------------------------------------------
// The attack strings of issue 11, through the derive and every session operation.

/// The attack on PostgreSQL and SQLite: the derive names the index
/// `ix_z" ON victim (id); DROP TABLE victim; --_name`.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "x", table = "z\" ON victim (id); DROP TABLE victim; --")]
struct DoubleQuoted {
    #[model(primary_key)]
    id: i64,
    #[model(index, length = 40)]
    name: String,
}

/// The attack on MariaDB, where `#` comments out the rest of the line.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "x", table = "z` ON victim (id); DROP TABLE victim; #")]
struct Backticked {
    #[model(primary_key)]
    id: i64,
    #[model(index, length = 40)]
    name: String,
}

/// Every quote and comment in column names, with a unique index over one.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "x", table = "q'`\"")]
struct Columns {
    #[model(primary_key, column = "k\"; DROP TABLE victim; --")]
    id: i64,
    #[model(unique, length = 40, column = "n`); DROP TABLE victim; #")]
    name: String,
    #[model(column = "c' /* */ \\")]
    note: Option<String>,
}

/// A model with an integer key and a text column, for [`every_session_operation`].
trait Named: Model<Key = i64> + Clone + PartialEq + core::fmt::Debug {
    fn make(name: &str) -> Self;
    fn id(&self) -> i64;
    fn rename(&mut self, name: &str);
    fn name_is(name: &str) -> bindery::Filter<Self>;
}

macro_rules! named {
    ($model:ident $(, $extra:ident: $value:expr)*) => {
        impl Named for $model {
            fn make(name: &str) -> Self {
                $model { id: 0, name: name.to_owned() $(, $extra: $value)* }
            }
            fn id(&self) -> i64 {
                self.id
            }
            fn rename(&mut self, name: &str) {
                self.name = name.to_owned();
            }
            fn name_is(name: &str) -> bindery::Filter<Self> {
                $model::COLUMNS.name.eq(name)
            }
        }
    };
}
named!(DoubleQuoted);
named!(Backticked);
named!(Columns, note: Some("it's \"here\"".to_owned()));

/// add + commit, insert, get, query with a filter, update, delete and all, each followed
/// by a look at the canary.
async fn every_session_operation<M: Named>(db: &Db) {
    let model = M::TABLE.rust_type;
    let mut session = db.session();
    session.add(M::make("ann"));
    session.commit().await.unwrap();
    assert_canary(db, &format!("{model}: add + commit")).await;

    let mut bob = session.insert(M::make("bob")).await.unwrap();
    session.commit().await.unwrap();
    assert_canary(db, &format!("{model}: insert")).await;

    let read = session.get::<M>(bob.id()).await.unwrap();
    assert_eq!(read.as_ref(), Some(&bob), "{model}: get");
    let ann = session.query::<M>().filter(M::name_is("ann")).one().await;
    assert_eq!(ann.unwrap().id(), 1, "{model}: query");
    assert_canary(db, &format!("{model}: get and query")).await;

    bob.rename("bea");
    assert!(session.update(&bob).await.unwrap(), "{model}: update");
    session.commit().await.unwrap();
    assert_canary(db, &format!("{model}: update")).await;

    assert!(session.delete::<M>(1).await.unwrap(), "{model}: delete");
    session.commit().await.unwrap();
    assert_eq!(session.all::<M>().await.unwrap(), [bob], "{model}: all");
    session.commit().await.unwrap();
    assert_canary(db, &format!("{model}: delete and all")).await;
}

/// The exact attack of issue 11: `create_all` once returned Ok and had dropped `victim`.
/// Both attack strings run on every backend (each is harmless text on the other's).
async fn issue_attack_strings_are_only_names(place: &Place) {
    let db = place
        .db(&[DoubleQuoted::TABLE, Backticked::TABLE, Columns::TABLE])
        .unwrap();
    plant_canary(&db).await;
    db.create_all(Binds::All).await.unwrap();
    assert_canary(&db, "create_all").await;

    let reflected = db.reflect(Binds::All).await.unwrap();
    let mut live: Vec<&str> = reflected[0]
        .tables
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    live.sort_unstable();
    let mut expected = vec![
        DoubleQuoted::TABLE.name,
        Backticked::TABLE.name,
        Columns::TABLE.name,
        "victim",
    ];
    expected.sort_unstable();
    assert_eq!(live, expected, "each name is one table, as written");

    every_session_operation::<DoubleQuoted>(&db).await;
    every_session_operation::<Backticked>(&db).await;
    every_session_operation::<Columns>(&db).await;

    let drift = db.check(Binds::All).await.unwrap();
    assert!(drift.is_clean(), "{drift}");
    db.drop_all(Binds::All).await.unwrap();
    assert_canary(&db, "drop_all").await;
    db.close().await;
}
on_every_backend!(issue_attack_strings_are_only_names);
