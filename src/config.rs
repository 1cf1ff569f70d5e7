//! Where each bind's database is: Flask's `SQLALCHEMY_DATABASE_URI` and
//! `SQLALCHEMY_BINDS`, from code, a TOML file or the environment.

use core::fmt;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{ConfigError, ConfigProblem};
use crate::url::DatabaseUrl;

/// Connection-pool settings. Unset fields take the bind's, then the config's, then
/// bindery's defaults (sqlx's, except MySQL's 2-hour maximum lifetime and SQLite's
/// single connection for in-memory databases).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolOptions {
    /// Most connections open at once (at least 1).
    pub max_connections: Option<u32>,
    /// Connections kept open when idle.
    pub min_connections: Option<u32>,
    /// How long to wait for a connection before failing.
    pub acquire_timeout: Option<Duration>,
    /// Close a connection idle this long.
    pub idle_timeout: Option<Duration>,
    /// Close a connection this old (Flask's `pool_recycle`).
    pub max_lifetime: Option<Duration>,
    /// Check a connection works before handing it out (Flask's `pool_pre_ping`).
    pub test_before_acquire: Option<bool>,
    /// The longest any one statement, COMMIT or ROLLBACK may take, measured by bindery
    /// on the client: past it the operation fails with [`Error::Deadline`] and its
    /// connection is closed, never returned to the pool. A hung server (or a frozen
    /// network) accepts the connection and never answers; this is what bounds the wait.
    /// Default: [`DEFAULT_STATEMENT_TIMEOUT`].
    ///
    /// [`Error::Deadline`]: crate::Error::Deadline
    pub statement_timeout: Option<Duration>,
    /// The longest a write waits for a row or table lock another transaction holds,
    /// then fails with [`Error::LockTimeout`] naming bind and table: PostgreSQL's
    /// `lock_timeout`, MySQL's `innodb_lock_wait_timeout` (whole seconds, rounded up),
    /// SQLite's busy timeout. Default: [`DEFAULT_LOCK_TIMEOUT`].
    ///
    /// [`Error::LockTimeout`]: crate::Error::LockTimeout
    pub lock_timeout: Option<Duration>,
}

/// The statement deadline of a bind that sets none: long enough for a heavy report, short
/// enough that a hung server is noticed.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// The lock wait of a bind that sets none. PostgreSQL's own default is to wait for ever.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

impl PoolOptions {
    /// `self`, with every unset field taken from `fallback`.
    pub fn or(&self, fallback: &PoolOptions) -> PoolOptions {
        PoolOptions {
            max_connections: self.max_connections.or(fallback.max_connections),
            min_connections: self.min_connections.or(fallback.min_connections),
            acquire_timeout: self.acquire_timeout.or(fallback.acquire_timeout),
            idle_timeout: self.idle_timeout.or(fallback.idle_timeout),
            max_lifetime: self.max_lifetime.or(fallback.max_lifetime),
            test_before_acquire: self.test_before_acquire.or(fallback.test_before_acquire),
            statement_timeout: self.statement_timeout.or(fallback.statement_timeout),
            lock_timeout: self.lock_timeout.or(fallback.lock_timeout),
        }
    }

    fn check(&self, key: &str, problems: &mut Vec<ConfigProblem>) {
        if self.max_connections == Some(0) {
            problems.push(ConfigProblem::BadValue {
                key: format!("{key}max_connections"),
                reason: "must be at least 1".into(),
            });
        }
        if let (Some(min), Some(max)) = (self.min_connections, self.max_connections)
            && min > max
        {
            problems.push(ConfigProblem::BadValue {
                key: format!("{key}min_connections"),
                reason: format!("{min} is more than max_connections ({max})"),
            });
        }
        let lock = self.lock_timeout.unwrap_or(DEFAULT_LOCK_TIMEOUT);
        let statement = self.statement_timeout.unwrap_or(DEFAULT_STATEMENT_TIMEOUT);
        // MySQL counts its lock wait in whole seconds.
        if Duration::from_secs(lock.as_secs_f64().ceil() as u64) >= statement {
            problems.push(ConfigProblem::BadValue {
                key: format!("{key}lock_timeout"),
                reason: format!(
                    "{} ms (rounded up to whole seconds for MySQL) is not shorter than statement_timeout ({} ms): a lock wait would end as a deadline, its connection closed",
                    lock.as_millis(),
                    statement.as_millis()
                ),
            });
        }
        for (name, value) in [
            ("acquire_timeout", self.acquire_timeout),
            ("statement_timeout", self.statement_timeout),
            ("lock_timeout", self.lock_timeout),
        ] {
            if value == Some(Duration::ZERO) {
                problems.push(ConfigProblem::BadValue {
                    key: format!("{key}{name}"),
                    reason: "must be longer than zero".into(),
                });
            }
        }
    }
}

