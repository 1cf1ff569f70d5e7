//! `Db`: the engines of every bind, checked against the models when built.

use core::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::Role;
use crate::config::Config;
use crate::engine::{Engine, EngineError, driver_feature};
use crate::error::{BuildError, BuildProblem, Error};
use crate::record::{RecordedQuery, Recorder};
use crate::replica::{ReadCounters, ReplicaStatus, Replicas};
use crate::two_phase::{Coordinator, RecoveryReport};
use crate::{AsBindKey, BindKey, Dialect, Registry, TableInfo};

/// The databases of an application: one [`Engine`] per bind, the counterpart of
/// Flask-SQLAlchemy's `db` object. Cheap to clone; `Send + Sync`.
///
/// Built from a [`Config`], it first checks every model the program links against it and
/// fails with one error that lists every problem. Pools connect lazily: a database that
/// is down delays neither the build nor the other binds.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    /// The default bind first, then the named binds by key.
    engines: Vec<Engine>,
    /// The read replicas of each bind, at its engine's index (none for most binds).
    replicas: Vec<Replicas>,
    registry: RegistryRef,
    config: Config,
    recorder: Recorder,
    /// The runtime the `Db` was built in: sqlx's pools live there, and a session dropped
    /// outside it rolls back there.
    runtime: tokio::runtime::Handle,
    /// Set by [`Db::close`]: every later use fails with [`Error::Closed`].
    closed: std::sync::atomic::AtomicBool,
    /// Makes the ids of its two-phase transactions.
    coordinator: Coordinator,
}

/// The replica engines of bind `key`, as configured; one that cannot be made is a
/// problem of the bind's.
fn replicas_of(config: &Config, key: Option<&str>, problems: &mut Vec<BuildProblem>) -> Replicas {
    let mut engines = Vec::new();
    for (i, url) in config.replicas_for(key).iter().enumerate() {
        match Engine::new(
            key.map(str::to_owned),
            url.clone(),
            config.replica_tls(key, url),
            &config.pool_for(key),
            config.get_sqlite_base_dir(),
            Role::Replica(i),
        ) {
            Ok(engine) => engines.push(engine),
            Err(error) => problems.push(BuildProblem::Engine {
                bind: BindKey::from(key),
                reason: format!("replica {i}: {error}"),
            }),
        }
    }
    Replicas::new(engines)
}

enum RegistryRef {
    Program(&'static Registry),
    Own(Registry),
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("engines", &self.inner.engines)
            .finish_non_exhaustive()
    }
}

/// How one bind answered [`Db::ping`].
#[derive(Debug)]
pub struct Ping {
    /// The bind key (`None`: the default bind).
    pub bind: BindKey,
    /// The bind's dialect.
    pub dialect: Dialect,
    /// How long `SELECT 1` took, connection included, or why it failed.
    pub result: Result<Duration, Error>,
}

/// One line for logs and probes: the bind's plain name, its dialect and its health —
/// `auth (PostgreSQL): ok in 1.2 ms` or `auth (PostgreSQL): down: …`. Never the URL.
impl fmt::Display for Ping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): ",
            self.bind.name().key_or_default(),
            self.dialect
        )?;
        match &self.result {
            Ok(latency) => write!(f, "ok in {:.1} ms", latency.as_secs_f64() * 1000.0),
            Err(error) => write!(f, "down: {error}"),
        }
    }
}

impl Ping {
    /// Whether the bind answered.
    pub fn is_up(&self) -> bool {
        self.result.is_ok()
    }
}

impl Db {
    /// Builds the engines of `config` for the models linked into this program
    /// ([`bindery::registry()`](crate::registry())).
    ///
    /// Fails with [`Error::Build`] listing every problem: configuration errors, problems
    /// of the models themselves, binds that models use but the configuration lacks (with
    /// the models that use them), and columns a bind's dialect cannot handle. Must be
    /// called inside a tokio runtime.
    pub fn build(config: Config) -> Result<Db, Error> {
        Db::assemble(config, RegistryRef::Program(crate::registry()))
    }

