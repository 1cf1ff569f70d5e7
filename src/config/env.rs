//! Reading a configuration from the environment: `BINDERY_DATABASE_URI`,
//! `BINDERY_BIND_<KEY>`, `BINDERY_SQLITE_BASE_DIR`, and TLS: `BINDERY_DATABASE_TLS_<ENTRY>`
//! and `BINDERY_BIND_<KEY>_TLS_<ENTRY>`, `<ENTRY>` one of `MODE`, `CA`, `CERT`, `KEY`;
//! read replicas: `BINDERY_DATABASE_REPLICAS`, `BINDERY_BIND_<KEY>_REPLICAS` (URLs
//! separated by commas); two-phase commit: `BINDERY_TWO_PHASE` (`true`, `false`, `1`,
//! `0`), `BINDERY_TWO_PHASE_LOG` (a bind key), `BINDERY_TWO_PHASE_INSTANCE`.

use std::ffi::OsString;
use std::path::PathBuf;

use super::{Config, PoolOptions, TlsOptions};
use crate::error::{ConfigError, ConfigProblem};

impl Config {
    /// Reads `BINDERY_DATABASE_URI`, `BINDERY_BIND_<KEY>` (the bind `key`, lower-cased),
    /// `BINDERY_SQLITE_BASE_DIR` and the TLS settings `BINDERY_DATABASE_TLS_MODE`, `…_CA`,
    /// `…_CERT`, `…_KEY` (the default bind) and `BINDERY_BIND_<KEY>_TLS_MODE`, `…_CA`,
    /// `…_CERT`, `…_KEY` from the process environment. A name ending `_TLS_<ENTRY>` is
    /// always read as TLS, so a bind cannot be keyed `…_tls_mode` from the environment.
    /// `BINDERY_DATABASE_REPLICAS` and `BINDERY_BIND_<KEY>_REPLICAS` list read replicas,
    /// separated by commas (and likewise a bind cannot be keyed `…_replicas`).
    /// `BINDERY_TWO_PHASE` (`true`, `false`, `1` or `0`), `BINDERY_TWO_PHASE_LOG` (the key
    /// of the bind that keeps the decision log; unset, the default bind) and
    /// `BINDERY_TWO_PHASE_INSTANCE` are [`Config::two_phase`], [`Config::two_phase_log`]
    /// and [`Config::two_phase_instance`].
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_env_vars(std::env::vars_os())
    }

    /// As [`Config::from_env`], from the given variables.
    pub fn from_env_vars(
        vars: impl IntoIterator<Item = (impl Into<OsString>, impl Into<OsString>)>,
    ) -> Result<Config, ConfigError> {
        // Every problem goes to `config.problems`, in the order the variables come.
        let mut config = Config::new();
        for (name, value) in vars {
            let (name, value) = (name.into(), value.into());
            let Some(name) = name.to_str().filter(|n| n.starts_with("BINDERY_")) else {
                continue;
            };
            let value = match value.into_string() {
                Ok(value) => value,
                Err(_) => {
                    config.problems.push(ConfigProblem::BadValue {
                        key: name.to_owned(),
                        reason: "is not valid UTF-8".into(),
                    });
                    continue;
                }
            };
            if let Some((key, entry)) = tls_variable(name) {
                let mut tls = TlsOptions::default();
                super::tls::set_entry(&mut tls, &entry, &value, name, &mut config.problems);
                // One variable per entry: each lays its entry over the others.
                let given = config.tls.remove(&key).unwrap_or_default();
                config.tls.insert(key, given.or_over(&tls));
            } else if let Some(key) = replicas_variable(name) {
                let urls = value
                    .split(',')
                    .map(str::trim)
                    .filter(|url| !url.is_empty());
                config.set_replicas(key, urls, name);
            } else if name == "BINDERY_DATABASE_URI" {
                config.set_database_uri(&value, name);
            } else if name == "BINDERY_SQLITE_BASE_DIR" {
                config.sqlite_base_dir = Some(PathBuf::from(value));
            } else if name == "BINDERY_TWO_PHASE" {
                match parse_bool(&value) {
                    Some(on) => config.two_phase = Some(on),
                    None => config.problems.push(ConfigProblem::BadValue {
                        key: name.to_owned(),
                        reason: "must be true, false, 1 or 0".into(),
                    }),
                }
            } else if name == "BINDERY_TWO_PHASE_LOG" {
                config.set_two_phase_log(&value, name);
            } else if name == "BINDERY_TWO_PHASE_INSTANCE" {
                config.set_two_phase_instance(&value, name);
            } else if let Some(key) = name.strip_prefix("BINDERY_BIND_") {
                let key = key.to_ascii_lowercase();
                config.set_bind(&key, &value, PoolOptions::default(), name);
            } else if [
                "BINDERY_DATABASE",
                "BINDERY_BINDS",
                "BINDERY_SQLITE",
                "BINDERY_TWO_PHASE",
            ]
            .iter()
            .any(|prefix| name.starts_with(prefix))
            {
                // A near miss (`BINDERY_DATABASE_URL`, `BINDERY_BINDS_AUTH`) would leave
                // its bind unconfigured, and a tool might fall back to something else
                // (`BINDERY_TWO_PHASE_INSTANCES`: to the default name): name it instead.
                config.problems.push(ConfigProblem::UnknownKey {
                    key: name.to_owned(),
                    expected: "BINDERY_DATABASE_URI, BINDERY_BIND_<KEY>, BINDERY_DATABASE_REPLICAS, BINDERY_BIND_<KEY>_REPLICAS, BINDERY_SQLITE_BASE_DIR, BINDERY_DATABASE_TLS_<MODE|CA|CERT|KEY>, BINDERY_BIND_<KEY>_TLS_<MODE|CA|CERT|KEY>, BINDERY_TWO_PHASE, BINDERY_TWO_PHASE_LOG, BINDERY_TWO_PHASE_INSTANCE",
                });
            }
            // Other BINDERY_* variables belong to the tests and tools (BINDERY_TEST_…).
        }
        ConfigError::from_problems(std::mem::take(&mut config.problems))?;
        Ok(config)
    }
}

