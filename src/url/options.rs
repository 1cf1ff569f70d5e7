//! Which `+driver` suffixes and which query options a URL may carry, per dialect, and
//! the checks each option's value passes before sqlx (or bindery's SQLite set-up) sees it.
//!
//! Every option is on a list: sqlx-postgres logs an option it does not know *with its
//! value* (`ignoring unrecognized connect parameter key=sslpassword value=…`) and
//! sqlx-mysql drops one silently, so an option off the list is refused, by name.
//!
//! Where each option's value goes (read from sqlx-postgres 0.9 and sqlx-mysql 0.9,
//! `options/parse.rs` and `options/connect.rs`, and from `engine.rs` for SQLite):
//!
//! | dialect | option | where the value goes | check |
//! |---|---|---|---|
//! | MySQL | `timezone`, `time-zone` | **SQL**: `SET time_zone='…'`, sent with multi-statements on | `SYSTEM`, `+HH:MM`/`-HH:MM`, or a zone name of `[A-Za-z0-9_+-/]` starting with a letter, no `--` |
//! | MySQL | `collation` | **SQL**: `SET NAMES utf8mb4 COLLATE …` | a name of `[A-Za-z0-9_]`, at most 64 characters |
//! | MySQL | `charset` | **SQL**: `SET NAMES …` in sqlx; bindery then sets `utf8mb4` over it, so the value is checked and otherwise unused | as `collation` |
//! | MySQL | `sslmode`, `ssl-mode` | a TLS mode | one of `disabled`, `preferred`, `required`, `verify_ca`, `verify_identity` |
//! | MySQL | `sslca`, `ssl-ca`, `sslcert`, `ssl-cert`, `sslkey`, `ssl-key` | a file path, or inline PEM | no control character but line breaks; inline PEM prints as `***` |
//! | MySQL | `socket` | a Unix socket path | no control character |
//! | MySQL | `statement-cache-capacity` | a number | digits only |
//! | PostgreSQL | `sslmode`, `ssl-mode` | a TLS mode | one of `disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full` |
//! | PostgreSQL | `sslrootcert`, `ssl-root-cert`, `ssl-ca`, `sslcert`, `ssl-cert`, `sslkey`, `ssl-key` | a file path, or inline PEM | as MySQL's |
//! | PostgreSQL | `host` | a host name, or a socket folder | no control character |
//! | PostgreSQL | `hostaddr` | an IP address | parses as one |
//! | PostgreSQL | `port` | a port | a number up to 65535 |
//! | PostgreSQL | `user`, `dbname`, `application_name`, `options`, `options[NAME]` | the startup packet (NUL-terminated strings), never SQL | no control character (a NUL would end the string and start another parameter); `NAME` of `[A-Za-z0-9_.]` |
//! | PostgreSQL | `password` | the password | no control character; prints as `***` |
//! | PostgreSQL | `statement-cache-capacity` | a number | digits only |
//! | SQLite | `mode` | open flags | `ro`, `rw` or `rwc`; `memory` with a `file:` path and `uri=true` |
//! | SQLite | `cache` | open flags | `shared` or `private` |
//! | SQLite | `immutable` | open flags | `1` or `true` |
//! | SQLite | `uri` | pysqlite's switch (SQLAlchemy): the path is a `file:` URI filename, whose own options are the three above | a boolean as SQLAlchemy reads it: `true`, `false`, `1`, `0`, `yes`, `no`, `on`, `off`, `t`, `f`, `y`, `n` |
//!
//! SQLite's other URI options (`vfs`, `nolock`, `psow`, …) are refused by name, as is
//! any option sqlx has no setting for.
//!
//! No PostgreSQL option reaches SQL text: sqlx sends `application_name` and `options` in
//! the startup packet. The user name and database of either server URL go into a startup
//! or handshake packet too, and are checked for control characters the same way.

use url::Url;

use super::UrlError;
use crate::Dialect;

/// The `+driver` suffixes of SQLAlchemy URLs that bindery stands in for, per dialect.
/// SQLAlchemy's `sqlite+pysqlcipher` (an encrypted database, its key in the URL) is not
/// one: bindery cannot open such a file, and would take `:key@/file` for a path.
pub(super) fn check_driver(dialect: Dialect, scheme: &str) -> Result<(), UrlError> {
    let Some((_, driver)) = scheme.split_once('+') else {
        return Ok(());
    };
    let expected = match dialect {
        Dialect::Sqlite => "pysqlite, aiosqlite",
        Dialect::Postgres => {
            "psycopg2, psycopg2cffi, psycopg, psycopg_async, asyncpg, pg8000, pygresql"
        }
        Dialect::MySql => {
            "mysqldb, pymysql, mysqlconnector, mariadbconnector, asyncmy, aiomysql, cymysql, pyodbc"
        }
    };
    let lower = driver.to_ascii_lowercase();
    if expected.split(", ").any(|known| known == lower) {
        Ok(())
    } else {
        Err(UrlError::UnknownDriver {
            driver: driver.to_owned(),
            dialect,
            expected,
        })
    }
}