    /// [`Db::build`], then [`Db::check_replicas`]: a `Db` whose replicas are all fit to
    /// serve reads, or one error that lists every problem. With two-phase commit on
    /// ([`Config::two_phase`]), also [`Db::check_two_phase`] and then [`Db::recover`],
    /// whose every action is logged (tracing target `bindery::two_phase`).
    pub async fn connect(config: Config) -> Result<Db, Error> {
        let db = Db::build(config)?;
        db.check_replicas().await?;
        if db.config().get_two_phase() {
            db.check_two_phase().await?;
            let report = db.recover().await?;
            for line in report.to_string().lines() {
                tracing::info!(target: "bindery::two_phase", "recovery: {line}");
            }
        }
        Ok(db)
    }

    /// As [`Db::build`], for the tables of `registry` instead of the whole program's.
    pub fn build_with_registry(config: Config, registry: Registry) -> Result<Db, Error> {
        Db::assemble(config, RegistryRef::Own(registry))
    }

    fn assemble(config: Config, registry: RegistryRef) -> Result<Db, Error> {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(Error::NoRuntime);
        };
        let tables = registry.get();
        let mut problems: Vec<BuildProblem> = match config.validate() {
            Ok(()) => Vec::new(),
            Err(error) => error.problems().iter().cloned().map(Into::into).collect(),
        };
        problems.extend(tables.problems().iter().cloned().map(BuildProblem::Model));
        // A crate named in `link!` that contributed nothing: the program would run without
        // its tables, every query on them failing later and far from the cause.
        if let Err(missing) = tables.check_linked() {
            problems.push(BuildProblem::MissingModels(missing));
        }

        let mut engines = Vec::new();
        let mut replicas = Vec::new();
        let configured = config
            .get_database_uri()
            .map(|url| (None, url))
            .into_iter()
            .chain(
                config
                    .binds()
                    .iter()
                    .map(|(k, b)| (Some(k.as_str()), &b.url)),
            );
        for (key, url) in configured {
            match Engine::new(
                key.map(str::to_owned),
                url.clone(),
                config.tls_for(key),
                &config.pool_for(key),
                config.get_sqlite_base_dir(),
                Role::Primary,
            ) {
                Ok(engine) => {
                    engines.push(engine);
                    replicas.push(replicas_of(&config, key, &mut problems));
                }
                Err(EngineError::DriverMissing(dialect)) => {
                    problems.push(BuildProblem::DriverMissing {
                        bind: BindKey::from(key),
                        dialect,
                        feature: driver_feature(dialect),
                    });
                }
                Err(error) => problems.push(BuildProblem::Engine {
                    bind: BindKey::from(key),
                    reason: error.to_string(),
                }),
            }
        }

        for bind in tables.binds() {
            let engine = engines.iter().find(|e| e.key() == bind.key());
            let configured = match bind.key() {
                None => config.get_database_uri().is_some(),
                Some(key) => config.binds().contains_key(key),
            };
            if !configured && !config.refused(bind.key()) {
                problems.push(BuildProblem::UnconfiguredBind {
                    bind: bind.key().into(),
                    models: bind.tables().iter().map(|t| t.rust_type).collect(),
                });
            }
            if let Some(engine) = engine {
                for table in bind.tables() {
                    let mut unindexable = Vec::new();
                    bindery_core::unindexable_columns(table, engine.dialect(), &mut unindexable);
                    problems.extend(unindexable.into_iter().map(BuildProblem::from));
                    let mut collations = Vec::new();
                    bindery_core::collation_problems(table, engine.dialect(), &mut collations);
                    problems.extend(collations.into_iter().map(BuildProblem::Model));
                }
            }
        }

