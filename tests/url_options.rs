//! URL options and drivers: every option sqlx reads is accepted with a sound value, every
//! other option is refused by name (never by value), values that sqlx would write into
//! SQL are refused when they could leave their place, SQLAlchemy drivers bindery cannot
//! stand in for are refused by name, and nothing a URL carries as a secret reaches an
//! error, a `Debug` or a tracing event, during `Db::build` and a ping.
//!
//! This binary defines no models, so the registry is empty and any valid config builds.

// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

#[cfg(all(feature = "postgres", feature = "mysql"))]
use std::fmt::Write as _;
#[cfg(all(feature = "postgres", feature = "mysql"))]
use std::sync::{Arc, Mutex};

#[cfg(feature = "mysql")]
use bindery::sqlx::{self, Connection as _};
use bindery::{BuildProblem, Config, ConfigProblem, DatabaseUrl, Db, Dialect, Error, UrlError};
use common::ScratchDir;
#[cfg(feature = "mysql")]
use common::{ScratchDb, Server};

fn refusal(input: &str) -> UrlError {
    match DatabaseUrl::parse(input) {
        Ok(url) => panic!("{input:?} parsed as {url:?}"),
        Err(error) => error,
    }
}

/// The problems of a `Db::build` that must fail.
fn build_problems(config: Config) -> Vec<BuildProblem> {
    match Db::build(config) {
        Ok(db) => panic!("built {db:?}"),
        Err(Error::Build(error)) => error.problems().to_vec(),
        Err(other) => panic!("not a build error: {other}"),
    }
}

#[tokio::test]
async fn every_option_sqlx_reads_is_accepted() {
    #[rustfmt::skip]
    let urls = [
        "postgres://u@h/db?sslmode=disable&ssl-mode=Prefer&sslrootcert=/etc/ca.pem&ssl-root-cert=ca.pem&ssl-ca=ca.pem&sslcert=c.pem&ssl-cert=c.pem&sslkey=k.pem&ssl-key=k.pem",
        "postgres://u@h/db?statement-cache-capacity=50&host=/var/run/postgresql&hostaddr=127.0.0.1&port=5433&dbname=app&user=app&password=x",
        "postgres://u@h/db?application_name=my%20app&options=-c%20search_path%3Dpublic&options[statement_timeout]=5s",
        "mysql://u@h/db?sslmode=DISABLED&ssl-mode=preferred&sslca=ca.pem&ssl-ca=ca.pem&sslcert=c.pem&ssl-cert=c.pem&sslkey=k.pem&ssl-key=k.pem",
        "mysql+pymysql://u@h/db?charset=utf8mb4&collation=utf8mb4_unicode_ci&statement-cache-capacity=0&socket=/run/mysqld/mysqld.sock",
        "mariadb://u@h/db?timezone=%2B00:00&time-zone=-05:30",
        "mysql://u@h/db?timezone=SYSTEM",
        "mysql://u@h/db?timezone=America/Argentina/Buenos_Aires",
        "mysql://u@h/db?timezone=Etc/GMT%2B5",
        "sqlite:///x.db?mode=ro&cache=shared&immutable=1",
        "sqlite+pysqlite:///x.db?mode=rwc&cache=private&immutable=true",
        "sqlite+aiosqlite://",
        "postgresql+asyncpg://u@h/db",
        "postgresql+psycopg://u@h/db",
        "mysql+mysqldb://u@h/db",
        "mariadb+mariadbconnector://u@h/db",
    ];
    let dir = ScratchDir::new("opts_ok");
    // `Db::build` opens every TLS file a URL names: these ones exist, in the scratch dir.
    std::fs::create_dir_all(dir.path()).unwrap();
    for file in ["ca.pem", "c.pem", "k.pem"] {
        std::fs::write(dir.path().join(file), "PEM").unwrap();
    }
    let in_dir = |url: &str| {
        ["ca.pem", "c.pem", "k.pem"]
            .iter()
            .fold(url.replace("/etc/", ""), |url, file| {
                url.replace(
                    &format!("={file}"),
                    &format!("={}", dir.path().join(file).display()),
                )
            })
    };
    for url in urls.map(in_dir) {
        let url = url.as_str();
        let parsed = DatabaseUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        if !common::driver_on(parsed.dialect()) {
            continue; // parsed all the same; no engine without the driver
        }
        // sqlx takes every one of them too: the engine is made, lazily.
        let db = Db::build(Config::new().bind("k", url).sqlite_base_dir(dir.path()))
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        db.close().await;
    }
}