/// A boolean variable's value: `true` or `1`, `false` or `0` (`true` and `false` in any
/// case).
fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" => Some(true),
        "0" => Some(false),
        _ if value.eq_ignore_ascii_case("true") => Some(true),
        _ if value.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The bind (`None`: the default bind) of a replicas variable: `BINDERY_DATABASE_REPLICAS`,
/// `BINDERY_BIND_SHOP_REPLICAS`.
fn replicas_variable(name: &str) -> Option<Option<String>> {
    let rest = name.strip_suffix("_REPLICAS")?;
    if rest == "BINDERY_DATABASE" {
        return Some(None);
    }
    Some(Some(
        rest.strip_prefix("BINDERY_BIND_")?.to_ascii_lowercase(),
    ))
}

/// The bind (`None`: the default bind) and entry (`mode`, `ca`, `cert`, `key`) of a TLS
/// variable: `BINDERY_DATABASE_TLS_MODE`, `BINDERY_BIND_SHOP_TLS_CA`.
fn tls_variable(name: &str) -> Option<(Option<String>, String)> {
    let (rest, entry) = ["MODE", "CA", "CERT", "KEY"]
        .iter()
        .find_map(|entry| Some((name.strip_suffix(entry)?.strip_suffix("_TLS_")?, *entry)))?;
    let key = if rest == "BINDERY_DATABASE" {
        None
    } else {
        Some(rest.strip_prefix("BINDERY_BIND_")?.to_ascii_lowercase())
    };
    Some((key, entry.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        for (value, on) in [("1", true), ("true", true), ("TRUE", true), ("0", false)] {
            assert_eq!(parse_bool(value), Some(on), "{value}");
        }
        assert_eq!(parse_bool("False"), Some(false));
        for value in ["", "yes", "on", " true", "2"] {
            assert_eq!(parse_bool(value), None, "{value:?}");
        }
    }
}