        if !problems.is_empty() {
            return Err(BuildError { problems }.into());
        }
        let log = config.get_two_phase_log();
        let log_identity = engines
            .iter()
            .find(|e| e.key() == log)
            .map_or_else(String::new, |e| e.url().identity());
        let coordinator = Coordinator::new(config.get_two_phase_instance(), &log_identity);
        Ok(Db {
            inner: Arc::new(Inner {
                engines,
                replicas,
                registry,
                recorder: Recorder::new(config.get_record_queries(), config.get_echo()),
                config,
                runtime,
                closed: std::sync::atomic::AtomicBool::new(false),
                coordinator,
            }),
        })
    }

    /// The engine of bind `key` (`None`: the default bind).
    pub fn engine(&self, key: impl AsBindKey) -> Result<&Engine, Error> {
        self.resolve(key.as_bind_key()).map(|bind| bind.writer())
    }

    /// Every engine: the default bind's first, then the named binds by key.
    pub fn engines(&self) -> &[Engine] {
        &self.inner.engines
    }

    /// The engines of bind `key`'s read replicas (`None`: the default bind), in
    /// configured order. Their connections are read-only: the server refuses a write on
    /// them, whoever the user is (see [`Db::check_replicas`] for the user).
    pub fn replica_engines(&self, key: impl AsBindKey) -> Result<Vec<&Engine>, Error> {
        Ok(self
            .resolve(key.as_bind_key())?
            .replicas()
            .engines()
            .collect())
    }

    /// The replicas of each bind, at its engine's index.
    pub(crate) fn replica_sets(&self) -> &[Replicas] {
        &self.inner.replicas
    }

    /// Each read replica of bind `key` (`None`: the default bind): up or not, its lag
    /// measured now (a replica that does not answer is marked down), how many reads it
    /// served and why it last failed. Empty for a bind without replicas.
    pub async fn replica_status(&self, key: impl AsBindKey) -> Result<Vec<ReplicaStatus>, Error> {
        let bind = self.resolve(key.as_bind_key())?;
        Ok(bind.replicas().status(true).await)
    }

    /// Checks every bind's read replicas, all at once: each must be a replica
    /// (`pg_is_in_recovery()`, MariaDB's `@@read_only`), replicate that bind's primary
    /// where the server can tell (PostgreSQL's system identifier, MariaDB's
    /// `Master_Server_Id`), and be reached as a user that cannot write there (MariaDB:
    /// no SUPER, no READ_ONLY ADMIN). Call it at startup; [`Error::Build`] lists every
    /// problem ([`BuildProblem::Replica`]).
    pub async fn check_replicas(&self) -> Result<(), Error> {
        let mut problems = Vec::new();
        for (engine, replicas) in self.engines().iter().zip(self.replica_sets()) {
            for (role, reason) in replicas.problems(engine).await {
                problems.push(BuildProblem::Replica {
                    bind: BindKey::from(engine.key()),
                    role,
                    reason,
                });
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(BuildError { problems }.into())
    }

    /// Checks that every server bind can take part in a two-phase commit: PostgreSQL
    /// with `max_prepared_transactions` above 0, MariaDB or MySQL not on Galera (which
    /// refuses XA); and creates the decision log's table if it is missing.
    /// [`Error::Build`] lists every problem ([`BuildProblem::TwoPhase`]).
    pub async fn check_two_phase(&self) -> Result<(), Error> {
        let engines = self.preparing_engines();
        let problems: Vec<BuildProblem> =
            crate::two_phase::capability_problems(&engines, self.recorder())
                .await
                .into_iter()
                .map(|(bind, reason)| BuildProblem::TwoPhase { bind, reason })
                .collect();
        if !problems.is_empty() {
            return Err(BuildError { problems }.into());
        }
        let log = self.two_phase_log()?;
        crate::two_phase::ensure_log(self.coordinator(), log, self.recorder())
            .await
            .map_err(|fault| fault.into_error(log.key(), None, log.statement_timeout()))
    }

    /// Finishes the two-phase transactions left in doubt (by a crash, a lost server):
    /// on every primary, each branch bindery prepared is committed if its commit is in
    /// the decision log, rolled back if nobody decided it and its coordinator is gone
    /// (an earlier run of this instance, or older than five minutes), and otherwise left
    /// for later. Prepared transactions of other applications are never touched. Returns
    /// what it did with each; `Db::connect` runs it when two-phase commit is on.
    pub async fn recover(&self) -> Result<RecoveryReport, Error> {
        let log = self.two_phase_log()?;
        let engines = self.preparing_engines();
        crate::two_phase::recover(self.coordinator(), log, &engines, self.recorder()).await
    }

    /// The engines of the binds whose transactions can be prepared (the servers').
    fn preparing_engines(&self) -> Vec<&Engine> {
        self.engines()
            .iter()
            .filter(|e| e.dialect() != Dialect::Sqlite)
            .collect()
    }

    /// The engine of the bind that keeps the two-phase decision log.
    pub(crate) fn two_phase_log(&self) -> Result<&Engine, Error> {
        self.engine(self.config().get_two_phase_log())
    }

    pub(crate) fn coordinator(&self) -> &Coordinator {
        &self.inner.coordinator
    }

    /// What the reads of bind `key` did since the `Db` was built: how many each server
    /// served, how many waited for a causal token, how many fell back to the primary.
    pub fn read_counters(&self, key: impl AsBindKey) -> Result<ReadCounters, Error> {
        Ok(self.resolve(key.as_bind_key())?.replicas().counters())
    }

    /// The tables this `Db` manages.
    pub fn registry(&self) -> &Registry {
        self.inner.registry.get()
    }

    /// The configuration it was built from (URLs print masked).
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Asks every bind for `SELECT 1`, all at once, and reports each one's health and
    /// latency. One bind being down never delays the report of the others past their
    /// acquire timeout.
    pub async fn ping(&self) -> Vec<Ping> {
        let pings = self.engines().iter().map(|engine| async move {
            Ping {
                bind: engine.key().into(),
                dialect: engine.dialect(),
                result: engine.ping().await,
            }
        });
        futures_util::future::join_all(pings).await
    }

    /// Every statement recorded so far (with `record_queries` on), oldest first.
    pub fn recorded_queries(&self) -> Vec<RecordedQuery> {
        self.inner.recorder.snapshot()
    }

    /// Every statement recorded so far, forgetting them.
    pub fn take_recorded_queries(&self) -> Vec<RecordedQuery> {
        self.inner.recorder.take()
    }

    pub(crate) fn runtime(&self) -> &tokio::runtime::Handle {
        &self.inner.runtime
    }

    pub(crate) fn recorder(&self) -> &Recorder {
        &self.inner.recorder
    }

    /// Closes every pool, as SQLAlchemy's `engine.dispose()` does: idle connections are
    /// closed now, and every later use of this `Db`, its clones and its sessions fails
    /// with [`Error::Closed`]. It waits (at most each bind's statement timeout) for the
    /// connections coming back from dropped sessions and finishing statements, but never
    /// for a session still alive: a connection such a session holds is closed when the
    /// session ends (its transaction rolled back).
    pub async fn close(&self) {
        self.inner
            .closed
            .store(true, std::sync::atomic::Ordering::Release);
        let replicas = self.replica_sets().iter().flat_map(Replicas::engines);
        let engines = self.engines().iter().chain(replicas);
        futures_util::future::join_all(engines.map(Engine::close)).await;
    }

    /// Whether [`Db::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The tables of bind `key` (none if no model lives there).
    pub(crate) fn tables_of(&self, key: Option<&str>) -> &[&'static TableInfo] {
        self.registry().bind(key).map_or(&[], |b| b.tables())
    }
}

impl RegistryRef {
    fn get(&self) -> &Registry {
        match self {
            RegistryRef::Program(registry) => registry,
            RegistryRef::Own(registry) => registry,
        }
    }
}
