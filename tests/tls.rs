//! TLS on server binds, against a PostgreSQL and a MariaDB of the test binary's own that
//! take TCP connections only with TLS (`tests/common/private.rs`: own folders and ports,
//! never the shared servers). Each scenario prints what it saw (run with `--nocapture`).
//!
//! The settings come from each of their sources: URL query options, TOML and the
//! environment. Whatever is printed (Display, Debug, errors, `binds`) never holds a
//! password or key material.

#![cfg(all(feature = "postgres", feature = "mysql", feature = "tls"))]
// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bindery::{Config, Db, Error, PoolOptions, Registry};
use common::private::{self, PASSWORD, PrivateServer};

/// Connection failures come back within this (sqlx retries some until the acquire
/// timeout).
fn pool() -> PoolOptions {
    PoolOptions {
        acquire_timeout: Some(Duration::from_secs(10)),
        ..PoolOptions::default()
    }
}

/// A `Db` of `config`'s binds and no models.
fn build(config: Config) -> Db {
    Db::build_with_registry(config.pool(pool()), Registry::from_tables([])).unwrap()
}

/// Pings bind `key`, then asks the server whether the connection is encrypted; prints
/// both. The ping's error if it failed.
async fn connect(db: &Db, key: &str) -> Result<bool, Error> {
    let engine = db.engine(key).unwrap();
    engine.ping().await?;
    let encrypted = engine.encrypted().await?;
    println!("{key}: {engine:?} connected, encrypted: {encrypted}");
    Ok(encrypted)
}

/// Asserts `shown` holds no password and no line of the client key.
fn no_secret(server: &PrivateServer, shown: &str) {
    assert!(!shown.contains(PASSWORD), "the password is shown: {shown}");
    for line in server.key_material() {
        assert!(!shown.contains(&line), "key material is shown: {shown}");
    }
}

/// Connects bind `key` of `config` and asserts the server calls the connection
/// encrypted.
async fn assert_encrypted(config: Config, key: &str) {
    let db = build(config);
    assert!(connect(&db, key).await.unwrap());
    db.close().await;
}

/// A configuration in TOML: bind `key` at `url`, with `[binds.<key>.tls]` giving `mode`
/// and the server's CA.
fn toml_with_ca(server: &PrivateServer, key: &str, url: &str, mode: &str) -> Config {
    let ca = server.pki.ca.display();
    let toml = format!(
        "[binds.{key}]\nurl = \"{url}\"\n[binds.{key}.tls]\nmode = \"{mode}\"\nca = \"{ca}\"\n"
    );
    Config::from_toml(&toml).unwrap()
}

/// A configuration from the environment: bind `key` at `url`, with `mode`, the server's
/// CA and the client certificate and key from `BINDERY_BIND_<KEY>_TLS_*`.
fn env_with_client_cert(server: &PrivateServer, key: &str, url: &str, mode: &str) -> Config {
    let var = |suffix: &str| format!("BINDERY_BIND_{}{suffix}", key.to_ascii_uppercase());
    let pki = &server.pki;
    let vars = [
        (var(""), url.to_owned()),
        (var("_TLS_MODE"), mode.to_owned()),
        (var("_TLS_CA"), pki.ca.display().to_string()),
        (var("_TLS_CERT"), pki.client_cert.display().to_string()),
        (var("_TLS_KEY"), pki.client_key.display().to_string()),
    ];
    Config::from_env_vars(vars).unwrap()
}

/// Bind `key` at `url`, which verifies against a CA that did not sign the server's
/// certificate: refused with an error that names the bind and says why, and no secret.
async fn assert_untrusted(server: &PrivateServer, key: &str, url: &str) {
    let db = build(Config::new().bind(key, url));
    let error = connect(&db, key).await.unwrap_err();
    println!("refused: {error}");
    let text = error.to_string();
    assert!(
        matches!(error, Error::UntrustedCertificate { .. }),
        "{error:?}"
    );
    assert!(text.contains(&format!("bind \"{key}\"")), "{text}");
    assert!(text.contains("certificate is not trusted"), "{text}");
    no_secret(server, &format!("{text} {error:?}"));
    db.close().await;
}

/// `sslmode=require` in the URL: encrypted, the certificate not checked.
#[tokio::test]
async fn postgres_require_from_the_url() {
    let Some(pg) = private::postgres() else {
        return;
    };
    let url = pg.url("postgres", "postgres", true, "postgres", "?sslmode=require");
    assert_encrypted(Config::new().bind("pg", &url), "pg").await;
}

/// `[binds.pg.tls]` with verify-full and our CA: the server's certificate names
/// 127.0.0.1.
#[tokio::test]
async fn postgres_verify_full_from_toml() {
    let Some(pg) = private::postgres() else {
        return;
    };
    let url = pg.url("postgres", "postgres", true, "postgres", "");
    assert_encrypted(toml_with_ca(pg, "pg", &url, "verify-full"), "pg").await;
}

/// verify-full against a CA that did not sign the server's certificate: refused.
#[tokio::test]
async fn postgres_unknown_ca_refused() {
    let Some(pg) = private::postgres() else {
        return;
    };
    let query = format!(
        "?sslmode=verify-full&sslrootcert={}",
        pg.pki.stranger_ca.display()
    );
    let url = pg.url("postgres", "postgres", true, "postgres", &query);
    assert_untrusted(pg, "pg", &url).await;
}

