//! The embedded command line: snapshots of every dump format for the multi-crate
//! example, and `create-all --dry-run` executed by each database's own client (sqlite3,
//! psql, mariadb), which must make the same schema `create-all` does (compared through
//! `check`).

#![cfg(feature = "cli")]
// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use bindery::cli::{Format, dump, run_with};
use bindery::{Binds, Config, Db};
use common::{ScratchDb, ScratchDir, Server};

bindery::link!(accounts, shop, audit);

#[test]
fn dump_formats() {
    let registry = bindery::registry();
    insta::assert_snapshot!("dump_text", dump(registry, None, Format::Text));
    insta::assert_snapshot!("dump_json", dump(registry, None, Format::Json));
    insta::assert_snapshot!("dump_mermaid", dump(registry, None, Format::Mermaid));
    insta::assert_snapshot!("dump_dot", dump(registry, None, Format::Dot));
    let shop_only = [bindery::BindKey::from("shop")];
    insta::assert_snapshot!(
        "dump_text_shop",
        dump(registry, Some(&shop_only), Format::Text)
    );
}

#[test]
fn dump_json_parses_in_the_documented_shape() {
    let json: serde_json::Value =
        serde_json::from_str(&dump(bindery::registry(), None, Format::Json)).unwrap();
    let binds = json["binds"].as_array().unwrap();
    let keys: Vec<&serde_json::Value> = binds.iter().map(|b| &b["key"]).collect();
    assert_eq!(
        keys,
        [&serde_json::Value::Null, &"auth".into(), &"shop".into()]
    );
    let order = &binds[2]["tables"][0];
    assert_eq!(order["name"], "order");
    assert_eq!(order["columns"][1]["references"], "store.id");
}

/// The CLI's output for these arguments, and its exit status.
fn cli(args: &[&str]) -> (String, std::process::ExitCode) {
    let mut out = Vec::new();
    let code = run_with(std::iter::once("app").chain(args.iter().copied()), &mut out);
    (String::from_utf8(out).unwrap(), code)
}

/// Pipes `sql` into a database's own client.
fn client(program: &str, args: &[String], sql: &str) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{program} failed on:\n{sql}");
}

