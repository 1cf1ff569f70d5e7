//! A bind whose URL needs a driver this build left out is a typed build error naming the
//! bind and the feature, never a panic: run under a feature subset, e.g.
//! `cargo test -p bindery --no-default-features --features sqlite --test drivers`.

// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]
// With every driver on there is nothing to refuse.
#![cfg(not(all(feature = "sqlite", feature = "postgres", feature = "mysql")))]

mod common;

use bindery::{BuildProblem, Config, DatabaseUrl, Db, Dialect, Error};

/// One URL of each dialect, by bind key.
const BINDS: [(&str, &str, Dialect, &str); 3] = [
    ("lite", "sqlite://", Dialect::Sqlite, "sqlite"),
    (
        "auth",
        "postgresql://app@127.0.0.1:9/auth",
        Dialect::Postgres,
        "postgres",
    ),
    (
        "shop",
        "mysql+pymysql://app@127.0.0.1:9/shop",
        Dialect::MySql,
        "mysql",
    ),
];

#[tokio::test]
async fn a_bind_of_a_driver_left_out_names_the_bind_and_the_feature() {
    let mut config = Config::new();
    for (key, url, _, _) in BINDS {
        config = config.bind(key, url);
    }
    let Err(Error::Build(error)) = Db::build(config) else {
        panic!("a bind without its driver must fail the build");
    };
    let missing: Vec<&BuildProblem> = error
        .problems()
        .iter()
        .filter(|p| matches!(p, BuildProblem::DriverMissing { .. }))
        .collect();
    let off: Vec<_> = BINDS
        .iter()
        .filter(|(_, _, dialect, _)| !common::driver_on(*dialect))
        .collect();
    assert_eq!(missing.len(), off.len(), "{error}");
    for (key, _, dialect, feature) in off {
        let problem = BuildProblem::DriverMissing {
            bind: Some(*key).into(),
            dialect: *dialect,
            feature,
        };
        assert!(missing.contains(&&problem), "{problem:?} in {error}");
        assert!(error.to_string().contains(&format!(
            "bind \"{key}\" is {dialect}, but bindery was built without its `{feature}` feature"
        )));
    }
}

#[test]
fn every_dialect_still_parses_without_its_driver() {
    for (_, url, dialect, _) in BINDS {
        assert_eq!(DatabaseUrl::parse(url).unwrap().dialect(), dialect);
    }
}

#[cfg(all(feature = "sqlite", not(feature = "mysql")))]
#[tokio::test]
async fn the_default_bind_left_out_is_named_too() {
    let config = Config::new()
        .database_uri("mariadb://app@127.0.0.1:9/app")
        .bind("lite", "sqlite://");
    let error = Db::build(config).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot build the Db: the default bind is MySQL, but bindery was built without its \
         `mysql` feature"
    );
}