const POSTGRES_OPTIONS: &str = "sslmode, ssl-mode, sslrootcert, ssl-root-cert, ssl-ca, sslcert, ssl-cert, sslkey, ssl-key, statement-cache-capacity, host, hostaddr, port, dbname, user, password, application_name, options, options[NAME]";
const MYSQL_OPTIONS: &str = "sslmode, ssl-mode, sslca, ssl-ca, sslcert, ssl-cert, sslkey, ssl-key, charset, collation, statement-cache-capacity, socket, timezone, time-zone";
const SQLITE_OPTIONS: &str = "mode, cache, immutable, uri";

/// The words SQLAlchemy's `asbool` reads as true and as false, in any case.
const TRUE_WORDS: &[&str] = &["true", "yes", "on", "y", "t", "1"];
const BOOLEAN_WORDS: &[&str] = &[
    "true", "yes", "on", "y", "t", "1", "false", "no", "off", "n", "f", "0",
];

/// Whether SQLAlchemy reads `value` as true (`uri=true`, `uri=1`, `uri=Yes`).
pub(super) fn is_true(value: &str) -> bool {
    TRUE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(value))
}

/// What an option's value must be.
#[derive(Clone, Copy)]
enum Check {
    /// One of these words, in any case (sqlx lower-cases TLS modes); the refusal says which.
    OneOf(&'static [&'static str], &'static str),
    /// One of these words exactly, as bindery's SQLite set-up matches them.
    Exactly(&'static [&'static str], &'static str),
    /// A file path or inline PEM: line breaks allowed, other control characters not.
    Certificate,
    /// Any text without control characters (it travels NUL-terminated).
    Text,
    /// Digits, as many as fit a `usize`.
    Count,
    /// A port number.
    Port,
    /// An IP address.
    IpAddress,
    /// A MySQL character set or collation name: it is written into `SET NAMES`.
    MySqlName,
    /// A MySQL time zone: it is written into `SET time_zone='…'`.
    MySqlTimeZone,
}

fn check_of(dialect: Dialect, name: &str) -> Option<Check> {
    let check = match (dialect, name) {
        (Dialect::Postgres, "sslmode" | "ssl-mode") => Check::OneOf(
            &[
                "disable",
                "allow",
                "prefer",
                "require",
                "verify-ca",
                "verify-full",
            ],
            "expected disable, allow, prefer, require, verify-ca or verify-full",
        ),
        (Dialect::MySql, "sslmode" | "ssl-mode") => Check::OneOf(
            &[
                "disabled",
                "preferred",
                "required",
                "verify_ca",
                "verify_identity",
            ],
            "expected disabled, preferred, required, verify_ca or verify_identity",
        ),
        (
            Dialect::Postgres,
            "sslrootcert" | "ssl-root-cert" | "ssl-ca" | "sslcert" | "ssl-cert" | "sslkey"
            | "ssl-key",
        )
        | (Dialect::MySql, "sslca" | "ssl-ca" | "sslcert" | "ssl-cert" | "sslkey" | "ssl-key") => {
            Check::Certificate
        }
        (Dialect::Postgres | Dialect::MySql, "statement-cache-capacity") => Check::Count,
        (
            Dialect::Postgres,
            "host" | "dbname" | "user" | "password" | "application_name" | "options",
        )
        | (Dialect::MySql, "socket") => Check::Text,
        (Dialect::Postgres, "hostaddr") => Check::IpAddress,
        (Dialect::Postgres, "port") => Check::Port,
        (Dialect::Postgres, other) if other.starts_with("options[") && other.ends_with(']') => {
            let setting = &other["options[".len()..other.len() - 1];
            if setting.is_empty()
                || !setting
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                return None;
            }
            Check::Text
        }
        (Dialect::MySql, "charset" | "collation") => Check::MySqlName,
        (Dialect::MySql, "timezone" | "time-zone") => Check::MySqlTimeZone,
        (Dialect::Sqlite, "mode") => Check::Exactly(
            &["ro", "rw", "rwc", "memory"],
            "expected ro, rw, rwc or memory",
        ),
        (Dialect::Sqlite, "uri") => Check::OneOf(
            BOOLEAN_WORDS,
            "expected true or false (or 1, 0, yes, no, on, off)",
        ),
        (Dialect::Sqlite, "cache") => {
            Check::Exactly(&["shared", "private"], "expected shared or private")
        }
        (Dialect::Sqlite, "immutable") => Check::Exactly(&["1", "true"], "expected 1 or true"),
        _ => return None,
    };
    Some(check)
}