#[test]
fn unknown_options_are_refused_by_name_never_by_value() {
    #[rustfmt::skip]
    let cases = [
        // sqlx-postgres would log `key=sslpassword value=hunter2` through tracing.
        ("postgres://u@h/db?sslpassword=hunter2", "sslpassword", Dialect::Postgres),
        ("postgres://u@h/db?search_path=hunter2", "search_path", Dialect::Postgres),
        ("postgres://u@h/db?SSLMODE=hunter2", "SSLMODE", Dialect::Postgres),
        // sqlx-mysql would drop it silently, and connect without the password.
        ("mysql://u@h/db?password=hunter2", "password", Dialect::MySql),
        ("mysql+pymysql://u@h/db?ssl_ca=hunter2", "ssl_ca", Dialect::MySql),
        ("sqlite:///x.db?password=hunter2", "password", Dialect::Sqlite),
        ("sqlite://?key=hunter2", "key", Dialect::Sqlite),
    ];
    for (input, option, dialect) in cases {
        let error = refusal(input);
        assert!(
            matches!(&error, UrlError::UnknownOption { option: o, dialect: d, .. } if o == option && *d == dialect),
            "{input}: {error:?}"
        );
        let text = error.to_string();
        assert!(text.contains(&format!("`{option}`")), "{text}");
        assert!(!format!("{text} {error:?}").contains("hunter2"), "{text}");
    }
}

#[test]
fn a_value_split_by_an_unencoded_ampersand_is_not_shown() {
    // `password=ab&hunter2`: the part after `&` is the password's tail.
    let error = refusal("postgres://u@h/db?password=ab&hunter2");
    assert_eq!(error, UrlError::OptionWithoutValue { position: 2 });
    assert!(!format!("{error} {error:?}").contains("hunter2"));
    // A part whose name is not a name is counted, not shown.
    let error = refusal("postgres://u@h/db?password=ab&hun%20ter2=x");
    assert!(
        matches!(&error, UrlError::UnknownOption { option, .. } if option.starts_with("#2")),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?}").contains("ter2"), "{error}");
}

#[test]
fn mysql_options_written_into_sql_are_refused_when_they_could_leave_it() {
    #[rustfmt::skip]
    let cases = [
        ("collation=utf8mb4_bin%3BDROP%20TABLE%20victim", "collation"),
        ("timezone=%2B00%3A00'%3BDROP%20TABLE%20victim%3B%23", "timezone"),
        ("time-zone=UTC'%3BDROP%20TABLE%20victim%3B%23", "time-zone"),
        ("charset=utf8mb4%20COLLATE%20x%3BDROP%20TABLE%20victim", "charset"),
        ("timezone=Europe--Paris", "timezone"),
        ("collation=", "collation"),
    ];
    for (query, option) in cases {
        let input = format!("mysql://root@127.0.0.1/db?{query}");
        let error = refusal(&input);
        assert!(
            matches!(&error, UrlError::BadOption { option: o, .. } if o == option),
            "{input}: {error:?}"
        );
        assert!(!error.to_string().contains("DROP"), "{error}");
    }
}