/// One named bind: its URL and its own pool settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindConfig {
    /// Where the database is.
    pub url: DatabaseUrl,
    /// Pool settings for this bind only.
    pub pool: PoolOptions,
}

/// The databases of an application: a default URI (bind `None`) and named binds.
///
/// ```
/// use bindery::{Config, PoolOptions};
///
/// let config = Config::new()
///     .database_uri("sqlite:///instance/app.db")
///     .bind("auth", "postgresql+psycopg2://app:secret@127.0.0.1/auth")
///     .bind_with("shop", "mysql://app:secret@127.0.0.1/shop", PoolOptions {
///         max_connections: Some(5),
///         ..PoolOptions::default()
///     });
/// config.validate()?;
/// assert!(!format!("{config:?}").contains("secret"));
/// # Ok::<(), bindery::ConfigError>(())
/// ```
///
/// Builder methods never fail: a bad URL is kept as a problem, and [`Config::validate`]
/// (called by `Db::build`) reports every problem at once.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Config {
    database_uri: Option<DatabaseUrl>,
    binds: BTreeMap<String, BindConfig>,
    pool: PoolOptions,
    sqlite_base_dir: Option<PathBuf>,
    record_queries: Option<bool>,
    echo: Option<bool>,
    ddl_lock_timeout: Option<Duration>,
    problems: Vec<ConfigProblem>,
    /// Binds whose URL was refused (`None`: the default bind): they are reported once,
    /// by their URL problem, not again as missing.
    refused: BTreeSet<Option<String>>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every URL prints through DatabaseUrl's masked Debug.
        f.debug_struct("Config")
            .field("database_uri", &self.database_uri)
            .field("binds", &self.binds)
            .field("pool", &self.pool)
            .field("sqlite_base_dir", &self.sqlite_base_dir)
            .field("record_queries", &self.record_queries)
            .field("echo", &self.echo)
            .field("ddl_lock_timeout", &self.ddl_lock_timeout)
            .field("problems", &self.problems)
            .field("refused", &self.refused)
            .finish()
    }
}

impl Config {
    /// An empty configuration.
    pub fn new() -> Config {
        Config::default()
    }

    /// Sets the default bind's URL (Flask's `SQLALCHEMY_DATABASE_URI`).
    pub fn database_uri(mut self, url: &str) -> Config {
        match DatabaseUrl::parse(url) {
            Ok(url) => self.database_uri = Some(url),
            Err(error) => {
                self.refused.insert(None);
                self.problems.push(ConfigProblem::BadUrl {
                    key: "database_uri".into(),
                    error,
                });
            }
        }
        self
    }

    /// Adds (or replaces) the bind `key` (an entry of Flask's `SQLALCHEMY_BINDS`).
    pub fn bind(self, key: &str, url: &str) -> Config {
        self.bind_with(key, url, PoolOptions::default())
    }

    /// Adds (or replaces) the bind `key` with pool settings of its own.
    pub fn bind_with(mut self, key: &str, url: &str, pool: PoolOptions) -> Config {
        let config_key = format!("binds.{key}");
        if let Err(problem) = check_bind_key(key, &config_key) {
            self.problems.push(problem);
            return self;
        }
        match DatabaseUrl::parse(url) {
            Ok(url) => {
                self.binds.insert(key.to_owned(), BindConfig { url, pool });
            }
            Err(error) => {
                self.refused.insert(Some(key.to_owned()));
                self.problems.push(ConfigProblem::BadUrl {
                    key: config_key,
                    error,
                });
            }
        }
        self
    }

    /// Pool settings for every bind that does not set its own.
    pub fn pool(mut self, pool: PoolOptions) -> Config {
        self.pool = pool;
        self
    }

