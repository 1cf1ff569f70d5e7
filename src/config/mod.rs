//! Where each bind's database is: Flask's `SQLALCHEMY_DATABASE_URI` and
//! `SQLALCHEMY_BINDS`, from code (here), a TOML file (`toml.rs`) or the environment
//! (`env.rs`); pool settings and their defaults are in `pool.rs`.

mod env;
mod pool;
mod tls;
mod toml;
mod two_phase;

use core::fmt;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::AsBindKey;
use crate::error::{ConfigError, ConfigProblem};
use crate::migrations::Migrator;
use crate::url::DatabaseUrl;

pub use pool::{
    DEFAULT_CAUSAL_WAIT, DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT, PING_AFTER_IDLE,
    PoolOptions,
};
pub use tls::{TlsMode, TlsOptions};
#[cfg(test)]
pub(crate) use two_phase::MAX_INSTANCE_LEN;

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
    migrations: Option<Migrator>,
    /// TLS settings by bind (`None`: the default bind), over those of the bind's URL.
    tls: BTreeMap<Option<String>, TlsOptions>,
    /// Read replicas by bind (`None`: the default bind), in the order given.
    replicas: BTreeMap<Option<String>, Vec<DatabaseUrl>>,
    /// How long a read on a replica waits for a causal token before reading the primary.
    causal_wait: Option<Duration>,
    /// Whether sessions commit across binds in two phases (see `two_phase.rs`).
    two_phase: Option<bool>,
    /// The bind that keeps the decision log (`Some(None)`: the default bind, as unset).
    two_phase_log: Option<Option<String>>,
    /// The name of this application instance in the transaction ids it makes.
    two_phase_instance: Option<String>,
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
            .field("migrations", &self.migrations)
            // Modes and paths only: bindery never holds key material.
            .field("tls", &self.tls)
            .field("replicas", &self.replicas)
            .field("causal_wait", &self.causal_wait)
            .field("two_phase", &self.two_phase)
            .field("two_phase_log", &self.two_phase_log)
            .field("two_phase_instance", &self.two_phase_instance)
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

    /// One SQLite file per bind in the folder `dir` (created when `Db` is built): the
    /// default bind in `default.db`, the bind `auth` in `auth.db`. This is what the
    /// command line uses when given no configuration at all, with `dir` = `instance`
    /// (Flask's instance folder) and `binds` = the binds of the registry.
    ///
    /// In a file name every character of the key other than an ASCII letter, digit or
    /// `-` becomes `_`; should two binds then share a name (`a.b` and `a_b`, or a bind
    /// keyed `default`), the later one in key order gets `-2`, `-3`, ….
    ///
    /// ```
    /// use bindery::Config;
    ///
    /// let config = Config::sqlite_per_bind("instance", [None, Some("auth"), Some("a/b")]);
    /// assert_eq!(config.get_database_uri().unwrap().to_string(), "sqlite:///default.db");
    /// assert_eq!(config.binds()["auth"].url.to_string(), "sqlite:///auth.db");
    /// assert_eq!(config.binds()["a/b"].url.to_string(), "sqlite:///a_b.db");
    /// assert_eq!(config.get_sqlite_base_dir(), std::path::Path::new("instance"));
    /// config.validate()?;
    /// # Ok::<(), bindery::ConfigError>(())
    /// ```
    pub fn sqlite_per_bind<K: AsBindKey>(
        dir: impl Into<PathBuf>,
        binds: impl IntoIterator<Item = K>,
    ) -> Config {
        let mut keys: Vec<Option<String>> = binds
            .into_iter()
            .map(|k| k.as_bind_key().map(str::to_owned))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let mut taken = BTreeSet::new();
        let mut config = Config::new().sqlite_base_dir(dir);
        for key in keys {
            let stem: String = key.as_deref().map_or_else(
                || "default".to_owned(),
                |key| {
                    key.chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() || c == '-' {
                                c
                            } else {
                                '_'
                            }
                        })
                        .collect()
                },
            );
            let mut file = stem.clone();
            let mut n = 1;
            while !taken.insert(file.clone()) {
                n += 1;
                file = format!("{stem}-{n}");
            }
            let url = format!("sqlite:///{file}.db");
            config = match key {
                None => config.database_uri(&url),
                Some(key) => config.bind(&key, &url),
            };
        }
        config
    }

    /// Sets the default bind's URL (Flask's `SQLALCHEMY_DATABASE_URI`).
    pub fn database_uri(mut self, url: &str) -> Config {
        self.set_database_uri(url, "database_uri");
        self
    }

    /// Adds (or replaces) the bind `key` (an entry of Flask's `SQLALCHEMY_BINDS`).
    pub fn bind(self, key: &str, url: &str) -> Config {
        self.bind_with(key, url, PoolOptions::default())
    }

    /// Adds (or replaces) the bind `key` with pool settings of its own.
    pub fn bind_with(mut self, key: &str, url: &str, pool: PoolOptions) -> Config {
        self.set_bind(key, url, pool, &format!("binds.{key}"));
        self
    }

    /// TLS settings for the bind `key` (`None`: the default bind), over those its URL's
    /// query gives (`sslmode`, `sslrootcert`, … / `ssl-mode`, `ssl-ca`, …).
    ///
    /// ```
    /// use bindery::{Config, TlsMode, TlsOptions};
    ///
    /// let config = Config::new()
    ///     .bind("shop", "mysql://app@db.internal/shop?ssl-ca=/etc/ssl/db-ca.crt")
    ///     .tls(Some("shop"), TlsOptions { mode: Some(TlsMode::VerifyFull), ..TlsOptions::default() });
    /// assert_eq!(config.tls_for(Some("shop")).to_string(), "verify-full ca=/etc/ssl/db-ca.crt");
    /// ```
    pub fn tls<K: AsBindKey>(mut self, key: K, tls: TlsOptions) -> Config {
        self.tls.insert(key.as_bind_key().map(str::to_owned), tls);
        self
    }

    /// The TLS settings in force for bind `key` (`None`: the default bind): the URL's,
    /// with the configuration's over them.
    pub fn tls_for<K: AsBindKey>(&self, key: K) -> TlsOptions {
        let key = key.as_bind_key();
        let url = match key {
            None => self.database_uri.as_ref(),
            Some(key) => self.binds.get(key).map(|bind| &bind.url),
        };
        let from_url = url.map(TlsOptions::from_url).unwrap_or_default();
        match self.tls.get(&key.map(str::to_owned)) {
            Some(tls) => from_url.or_over(tls),
            None => from_url,
        }
    }

    /// Read replicas of bind `key` (`None`: the default bind), replacing any given
    /// before. Each URL names a server that replicates the bind's primary, reached as a
    /// user that cannot write there; [`Db::check_replicas`](crate::Db::check_replicas)
    /// checks both. Reads outside a transaction that wrote go to a replica (see the
    /// README, "Read replicas"); a bad URL is a problem named `binds.<key>.replicas`
    /// (`database_replicas` for the default bind) at [`Config::validate`].
    ///
    /// ```
    /// use bindery::Config;
    ///
    /// let config = Config::new()
    ///     .bind("auth", "postgres://app:secret@10.0.0.1/auth")
    ///     .replicas(Some("auth"), ["postgres://reader:secret@10.0.0.2/auth"]);
    /// assert_eq!(config.replicas_for(Some("auth")).len(), 1);
    /// assert!(!format!("{config:?}").contains("secret"));
    /// config.validate()?;
    /// # Ok::<(), bindery::ConfigError>(())
    /// ```
    pub fn replicas<K: AsBindKey, U: AsRef<str>>(
        mut self,
        key: K,
        urls: impl IntoIterator<Item = U>,
    ) -> Config {
        let key = key.as_bind_key().map(str::to_owned);
        let config_key = replicas_key(key.as_deref());
        self.set_replicas(key, urls, &config_key);
        self
    }

    /// The read replicas of bind `key` (`None`: the default bind).
    pub fn replicas_for<K: AsBindKey>(&self, key: K) -> &[DatabaseUrl] {
        self.replicas
            .get(&key.as_bind_key().map(str::to_owned))
            .map_or(&[], Vec::as_slice)
    }

    /// How long a read on a replica waits for the replica to replay what its causal
    /// token asks (the session's own commits, or a token it was given) before it reads
    /// the primary instead; [`DEFAULT_CAUSAL_WAIT`] unless set.
    pub fn causal_wait(mut self, wait: Duration) -> Config {
        self.causal_wait = Some(wait);
        self
    }

    /// The causal wait in force (see [`Config::causal_wait`]).
    pub fn get_causal_wait(&self) -> Duration {
        self.causal_wait.unwrap_or(DEFAULT_CAUSAL_WAIT)
    }

    /// The TLS settings in force for replica `url` of bind `key`: the replica URL's, with
    /// the configuration's for the bind over them.
    pub(crate) fn replica_tls(&self, key: Option<&str>, url: &DatabaseUrl) -> TlsOptions {
        let from_url = TlsOptions::from_url(url);
        match self.tls.get(&key.map(str::to_owned)) {
            Some(tls) => from_url.or_over(tls),
            None => from_url,
        }
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

    /// The versioned migrations `Db::migrate` runs: embedded with
    /// [`bindery::migrations!`](crate::migrations!) or read with
    /// [`Migrator::from_dir`]. Without them, `Db::migrate` reads the folder
    /// `migrations/` of the working directory when it runs.
    pub fn migrations(mut self, migrations: Migrator) -> Config {
        self.migrations = Some(migrations);
        self
    }

    /// The migrations set with [`Config::migrations`].
    pub fn get_migrations(&self) -> Option<&Migrator> {
        self.migrations.as_ref()
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
    pub fn pool_for(&self, bind: impl AsBindKey) -> PoolOptions {
        match bind.as_bind_key().and_then(|key| self.binds.get(key)) {
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
        self.migrations = other.migrations.or(self.migrations);
        self.echo = other.echo.or(self.echo);
        self.replicas.extend(other.replicas);
        self.causal_wait = other.causal_wait.or(self.causal_wait);
        self.two_phase = other.two_phase.or(self.two_phase);
        self.two_phase_log = other.two_phase_log.or(self.two_phase_log);
        self.two_phase_instance = other.two_phase_instance.or(self.two_phase_instance);
        for (key, tls) in other.tls {
            let mine = self.tls.remove(&key).unwrap_or_default();
            self.tls.insert(key, mine.or_over(&tls));
        }
        self.problems.extend(other.problems);
        self.refused.extend(other.refused);
        self
    }

    /// Sets the default bind's URL; a refused one is a problem named `config_key` (the
    /// key of whatever source gave it: `database_uri`, `BINDERY_DATABASE_URI`).
    fn set_database_uri(&mut self, url: &str, config_key: &str) {
        if let Some(url) = self.parse_url(None, url, config_key) {
            self.database_uri = Some(url);
        }
    }

    /// Adds (or replaces) the bind `key`; a bad key or a refused URL is a problem named
    /// `config_key` (`binds.<key>`, `BINDERY_BIND_<KEY>`).
    fn set_bind(&mut self, key: &str, url: &str, pool: PoolOptions, config_key: &str) {
        if let Err(problem) = check_bind_key(key, config_key) {
            self.problems.push(problem);
            return;
        }
        if let Some(url) = self.parse_url(Some(key), url, config_key) {
            self.binds.insert(key.to_owned(), BindConfig { url, pool });
        }
    }

    /// Sets the replicas of bind `key`; each refused URL is a problem named `config_key`.
    fn set_replicas<U: AsRef<str>>(
        &mut self,
        key: Option<String>,
        urls: impl IntoIterator<Item = U>,
        config_key: &str,
    ) {
        let mut parsed = Vec::new();
        for url in urls {
            match DatabaseUrl::parse(url.as_ref()) {
                Ok(url) => parsed.push(url),
                Err(error) => self.problems.push(ConfigProblem::BadUrl {
                    key: config_key.to_owned(),
                    error,
                }),
            }
        }
        self.replicas.insert(key, parsed);
    }

    /// `url` parsed; or `None`, its problem kept under `config_key` and the bind `key`
    /// (`None`: the default bind) marked refused, so that it is reported once, by this
    /// problem, not again as missing.
    fn parse_url(&mut self, key: Option<&str>, url: &str, config_key: &str) -> Option<DatabaseUrl> {
        match DatabaseUrl::parse(url) {
            Ok(url) => Some(url),
            Err(error) => {
                self.refused.insert(key.map(str::to_owned));
                self.problems.push(ConfigProblem::BadUrl {
                    key: config_key.to_owned(),
                    error,
                });
                None
            }
        }
    }

    /// Whether the URL given for bind `key` (`None`: the default bind) was refused.
    pub(crate) fn refused(&self, key: Option<&str>) -> bool {
        self.refused.contains(&key.map(str::to_owned))
    }

    /// `Ok` if the configuration can be used: every URL parsed, every pool setting in
    /// range, and at least one database set. Otherwise every problem at once.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = self.value_problems();
        self.tls_problems(&mut problems);
        self.replica_problems(&mut problems);
        self.two_phase_problems(&mut problems);
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
            self.pool_for(key).check(&prefix, &mut combined);
            for problem in combined {
                if !problems.contains(&problem) {
                    problems.push(problem);
                }
            }
        }
        problems
    }
}