#[test]
fn other_option_values_are_checked_too() {
    #[rustfmt::skip]
    let cases = [
        ("postgres://u@h/db?sslmode=sometimes", "sslmode"),
        ("postgres://u@h/db?port=99999", "port"),
        ("postgres://u@h/db?hostaddr=not.an.ip", "hostaddr"),
        ("postgres://u@h/db?statement-cache-capacity=-1", "statement-cache-capacity"),
        // A NUL would end the startup packet's string and start another parameter.
        ("postgres://u@h/db?application_name=a%00options%00-c%20x%3Dy", "application_name"),
        ("postgres://u@h/db?options=%0A-c%20x%3Dy", "options"),
        ("mysql://u@h/db?ssl-mode=verify-full", "ssl-mode"),
        ("mysql://u@h/db?socket=%00", "socket"),
        ("sqlite:///x.db?mode=memory", "mode"),
        ("sqlite:///x.db?immutable=0", "immutable"),
        // bindery's SQLite set-up matches these exactly: `RO` would fail later, at build.
        ("sqlite:///x.db?mode=RO", "mode"),
    ];
    for (input, option) in cases {
        let error = refusal(input);
        assert!(
            matches!(&error, UrlError::BadOption { option: o, .. } if o == option),
            "{input}: {error:?}"
        );
    }
    // `options[NAME]` with a NAME that is not a setting's name is no known option.
    let error = refusal("postgres://u@h/db?options[a%20b]=1");
    assert!(matches!(error, UrlError::UnknownOption { .. }), "{error:?}");
}

#[test]
fn control_characters_in_user_or_database_are_refused() {
    for (input, part) in [
        ("postgres://u%00x@h/db", "user name"),
        ("mysql://u@h/d%0Ab", "database name"),
        ("postgres://u:pw%00hunter2@h/db", "password"),
        ("postgres://u%FF@h/db", "user name"),
    ] {
        let error = refusal(input);
        assert!(
            matches!(&error, UrlError::BadPart { part: p, .. } if *p == part),
            "{input}: {error:?}"
        );
        assert!(!format!("{error} {error:?}").contains("hunter2"));
    }
}

