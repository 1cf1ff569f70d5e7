//! Configuration and URL handling, through the public API only: every URL spelling
//! bindery accepts (sqlx's and SQLAlchemy's), password masking in `Display`/`Debug` and
//! in error texts, `Config::from_toml`, `Config::from_env_vars`, `Config::merge`,
//! `Config::validate`, and what `Db::build` and `Db::engine` say about binds.
//!
//! This binary defines no models, so the registry is empty and any valid config builds.

use std::path::Path;
use std::time::Duration;

use bindery::{
    BuildProblem, Config, ConfigError, ConfigProblem, DatabaseUrl, Db, Dialect, Error, PoolOptions,
    UrlError,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn parse(input: &str) -> DatabaseUrl {
    DatabaseUrl::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"))
}

fn toml_err(text: &str) -> ConfigError {
    match Config::from_toml(text) {
        Ok(config) => panic!("accepted {text:?} as {config:?}"),
        Err(error) => error,
    }
}

fn texts(error: &ConfigError) -> Vec<String> {
    error.problems().iter().map(ToString::to_string).collect()
}

/// Asserts that `shown` (some printed value) holds none of `secrets`.
fn hides(shown: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!shown.contains(secret), "{secret:?} shown in {shown}");
    }
}

// ---------------------------------------------------------------- URLs

#[test]
fn every_url_form_parses_to_its_dialect() {
    // (input, dialect, in memory, database(), Display)
    #[rustfmt::skip]
    let forms = [
        ("sqlite://", Dialect::Sqlite, true, None, "sqlite://"),
        ("sqlite::memory:", Dialect::Sqlite, true, None, "sqlite://"),
        ("sqlite://:memory:", Dialect::Sqlite, true, None, "sqlite://"),
        ("sqlite:///rel.db", Dialect::Sqlite, false, None, "sqlite:///rel.db"),
        ("sqlite:////abs/x.db", Dialect::Sqlite, false, None, "sqlite:////abs/x.db"),
        ("sqlite:data.db", Dialect::Sqlite, false, None, "sqlite:///data.db"),
        ("postgres://app@db.example/app", Dialect::Postgres, false, Some("app"), "postgres://app@db.example/app"),
        ("postgresql://app@127.0.0.1:5433/auth?sslmode=require", Dialect::Postgres, false, Some("auth"), "postgresql://app@127.0.0.1:5433/auth?sslmode=require"),
        ("postgresql+psycopg2://app@localhost/auth", Dialect::Postgres, false, Some("auth"), "postgresql+psycopg2://app@localhost/auth"),
        ("postgres://app@[::1]:5432/app", Dialect::Postgres, false, Some("app"), "postgres://app@[::1]:5432/app"),
        ("postgres://app@localhost", Dialect::Postgres, false, None, "postgres://app@localhost"),
        ("mysql://root@localhost:3306/test1", Dialect::MySql, false, Some("test1"), "mysql://root@localhost:3306/test1"),
        ("mariadb://root@127.0.0.1/shop", Dialect::MySql, false, Some("shop"), "mariadb://root@127.0.0.1/shop"),
        ("mysql+pymysql://root@localhost/test1", Dialect::MySql, false, Some("test1"), "mysql+pymysql://root@localhost/test1"),
    ];
    for (input, dialect, memory, database, shown) in forms {
        let url = parse(input);
        assert_eq!(url.dialect(), dialect, "{input}");
        assert_eq!(url.is_memory(), memory, "{input}");
        assert_eq!(url.database(), database, "{input}");
        assert_eq!(url.to_string(), shown, "{input}");
        // With no password to mask, what is shown parses back to the same URL.
        assert_eq!(parse(shown), url, "{input} shown as {shown}");
        let via_from_str: DatabaseUrl = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(via_from_str, url, "{input}");
    }
}

#[test]
fn passwords_never_show_in_display_or_debug() {
    // (input, the secret as written and decoded, what Display shows)
    #[rustfmt::skip]
    let cases = [
        ("mysql+pymysql://root:hunter2@localhost:3306/test1", &["hunter2"][..], "mysql+pymysql://root:***@localhost:3306/test1"),
        ("postgresql+psycopg2://u:p%40ss@db.example:5433/app?sslmode=require", &["p%40ss", "p@ss"][..], "postgresql+psycopg2://u:***@db.example:5433/app?sslmode=require"),
        ("postgres://u:s%3Acr%2Fet@h/db", &["s%3Acr%2Fet", "s:cr/et"][..], "postgres://u:***@h/db"),
        ("postgres://u@h/app?password=hunter2&sslmode=disable", &["hunter2"][..], "postgres://u@h/app?password=***&sslmode=disable"),
        // Inline PEM in a key option is a secret too (sslpassword is refused: see url_options.rs).
        ("postgres://u@h/app?sslkey=-----BEGIN%20PRIVATE%20KEY-----%0AMIIhunter2%0A-----END%20PRIVATE%20KEY-----", &["hunter2"][..], "postgres://u@h/app?sslkey=***"),
        ("mysql://:hunter2@h/db", &["hunter2"][..], "mysql://:***@h/db"),
    ];
    for (input, secrets, shown) in cases {
        let url = parse(input);
        let display = url.to_string();
        let debug = format!("{url:?}");
        assert_eq!(display, shown, "{input}");
        assert_eq!(debug, format!("DatabaseUrl({shown})"), "{input}");
        hides(&display, secrets);
        hides(&debug, secrets);
    }
}