impl Config {
    /// The TLS problems of every bind (unreadable files, TLS without the `tls` feature),
    /// and TLS settings for a bind that is not configured. Files are opened: this runs at
    /// `Db::build`, not for each layer of a configuration.
    fn tls_problems(&self, problems: &mut Vec<ConfigProblem>) {
        let tls_key = |key: Option<&str>| match key {
            None => "database_tls".to_owned(),
            Some(key) => format!("binds.{key}.tls"),
        };
        let url_key = |key: Option<&str>| match key {
            None => "database_uri".to_owned(),
            Some(key) => format!("binds.{key}"),
        };
        let configured = self
            .database_uri
            .as_ref()
            .map(|url| (None, url))
            .into_iter()
            .chain(self.binds.iter().map(|(k, b)| (Some(k.as_str()), &b.url)));
        for (key, url) in configured {
            let configured = self.tls.get(&key.map(str::to_owned));
            let keys = (tls_key(key), url_key(key));
            self.tls_for(key)
                .check(configured, url.dialect(), (&keys.0, &keys.1), problems);
        }
        for key in self.tls.keys() {
            let key = key.as_deref();
            let configured = match key {
                None => self.database_uri.is_some(),
                Some(key) => self.binds.contains_key(key),
            };
            if !configured && !self.refused(key) {
                problems.push(ConfigProblem::BadValue {
                    key: tls_key(key),
                    reason: "sets TLS for a bind that has no URL".into(),
                });
            }
        }
    }
}

