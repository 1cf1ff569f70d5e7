//! Versioned migrations per bind, on SQLite, PostgreSQL and MariaDB: up, status, down and
//! up again on three binds at once; an edited applied migration refused; a failing
//! migration (nothing left on PostgreSQL and SQLite, a dirty record on MariaDB); and two
//! OS processes migrating one bind at once.
//!
//! Two tasks in one process are not two processes: they would share a pool. So the
//! two-process test re-executes its own binary (`--exact <test> --nocapture`) with
//! `BINDERY_MIGRATE_CHILD` set, and that child migrates and prints what it applied.

// In a test, an unwrap that fails is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bindery::{
    Binds, Config, Db, Error, MigrationError, MigrationState, Migrator, PlanProblem, Registry,
    Resolution,
};
use common::{ScratchDb, ScratchDir, Server};

const BINDS: [&str; 3] = ["a", "b", "c"];
/// Set in a child process: `<url>\t<folder>\t<start>` (the bind it migrates, and when
/// to start, in milliseconds since the Unix epoch).
const CHILD: &str = "BINDERY_MIGRATE_CHILD";

/// Three binds on one backend, and a migrations folder the test writes.
struct Fixture {
    server: Option<Server>,
    dir: ScratchDir,
    urls: Vec<String>,
    _servers: Vec<ScratchDb>,
}

async fn setup(server: Option<Server>, tag: &str) -> Option<Fixture> {
    if let Ok(child) = std::env::var(CHILD) {
        run_child(&child).await;
        return None;
    }
    let dir = ScratchDir::new(tag);
    std::fs::create_dir_all(dir.path()).unwrap();
    let mut servers = Vec::new();
    let mut urls = Vec::new();
    for bind in BINDS {
        match server {
            Some(server) => {
                let scratch = ScratchDb::new(server, &format!("{tag}{bind}")).await?;
                urls.push(scratch.url().to_owned());
                servers.push(scratch);
            }
            None => urls.push(format!("sqlite:///{bind}.db")),
        }
    }
    Some(Fixture {
        server,
        dir,
        urls,
        _servers: servers,
    })
}

impl Fixture {
    fn write(&self, bind: &str, file: &str, text: &str) {
        let folder = self.dir.path().join("migrations").join(bind);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(file), text).unwrap();
    }

    /// Migrations 1 and 2 on every bind: a table each, and their down scripts.
    fn write_two(&self) {
        for bind in BINDS {
            self.write(
                bind,
                "1_first.up.sql",
                "CREATE TABLE t1 (id INTEGER PRIMARY KEY);",
            );
            self.write(bind, "1_first.down.sql", "DROP TABLE t1;");
            let two = "CREATE TABLE t2 (id INTEGER PRIMARY KEY, name VARCHAR(20));\n\
                       INSERT INTO t2 (id, name) VALUES (1, 'a;b');";
            self.write(bind, "2_second.up.sql", two);
            self.write(bind, "2_second.down.sql", "DROP TABLE t2;");
        }
    }

    /// A `Db` over the three binds, with the migrations as they are on disk now.
    fn db(&self) -> Db {
        db_of(&self.urls, self.dir.path())
    }
}

fn db_of(urls: &[String], dir: &Path) -> Db {
    let mut config = Config::new()
        .sqlite_base_dir(dir)
        .migrations(Migrator::from_dir(dir.join("migrations")).unwrap());
    for (bind, url) in BINDS.iter().zip(urls) {
        config = config.bind(bind, url);
    }
    Db::build_with_registry(config, Registry::from_tables([])).unwrap()
}

fn versions_of(report: &bindery::MigrateReport, bind: &str) -> Vec<u64> {
    report.bind(bind).unwrap().versions()
}

