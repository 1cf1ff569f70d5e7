//! The column types behind cargo features (chrono, time, uuid, json, rust_decimal), each
//! written and read back unchanged on SQLite, PostgreSQL and MariaDB. Runs with
//! `cargo test --all-features` (CI does).

#![cfg(all(
    feature = "chrono",
    feature = "time",
    feature = "uuid",
    feature = "json",
    feature = "rust_decimal"
))]
// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::str::FromStr;

use bindery::{Binds, Config, Db, Model};
use common::{ScratchDb, ScratchDir, Server};

#[derive(Debug, Clone, PartialEq, Model)]
#[model(bind_key = "t")]
struct Typed {
    #[model(primary_key)]
    id: i64,
    date: chrono::NaiveDate,
    time_of_day: chrono::NaiveTime,
    stamp: chrono::NaiveDateTime,
    utc: chrono::DateTime<chrono::Utc>,
    t_date: time::Date,
    t_time: time::Time,
    t_stamp: time::PrimitiveDateTime,
    t_offset: time::OffsetDateTime,
    uuid: uuid::Uuid,
    json: serde_json::Value,
    #[model(decimal(20, 6))]
    price: rust_decimal::Decimal,
    maybe_uuid: Option<uuid::Uuid>,
    maybe_json: Option<serde_json::Value>,
    maybe_price: Option<rust_decimal::Decimal>,
    maybe_utc: Option<chrono::DateTime<chrono::Utc>>,
}

/// Values every backend keeps exactly: microseconds (MySQL's and PostgreSQL's finest),
/// UTC offsets (MySQL keeps none).
fn rows() -> Vec<Typed> {
    let date = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let time_of_day = chrono::NaiveTime::from_hms_micro_opt(23, 59, 58, 123_456).unwrap();
    let stamp = date.and_time(time_of_day);
    let t_date = time::Date::from_calendar_date(1999, time::Month::December, 31).unwrap();
    let t_time = time::Time::from_hms_micro(1, 2, 3, 654_321).unwrap();
    let t_stamp = time::PrimitiveDateTime::new(t_date, t_time);
    let first = Typed {
        id: 0,
        date,
        time_of_day,
        stamp,
        utc: stamp.and_utc(),
        t_date,
        t_time,
        t_stamp,
        t_offset: t_stamp.assume_utc(),
        uuid: uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        json: serde_json::json!({"name": "ann", "tags": ["a", "b"], "n": 5, "quote": "it's \"q\""}),
        price: rust_decimal::Decimal::from_str("12345678901234.123456").unwrap(),
        maybe_uuid: None,
        maybe_json: None,
        maybe_price: None,
        maybe_utc: None,
    };
    let second = Typed {
        json: serde_json::json!(5),
        price: rust_decimal::Decimal::from_str("-0.000001").unwrap(),
        maybe_uuid: Some(uuid::Uuid::nil()),
        maybe_json: Some(serde_json::json!([1.5, null, "x"])),
        maybe_price: Some(rust_decimal::Decimal::from_str("1.10").unwrap()),
        maybe_utc: Some(chrono::DateTime::from_timestamp(0, 0).unwrap()),
        ..first.clone()
    };
    vec![first, second]
}

async fn round_trip(url: &str, dir: &ScratchDir) {
    let config = Config::new().bind("t", url).sqlite_base_dir(dir.path());
    let db = Db::build(config).unwrap();
    db.create_all(Binds::All).await.unwrap();
    let mut session = db.session();
    let stored = session.insert_all(rows()).await.unwrap();
    session.commit().await.unwrap();
    let mut session = db.session();
    for row in stored {
        assert_eq!(session.get::<Typed>(row.id).await.unwrap().unwrap(), row);
    }
    assert!(db.check(Binds::All).await.unwrap().is_clean());
    session.commit().await.unwrap();
    db.close().await;
}

#[tokio::test]
async fn feature_types_on_sqlite() {
    let dir = ScratchDir::new("ft_lite");
    round_trip("sqlite:///t.db", &dir).await;
}

#[tokio::test]
async fn feature_types_on_postgres() {
    let dir = ScratchDir::new("ft_pg");
    let Some(server) = ScratchDb::new(Server::Postgres, "ft_pg").await else {
        return;
    };
    round_trip(server.url(), &dir).await;
}

#[tokio::test]
async fn feature_types_on_mariadb() {
    let dir = ScratchDir::new("ft_my");
    let Some(server) = ScratchDb::new(Server::MySql, "ft_my").await else {
        return;
    };
    round_trip(server.url(), &dir).await;
}