#[test]
fn config_debug_never_shows_a_password() -> TestResult {
    let config = Config::new()
        .database_uri("postgresql+psycopg2://app:hunter2@127.0.0.1/main")
        .bind("auth", "mysql://root:p%40ss@localhost/auth")
        .bind("shop", "postgres://u@h/shop?password=tiger")
        // Refused URLs are kept as problems: they must not leak either.
        .bind("bad", "mysql://root:s3cret@localhost:99999/db");
    let debug = format!("{config:?}");
    hides(&debug, &["hunter2", "p%40ss", "p@ss", "tiger", "s3cret"]);
    assert!(
        debug.contains("postgresql+psycopg2://app:***@127.0.0.1/main"),
        "{debug}"
    );
    assert!(debug.contains("mysql://root:***@localhost/auth"), "{debug}");
    assert!(debug.contains("password=***"), "{debug}");
    let error = config.validate().err().ok_or("a bad URL validated")?;
    assert_eq!(
        error.problems(),
        [ConfigProblem::BadUrl {
            key: "binds.bad".into(),
            error: UrlError::Malformed {
                reason: "invalid port number".into()
            },
        }]
    );
    hides(&error.to_string(), &["s3cret"]);
    Ok(())
}

#[test]
fn bad_urls_give_typed_errors_without_the_password() {
    #[rustfmt::skip]
    let cases = [
        ("", UrlError::Empty, "the URL is empty"),
        ("   ", UrlError::Empty, "the URL is empty"),
        ("localhost/hunter2", UrlError::NoScheme, "the URL has no scheme (expected one like `postgres://`, `mysql://` or `sqlite:`)"),
        ("//root:hunter2@h/db", UrlError::NoScheme, "the URL has no scheme (expected one like `postgres://`, `mysql://` or `sqlite:`)"),
        ("oracle://scott:hunter2@h/db", UrlError::UnknownScheme { scheme: "oracle".into() }, "unknown scheme `oracle`: bindery speaks sqlite, postgres (postgresql) and mysql (mariadb), with or without a `+driver` suffix"),
        ("postgres://u:hunter2@h:abc/db", UrlError::Malformed { reason: "invalid port number".into() }, "malformed URL: invalid port number"),
        ("mysql://root:hunter2@h:99999/db", UrlError::Malformed { reason: "invalid port number".into() }, "malformed URL: invalid port number"),
        ("mysql://root:hunter2@h:3306", UrlError::NoDatabase, "the URL names no database (add `/name` after the host)"),
        ("mysql+pymysql://root:hunter2@h/", UrlError::NoDatabase, "the URL names no database (add `/name` after the host)"),
        ("postgres:///db?password=hunter2", UrlError::NoHost, "the URL names no host"),
        ("postgresql://", UrlError::NoHost, "the URL names no host"),
        ("sqlite:///file:?uri=true", UrlError::EmptyPath, "the SQLite URL has an empty path"),
    ];
    for (input, expected, text) in cases {
        let error = match DatabaseUrl::parse(input) {
            Ok(url) => panic!("{input:?} parsed as {url:?}"),
            Err(error) => error,
        };
        assert_eq!(error, expected, "{input:?}");
        assert_eq!(error.to_string(), text, "{input:?}");
        hides(&format!("{error} {error:?}"), &["hunter2"]);
    }
}

// ---------------------------------------------------------------- TOML

const FULL_TOML: &str = r#"
database_uri = "sqlite:///instance/app.db"
sqlite_base_dir = "var"

[pool]
max_connections = 10
min_connections = 2
acquire_timeout = 5
idle_timeout = 1.5
max_lifetime = "2m"
test_before_acquire = true
statement_timeout = "20s"
lock_timeout = "3s"

[binds]
auth = "postgresql+psycopg2://app:hunter2@127.0.0.1/auth"

[binds.shop]
url = "mysql://app@127.0.0.1:3306/shop"
max_connections = 5
acquire_timeout = "500ms"
idle_timeout = "5s"
lock_timeout = "250ms"
"#;

#[test]
fn from_toml_reads_the_documented_format() -> TestResult {
    let config = Config::from_toml(FULL_TOML)?;
    let default = config.get_database_uri().ok_or("no default URL")?;
    assert_eq!(default.to_string(), "sqlite:///instance/app.db");
    assert_eq!(config.get_sqlite_base_dir(), Path::new("var"));

    let binds = config.binds();
    assert_eq!(binds.keys().collect::<Vec<_>>(), ["auth", "shop"]);
    let auth = &binds["auth"];
    assert_eq!(auth.url.dialect(), Dialect::Postgres);
    assert_eq!(
        auth.url.to_string(),
        "postgresql+psycopg2://app:***@127.0.0.1/auth"
    );
    assert_eq!(auth.pool, PoolOptions::default());
    let shop = &binds["shop"];
    assert_eq!(shop.url.dialect(), Dialect::MySql);
    assert_eq!(shop.url.database(), Some("shop"));
    assert_eq!(
        shop.pool,
        PoolOptions {
            max_connections: Some(5),
            acquire_timeout: Some(Duration::from_millis(500)),
            idle_timeout: Some(Duration::from_secs(5)),
            lock_timeout: Some(Duration::from_millis(250)),
            ..PoolOptions::default()
        }
    );

    let defaults = PoolOptions {
        max_connections: Some(10),
        min_connections: Some(2),
        acquire_timeout: Some(Duration::from_secs(5)),
        idle_timeout: Some(Duration::from_millis(1500)),
        max_lifetime: Some(Duration::from_secs(120)),
        test_before_acquire: Some(true),
        statement_timeout: Some(Duration::from_secs(20)),
        lock_timeout: Some(Duration::from_secs(3)),
    };
    assert_eq!(config.get_pool(), &defaults);
    // The bind's own options win; the rest come from [pool].
    assert_eq!(
        config.pool_for(Some("shop")),
        PoolOptions {
            max_connections: Some(5),
            acquire_timeout: Some(Duration::from_millis(500)),
            idle_timeout: Some(Duration::from_secs(5)),
            lock_timeout: Some(Duration::from_millis(250)),
            ..defaults.clone()
        }
    );
    assert_eq!(config.pool_for(Some("auth")), defaults);
    assert_eq!(config.pool_for(None), defaults);
    hides(&format!("{config:?}"), &["hunter2"]);
    Ok(())
}