on_every_backend!(up_status_down_up_on_three_binds);
async fn up_status_down_up_on_three_binds(f: &Fixture) {
    f.write_two();
    let db = f.db();
    let status = db.migrations_status(Binds::All).await.unwrap();
    for bind in BINDS {
        assert_eq!(status.bind(bind).unwrap().pending(), [1, 2], "{status}");
    }

    let up = db.migrate(Binds::All).await.unwrap();
    for bind in BINDS {
        assert_eq!(versions_of(&up, bind), [1, 2], "{up}");
    }
    let status = db.migrations_status(Binds::All).await.unwrap();
    for bind in BINDS {
        let bind = status.bind(bind).unwrap();
        assert_eq!(bind.applied(), [1, 2], "{status}");
        assert!(matches!(
            bind.migrations[0].state,
            MigrationState::Applied { .. }
        ));
    }
    // Again: nothing left to do.
    let again = db.migrate(Binds::All).await.unwrap();
    assert!(again.binds.iter().all(|b| b.ran.is_empty()), "{again}");

    let down = db.migrate_down(Binds::All, None).await.unwrap();
    for bind in BINDS {
        assert_eq!(versions_of(&down, bind), [2], "{down}");
    }
    let status = db.migrations_status(Binds::All).await.unwrap();
    assert_eq!(status.bind("b").unwrap().applied(), [1], "{status}");
    assert_eq!(status.bind("b").unwrap().pending(), [2], "{status}");

    let up = db.migrate(Binds::All).await.unwrap();
    for bind in BINDS {
        assert_eq!(versions_of(&up, bind), [2], "{up}");
    }
    let to_zero = db.migrate_to("a", 0).await.unwrap();
    assert_eq!(versions_of(&to_zero, "a"), [2, 1], "{to_zero}");
    let to_one = db.migrate_to("a", 1).await.unwrap();
    assert_eq!(versions_of(&to_one, "a"), [1], "{to_one}");
    // The `;` inside the quoted value did not split the statement (MariaDB's path).
    let mut session = db.session();
    let rows: Vec<(String,)> = session
        .fetch_all("c", "SELECT name FROM t2", vec![])
        .await
        .unwrap();
    session.commit().await.unwrap();
    assert_eq!(rows, [("a;b".to_owned(),)]);
}

on_every_backend!(an_edited_applied_migration_is_refused);
async fn an_edited_applied_migration_is_refused(f: &Fixture) {
    f.write_two();
    f.db().migrate(Binds::All).await.unwrap();
    f.write(
        "b",
        "1_first.up.sql",
        "CREATE TABLE t1 (id BIGINT PRIMARY KEY);",
    );
    f.write(
        "b",
        "3_third.up.sql",
        "CREATE TABLE t3 (id INTEGER PRIMARY KEY);",
    );
    let db = f.db();
    let Err(Error::Migrate(error)) = db.migrate(Binds::All).await else {
        panic!("an edited migration must be refused");
    };
    let [MigrationError::Refused { bind, problem }] = error.failures.as_slice() else {
        panic!("one failure, on bind b: {error}");
    };
    assert_eq!(bind, &"b");
    assert!(
        matches!(problem, PlanProblem::Edited { version: 1, name, .. } if name == "first"),
        "{problem}"
    );
    let message = error.to_string();
    assert!(
        message.contains("bind \"b\"") && message.contains("migration 1 (first)"),
        "{message}"
    );
    // Nothing ran on b; the other binds had nothing to do.
    assert!(error.completed.bind("b").unwrap().ran.is_empty());
    let status = db.migrations_status("b").await.unwrap();
    let states: Vec<_> = status.binds[0].migrations.iter().map(|m| m.state).collect();
    assert!(matches!(states[0], MigrationState::Edited), "{status}");
    assert!(matches!(states[2], MigrationState::Pending), "{status}");
}