    /// The folder relative SQLite paths resolve against (default: the working directory).
    /// Missing folders are created when `Db` is built.
    pub fn sqlite_base_dir(mut self, dir: impl Into<PathBuf>) -> Config {
        self.sqlite_base_dir = Some(dir.into());
        self
    }

    /// Keep every statement sessions run, with its bind, parameter count and duration
    /// (Flask's `SQLALCHEMY_RECORD_QUERIES`); read them with `Db::recorded_queries`.
    pub fn record_queries(mut self, on: bool) -> Config {
        self.record_queries = Some(on);
        self
    }

    /// Log every statement at INFO through `tracing`, target `bindery::sql` (Flask's
    /// `SQLALCHEMY_ECHO`); otherwise statements are logged at DEBUG.
    pub fn echo(mut self, on: bool) -> Config {
        self.echo = Some(on);
        self
    }

    /// How long `create_all` and `drop_all` wait for a table another transaction holds
    /// before failing with an error that names the bind and table (default: 10 s).
    /// Flask-SQLAlchemy waits for ever there: MariaDB's `lock_wait_timeout` is a year.
    pub fn ddl_lock_timeout(mut self, timeout: Duration) -> Config {
        self.ddl_lock_timeout = Some(timeout);
        self
    }

    /// The DDL lock timeout in force.
    pub fn get_ddl_lock_timeout(&self) -> Duration {
        self.ddl_lock_timeout.unwrap_or(Duration::from_secs(10))
    }

    /// Whether statements are recorded.
    pub fn get_record_queries(&self) -> bool {
        self.record_queries.unwrap_or(false)
    }

    /// Whether statements are echoed at INFO.
    pub fn get_echo(&self) -> bool {
        self.echo.unwrap_or(false)
    }

    /// The default bind's URL, if set.
    pub fn get_database_uri(&self) -> Option<&DatabaseUrl> {
        self.database_uri.as_ref()
    }

    /// The named binds, by key.
    pub fn binds(&self) -> &BTreeMap<String, BindConfig> {
        &self.binds
    }

    /// The pool settings for every bind.
    pub fn get_pool(&self) -> &PoolOptions {
        &self.pool
    }

    /// The folder relative SQLite paths resolve against.
    pub fn get_sqlite_base_dir(&self) -> &Path {
        self.sqlite_base_dir.as_deref().unwrap_or(Path::new(""))
    }

    /// The pool settings of `bind` (`None`: the default bind), its own over the config's.
    pub fn pool_for(&self, bind: Option<&str>) -> PoolOptions {
        match bind.and_then(|key| self.binds.get(key)) {
            Some(bind) => bind.pool.or(&self.pool),
            None => self.pool.clone(),
        }
    }

    /// `other` laid over `self`: every value `other` sets wins (the default URI, binds
    /// by key, each pool setting, the SQLite folder). Use it for precedence, e.g. file,
    /// then environment, then command-line flags.
    pub fn merge(mut self, other: Config) -> Config {
        if other.database_uri.is_some() {
            self.database_uri = other.database_uri;
        }
        self.binds.extend(other.binds);
        self.pool = other.pool.or(&self.pool);
        if other.sqlite_base_dir.is_some() {
            self.sqlite_base_dir = other.sqlite_base_dir;
        }
        self.record_queries = other.record_queries.or(self.record_queries);
        self.ddl_lock_timeout = other.ddl_lock_timeout.or(self.ddl_lock_timeout);
        self.echo = other.echo.or(self.echo);
        self.problems.extend(other.problems);
        self.refused.extend(other.refused);
        self
    }

    /// Whether the URL given for bind `key` (`None`: the default bind) was refused.
    pub(crate) fn refused(&self, key: Option<&str>) -> bool {
        self.refused.contains(&key.map(str::to_owned))
    }