#[test]
fn toml_syntax_error_names_the_line_not_the_secret() {
    #[rustfmt::skip]
    let cases = [
        // Junk after a value, on the line holding the password.
        ("database_uri = \"sqlite://\"\n[binds]\nauth = \"postgres://app:hunter2@h/auth\" oops\n", 3),
        // An unterminated string holding the password.
        ("database_uri = \"sqlite://\"\n\n[binds]\nauth = \"postgres://app:hunter2@h/auth\n", 4),
        // An unquoted URL.
        ("database_uri = mysql://root:hunter2@h/db\n", 1),
    ];
    for (text, line) in cases {
        let error = toml_err(text);
        assert!(
            matches!(error.problems(), [ConfigProblem::Toml { line: Some(l), .. }] if *l == line),
            "{text:?}: {:?}",
            error.problems()
        );
        assert!(
            error.to_string().starts_with(&format!(
                "bad configuration: TOML syntax error on line {line}: "
            )),
            "{text:?}: {error}"
        );
        hides(&format!("{error} {error:?}"), &["hunter2"]);
    }
}

#[test]
fn toml_syntax_error_at_the_start_of_a_line_names_that_line() {
    // The error is at the first character of line 3.
    let error = toml_err("database_uri = \"sqlite://\"\n\n= \"postgres://app:hunter2@h/auth\"\n");
    let [ConfigProblem::Toml { line, .. }] = error.problems() else {
        panic!("{error:?}");
    };
    assert_eq!(*line, Some(3), "{error}");
    hides(&error.to_string(), &["hunter2"]);
}

#[test]
fn toml_unknown_keys_are_named() {
    let error = toml_err("database_uri = \"sqlite://\"\ncolour = \"blue\"\n");
    assert_eq!(
        texts(&error),
        [
            "unknown key `colour`; expected one of: database_uri, database_tls, database_replicas, causal_wait, two_phase, two_phase_log, two_phase_instance, sqlite_base_dir, record_queries, echo, ddl_lock_timeout, pool, binds"
        ]
    );
    let error = toml_err(
        "[pool]\nmax_conections = 5\n[binds.shop]\nurl = \"sqlite://\"\nmax_conections = 5\n",
    );
    let mut found = texts(&error);
    found.sort();
    assert_eq!(
        found,
        [
            "unknown key `binds.shop.max_conections`; expected one of: url, tls, replicas, max_connections, min_connections, acquire_timeout, idle_timeout, max_lifetime, test_before_acquire, statement_timeout, lock_timeout",
            "unknown key `pool.max_conections`; expected one of: max_connections, min_connections, acquire_timeout, idle_timeout, max_lifetime, test_before_acquire, statement_timeout, lock_timeout",
        ]
    );
}

#[test]
fn toml_bad_values_are_named() {
    let bad = |key: &str, reason: &str| ConfigProblem::BadValue {
        key: key.into(),
        reason: reason.into(),
    };
    let duration = "must be a duration: seconds as a number, or a string like \"500ms\", \"5s\", \"2m\", \"1h\"";
    // Each file sets a database, so that the one problem is the only one.
    #[rustfmt::skip]
    let cases = [
        ("[pool]\nmax_connections = 0", bad("pool.max_connections", "must be at least 1")),
        ("[binds.shop]\nurl = \"sqlite://\"\nmax_connections = 0", bad("binds.shop.max_connections", "must be at least 1")),
        ("[pool]\nmax_connections = -1", bad("pool.max_connections", "-1 is out of range (0 to 4294967295)")),
        ("[pool]\nmax_connections = 4294967296", bad("pool.max_connections", "4294967296 is out of range (0 to 4294967295)")),
        ("[pool]\nmax_connections = 10\nmin_connections = 20", bad("pool.min_connections", "20 is more than max_connections (10)")),
        ("[pool]\nmax_connections = \"ten\"", bad("pool.max_connections", "must be a whole number, not string")),
        ("[pool]\ntest_before_acquire = 1", bad("pool.test_before_acquire", "must be true or false, not integer")),
        ("[binds.shop]\nmax_connections = 5", bad("binds.shop", "has no `url`")),
        ("[binds]\nshop = 5", bad("binds.shop", "must be a URL or a table with `url`, not integer")),
        ("[pool]\nacquire_timeout = \"5 days\"", bad("pool.acquire_timeout", duration)),
        ("[pool]\nidle_timeout = -3", bad("pool.idle_timeout", duration)),
        ("[pool]\nmax_lifetime = \"5\"", bad("pool.max_lifetime", duration)),
        ("[pool]\nacquire_timeout = 0", bad("pool.acquire_timeout", "must be longer than zero")),
    ]
    .map(|(text, expected)| (format!("database_uri = \"sqlite://\"\n{text}"), expected));
    #[rustfmt::skip]
    let top_level = [
        ("database_uri = 5".to_owned(), bad("database_uri", "must be a string, not integer")),
        ("binds = \"sqlite://\"".to_owned(), bad("binds", "must be a table, not string")),
        ("two_phase = \"yes\"".to_owned(), bad("two_phase", "must be true or false, not string")),
        ("two_phase_log = 5".to_owned(), bad("two_phase_log", "must be a string, not integer")),
        ("two_phase_instance = [\"a\"]".to_owned(), bad("two_phase_instance", "must be a string, not array")),
    ];
    for (text, expected) in cases.into_iter().chain(top_level) {
        let error = toml_err(&text);
        let shown = format!("bad configuration: {expected}");
        assert_eq!(error.problems(), [expected], "{text:?}");
        assert_eq!(error.to_string(), shown, "{text:?}");
    }
}

