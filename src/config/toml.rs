//! Reading a configuration from TOML: the file format of [`Config::from_toml`], each
//! value checked and every problem named by its key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Config, PoolOptions, TlsOptions};
use crate::error::{ConfigError, ConfigProblem};

impl Config {
    /// Reads a TOML file; see [`Config::from_toml`] for the format.
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::one(ConfigProblem::Unreadable {
                path: path.to_owned(),
                reason: e.to_string(),
            })
        })?;
        Config::from_toml(&text)
    }

    /// Parses a TOML configuration. Every key is optional:
    ///
    /// ```toml
    /// database_uri = "sqlite:///instance/app.db"    # the default bind
    /// sqlite_base_dir = "."                         # relative SQLite paths start here
    /// record_queries = false                        # Flask's SQLALCHEMY_RECORD_QUERIES
    /// echo = false                                  # Flask's SQLALCHEMY_ECHO
    /// ddl_lock_timeout = "10s"                      # create_all/drop_all wait no longer
    /// database_replicas = []                        # the default bind's read replicas
    /// causal_wait = "100ms"                         # a replica read waits no longer for its token
    /// two_phase = false                             # commit across binds in two phases
    /// two_phase_log = "auth"                        # the decision log's bind (omit: the default)
    /// two_phase_instance = "web-1"                  # this instance's name in transaction ids
    ///
    /// [pool]                                        # every bind's defaults
    /// max_connections = 10
    /// acquire_timeout = "5s"                        # seconds, or "500ms", "5s", "2m", "1h"
    /// statement_timeout = "30s"                     # no statement or COMMIT waits longer
    /// lock_timeout = "10s"                          # a write waits no longer for a lock
    ///
    /// [binds]
    /// auth = "postgresql://app@127.0.0.1/auth"      # a URL…
    ///
    /// [binds.shop]                                  # …or a table with `url` and pool options
    /// url = "mysql://app@127.0.0.1/shop"
    /// max_connections = 5
    ///
    /// replicas = ["mysql://reader@10.0.0.2/shop"]    # read replicas (see `Config::replicas`)
    ///
    /// [binds.shop.tls]                              # TLS, over the URL's ssl options
    /// mode = "verify-full"                          # disable, prefer, require, verify-ca, verify-full
    /// ca = "/etc/ssl/db-ca.crt"                     # paths; the key's contents are never shown
    /// cert = "/etc/ssl/app.crt"
    /// key = "/etc/ssl/app.key"
    ///
    /// [database_tls]                                # the same, for the default bind
    /// mode = "require"
    /// ```
    ///
    /// Unknown keys, wrong types and bad values are errors that name the key. Errors never
    /// quote the file, so a password in it stays there. A file without any database is
    /// fine here (it may be one layer under the environment); `Db::build` insists on one.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            ConfigError::one(ConfigProblem::Toml {
                line,
                reason: e.message().to_owned(),
            })
        })?;
        let mut config = Config::new();
        let mut problems = Vec::new();
        for (key, value) in &table {
            match key.as_str() {
                "database_uri" => {
                    if let Some(url) = expect_str(value, key, &mut problems) {
                        config = config.database_uri(url);
                    }
                }
                "sqlite_base_dir" => {
                    if let Some(dir) = expect_str(value, key, &mut problems) {
                        config.sqlite_base_dir = Some(PathBuf::from(dir));
                    }
                }
                "ddl_lock_timeout" => {
                    config.ddl_lock_timeout = read_duration(value, key, &mut problems);
                }
                "record_queries" | "echo" => match value.as_bool() {
                    Some(on) if key == "echo" => config.echo = Some(on),
                    Some(on) => config.record_queries = Some(on),
                    None => problems.push(wrong_type(key, "true or false", value)),
                },
                "pool" => match value.as_table() {
                    Some(pool) => config.pool = read_pool(pool, "pool.", &[], &mut problems),
                    None => problems.push(wrong_type(key, "a table", value)),
                },
                "database_replicas" => {
                    if let Some(urls) = read_urls(value, key, &mut problems) {
                        config.set_replicas(None, urls, key);
                    }
                }
                "causal_wait" => config.causal_wait = read_duration(value, key, &mut problems),
                "two_phase" => match value.as_bool() {
                    Some(on) => config.two_phase = Some(on),
                    None => problems.push(wrong_type(key, "true or false", value)),
                },
                "two_phase_log" => {
                    if let Some(bind) = expect_str(value, key, &mut problems) {
                        config.set_two_phase_log(bind, key);
                    }
                }
                "two_phase_instance" => {
                    if let Some(name) = expect_str(value, key, &mut problems) {
                        config.set_two_phase_instance(name, key);
                    }
                }
                "database_tls" => {
                    let tls = read_tls(value, key, &mut problems);
                    config = config.tls(None, tls);
                }
                "binds" => match value.as_table() {
                    Some(binds) => {
                        for (bind, entry) in binds {
                            config = read_bind(config, bind, entry, &mut problems);
                        }
                    }
                    None => problems.push(wrong_type(key, "a table", value)),
                },
                _ => problems.push(ConfigProblem::UnknownKey {
                    key: key.clone(),
                    expected: "database_uri, database_tls, database_replicas, causal_wait, two_phase, two_phase_log, two_phase_instance, sqlite_base_dir, record_queries, echo, ddl_lock_timeout, pool, binds",
                }),
            }
        }
        config.problems.extend(problems);
        ConfigError::from_problems(config.value_problems())?;
        Ok(config)
    }
}

fn expect_str<'v>(
    value: &'v toml::Value,
    key: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Option<&'v str> {
    let found = value.as_str();
    if found.is_none() {
        problems.push(wrong_type(key, "a string", value));
    }
    found
}