/// Why `value` does not pass `check`, or `None` when it does.
fn refusal(check: Check, value: &str) -> Option<&'static str> {
    let control = |allowed: &[char]| {
        value
            .chars()
            .any(|c| c.is_control() && !allowed.contains(&c))
    };
    match check {
        Check::OneOf(words, reason) => {
            (!words.iter().any(|w| w.eq_ignore_ascii_case(value))).then_some(reason)
        }
        Check::Exactly(words, reason) => (!words.contains(&value)).then_some(reason),
        Check::Certificate => control(&['\n', '\r'])
            .then_some("holds a control character (only line breaks are allowed, for inline PEM)"),
        Check::Text => control(&[]).then_some("holds a control character"),
        Check::Count => value
            .parse::<usize>()
            .is_err()
            .then_some("expected a whole number"),
        Check::Port => value
            .parse::<u16>()
            .is_err()
            .then_some("expected a port number (0 to 65535)"),
        Check::IpAddress => value
            .parse::<std::net::IpAddr>()
            .is_err()
            .then_some("expected an IP address"),
        Check::MySqlName => (!is_mysql_name(value)).then_some(
            "expected a character set or collation name: letters, digits and `_`, at most 64",
        ),
        Check::MySqlTimeZone => (!is_mysql_time_zone(value)).then_some(
            "expected SYSTEM, an offset like +00:00 or -05:30, or a zone name like Europe/Paris",
        ),
    }
}

/// `utf8mb4`, `utf8mb4_unicode_ci`, `latin1_swedish_ci`: the names `SHOW CHARACTER SET`
/// and `SHOW COLLATION` list are all of this shape, and nothing of this shape can end the
/// `SET NAMES` statement it is written into.
fn is_mysql_name(value: &str) -> bool {
    (1..=64).contains(&value.len()) && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `SYSTEM`, `+HH:MM` / `-HH:MM`, or a named zone (`UTC`, `Europe/Paris`,
/// `America/Argentina/Buenos_Aires`, `Etc/GMT+5`): nothing that can leave the quotes of
/// `SET time_zone='…'`.
fn is_mysql_time_zone(value: &str) -> bool {
    if value.eq_ignore_ascii_case("SYSTEM") {
        return true;
    }
    let bytes = value.as_bytes();
    let offset = matches!(bytes.first(), Some(b'+' | b'-'))
        && matches!(value[1..].split_once(':'), Some((h, m))
            if (1..=2).contains(&h.len())
                && m.len() == 2
                && h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()));
    let named = (1..=64).contains(&value.len())
        && bytes[0].is_ascii_alphabetic()
        && !value.contains("--")
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+-/".contains(c));
    offset || named
}

/// The option's name, if it is safe to print: a password holding an unencoded `&`
/// splits into `password=ab` and `cd=…`, so a name of unusual characters is not shown.
fn printable_name(name: &str, position: usize) -> String {
    if (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.[]".contains(c))
    {
        name.to_owned()
    } else {
        format!("#{position} (its name is not shown)")
    }
}

/// Checks every `key=value` of `query` (the raw text after `?`) for `dialect`.
pub(super) fn check_query(dialect: Dialect, query: Option<&str>) -> Result<(), UrlError> {
    let Some(query) = query else {
        return Ok(());
    };
    let parts = query.split('&').filter(|part| !part.is_empty());
    for (index, part) in parts.enumerate() {
        let position = index + 1;
        // `?ab` is a value more often than a switch: a password with an unencoded `&`.
        if !part.contains('=') {
            return Err(UrlError::OptionWithoutValue { position });
        }
        let Some((name, value)) = url::form_urlencoded::parse(part.as_bytes()).next() else {
            continue;
        };
        let Some(check) = check_of(dialect, &name) else {
            return Err(UrlError::UnknownOption {
                option: printable_name(&name, position),
                dialect,
                expected: match dialect {
                    Dialect::Sqlite => SQLITE_OPTIONS,
                    Dialect::Postgres => POSTGRES_OPTIONS,
                    Dialect::MySql => MYSQL_OPTIONS,
                },
            });
        };
        if let Some(reason) = refusal(check, &value) {
            return Err(UrlError::BadOption {
                option: name.into_owned(),
                reason,
            });
        }
    }
    Ok(())
}

/// The user name, password and database of a server URL, decoded as sqlx decodes them,
/// hold no control character: they travel as NUL-terminated strings (the password in
/// clear-text authentication).
pub(super) fn check_credentials_and_database(url: &Url) -> Result<(), UrlError> {
    let parts = [
        ("user name", url.username()),
        ("password", url.password().unwrap_or("")),
        ("database name", url.path().trim_start_matches('/')),
    ];
    for (part, raw) in parts {
        let decoded = String::from_utf8(percent_decode(raw)).map_err(|_| UrlError::BadPart {
            part,
            reason: "is not UTF-8 once percent-decoded",
        })?;
        if decoded.chars().any(char::is_control) {
            return Err(UrlError::BadPart {
                part,
                reason: "holds a control character once percent-decoded",
            });
        }
    }
    Ok(())
}

/// `%XX` decoded, as sqlx decodes the user info and path (a `+` stays a `+`).
pub(super) fn percent_decode(raw: &str) -> Vec<u8> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                // Two hex digits make one byte, below 256.
                out.push(u8::try_from(high * 16 + low).unwrap_or(0));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}
