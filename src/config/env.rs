//! Reading a configuration from the environment: `BINDERY_DATABASE_URI`,
//! `BINDERY_BIND_<KEY>`, `BINDERY_SQLITE_BASE_DIR`.

use std::ffi::OsString;
use std::path::PathBuf;

use super::{Config, PoolOptions};
use crate::error::{ConfigError, ConfigProblem};

impl Config {
    /// Reads `BINDERY_DATABASE_URI`, `BINDERY_BIND_<KEY>` (the bind `key`, lower-cased) and
    /// `BINDERY_SQLITE_BASE_DIR` from the process environment.
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
            if name == "BINDERY_DATABASE_URI" {
                config.set_database_uri(&value, name);
            } else if name == "BINDERY_SQLITE_BASE_DIR" {
                config.sqlite_base_dir = Some(PathBuf::from(value));
            } else if let Some(key) = name.strip_prefix("BINDERY_BIND_") {
                let key = key.to_ascii_lowercase();
                config.set_bind(&key, &value, PoolOptions::default(), name);
            } else if ["BINDERY_DATABASE", "BINDERY_BINDS", "BINDERY_SQLITE"]
                .iter()
                .any(|prefix| name.starts_with(prefix))
            {
                // A near miss (`BINDERY_DATABASE_URL`, `BINDERY_BINDS_AUTH`) would leave
                // its bind unconfigured, and a tool might fall back to something else:
                // name it instead.
                config.problems.push(ConfigProblem::UnknownKey {
                    key: name.to_owned(),
                    expected: "BINDERY_DATABASE_URI, BINDERY_BIND_<KEY>, BINDERY_SQLITE_BASE_DIR",
                });
            }
            // Other BINDERY_* variables belong to the tests and tools (BINDERY_TEST_…).
        }
        ConfigError::from_problems(std::mem::take(&mut config.problems))?;
        Ok(config)
    }
}