on_every_backend!(a_failing_migration_is_rolled_back_or_recorded);
async fn a_failing_migration_is_rolled_back_or_recorded(f: &Fixture) {
    f.write(
        "a",
        "1_ok.up.sql",
        "CREATE TABLE ok1 (id INTEGER PRIMARY KEY);",
    );
    f.write(
        "a",
        "2_broken.up.sql",
        "CREATE TABLE f2 (id INTEGER PRIMARY KEY);\n\
         CREATE TABLE f3 (id INTEGER PRIMARY KEY);\n\
         INSERT INTO no_such_table VALUES (1);",
    );
    let db = f.db();
    let Err(Error::Migrate(error)) = db.migrate("a").await else {
        panic!("migration 2 must fail");
    };
    let [
        MigrationError::Failed {
            version: 2,
            statement,
            rolled_back,
            ..
        },
    ] = error.failures.as_slice()
    else {
        panic!("migration 2 fails: {error}");
    };
    assert_eq!(versions_of(&error.completed, "a"), [1], "{error}");
    let tables: Vec<String> = db.reflect("a").await.unwrap()[0]
        .tables
        .iter()
        .map(|t| t.name.clone())
        .collect();
    let status = db.migrations_status("a").await.unwrap();
    let state = status.binds[0].migrations[1].state;
    let message = error.to_string();
    assert!(
        message.contains("bind \"a\": migration 2 (broken) failed at statement 3 of its up script"),
        "{message}"
    );
    if f.server == Some(Server::MySql) {
        // DDL commits itself: the two CREATEs stay, and the record says so.
        assert!(!rolled_back, "{message}");
        assert_eq!(*statement, 3, "{message}");
        assert!(tables.contains(&"f2".to_owned()) && tables.contains(&"f3".to_owned()));
        assert!(
            message.contains("the 2 statement(s) before it stay applied"),
            "{message}"
        );
        assert!(
            matches!(state, MigrationState::Dirty { done: 2, .. }),
            "{status}"
        );
        let Err(Error::Migrate(again)) = db.migrate("a").await else {
            panic!("a dirty bind must be refused");
        };
        let text = again.to_string();
        assert!(
            text.contains("dirty") && text.contains("stopped after 2 statement(s)"),
            "{text}"
        );
    } else {
        assert!(rolled_back, "{message}");
        assert!(message.contains("nothing of it was applied"), "{message}");
        assert!(!tables.contains(&"f2".to_owned()), "{tables:?}");
        assert!(matches!(state, MigrationState::Pending), "{status}");
    }
}

on_every_backend!(a_dirty_migration_is_resolved_by_hand);
async fn a_dirty_migration_is_resolved_by_hand(f: &Fixture) {
    f.write(
        "a",
        "1_ok.up.sql",
        "CREATE TABLE ok1 (id INTEGER PRIMARY KEY);",
    );
    let broken = "CREATE TABLE f2 (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);";
    f.write("a", "2_broken.up.sql", broken);
    let db = f.db();
    db.migrate("a").await.unwrap_err();
    let not_dirty = |result: Result<(), Error>| {
        matches!(result, Err(Error::Migrate(e))
            if matches!(e.failures[..], [MigrationError::NotDirty { version: 2, .. }]))
    };
    if f.server != Some(Server::MySql) {
        // Rolled back: nothing is dirty, so nothing to resolve.
        let result = db.resolve_migration("a", 2, Resolution::Undone).await;
        assert!(not_dirty(result));
        return;
    }
    // Undo by hand what ran, mark it undone, fix the script, and go on.
    let mut session = db.session();
    session.execute("a", "DROP TABLE f2", vec![]).await.unwrap();
    session.commit().await.unwrap();
    db.resolve_migration("a", 2, Resolution::Undone)
        .await
        .unwrap();
    let result = db.resolve_migration("a", 2, Resolution::Undone).await;
    assert!(not_dirty(result));
    f.write(
        "a",
        "2_broken.up.sql",
        "CREATE TABLE f2 (id INTEGER PRIMARY KEY);",
    );
    let report = f.db().migrate("a").await.unwrap();
    assert_eq!(versions_of(&report, "a"), [2], "{report}");
}