#[tokio::test]
async fn sqlcipher_and_user_info_in_sqlite_urls_are_refused_and_make_no_folder() {
    let dir = ScratchDir::new("cipher");
    std::fs::create_dir_all(dir.path()).unwrap();
    let error = refusal("sqlite+pysqlcipher://:hunter2@/cipher.db");
    assert_eq!(
        error,
        UrlError::UnknownDriver {
            driver: "pysqlcipher".into(),
            dialect: Dialect::Sqlite,
            expected: "pysqlite, aiosqlite",
        }
    );
    for input in [
        "sqlite://:hunter2@/cipher.db",
        "sqlite:///:hunter2@/cipher.db",
        "sqlite:////user:hunter2@/cipher.db",
        "sqlite:hunter2:x/cipher.db",
        "sqlite:///file::hunter2@/cipher.db?uri=true",
    ] {
        assert_eq!(refusal(input), UrlError::SqliteUserInfo, "{input}");
    }
    for input in [
        "sqlite+pysqlcipher://:hunter2@/cipher.db",
        "sqlite://:hunter2@/cipher.db",
    ] {
        let config = Config::new()
            .bind("vault", input)
            .sqlite_base_dir(dir.path());
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let problems = build_problems(config);
        let text = format!("{problems:?} {}", problems[0]);
        assert!(text.contains("binds.vault"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
    // Nothing was made: no `:hunter2@` folder, no file.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // A name with `@` or `:` that is not followed by a folder is a file name.
    DatabaseUrl::parse("sqlite:///backup@2024.db").unwrap();
    DatabaseUrl::parse("sqlite:///C:/data/app.db").unwrap();
}

#[test]
fn unknown_drivers_are_refused_by_name() {
    for (input, driver, dialect) in [
        (
            "postgresql+pypostgresql://u:hunter2@h/db",
            "pypostgresql",
            Dialect::Postgres,
        ),
        ("mysql+oursql://u:hunter2@h/db", "oursql", Dialect::MySql),
        ("mysql+://u:hunter2@h/db", "", Dialect::MySql),
        ("sqlite+pysqlite+x:///db", "pysqlite+x", Dialect::Sqlite),
    ] {
        let error = refusal(input);
        assert!(
            matches!(&error, UrlError::UnknownDriver { driver: d, dialect: x, .. } if d == driver && *x == dialect),
            "{input}: {error:?}"
        );
        assert!(!format!("{error} {error:?}").contains("hunter2"));
    }
}

#[tokio::test]
async fn the_sqlite_option_error_names_the_option_not_its_value() {
    let problems = build_problems(Config::new().bind("local", "sqlite:///x.db?password=hunter2"));
    assert_eq!(
        problems,
        [BuildProblem::Config(ConfigProblem::BadUrl {
            key: "binds.local".into(),
            error: UrlError::UnknownOption {
                option: "password".into(),
                dialect: Dialect::Sqlite,
                expected: "mode, cache, immutable, uri",
            },
        })]
    );
    let text = problems[0].to_string();
    assert!(text.contains("`password`"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

// ------------------------------------------------------------ MariaDB: the injections

/// Whether table `victim` exists in the scratch database.
#[cfg(feature = "mysql")]
async fn victim_exists(scratch: &ScratchDb) -> bool {
    let mut conn = sqlx::MySqlConnection::connect(scratch.url()).await.unwrap();
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'victim'",
    )
    .bind(scratch.name())
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    n == 1
}

#[cfg(feature = "mysql")]
#[tokio::test]
async fn mariadb_injection_urls_are_refused_and_the_victim_survives() {
    let Some(scratch) = ScratchDb::new(Server::MySql, "victim").await else {
        return;
    };
    let mut conn = sqlx::MySqlConnection::connect(scratch.url()).await.unwrap();
    sqlx::raw_sql("CREATE TABLE victim (id INT)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    #[rustfmt::skip]
    let attacks = [
        ("collation", "collation=utf8mb4_bin%3BDROP%20TABLE%20victim"),
        ("timezone", "timezone=%2B00%3A00'%3BDROP%20TABLE%20victim%3B%23"),
        ("time-zone", "time-zone=%2B00%3A00'%3BDROP%20TABLE%20victim%3B%23"),
        ("charset", "charset=utf8mb4%3BDROP%20TABLE%20victim"),
    ];
    for (option, query) in attacks {
        let url = format!("{}?{query}", scratch.url());
        let built = Db::build(Config::new().bind("shop", &url));
        // Were it built, the first connection would run the `SET`: make it connect.
        if let Ok(db) = &built {
            let _ = db.ping().await;
            db.close().await;
        }
        assert!(
            victim_exists(&scratch).await,
            "{option}: the victim was dropped"
        );
        let problems = match built {
            Ok(_) => panic!("{option}: the URL was accepted"),
            Err(Error::Build(error)) => error.problems().to_vec(),
            Err(other) => panic!("{other}"),
        };
        assert!(
            matches!(&problems[..], [BuildProblem::Config(ConfigProblem::BadUrl { key, error: UrlError::BadOption { option: o, .. } })] if key == "binds.shop" && o == option),
            "{option}: {problems:?}"
        );
    }
}

#[cfg(feature = "mysql")]
// With MySQL the only driver, `Pool::MySql` is the only variant.
#[allow(irrefutable_let_patterns)]
#[tokio::test]
async fn mariadb_sound_collation_and_time_zone_are_used() {
    let Some(scratch) = ScratchDb::new(Server::MySql, "tzok").await else {
        return;
    };
    let url = format!("{}?collation=utf8mb4_bin&timezone=%2B02:00", scratch.url());
    let db = Db::build(Config::new().database_uri(&url)).unwrap();
    let bindery::Pool::MySql(pool) = db.engine(None).unwrap().pool() else {
        panic!("not MySQL")
    };
    let (collation, zone): (String, String) =
        sqlx::query_as("SELECT @@collation_connection, @@time_zone")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(
        (collation.as_str(), zone.as_str()),
        ("utf8mb4_bin", "+02:00")
    );
    db.close().await;
}

// ------------------------------------------------------------ tracing

#[cfg(all(feature = "postgres", feature = "mysql"))]
/// A subscriber that writes every span and event, at every level, with every field,
/// into one string.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

#[cfg(all(feature = "postgres", feature = "mysql"))]
struct Fields<'a>(&'a mut String);

#[cfg(all(feature = "postgres", feature = "mysql"))]
impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
}

#[cfg(all(feature = "postgres", feature = "mysql"))]
impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut text = self.0.lock().unwrap();
        let _ = write!(text, "\nspan {}", span.metadata().name());
        span.record(&mut Fields(&mut text));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut text = self.0.lock().unwrap();
        let _ = write!(
            text,
            "\n{} {}",
            event.metadata().level(),
            event.metadata().target()
        );
        event.record(&mut Fields(&mut text));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[cfg(all(feature = "postgres", feature = "mysql"))]
/// Builds a `Db` from each URL and pings it, on a runtime of this thread, under `capture`:
/// one text per URL, of the pings, `Db` and `Config`, or of the error.
fn build_and_ping_captured(capture: &Capture, urls: &[String]) -> Vec<String> {
    tracing::subscriber::with_default(capture.clone(), || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut outputs = Vec::new();
            for url in urls {
                match Db::build(Config::new().bind("auth", url)) {
                    Ok(db) => {
                        let pings = db.ping().await;
                        outputs.push(format!("{pings:?} {db:?} {:?}", db.config()));
                        db.close().await;
                    }
                    Err(error) => outputs.push(format!("{error} {error:?}")),
                }
            }
            outputs
        })
    })
}

#[cfg(all(feature = "postgres", feature = "mysql"))]
#[test]
fn no_secret_reaches_tracing_during_build_and_ping() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(scratch) = runtime.block_on(ScratchDb::new(Server::Postgres, "trace")) else {
        return;
    };
    let Some(mysql) = runtime.block_on(ScratchDb::new(Server::MySql, "trace")) else {
        return;
    };
    let mut wrong_password = url::Url::parse(mysql.url()).unwrap();
    wrong_password
        .set_password(Some("mysql_pw_secret"))
        .unwrap();
    let base = url::Url::parse(scratch.url()).unwrap();
    let mut with_password = base.clone();
    // The server trusts root: the password is sent to no one, but sqlx holds it.
    with_password.set_password(Some("pw_in_user_info")).unwrap();
    let urls = [
        format!("{base}?sslpassword=ssl_secret_value"),
        format!("{base}?password=pw_in_query"),
        format!("{with_password}?application_name=bindery_trace"),
        format!("{with_password}?sslkey=-----BEGIN%20KEY-----%0Akey_secret%0A-----END%20KEY-----"),
        // MariaDB refuses it: the failure, logged and returned, must not hold it.
        format!("{wrong_password}?timezone=%2B00:00"),
    ];
    let capture = Capture::default();
    let outputs = build_and_ping_captured(&capture, &urls);
    drop(runtime);
    let logged = capture.0.lock().unwrap().clone();
    // The capture works: sqlx's own events are in it.
    assert!(logged.contains("sqlx"), "nothing captured: {logged}");
    for secret in [
        "ssl_secret_value",
        "pw_in_query",
        "pw_in_user_info",
        "key_secret",
        "mysql_pw_secret",
    ] {
        assert!(!logged.contains(secret), "{secret} logged:\n{logged}");
        for output in &outputs {
            assert!(!output.contains(secret), "{secret} in {output}");
        }
    }
    // The refused option is named; the others connected, but for the lone inline key:
    // with TLS on (and the server offering it), sqlx wants its certificate too.
    assert!(outputs[0].contains("`sslpassword`"), "{}", outputs[0]);
    for output in &outputs[1..3] {
        assert!(output.contains("result: Ok("), "{output}");
    }
    assert!(outputs[4].contains("result: Err("), "{}", outputs[4]);
}