/// The client certificate and key from the environment: user `app`, which pg_hba lets
/// in by certificate only (CN=app).
#[tokio::test]
async fn postgres_client_certificate_from_env() {
    let Some(pg) = private::postgres() else {
        return;
    };
    let url = pg.url("postgres", "app", false, "app", "");
    let db = build(env_with_client_cert(pg, "pg", &url, "verify-full"));
    assert!(connect(&db, "pg").await.unwrap());
    let bindery::Pool::Postgres(pool) = db.engine("pg").unwrap().pool() else {
        panic!("not PostgreSQL")
    };
    let user: String = bindery::sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(pool)
        .await
        .unwrap();
    println!("signed in by certificate as {user}");
    assert_eq!(user, "app");
    db.close().await;
}

/// `ssl-mode=REQUIRED` in the URL.
#[tokio::test]
async fn mariadb_required_from_the_url() {
    let Some(maria) = private::mariadb() else {
        return;
    };
    let url = maria.url("mysql", "root", false, "mysql", "?ssl-mode=REQUIRED");
    assert_encrypted(Config::new().bind("maria", &url), "maria").await;
}

/// `[binds.maria.tls]` with VERIFY_IDENTITY (MySQL's spelling) and our CA.
#[tokio::test]
async fn mariadb_verify_identity_from_toml() {
    let Some(maria) = private::mariadb() else {
        return;
    };
    let url = maria.url("mysql", "root", false, "mysql", "");
    assert_encrypted(
        toml_with_ca(maria, "maria", &url, "VERIFY_IDENTITY"),
        "maria",
    )
    .await;
}

/// VERIFY_CA against a CA that did not sign the server's certificate: refused.
#[tokio::test]
async fn mariadb_unknown_ca_refused() {
    let Some(maria) = private::mariadb() else {
        return;
    };
    let query = format!(
        "?ssl-mode=VERIFY_CA&ssl-ca={}",
        maria.pki.stranger_ca.display()
    );
    let url = maria.url("mysql", "app", true, "app", &query);
    assert_untrusted(maria, "maria", &url).await;
}

/// User `app` is `REQUIRE SUBJECT '/CN=app'`: refused without the client certificate
/// (1045, and no TLS hint: the bind asked for TLS), let in with it.
#[tokio::test]
async fn mariadb_client_certificate_from_env() {
    let Some(maria) = private::mariadb() else {
        return;
    };
    let url = maria.url("mysql", "app", true, "app", "?ssl-mode=REQUIRED");
    let without = build(Config::new().bind("maria", &url));
    let error = connect(&without, "maria").await.unwrap_err();
    println!("without a client certificate: {error}");
    assert!(matches!(error, Error::Database { .. }), "{error:?}");
    no_secret(maria, &format!("{error} {error:?}"));
    without.close().await;
    let config = env_with_client_cert(maria, "maria", &url, "verify_identity");
    assert_encrypted(config, "maria").await;
}

/// A plain connection to the TLS-only MariaDB is answered `1045 Access denied`: the
/// error says TLS may be required, and keeps the password out.
#[tokio::test]
async fn mariadb_plain_connection_says_tls_may_be_required() {
    let Some(maria) = private::mariadb() else {
        return;
    };
    let url = maria.url("mysql", "app", true, "app", "?ssl-mode=DISABLED");
    let db = build(Config::new().bind("maria", &url));
    let error = connect(&db, "maria").await.unwrap_err();
    println!("plain connection: {error}");
    assert!(matches!(error, Error::TlsMayBeRequired { .. }), "{error:?}");
    assert!(error.to_string().contains("TLS may be required"), "{error}");
    no_secret(maria, &format!("{error} {error:?}"));
    db.close().await;
}

/// `binds` lists each bind's TLS mode and files, and that its connection is encrypted;
/// with Config's and the Db's Debug, it holds no password and no key material.
#[cfg(feature = "cli")]
#[tokio::test]
async fn binds_shows_tls_and_encrypted() {
    let (Some(pg), Some(maria)) = (private::postgres(), private::mariadb()) else {
        return;
    };
    let dir = common::ScratchDir::new("tls_binds");
    std::fs::create_dir_all(dir.path()).unwrap();
    let file = dir.path().join("bindery.toml");
    let tls = |server: &PrivateServer, mode: &str| {
        let pki = &server.pki;
        format!(
            "mode = \"{mode}\"\nca = \"{}\"\ncert = \"{}\"\nkey = \"{}\"\n",
            pki.ca.display(),
            pki.client_cert.display(),
            pki.client_key.display()
        )
    };
    let toml = format!(
        "[pool]\nacquire_timeout = \"10s\"\n\
         [binds.pg]\nurl = \"{}\"\n[binds.pg.tls]\n{}\
         [binds.maria]\nurl = \"{}\"\n[binds.maria.tls]\n{}",
        pg.url("postgres", "app", true, "app", ""),
        tls(pg, "verify-full"),
        maria.url("mysql", "app", true, "app", ""),
        tls(maria, "verify_identity"),
    );
    std::fs::write(&file, &toml).unwrap();
    let config = Config::from_toml_file(&file).unwrap();
    let args = ["app", "--config", &file.display().to_string(), "binds"];
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let registry = Registry::from_tables([]);
    let code = bindery::cli::run_with_registry_async(&registry, args, &mut out, &mut err).await;
    let (out, err) = (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    );
    println!("binds:\n{out}{err}");
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{out}{err}");
    for line in out.lines() {
        assert!(
            line.contains("ok in") && line.contains(", encrypted"),
            "{line}"
        );
        assert!(
            line.contains(&format!("key={}", pg.pki.client_key.display()))
                || line.contains(&format!("key={}", maria.pki.client_key.display())),
            "{line}"
        );
    }
    let db = build(config.clone());
    let shown = format!("{out}{err}{config:?}{db:?}{:?}", db.engines());
    no_secret(pg, &shown);
    no_secret(maria, &shown);
    db.close().await;
}