#[test]
fn toml_with_only_pool_settings_is_a_layer_for_merge() -> TestResult {
    let file = Config::from_toml("[pool]\nmax_connections = 5\n")?;
    assert_eq!(file.get_pool().max_connections, Some(5));
    let env = Config::from_env_vars([("BINDERY_DATABASE_URI", "sqlite://")])?;
    let config = file.merge(env);
    assert_eq!(config.validate(), Ok(()));
    assert_eq!(config.pool_for(None).max_connections, Some(5));
    Ok(())
}

#[test]
fn toml_reports_every_problem_at_once() {
    let error = toml_err(
        r#"
database_uri = "oracle://scott:hunter2@h/db"
colour = "blue"

[pool]
max_connections = 0
acquire_timeout = "soon"

[binds]
auth = "mysql://root:hunter2@localhost"

[binds.shop]
url = "sqlite:///shop.db"
max_conections = 5
min_connections = 9
max_connections = 3
"#,
    );
    let found = texts(&error);
    assert_eq!(error.problems().len(), 7, "{found:#?}");
    for expected in [
        "`database_uri`: unknown scheme `oracle`",
        "unknown key `colour`",
        "`pool.max_connections` must be at least 1",
        "`pool.acquire_timeout` must be a duration",
        "`binds.auth`: the URL names no database",
        "unknown key `binds.shop.max_conections`",
        "`binds.shop.min_connections` 9 is more than max_connections (3)",
    ] {
        assert!(
            found.iter().any(|t| t.starts_with(expected)),
            "missing {expected:?} in {found:#?}"
        );
    }
    let shown = error.to_string();
    assert!(
        shown.starts_with("bad configuration (7 problems):\n  - "),
        "{shown}"
    );
    hides(&shown, &["hunter2"]);
}

// ---------------------------------------------------------------- environment

#[test]
fn from_env_vars_reads_the_bindery_variables() -> TestResult {
    let config = Config::from_env_vars([
        ("PATH", "/usr/bin"),
        ("DATABASE_URI", "oracle://nope"),
        ("BINDERY_DATABASE_URI", "sqlite://"),
        ("BINDERY_BIND_AUTH", "postgres://u:hunter2@h/auth"),
        ("BINDERY_SQLITE_BASE_DIR", "/srv/data"),
        ("BINDERY_TEST_MYSQL", "not a url"),
    ])?;
    assert!(
        config
            .get_database_uri()
            .ok_or("no default URL")?
            .is_memory()
    );
    assert_eq!(config.binds().keys().collect::<Vec<_>>(), ["auth"]);
    assert_eq!(config.binds()["auth"].url.dialect(), Dialect::Postgres);
    assert_eq!(config.binds()["auth"].url.database(), Some("auth"));
    assert_eq!(config.get_sqlite_base_dir(), Path::new("/srv/data"));
    hides(&format!("{config:?}"), &["hunter2"]);

    let nothing = Config::from_env_vars([("HOME", "/root"), ("BINDERY_TEST_X", "1")])?;
    assert_eq!(nothing, Config::new());
    Ok(())
}

#[test]
fn from_env_vars_errors_name_the_variable() {
    let error = match Config::from_env_vars([
        ("BINDERY_BIND_", "sqlite://"),
        ("BINDERY_BIND_SHOP", "mysql://root:hunter2@localhost"),
        ("BINDERY_DATABASE_URI", "oracle://scott:hunter2@h/db"),
    ]) {
        Ok(config) => panic!("accepted: {config:?}"),
        Err(error) => error,
    };
    assert_eq!(
        texts(&error),
        [
            "`BINDERY_BIND_` \"\" is not a bind key: it must be non-empty, without spaces",
            "`BINDERY_BIND_SHOP`: the URL names no database (add `/name` after the host)",
            "`BINDERY_DATABASE_URI`: unknown scheme `oracle`: bindery speaks sqlite, postgres (postgresql) and mysql (mariadb), with or without a `+driver` suffix",
        ]
    );
    hides(&format!("{error} {error:?}"), &["hunter2"]);
}