fn wrong_type(key: &str, expected: &str, value: &toml::Value) -> ConfigProblem {
    ConfigProblem::BadValue {
        key: key.to_owned(),
        reason: format!("must be {expected}, not {}", value.type_str()),
    }
}

const POOL_KEYS: &str = "max_connections, min_connections, acquire_timeout, idle_timeout, max_lifetime, test_before_acquire, statement_timeout, lock_timeout";

fn read_bind(
    config: Config,
    bind: &str,
    entry: &toml::Value,
    problems: &mut Vec<ConfigProblem>,
) -> Config {
    let key = format!("binds.{bind}");
    match entry {
        toml::Value::String(url) => config.bind(bind, url),
        toml::Value::Table(table) => {
            let pool = read_pool(
                table,
                &format!("{key}."),
                &["url", "tls", "replicas"],
                problems,
            );
            let mut config = match table.get("tls") {
                Some(tls) => config.tls(bind, read_tls(tls, &format!("{key}.tls"), problems)),
                None => config,
            };
            let replicas_key = format!("{key}.replicas");
            if let Some(urls) = table
                .get("replicas")
                .and_then(|urls| read_urls(urls, &replicas_key, problems))
            {
                config.set_replicas(Some(bind.to_owned()), urls, &replicas_key);
            }
            match table.get("url") {
                Some(url) => match expect_str(url, &format!("{key}.url"), problems) {
                    Some(url) => config.bind_with(bind, url, pool),
                    None => config,
                },
                None => {
                    problems.push(ConfigProblem::BadValue {
                        key,
                        reason: "has no `url`".into(),
                    });
                    config
                }
            }
        }
        other => {
            problems.push(wrong_type(&key, "a URL or a table with `url`", other));
            config
        }
    }
}

fn read_pool(
    table: &toml::Table,
    prefix: &str,
    also_allowed: &[&str],
    problems: &mut Vec<ConfigProblem>,
) -> PoolOptions {
    let mut pool = PoolOptions::default();
    for (name, value) in table {
        let key = format!("{prefix}{name}");
        match name.as_str() {
            "max_connections" => pool.max_connections = read_count(value, &key, problems),
            "min_connections" => pool.min_connections = read_count(value, &key, problems),
            "acquire_timeout" => pool.acquire_timeout = read_duration(value, &key, problems),
            "idle_timeout" => pool.idle_timeout = read_duration(value, &key, problems),
            "max_lifetime" => pool.max_lifetime = read_duration(value, &key, problems),
            "statement_timeout" => pool.statement_timeout = read_duration(value, &key, problems),
            "lock_timeout" => pool.lock_timeout = read_duration(value, &key, problems),
            "test_before_acquire" => match value.as_bool() {
                Some(b) => pool.test_before_acquire = Some(b),
                None => problems.push(wrong_type(&key, "true or false", value)),
            },
            other if also_allowed.contains(&other) => {}
            _ => problems.push(ConfigProblem::UnknownKey {
                key,
                expected: if also_allowed.is_empty() {
                    POOL_KEYS
                } else {
                    "url, tls, replicas, max_connections, min_connections, acquire_timeout, idle_timeout, max_lifetime, test_before_acquire, statement_timeout, lock_timeout"
                },
            }),
        }
    }
    pool
}

/// A list of URLs (`replicas = ["…", "…"]`).
fn read_urls<'v>(
    value: &'v toml::Value,
    key: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Vec<&'v str>> {
    let urls = value.as_array().and_then(|urls| {
        urls.iter()
            .map(toml::Value::as_str)
            .collect::<Option<Vec<_>>>()
    });
    if urls.is_none() {
        problems.push(wrong_type(key, "a list of URLs", value));
    }
    urls
}

/// A `tls` table: `mode`, `ca`, `cert` and `key`, each a string.
fn read_tls(value: &toml::Value, key: &str, problems: &mut Vec<ConfigProblem>) -> TlsOptions {
    let mut tls = TlsOptions::default();
    let Some(table) = value.as_table() else {
        problems.push(wrong_type(key, "a table", value));
        return tls;
    };
    for (name, value) in table {
        let entry_key = format!("{key}.{name}");
        if let Some(text) = expect_str(value, &entry_key, problems) {
            super::tls::set_entry(&mut tls, name, text, &entry_key, problems);
        }
    }
    tls
}

fn read_count(value: &toml::Value, key: &str, problems: &mut Vec<ConfigProblem>) -> Option<u32> {
    match value.as_integer() {
        Some(n) => match u32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(ConfigProblem::BadValue {
                    key: key.to_owned(),
                    reason: format!("{n} is out of range (0 to {})", u32::MAX),
                });
                None
            }
        },
        None => {
            problems.push(wrong_type(key, "a whole number", value));
            None
        }
    }
}

fn read_duration(
    value: &toml::Value,
    key: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Duration> {
    let parsed = match value {
        toml::Value::Integer(n) => u64::try_from(*n).ok().map(Duration::from_secs),
        toml::Value::Float(x) => Duration::try_from_secs_f64(*x).ok(),
        toml::Value::String(s) => parse_duration(s),
        _ => None,
    };
    if parsed.is_none() {
        problems.push(ConfigProblem::BadValue {
            key: key.to_owned(),
            reason: "must be a duration: seconds as a number, or a string like \"500ms\", \"5s\", \"2m\", \"1h\"".into(),
        });
    }
    parsed
}

/// `"500ms"`, `"5s"`, `"1.5s"`, `"2m"`, `"1h"`.
fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = s.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("5 days"), None);
    }
}