impl Config {
    /// Replicas of a bind that has no URL, of another dialect than their primary, or of
    /// SQLite (a file has no replicas).
    fn replica_problems(&self, problems: &mut Vec<ConfigProblem>) {
        for (key, urls) in &self.replicas {
            let config_key = replicas_key(key.as_deref());
            let primary = match key {
                None => self.database_uri.as_ref(),
                Some(key) => self.binds.get(key).map(|bind| &bind.url),
            };
            let Some(primary) = primary else {
                if !self.refused(key.as_deref()) && !urls.is_empty() {
                    problems.push(ConfigProblem::BadValue {
                        key: config_key,
                        reason: "sets replicas for a bind that has no URL".into(),
                    });
                }
                continue;
            };
            for url in urls {
                let reason = if url.dialect() != primary.dialect() {
                    format!(
                        "a {} replica of a {} bind: a replica speaks its primary's dialect",
                        url.dialect(),
                        primary.dialect()
                    )
                } else if url.dialect() == crate::Dialect::Sqlite {
                    "SQLite has no replicas: a file is one database".into()
                } else {
                    continue;
                };
                problems.push(ConfigProblem::BadValue {
                    key: config_key.clone(),
                    reason,
                });
            }
        }
    }
}

/// The configuration key of bind `key`'s replicas, as the TOML file spells it.
fn replicas_key(key: Option<&str>) -> String {
    match key {
        None => "database_replicas".to_owned(),
        Some(key) => format!("binds.{key}.replicas"),
    }
}

/// `Ok` if `key` can name a bind; otherwise the problem, named `config_key`.
fn check_bind_key(key: &str, config_key: &str) -> Result<(), ConfigProblem> {
    if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigProblem::BadValue {
            key: config_key.to_owned(),
            reason: format!("{key:?} is not a bind key: it must be non-empty, without spaces"),
        });
    }
    Ok(())
}