// ---------------------------------------------------------------- merge and validate

#[test]
fn from_env_vars_names_a_near_miss_instead_of_ignoring_it() {
    // `BINDERY_DATABASE_URL` (not `…_URI`) used to be skipped: the tool then fell back.
    for name in [
        "BINDERY_DATABASE_URL",
        "BINDERY_BINDS_AUTH",
        "BINDERY_SQLITE_BASEDIR",
        "BINDERY_TWO_PHASE_INSTANCES",
    ] {
        let error = Config::from_env_vars([(name, "postgres://u:hunter2@h/db")])
            .err()
            .unwrap_or_else(|| panic!("{name} was ignored"));
        assert!(
            matches!(error.problems(), [ConfigProblem::UnknownKey { key, .. }] if key == name),
            "{error:?}"
        );
        hides(&error.to_string(), &["hunter2"]);
    }
}

#[test]
fn merge_lets_the_later_config_win() -> TestResult {
    let file = Config::new()
        .database_uri("sqlite:///file.db")
        .bind("auth", "sqlite:///auth.db")
        .bind("shop", "sqlite:///shop.db")
        .pool(PoolOptions {
            max_connections: Some(10),
            min_connections: Some(2),
            ..PoolOptions::default()
        })
        .sqlite_base_dir("base");
    let env = Config::new()
        .database_uri("sqlite:///env.db")
        .bind("shop", "mysql://app@localhost/shop")
        .bind("audit", "sqlite://")
        .pool(PoolOptions {
            max_connections: Some(20),
            acquire_timeout: Some(Duration::from_secs(3)),
            ..PoolOptions::default()
        });
    let merged = file.clone().merge(env);
    assert_eq!(
        merged.get_database_uri().ok_or("no default")?.to_string(),
        "sqlite:///env.db"
    );
    let binds: Vec<(&str, String)> = merged
        .binds()
        .iter()
        .map(|(k, b)| (k.as_str(), b.url.to_string()))
        .collect();
    assert_eq!(
        binds,
        [
            ("audit", "sqlite://".to_owned()),
            ("auth", "sqlite:///auth.db".to_owned()),
            ("shop", "mysql://app@localhost/shop".to_owned()),
        ]
    );
    assert_eq!(
        merged.get_pool(),
        &PoolOptions {
            max_connections: Some(20),
            min_connections: Some(2),
            acquire_timeout: Some(Duration::from_secs(3)),
            ..PoolOptions::default()
        }
    );
    assert_eq!(merged.get_sqlite_base_dir(), Path::new("base"));

    // Merging an empty config changes nothing; merging onto one takes everything.
    assert_eq!(file.clone().merge(Config::new()), file);
    assert_eq!(Config::new().merge(file.clone()), file);
    Ok(())
}

#[test]
fn validate_wants_at_least_one_database() {
    let error = match Config::new().validate() {
        Ok(()) => panic!("an empty config validated"),
        Err(error) => error,
    };
    assert_eq!(error.problems(), [ConfigProblem::NoDatabase]);
    let text = error.to_string();
    assert!(text.contains("`database_uri`"), "{text}");
    assert!(text.contains("`binds`"), "{text}");

    assert_eq!(Config::new().bind("auth", "sqlite://").validate(), Ok(()));
    assert_eq!(Config::new().database_uri("sqlite://").validate(), Ok(()));
}

// ---------------------------------------------------------------- Db::build

#[cfg(feature = "sqlite")] // its binds are SQLite
#[tokio::test]
async fn db_with_only_named_binds_has_no_default_bind() -> TestResult {
    let db = Db::build(
        Config::new()
            .bind("auth", "sqlite://")
            .bind("shop", "sqlite::memory:"),
    )?;
    assert_eq!(db.engines().len(), 2);
    let auth = db.engine(Some("auth"))?;
    assert_eq!(auth.key(), Some("auth"));
    assert_eq!(auth.dialect(), Dialect::Sqlite);
    assert!(auth.url().is_memory());

    match db.engine(None) {
        Err(error @ Error::NoDefaultBind { model: None }) => assert_eq!(
            error.to_string(),
            "the default bind is not configured: set `database_uri` (or BINDERY_DATABASE_URI)"
        ),
        other => panic!("expected NoDefaultBind, got {other:?}"),
    }
    match db.engine("nope") {
        Err(error @ Error::UnknownBind { .. }) => {
            assert!(matches!(&error, Error::UnknownBind { bind, model: None } if *bind == "nope"));
            assert_eq!(
                error.to_string(),
                "bind \"nope\" is not configured: add it to `binds` (or set BINDERY_BIND_NOPE)"
            );
        }
        other => panic!("expected UnknownBind, got {other:?}"),
    }
    db.close().await;
    Ok(())
}

#[tokio::test]
async fn db_build_reports_config_problems() {
    match Db::build(Config::new()) {
        Err(Error::Build(error)) => {
            assert_eq!(
                error.problems(),
                [BuildProblem::Config(ConfigProblem::NoDatabase)]
            );
        }
        other => panic!("expected a build error, got {other:?}"),
    }
}

#[test]
fn db_build_outside_a_runtime_fails() {
    match Db::build(Config::new().bind("auth", "sqlite://")) {
        Err(error @ Error::NoRuntime) => assert_eq!(
            error.to_string(),
            "Db::build must be called inside a tokio runtime (sqlx's pools run their maintenance on it)"
        ),
        other => panic!("expected NoRuntime, got {other:?}"),
    }
}