/// `create-all --dry-run` for each bind, run by `run_client`, then `check` is clean; and
/// `create-all` itself on fresh databases agrees.
fn dry_run_matches_create_all(urls: [&str; 3], run_client: impl Fn(usize, &str)) {
    let config_args: Vec<String> = vec![
        "--database-uri".into(),
        urls[0].into(),
        "--bind".into(),
        format!("auth={}", urls[1]),
        "--bind".into(),
        format!("shop={}", urls[2]),
    ];
    for (i, bind) in ["default", "auth", "shop"].iter().enumerate() {
        let mut args: Vec<&str> = config_args.iter().map(String::as_str).collect();
        args.extend(["create-all", "--dry-run", "--bind", bind]);
        let (ddl, _) = cli(&args);
        assert!(ddl.contains("CREATE TABLE"), "{ddl}");
        run_client(i, &ddl);
    }
    let mut args: Vec<&str> = config_args.iter().map(String::as_str).collect();
    args.push("check");
    let (report, code) = cli(&args);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{report}");
    assert_eq!(report.matches("no drift").count(), 3, "{report}");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn dry_run_on_sqlite_via_sqlite3() {
    let dir = ScratchDir::new("dry_lite");
    std::fs::create_dir_all(dir.path()).unwrap();
    let files: Vec<String> = ["default", "auth", "shop"]
        .iter()
        .map(|b| dir.path().join(format!("{b}.db")).display().to_string())
        .collect();
    let urls: Vec<String> = files.iter().map(|f| format!("sqlite:///{f}")).collect();
    dry_run_matches_create_all([&urls[0], &urls[1], &urls[2]], |i, ddl| {
        client("sqlite3", &[files[i].clone()], ddl);
    });
}

/// A scratch database on `server` for each of the three binds; `None` when the server is
/// missing and not required.
fn scratch_dbs(server: Server, tag: &str) -> Option<Vec<ScratchDb>> {
    runtime().block_on(async {
        let mut dbs = Vec::new();
        for bind in ["d", "auth", "shop"] {
            dbs.push(ScratchDb::new(server, &format!("{tag}_{bind}")).await?);
        }
        Some(dbs)
    })
}

#[test]
fn dry_run_on_postgres_via_psql() {
    let Some(dbs) = scratch_dbs(Server::Postgres, "dry_pg") else {
        return;
    };
    dry_run_matches_create_all([dbs[0].url(), dbs[1].url(), dbs[2].url()], |i, ddl| {
        let args = vec![
            dbs[i].url().to_owned(),
            "-q".into(),
            "-v".into(),
            "ON_ERROR_STOP=1".into(),
            "-f".into(),
            "-".into(),
        ];
        client("psql", &args, ddl);
    });
}

#[test]
fn dry_run_on_mariadb_via_mariadb() {
    let Some(dbs) = scratch_dbs(Server::MySql, "dry_my") else {
        return;
    };
    dry_run_matches_create_all([dbs[0].url(), dbs[1].url(), dbs[2].url()], |i, ddl| {
        let url = url::Url::parse(dbs[i].url()).unwrap();
        let mut args = vec![
            format!("--host={}", url.host_str().unwrap_or("127.0.0.1")),
            format!("--port={}", url.port().unwrap_or(3306)),
            format!("--user={}", url.username()),
        ];
        if let Some(password) = url.password() {
            args.push(format!("--password={password}"));
        }
        args.push(dbs[i].name().to_owned());
        client("mariadb", &args, ddl);
    });
}

/// The dry run's schema is the one `create-all` makes: the same check, on a `Db` that
/// created its tables itself, agrees with the client-made one.
#[test]
fn create_all_makes_what_the_dry_run_prints() {
    let dir = ScratchDir::new("dry_same");
    let rt = runtime();
    rt.block_on(async {
        let config = Config::new()
            .database_uri("sqlite:///d.db")
            .bind("auth", "sqlite:///a.db")
            .bind("shop", "sqlite:///s.db")
            .sqlite_base_dir(dir.path());
        let db = Db::build(config).unwrap();
        db.create_all(Binds::All).await.unwrap();
        let live = db.reflect(Binds::All).await.unwrap();
        db.close().await;
        // The same tables the dry run creates, by name and column, in every bind.
        let names: Vec<Vec<&str>> = live
            .iter()
            .map(|b| b.tables.iter().map(|t| t.name.as_str()).collect())
            .collect();
        assert_eq!(
            names,
            [
                vec!["audit_log"],
                vec!["admin", "role", "user"],
                vec!["order", "store"]
            ]
        );
    });
}

/// A reference into another bind (which `Db::build` refuses, but a dump still shows) is
/// drawn red, from its table to the table in the other bind's cluster.
#[test]
fn dot_draws_cross_bind_references_red() {
    use bindery::{ColumnInfo, ForeignKey, Registry, SqlType, TableInfo};
    static PARENT: TableInfo = TableInfo {
        bind_key: Some("a"),
        columns: &[ColumnInfo {
            primary_key: true,
            ..ColumnInfo::new("id", SqlType::BigInt)
        }],
        ..TableInfo::new("parent", "t::Parent")
    };
    static CHILD: TableInfo = TableInfo {
        bind_key: Some("b"),
        columns: &[
            ColumnInfo {
                primary_key: true,
                ..ColumnInfo::new("id", SqlType::BigInt)
            },
            ColumnInfo {
                references: Some(ForeignKey {
                    table: "parent",
                    column: "id",
                }),
                ..ColumnInfo::new("parent_id", SqlType::BigInt)
            },
        ],
        ..TableInfo::new("child", "t::Child")
    };
    let dot = dump(&Registry::from_tables([&PARENT, &CHILD]), None, Format::Dot);
    assert!(
        dot.contains(
            r#""b.child" -> "a.parent" [label="parent_id (cross-bind)", color=red, fontcolor=red];"#
        ),
        "{dot}"
    );
}

/// The CLI's output, error output, and exit status for these arguments.
fn cli_with_errors(args: &[&str]) -> (String, String, std::process::ExitCode) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = bindery::cli::run_with_streams(
        std::iter::once("app").chain(args.iter().copied()),
        &mut out,
        &mut err,
    );
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
        code,
    )
}

#[test]
fn a_url_without_its_bind_key_is_named_by_position_never_echoed() {
    for args in [
        &["--bind", "postgres://user:hunter2@127.0.0.1/db", "binds"][..],
        &[
            "binds",
            "--bind",
            "auth",
            "--bind",
            "mysql://root:hunter2@h/db?charset=utf8mb4",
        ],
        &[
            "create-all",
            "--bind",
            "sqlite:///:hunter2@/x.db",
            "--dry-run",
        ],
    ] {
        let (out, err, code) = cli_with_errors(args);
        assert_eq!(code, std::process::ExitCode::from(2), "{args:?}: {err}");
        assert!(out.is_empty(), "{out}");
        let position = if args[0] == "binds" { "#2" } else { "#1" };
        assert!(
            err.contains(&format!("--bind {position} looks like a URL")),
            "{err}"
        );
        assert!(!err.to_lowercase().contains("hunter2"), "{err}");
    }
}