on_every_backend!(two_processes_migrate_one_bind_once);
async fn two_processes_migrate_one_bind_once(f: &Fixture) {
    // Migration 1 holds the lock about a second, so the other process waits for it.
    let slow = match f.server {
        Some(Server::Postgres) => "SELECT pg_sleep(1);",
        Some(Server::MySql) => "SELECT SLEEP(1);",
        None => {
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                 WHERE x < 2000000) SELECT count(*) FROM c;"
        }
    };
    f.write(
        "a",
        "1_slow.up.sql",
        &format!("{slow}\nCREATE TABLE s1 (id INTEGER PRIMARY KEY);"),
    );
    f.write(
        "a",
        "2_next.up.sql",
        "CREATE TABLE s2 (id INTEGER PRIMARY KEY);",
    );
    let test = format!(
        "two_processes_migrate_one_bind_once::{}",
        match f.server {
            Some(Server::Postgres) => "postgres",
            Some(Server::MySql) => "mariadb",
            None => "sqlite",
        }
    );
    // Both children connect first, then start at this instant.
    let start = now_ms() + 1500;
    let spawn = || {
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &test, "--nocapture", "--test-threads=1"])
            .env(
                CHILD,
                format!("{}\t{}\t{start}", f.urls[0], f.dir.path().display()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap()
    };
    let children = [spawn(), spawn()];
    let started = Instant::now();
    // (versions applied, how long migration 1's script took, how long the run took)
    let mut outcomes: Vec<(Vec<u64>, u64, u64)> = Vec::new();
    for mut child in children {
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("a child did not finish within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        // The test harness prints its own text on the same line.
        let line = stdout
            .lines()
            .find_map(|l| l.split_once("APPLIED:").map(|(_, line)| line.trim_end()));
        let Some(line) = line else {
            panic!("the child failed: {stdout}");
        };
        let [versions, script_ms, run_ms] = line.split(' ').collect::<Vec<_>>()[..] else {
            panic!("unexpected: {line}");
        };
        let versions = versions.split(',').filter(|v| !v.is_empty());
        outcomes.push((
            versions.map(|v| v.parse().unwrap()).collect(),
            script_ms.parse().unwrap(),
            run_ms.parse().unwrap(),
        ));
    }
    let mut applied: Vec<u64> = outcomes.iter().flat_map(|o| o.0.clone()).collect();
    applied.sort_unstable();
    // Each migration applied once, by one process or the other.
    assert_eq!(applied, [1, 2], "{outcomes:?}");
    // The other process waited for the slow one's lock rather than running beside it.
    let (first, other): (Vec<_>, Vec<_>) = outcomes.iter().partition(|o| o.0.contains(&1));
    assert!(other[0].2 * 2 >= first[0].1, "{outcomes:?}");
    let status = f.db().migrations_status("a").await.unwrap();
    assert_eq!(status.binds[0].applied(), [1, 2], "{status}");
}

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    u64::try_from(since.unwrap().as_millis()).unwrap()
}

/// The child of [`two_processes_migrate_one_bind_once`]: migrates bind `a` at the given
/// instant and prints the versions it applied, how long migration 1's script took if it
/// ran it, and how long its whole run took (`APPLIED:1,2 1003 1010`), or why it failed.
async fn run_child(spec: &str) {
    let [url, dir, start] = spec.split('\t').collect::<Vec<_>>()[..] else {
        panic!("{CHILD} is <url> TAB <folder> TAB <start>");
    };
    let db = db_of(
        &[url.to_owned(), url.to_owned(), url.to_owned()],
        Path::new(dir),
    );
    db.ping().await;
    let wait = start.parse::<u64>().unwrap().saturating_sub(now_ms());
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let started = Instant::now();
    match db.migrate("a").await {
        Ok(report) => {
            let bind = report.bind("a").unwrap();
            let versions: Vec<String> = bind.versions().iter().map(u64::to_string).collect();
            let first = bind.ran.iter().find(|m| m.version == 1);
            println!(
                "APPLIED:{} {} {}",
                versions.join(","),
                first.map_or(0, |m| m.elapsed.as_millis()),
                started.elapsed().as_millis()
            );
        }
        Err(error) => println!("FAILED:{error}"),
    }
}