#[test]
fn a_bind_clashing_with_the_shared_pool_is_named() {
    let error = toml_err(
        "database_uri = \"sqlite://\"\n[pool]\nmin_connections = 5\n[binds.shop]\nurl = \"sqlite://\"\nmax_connections = 2\n",
    );
    assert_eq!(
        error.problems(),
        [ConfigProblem::BadValue {
            key: "binds.shop.min_connections".into(),
            reason: "5 is more than max_connections (2)".into(),
        }]
    );
}

// ---------------------------------------------------------------- TLS

/// A folder of this test's own with a CA, a certificate and a key file (whose contents
/// stand for key material), removed at the end.
#[cfg(feature = "tls")]
struct TlsFiles(std::path::PathBuf);

#[cfg(feature = "tls")]
impl TlsFiles {
    fn new(tag: &str) -> Result<TlsFiles, std::io::Error> {
        let dir = std::env::temp_dir().join(format!("bt_config_{tag}_{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        for (name, text) in [
            ("ca.crt", "CA"),
            ("app.crt", "CERT"),
            ("app.key", KEY_MATERIAL),
        ] {
            std::fs::write(dir.join(name), text)?;
        }
        Ok(TlsFiles(dir))
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

#[cfg(feature = "tls")]
impl Drop for TlsFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(feature = "tls")]
const KEY_MATERIAL: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7secret\n-----END PRIVATE KEY-----\n";

/// The same settings from TOML, from the environment and from the URL's options: one
/// `TlsOptions` in force, shown as its mode and paths.
#[cfg(feature = "tls")]
#[test]
fn tls_from_toml_env_and_url_is_one_setting() -> TestResult {
    let files = TlsFiles::new("tls_sources")?;
    let (ca, cert, key) = (
        files.path("ca.crt"),
        files.path("app.crt"),
        files.path("app.key"),
    );
    let expected = format!("verify-full ca={ca} cert={cert} key={key}");
    let toml = format!(
        "[binds.shop]\nurl = \"mysql://app:hunter2@db/shop\"\n\
         [binds.shop.tls]\nmode = \"VERIFY_IDENTITY\"\nca = \"{ca}\"\ncert = \"{cert}\"\nkey = \"{key}\"\n"
    );
    let from_toml = Config::from_toml(&toml)?;
    let from_env = Config::from_env_vars([
        ("BINDERY_BIND_SHOP_TLS_KEY", key.clone()),
        ("BINDERY_BIND_SHOP_TLS_MODE", "verify-full".to_owned()),
        (
            "BINDERY_BIND_SHOP",
            "mysql://app:hunter2@db/shop".to_owned(),
        ),
        ("BINDERY_BIND_SHOP_TLS_CA", ca.clone()),
        ("BINDERY_BIND_SHOP_TLS_CERT", cert.clone()),
    ])?;
    let url = format!(
        "mysql://app:hunter2@db/shop?ssl-mode=verify_identity&ssl-ca={ca}&ssl-cert={cert}&ssl-key={key}"
    );
    let from_url = Config::new().bind("shop", &url);
    for config in [&from_toml, &from_env, &from_url] {
        assert_eq!(config.tls_for("shop").to_string(), expected, "{config:?}");
        config.validate()?;
        let debug = format!("{config:?}");
        hides(&debug, &["hunter2", "secret", "MIIE"]);
    }
    // The configuration's settings lie over the URL's.
    let over = from_url.tls(
        Some("shop"),
        bindery::TlsOptions {
            mode: Some(bindery::TlsMode::Require),
            ..bindery::TlsOptions::default()
        },
    );
    assert!(
        over.tls_for("shop").to_string().starts_with("require ca="),
        "{over:?}"
    );
    // The default bind: `[database_tls]`, BINDERY_DATABASE_TLS_*.
    let default = Config::from_env_vars([
        ("BINDERY_DATABASE_URI", "postgres://u@h/app"),
        ("BINDERY_DATABASE_TLS_MODE", "require"),
    ])?;
    assert_eq!(default.tls_for(None).to_string(), "require");
    let default = Config::from_toml(
        "database_uri = \"postgres://u@h/app\"\n[database_tls]\nmode = \"verify-ca\"\n",
    )?;
    assert_eq!(default.tls_for(None).to_string(), "verify-ca");
    Ok(())
}

/// An unknown mode or entry is refused by the key that holds it.
#[test]
fn tls_unknown_mode_or_entry_names_the_key() -> TestResult {
    let error = toml_err(
        "[binds.shop]\nurl = \"mysql://h/db\"\n[binds.shop.tls]\nmode = \"sometimes\"\nkeyfile = \"x\"\n",
    );
    // TOML tables come in key order.
    let shown = texts(&error);
    assert!(
        shown[1].starts_with("`binds.shop.tls.mode` is not a TLS mode; expected disable, prefer"),
        "{shown:?}"
    );
    assert!(
        shown[0].starts_with(
            "unknown key `binds.shop.tls.keyfile`; expected one of: mode, ca, cert, key"
        ),
        "{shown:?}"
    );
    let error = Config::from_env_vars([("BINDERY_BIND_SHOP_TLS_MODE", "sometimes")])
        .err()
        .ok_or("accepted")?;
    assert!(
        texts(&error)[0].starts_with("`BINDERY_BIND_SHOP_TLS_MODE` is not a TLS mode"),
        "{error}"
    );
    Ok(())
}

/// At `Db::build`, a TLS file that cannot be read is a typed problem naming the bind's
/// key: the TLS table's, or the URL option's when the URL gave it. Files are only
/// opened there: their contents never reach an error.
#[cfg(feature = "tls")]
#[tokio::test]
async fn tls_unreadable_file_fails_db_build() -> TestResult {
    let files = TlsFiles::new("tls_missing")?;
    let config = Config::new()
        .bind(
            "shop",
            "mysql://app:hunter2@db/shop?ssl-ca=/nonexistent/ca.crt",
        )
        .bind("auth", "postgres://u:hunter2@h/auth")
        .tls(
            Some("auth"),
            bindery::TlsOptions {
                mode: Some(bindery::TlsMode::VerifyFull),
                ca: Some("/nonexistent/auth-ca.crt".into()),
                cert: Some(files.path("app.crt").into()),
                key: Some(files.path("app.key").into()),
            },
        );
    let Err(Error::Build(error)) = Db::build(config) else {
        panic!("a missing CA file built")
    };
    let keys: Vec<&str> = error
        .problems()
        .iter()
        .filter_map(|problem| match problem {
            BuildProblem::Config(ConfigProblem::TlsFile { key, .. }) => Some(key.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        keys,
        ["binds.auth.tls.ca", "binds.shop (URL option `ssl-ca`)"],
        "{error}"
    );
    let shown = format!("{error} {error:?}");
    println!("{error}");
    assert!(shown.contains("/nonexistent/auth-ca.crt"), "{shown}");
    hides(&shown, &["hunter2", "secret", "MIIE"]);
    Ok(())
}

/// TLS settings for a bind with no URL, or for a SQLite bind, are refused.
#[test]
fn tls_without_a_server_bind_is_refused() -> TestResult {
    let config = Config::new()
        .bind("files", "sqlite:///x.db")
        .tls(
            Some("files"),
            bindery::TlsOptions {
                mode: Some(bindery::TlsMode::Require),
                ..Default::default()
            },
        )
        .tls(
            Some("nowhere"),
            bindery::TlsOptions {
                mode: Some(bindery::TlsMode::Require),
                ..Default::default()
            },
        );
    let shown = texts(&config.validate().err().ok_or("accepted")?);
    assert_eq!(
        shown,
        [
            "`binds.files.tls` is set, but the bind is SQLite, which has no TLS",
            "`binds.nowhere.tls` sets TLS for a bind that has no URL",
        ]
    );
    Ok(())
}

/// Without the `tls` feature, a mode that needs TLS is a typed problem saying so.
#[cfg(not(feature = "tls"))]
#[test]
fn tls_mode_without_the_feature_is_refused() -> TestResult {
    let config = Config::new().bind("shop", "postgres://u@h/shop?sslmode=verify-full");
    let error = config.validate().err().ok_or("accepted")?;
    assert_eq!(
        error.problems(),
        [ConfigProblem::TlsOff {
            key: "binds.shop (URL option `sslmode`)".into(),
            mode: "verify-full".into(),
        }]
    );
    assert!(
        error
            .to_string()
            .contains("built without its `tls` feature"),
        "{error}"
    );
    Ok(())
}

// ---------------------------------------------------------------- read replicas

#[test]
fn replicas_come_from_code_toml_and_the_environment() -> TestResult {
    let primary = "postgres://app:hunter2@10.0.0.1/auth";
    let replica = "postgres://reader:hunter3@10.0.0.2/auth";
    let from_code = Config::new()
        .bind("auth", primary)
        .replicas("auth", [replica]);
    let from_toml = Config::from_toml(&format!(
        "causal_wait = \"250ms\"\n[binds.auth]\nurl = {primary:?}\nreplicas = [{replica:?}]\n"
    ))?;
    let from_env = Config::from_env_vars([
        ("BINDERY_BIND_AUTH", primary),
        ("BINDERY_BIND_AUTH_REPLICAS", &format!(" {replica} ,")),
    ])?;
    for config in [&from_code, &from_toml, &from_env] {
        config.validate()?;
        let replicas = config.replicas_for("auth");
        assert_eq!(replicas.len(), 1, "{config:?}");
        assert_eq!(replicas[0].dialect(), Dialect::Postgres);
        hides(&format!("{config:?}"), &["hunter2", "hunter3"]);
    }
    assert_eq!(from_toml.get_causal_wait(), Duration::from_millis(250));
    assert_eq!(from_code.get_causal_wait(), bindery::DEFAULT_CAUSAL_WAIT);
    let defaults = Config::from_toml(&format!(
        "database_uri = {primary:?}\ndatabase_replicas = [{replica:?}]\n"
    ))?;
    assert_eq!(defaults.replicas_for(None).len(), 1);
    Ok(())
}

#[test]
fn bad_replicas_are_named_by_their_config_key() {
    let config = Config::new()
        .database_uri("postgres://app:hunter2@10.0.0.1/app")
        .replicas(
            None,
            ["mysql://reader@10.0.0.2/app", "postgres://:hunter3@[bad"],
        )
        .bind("files", "sqlite:///files.db")
        .replicas("files", ["sqlite:///copy.db"])
        .replicas("nowhere", ["postgres://reader@10.0.0.3/x"]);
    let error = config.validate().unwrap_err();
    let found = texts(&error);
    println!("{found:#?}");
    assert_eq!(found.len(), 4, "{found:#?}");
    let named =
        |key: &str, reason: &str| found.iter().any(|t| t.contains(key) && t.contains(reason));
    assert!(named("`database_replicas`", "malformed URL"), "{found:#?}");
    assert!(named(
        "`database_replicas`",
        "MySQL replica of a PostgreSQL bind"
    ));
    assert!(named("`binds.files.replicas`", "SQLite has no replicas"));
    assert!(named("`binds.nowhere.replicas`", "no URL"));
    hides(&error.to_string(), &["hunter2", "hunter3"]);

    let toml = toml_err("[binds.a]\nurl = \"postgres://h/a\"\nreplicas = \"postgres://h2/a\"\n");
    assert_eq!(
        texts(&toml),
        ["`binds.a.replicas` must be a list of URLs, not string"]
    );
}

// ---------------------------------------------------------------- two-phase commit

#[test]
fn two_phase_settings_come_from_toml_and_the_environment() -> TestResult {
    let auth = "postgres://app:hunter2@10.0.0.1/auth";
    let from_toml = Config::from_toml(&format!(
        "two_phase = true\ntwo_phase_log = \"auth\"\ntwo_phase_instance = \"web-1\"\n\
         [binds]\nauth = {auth:?}\n"
    ))?;
    let from_env = Config::from_env_vars([
        ("BINDERY_BIND_AUTH", auth),
        ("BINDERY_TWO_PHASE", "1"),
        ("BINDERY_TWO_PHASE_LOG", "auth"),
        ("BINDERY_TWO_PHASE_INSTANCE", "web-1"),
    ])?;
    for config in [&from_toml, &from_env] {
        config.validate()?;
        assert!(config.get_two_phase(), "{config:?}");
        assert_eq!(config.get_two_phase_log(), Some("auth"));
        assert_eq!(config.get_two_phase_instance(), "web-1");
        hides(&format!("{config:?}"), &["hunter2"]);
    }
    for (value, on) in [("true", true), ("FALSE", false), ("0", false)] {
        let config = Config::from_env_vars([("BINDERY_TWO_PHASE", value)])?;
        assert_eq!(config.get_two_phase(), on, "{value}");
    }
    // Unset: off, the default bind's log, the instance `default`.
    let file = Config::from_toml("database_uri = \"sqlite://\"\n")?;
    assert!(!file.get_two_phase());
    assert_eq!(file.get_two_phase_log(), None);
    assert_eq!(file.get_two_phase_instance(), "default");
    // The file, then the environment: what the later layer sets wins, the rest stays.
    let file = Config::from_toml("two_phase = true\ntwo_phase_instance = \"file\"\n")?;
    let env = Config::from_env_vars([("BINDERY_TWO_PHASE_INSTANCE", "env")])?;
    let merged = file.merge(env);
    assert!(merged.get_two_phase());
    assert_eq!(merged.get_two_phase_instance(), "env");
    Ok(())
}

#[test]
fn bad_two_phase_values_are_named_by_their_key() -> TestResult {
    let bad = |key: &str, reason: &str| ConfigProblem::BadValue {
        key: key.into(),
        reason: reason.into(),
    };
    // A log on a bind nobody configured: `validate` says so (a file may be one layer).
    let config = Config::from_toml(
        "database_uri = \"sqlite://\"\ntwo_phase = true\ntwo_phase_log = \"nowhere\"\n",
    )?;
    let error = config
        .validate()
        .err()
        .ok_or("an unconfigured log bind validated")?;
    let unconfigured = "names bind \"nowhere\", which is not configured";
    assert_eq!(error.problems(), [bad("two_phase_log", unconfigured)]);
    #[rustfmt::skip]
    let names = [
        ("has space", "holds ' '; an instance name holds ASCII letters, digits, `_`, `.` and `-`"),
        ("seventeen-chars-x", "is 17 characters long; an instance name has 1 to 16"),
    ];
    for (name, reason) in names {
        let from_toml = toml_err(&format!("two_phase_instance = {name:?}\n"));
        assert_eq!(from_toml.problems(), [bad("two_phase_instance", reason)]);
        let from_env = Config::from_env_vars([("BINDERY_TWO_PHASE_INSTANCE", name)])
            .err()
            .ok_or("a bad instance name from the environment")?;
        assert_eq!(
            from_env.problems(),
            [bad("BINDERY_TWO_PHASE_INSTANCE", reason)]
        );
        let from_code = Config::new()
            .database_uri("sqlite://")
            .two_phase_instance(name);
        let error = from_code
            .validate()
            .err()
            .ok_or("a bad instance name validated")?;
        assert_eq!(error.problems(), [bad("two_phase_instance", reason)]);
    }
    let longest = Config::from_toml("two_phase_instance = \"sixteen-chars-ok\"\n")?;
    assert_eq!(longest.get_two_phase_instance().len(), 16);
    let error = Config::from_env_vars([("BINDERY_TWO_PHASE", "yes")])
        .err()
        .ok_or("BINDERY_TWO_PHASE=yes accepted")?;
    let boolean = "must be true, false, 1 or 0";
    assert_eq!(error.problems(), [bad("BINDERY_TWO_PHASE", boolean)]);
    Ok(())
}