#[test]
fn clap_errors_do_not_quote_a_url() {
    // A URL where clap expects nothing: clap names the argument it rejects.
    let (_, err, code) = cli_with_errors(&["create-all", "postgres://user:hunter2@h/db"]);
    assert_eq!(code, std::process::ExitCode::from(2));
    assert!(err.contains("<argument 2>"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn a_refused_url_is_an_error_never_a_fallback_to_sqlite() {
    let instance = std::path::Path::new("instance");
    let existed = instance.exists();
    for args in [
        &["create-all", "--bind", "auth=postgress://u:hunter2@h/auth"][..],
        &["--database-uri", "mysql://root:hunter2@h:99999/db", "binds"],
        &[
            "check",
            "--bind",
            "auth=postgres://u:hunter2@h/auth?sslpassword=x",
        ],
    ] {
        let (out, err, code) = cli_with_errors(args);
        assert_eq!(
            code,
            std::process::ExitCode::from(2),
            "{args:?}: {out}{err}"
        );
        assert!(!err.contains("note: no configuration given"), "{err}");
        let key = if args[0] == "--database-uri" {
            "`database_uri`"
        } else {
            "`binds.auth`"
        };
        assert!(err.contains(key), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
    if !existed {
        assert!(
            !instance.exists(),
            "the CLI fell back to SQLite files under ./instance/"
        );
    }
}

/// `--database-uri` and `--bind` flags putting the three binds in SQLite files in `dir`.
fn sqlite_flags(dir: &std::path::Path) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    let url = |b: &str| format!("sqlite:///{}", dir.join(format!("{b}.db")).display());
    vec![
        "--database-uri".into(),
        url("default"),
        "--bind".into(),
        format!("auth={}", url("auth")),
        "--bind".into(),
        format!("shop={}", url("shop")),
    ]
}

/// The async entry's output, error output and exit status for `flags`, then `command`.
async fn cli_async(flags: &[String], command: &str) -> (String, String, std::process::ExitCode) {
    let args = std::iter::once("app")
        .chain(flags.iter().map(String::as_str))
        .chain([command]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = bindery::cli::run_with_streams_async(args, &mut out, &mut err).await;
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
        code,
    )
}

/// The async entry, awaited inside `#[tokio::test]`'s runtime, runs `dump`, `check`
/// (drift: exit 1), `create-all`, then `check` again (clean: exit 0).
#[tokio::test]
async fn the_async_entry_runs_inside_a_runtime() {
    let dir = ScratchDir::new("cli_async");
    let flags = sqlite_flags(dir.path());
    let mut steps = Vec::new();
    for (command, expected) in [("dump", 0), ("check", 1), ("create-all", 0), ("check", 0)] {
        let (out, err, code) = cli_async(&flags, command).await;
        assert_eq!(
            code,
            std::process::ExitCode::from(expected),
            "{command}: {out}{err}"
        );
        steps.push(out);
    }
    assert!(steps[0].contains("audit_log"), "{}", steps[0]);
    assert!(steps[1].contains("is missing"), "{}", steps[1]);
    assert!(
        steps[2].contains("created 3 [role, user, admin]"),
        "{}",
        steps[2]
    );
    assert_eq!(steps[3].matches("no drift").count(), 3, "{}", steps[3]);
}

/// The async entries' futures are `Send`: an application may spawn them.
#[test]
fn the_async_entries_are_send() {
    fn send<F: std::future::Future + Send>(_: F) {}
    let (mut out, mut err) = (Vec::new(), Vec::new());
    send(bindery::cli::run_with_streams_async(
        ["app", "dump"],
        &mut out,
        &mut err,
    ));
    let registry = bindery::Registry::from_tables([]);
    send(bindery::cli::run_with_registry_async(
        &registry,
        ["app", "dump"],
        &mut out,
        &mut err,
    ));
    send(bindery::cli::run_async());
}

/// The sync entry, called from inside a runtime (where `block_on` would panic with
/// "Cannot start a runtime from within a runtime"), runs the command to its end.
#[tokio::test]
async fn the_sync_entry_inside_a_runtime_does_not_panic() {
    let dir = ScratchDir::new("cli_sync_rt");
    let flags = sqlite_flags(dir.path());
    let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
    args.push("create-all");
    let (out, err, code) = cli_with_errors(&args);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{out}{err}");
    assert!(out.contains("created 2 [store, order]"), "{out}");
    let (out, err, code) = cli_with_errors(&["dump", "--bind", "shop"]);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{err}");
    assert!(out.contains("total_cents"), "{out}");
}

/// `recover` on SQLite binds only (none can prepare): nothing is in doubt, exit 0, run
/// by the sync entry inside `#[tokio::test]`'s runtime (where it must not panic) and
/// again by the async one. A `--bind KEY` selection is refused: a transaction spans binds.
/// A bind it cannot list makes it exit 1.
#[tokio::test]
async fn recover_on_sqlite_finds_nothing_in_doubt() {
    let dir = ScratchDir::new("cli_recover");
    let flags = sqlite_flags(dir.path());
    let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
    args.push("recover");
    let (out, err, code) = cli_with_errors(&args);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{out}{err}");
    assert_eq!(out, "no prepared transaction of bindery's is in doubt\n");
    let (out, err, code) = cli_async(&flags, "recover").await;
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{out}{err}");
    assert_eq!(out, "no prepared transaction of bindery's is in doubt\n");
    args.extend(["--bind", "shop"]);
    let (out, err, code) = cli_with_errors(&args);
    assert_eq!(code, std::process::ExitCode::from(2), "{out}{err}");
    assert!(err.contains("recover works on every bind at once"), "{err}");
    // A server bind that cannot be listed (a closed port) is not clean: exit 1.
    let file = dir.path().join("pool.toml");
    std::fs::write(&file, "[pool]\nacquire_timeout = \"1s\"\n").unwrap();
    let file = file.display().to_string();
    args.truncate(flags.len());
    let down = "shop=postgres://app:hunter2@127.0.0.1:1/shop";
    args.extend(["--config", &file, "--bind", down, "recover"]);
    let (out, err, code) = cli_with_errors(&args);
    assert_eq!(code, std::process::ExitCode::from(1), "{out}{err}");
    assert!(
        out.contains("cannot list its prepared transactions"),
        "{out}"
    );
    assert!(!out.contains("hunter2") && !err.contains("hunter2"));
}

/// With no model at all, every schema command refuses (exit 2) and says why and how to
/// fix it, instead of printing an empty dump or blaming the configuration.
#[test]
fn an_empty_registry_is_refused_naming_link() {
    let empty = bindery::Registry::from_tables([]);
    for command in [
        &["dump"][..],
        &["create-all"],
        &["create-all", "--dry-run"],
        &["drop-all", "--yes"],
        &["check"],
    ] {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let args = std::iter::once("app").chain(command.iter().copied());
        let code = bindery::cli::run_with_registry(&empty, args, &mut out, &mut err);
        let err = String::from_utf8(err).unwrap();
        assert_eq!(code, std::process::ExitCode::from(2), "{command:?}: {err}");
        assert!(out.is_empty(), "{command:?}");
        assert!(err.contains("links no model"), "{err}");
        assert!(err.contains("`bindery::link!("), "{err}");
        assert!(!err.contains("no database is configured"), "{err}");
    }
}

/// A crate the program declares (`bindery::link!`) whose models did not reach the
/// registry is reported by name, and the schema commands refuse to run without them.
#[test]
fn a_linked_crate_whose_models_are_missing_is_named() {
    let program = bindery::registry();
    assert_eq!(program.linked_crates(), ["accounts", "audit", "shop"]);
    program.check_linked().unwrap();
    // The program's tables without audit's: as if the linker had dropped them.
    let without_audit = bindery::Registry::from_tables(
        program
            .tables()
            .filter(|t| !t.rust_type.starts_with("audit::")),
    )
    .with_linked_crates(program.linked_crates().iter().copied());
    for command in ["dump", "check", "create-all"] {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code =
            bindery::cli::run_with_registry(&without_audit, ["app", command], &mut out, &mut err);
        let err = String::from_utf8(err).unwrap();
        assert_eq!(code, std::process::ExitCode::from(2), "{command}: {err}");
        assert!(
            err.contains("names crate `audit`, yet no model of it"),
            "{err}"
        );
        assert!(
            !err.contains("`accounts`") && !err.contains("`shop`"),
            "{err}"
        );
    }
}

/// `binds` is a readiness probe: one bind down (a closed local port) makes it exit 1;
/// the binds that answer are still listed as up, by plain name; no password is printed.
#[test]
fn binds_exits_non_zero_when_a_bind_is_down() {
    let dir = ScratchDir::new("cli_binds_down");
    let mut flags = sqlite_flags(dir.path());
    // sqlx retries a refused connection until the acquire timeout.
    let file = dir.path().join("pool.toml");
    std::fs::write(&file, "[pool]\nacquire_timeout = \"1s\"\n").unwrap();
    flags.extend(["--config".into(), file.display().to_string()]);
    flags.push("--bind".into());
    flags.push("shop=postgres://app:hunter2@127.0.0.1:1/shop".into());
    let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
    args.push("binds");
    let (out, err, code) = cli_with_errors(&args);
    assert_eq!(code, std::process::ExitCode::from(1), "{out}{err}");
    let line = |bind: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(bind))
            .unwrap_or_else(|| panic!("no line for {bind}: {out}"))
            .to_owned()
    };
    assert!(line("default").contains("ok in"), "{out}");
    assert!(line("auth").contains("ok in"), "{out}");
    assert!(line("shop").contains("down:"), "{out}");
    assert!(
        !out.contains("hunter2") && !err.contains("hunter2"),
        "{out}{err}"
    );
}

/// `Ping` prints one plain line per bind, without its URL or password.
#[tokio::test]
async fn ping_displays_the_plain_bind_and_its_health() {
    let dir = ScratchDir::new("cli_ping");
    std::fs::create_dir_all(dir.path()).unwrap();
    let config = Config::sqlite_per_bind(dir.path(), [None, Some("auth")])
        .bind("shop", "postgres://app:hunter2@127.0.0.1:1/shop")
        .pool(bindery::PoolOptions {
            acquire_timeout: Some(std::time::Duration::from_secs(1)),
            ..bindery::PoolOptions::default()
        });
    let db = Db::build(config).unwrap();
    let lines: Vec<String> = db.ping().await.iter().map(ToString::to_string).collect();
    db.close().await;
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with("default (SQLite): ok in "),
        "{lines:?}"
    );
    assert!(lines[1].starts_with("auth (SQLite): ok in "), "{lines:?}");
    assert!(
        lines[2].starts_with("shop (PostgreSQL): down: "),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .all(|l| !l.contains("hunter2") && !l.contains("127.0.0.1"))
    );
}

/// `create-all`, then a clean `check`, through the async entry on `server`'s scratch
/// databases (skipped when the server is missing and not required).
async fn async_entry_on(server: Server, tag: &str) {
    let mut dbs = Vec::new();
    for bind in ["d", "auth", "shop"] {
        let Some(db) = ScratchDb::new(server, &format!("{tag}_{bind}")).await else {
            return;
        };
        dbs.push(db);
    }
    let flags = [
        "--database-uri".to_owned(),
        dbs[0].url().to_owned(),
        "--bind".to_owned(),
        format!("auth={}", dbs[1].url()),
        "--bind".to_owned(),
        format!("shop={}", dbs[2].url()),
    ];
    for (command, expected) in [("create-all", "created"), ("check", "no drift")] {
        let (out, err, code) = cli_async(&flags, command).await;
        assert_eq!(
            code,
            std::process::ExitCode::SUCCESS,
            "{command}: {out}{err}"
        );
        assert_eq!(out.matches(expected).count(), 3, "{command}: {out}");
    }
}

#[tokio::test]
async fn the_async_entry_on_postgres() {
    async_entry_on(Server::Postgres, "cli_async_pg").await;
}

#[tokio::test]
async fn the_async_entry_on_mariadb() {
    async_entry_on(Server::MySql, "cli_async_my").await;
}

/// The no-configuration fallback gives every bind its own file, even when two keys make
/// the same file-safe name, or a key is `default`.
#[test]
fn sqlite_per_bind_never_shares_a_file() {
    let config = Config::sqlite_per_bind(
        "instance",
        [None, Some("default"), Some("a.b"), Some("a_b")],
    );
    let url = |key: &str| config.binds()[key].url.to_string();
    assert_eq!(
        config.get_database_uri().unwrap().to_string(),
        "sqlite:///default.db"
    );
    assert_eq!(url("default"), "sqlite:///default-2.db");
    assert_eq!(url("a.b"), "sqlite:///a_b.db");
    assert_eq!(url("a_b"), "sqlite:///a_b-2.db");
}