/// `bindery::migrations!` embeds what `Migrator::from_dir` reads: the same migrations,
/// versions sorted as numbers, checksums and all.
#[test]
fn embedded_migrations_match_the_folder() {
    let embedded: Migrator = bindery::migrations!("tests/embedded_migrations");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/embedded_migrations");
    assert_eq!(embedded, Migrator::from_dir(dir).unwrap());
    let shop: Vec<u64> = embedded
        .migrations(Some("shop"))
        .iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(shop, [9, 20_260_101_120_000]);
    let default = &embedded.migrations(None)[0];
    assert_eq!(
        (default.name.as_str(), default.down.as_deref()),
        ("note", Some("DROP TABLE note;\n"))
    );
    assert_eq!(default.checksum.len(), 64);
}

/// `migrate new|up|status|down` on a SQLite bind, and `create-all` warning about a bind
/// that has migrations.
#[cfg(all(feature = "cli", feature = "sqlite"))]
#[test]
fn the_command_line_writes_applies_and_reverts() {
    static NOTE: bindery::TableInfo = bindery::TableInfo {
        bind_key: Some("a"),
        columns: &[bindery::ColumnInfo {
            primary_key: true,
            ..bindery::ColumnInfo::new("id", bindery::SqlType::Integer)
        }],
        ..bindery::TableInfo::new("note", "t::Note")
    };
    let dir = ScratchDir::new("cli");
    let registry = Registry::from_tables([&NOTE]);
    let migrations = dir.path().join("migrations");
    let url = format!("a=sqlite:///{}", dir.path().join("a.db").display());
    let run = |args: &[&str]| {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let flags = [
            "--bind",
            url.as_str(),
            "--migrations",
            migrations.to_str().unwrap(),
        ];
        let all = ["app"].iter().chain(args).chain(&flags);
        let code = bindery::cli::run_with_registry(&registry, all, &mut out, &mut err);
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (text(out), text(err), code)
    };
    let (out, _, _) = run(&["migrate", "new", "create_t", "--bind", "a"]);
    assert!(out.contains("0001_create_t.up.sql") && out.contains("0001_create_t.down.sql"));
    let (out, _, _) = run(&["migrate", "new", "add_u", "--bind", "a"]);
    assert!(out.contains("0002_add_u.up.sql"), "{out}");
    let folder = migrations.join("a");
    std::fs::write(
        folder.join("0001_create_t.up.sql"),
        "CREATE TABLE t (id INTEGER);",
    )
    .unwrap();
    std::fs::write(folder.join("0001_create_t.down.sql"), "DROP TABLE t;").unwrap();
    std::fs::write(
        folder.join("0002_add_u.up.sql"),
        "CREATE TABLE u (id INTEGER);",
    )
    .unwrap();
    std::fs::write(folder.join("0002_add_u.down.sql"), "DROP TABLE u;").unwrap();

    std::fs::create_dir_all(migrations.join("typo")).unwrap();
    std::fs::write(migrations.join("typo/1_x.up.sql"), "SELECT 1;").unwrap();
    let (out, err, code) = run(&["migrate", "up", "--bind", "a", "--to", "1"]);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{err}");
    assert!(
        err.contains("folder \"typo\" names no configured bind"),
        "{err}"
    );
    assert!(
        out.contains("bind \"a\" (SQLite): applied 1 [1 create_t]"),
        "{out}"
    );
    let (out, _, _) = run(&["migrate", "up"]);
    assert!(out.contains("applied 1 [2 add_u]"), "{out}");
    let (out, _, _) = run(&["migrate", "status"]);
    assert!(
        out.contains("create_t") && !out.contains("pending"),
        "{out}"
    );
    let (out, _, _) = run(&["migrate", "down", "--to", "0"]);
    assert!(out.contains("reverted 2 [2 add_u, 1 create_t]"), "{out}");
    let (out, _, _) = run(&["migrate", "status"]);
    assert_eq!(out.matches("pending").count(), 2, "{out}");

    let (_, err, _) = run(&["migrate", "resolve", "1", "--undone"]);
    assert!(err.contains("select that bind with --bind KEY"), "{err}");
    let (_, err, _) = run(&["migrate", "resolve", "1", "--applied", "--bind", "a"]);
    assert!(err.contains("migration 1 is not dirty"), "{err}");

    let (_, err, code) = run(&["create-all"]);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{err}");
    assert!(err.contains("warning: bind \"a\" has migrations"), "{err}");
}