    /// `Ok` if the configuration can be used: every URL parsed, every pool setting in
    /// range, and at least one database set. Otherwise every problem at once.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = self.value_problems();
        if self.database_uri.is_none() && self.binds.is_empty() && problems.is_empty() {
            problems.push(ConfigProblem::NoDatabase);
        }
        ConfigError::from_problems(problems)
    }

    /// Every problem of the values themselves. A configuration may still lack a
    /// database: it can be one layer of several (see [`Config::merge`]).
    fn value_problems(&self) -> Vec<ConfigProblem> {
        let mut problems = self.problems.clone();
        self.pool.check("pool.", &mut problems);
        for (key, bind) in &self.binds {
            let prefix = format!("binds.{key}.");
            bind.pool.check(&prefix, &mut problems);
            // A bind's own setting may clash with one it takes from `[pool]`.
            let mut combined = Vec::new();
            self.pool_for(Some(key)).check(&prefix, &mut combined);
            for problem in combined {
                if !problems.contains(&problem) {
                    problems.push(problem);
                }
            }
        }
        problems
    }

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
                    expected: "database_uri, sqlite_base_dir, record_queries, echo, ddl_lock_timeout, pool, binds",
                }),
            }
        }
        config.problems.extend(problems);
        ConfigError::from_problems(config.value_problems())?;
        Ok(config)
    }

    /// Reads `BINDERY_DATABASE_URI`, `BINDERY_BIND_<KEY>` (the bind `key`, lower-cased) and
    /// `BINDERY_SQLITE_BASE_DIR` from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_env_vars(std::env::vars_os())
    }

    /// As [`Config::from_env`], from the given variables.
    pub fn from_env_vars(
        vars: impl IntoIterator<Item = (impl Into<OsString>, impl Into<OsString>)>,
    ) -> Result<Config, ConfigError> {
        let mut config = Config::new();
        let mut problems = Vec::new();
        for (name, value) in vars {
            let (name, value) = (name.into(), value.into());
            let Some(name) = name.to_str().filter(|n| n.starts_with("BINDERY_")) else {
                continue;
            };
            let value = match value.into_string() {
                Ok(value) => value,
                Err(_) => {
                    problems.push(ConfigProblem::BadValue {
                        key: name.to_owned(),
                        reason: "is not valid UTF-8".into(),
                    });
                    continue;
                }
            };
            if name == "BINDERY_DATABASE_URI" {
                match DatabaseUrl::parse(&value) {
                    Ok(url) => config.database_uri = Some(url),
                    Err(error) => {
                        config.refused.insert(None);
                        problems.push(ConfigProblem::BadUrl {
                            key: name.to_owned(),
                            error,
                        });
                    }
                }
            } else if name == "BINDERY_SQLITE_BASE_DIR" {
                config.sqlite_base_dir = Some(PathBuf::from(value));
            } else if let Some(key) = name.strip_prefix("BINDERY_BIND_") {
                let key = key.to_ascii_lowercase();
                if let Err(problem) = check_bind_key(&key, name) {
                    problems.push(problem);
                    continue;
                }
                match DatabaseUrl::parse(&value) {
                    Ok(url) => {
                        config.binds.insert(
                            key,
                            BindConfig {
                                url,
                                pool: PoolOptions::default(),
                            },
                        );
                    }
                    Err(error) => {
                        config.refused.insert(Some(key));
                        problems.push(ConfigProblem::BadUrl {
                            key: name.to_owned(),
                            error,
                        });
                    }
                }
            } else if ["BINDERY_DATABASE", "BINDERY_BINDS", "BINDERY_SQLITE"]
                .iter()
                .any(|prefix| name.starts_with(prefix))
            {
                // A near miss (`BINDERY_DATABASE_URL`, `BINDERY_BINDS_AUTH`) would leave
                // its bind unconfigured, and a tool might fall back to something else:
                // name it instead.
                problems.push(ConfigProblem::UnknownKey {
                    key: name.to_owned(),
                    expected: "BINDERY_DATABASE_URI, BINDERY_BIND_<KEY>, BINDERY_SQLITE_BASE_DIR",
                });
            }
            // Other BINDERY_* variables belong to the tests and tools (BINDERY_TEST_…).
        }
        ConfigError::from_problems(problems)?;
        Ok(config)
    }
}

fn check_bind_key(key: &str, config_key: &str) -> Result<(), ConfigProblem> {
    if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigProblem::BadValue {
            key: config_key.to_owned(),
            reason: format!("{key:?} is not a bind key: it must be non-empty, without spaces"),
        });
    }
    Ok(())
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
            let pool = read_pool(table, &format!("{key}."), &["url"], problems);
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
                    "url, max_connections, min_connections, acquire_timeout, idle_timeout, max_lifetime, test_before_acquire, statement_timeout, lock_timeout"
                },
            }),
        }
    }
    pool
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
