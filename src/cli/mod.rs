//! The command line an application embeds: one line in its own `main`, since only that
//! binary links all its models (name the crates that declare them in `bindery::link!`).
//!
//! ```no_run,standalone_crate
//! bindery::link!(accounts, shop, audit);
//!
//! fn main() -> std::process::ExitCode {
//!     bindery::cli::run()
//! }
//! ```
//!
//! An async `main` awaits [`run_async`]; [`run`] is safe there too (it runs the command
//! on a fresh runtime in a scoped thread). Each sync entry has an async twin named with
//! `_async`.
//!
//! ```text
//! app dump [--format text|json|mermaid|dot] [--bind KEY]…
//! app create-all [--bind KEY]… [--dry-run]
//! app drop-all [--bind KEY]… [--yes]
//! app check [--bind KEY]…
//! app binds
//! app recover
//! app migrate status [--bind KEY]… [--migrations DIR]
//! app migrate up [--to VERSION] [--bind KEY]…
//! app migrate down [--to VERSION] [--bind KEY]…
//! app migrate resolve VERSION --applied|--undone --bind KEY
//! app migrate new NAME [--bind KEY]…
//! ```
//!
//! Configuration comes from `--config FILE` (TOML), then the environment
//! (`BINDERY_DATABASE_URI`, `BINDERY_BIND_<KEY>`), then `--database-uri URL` and
//! `--bind KEY=URL`; later sources win. With none at all, every bind gets a SQLite file
//! under `./instance/` ([`Config::sqlite_per_bind`](crate::Config::sqlite_per_bind)); a
//! URL that was given and refused is an error, never a reason to fall back. `--bind KEY`
//! without `=URL` selects a bind instead; `--bind default` is the default bind. No error
//! repeats an argument that may be a URL (it may hold a password): it names the flag by
//! position.
//!
//! Exit status: 0 success; 1 drift found by `check`, a bind down for `binds` (the
//! others still listed as up), or a transaction `recover` left in doubt (or a bind it
//! could not list); 2 any error — among them a program that links no model
//! (`dump`, `create-all`, `drop-all` and `check` refuse to run, naming `bindery::link!`)
//! and a crate named in `bindery::link!` that contributed no model.

mod args;
mod commands;
mod migrate;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use self::args::{selection, split_binds, without_urls};
use self::commands::write_out;
use crate::{BindKey, Db, Registry};

#[derive(Debug, Parser)]
#[command(
    about = "The databases of this application: dump, create, drop, check, binds, migrate, recover"
)]
struct Cli {
    #[command(flatten)]
    shared: Shared,
    #[command(subcommand)]
    command: Command,
}

/// Flags every command takes, before or after its name. (Not clap's `global`: there a
/// `--bind` after the command would replace those before it instead of adding to them.)
#[derive(Debug, Clone, Default, clap::Args)]
struct Shared {
    /// A TOML configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The default bind's URL (Flask's SQLALCHEMY_DATABASE_URI).
    #[arg(long, value_name = "URL")]
    database_uri: Option<String>,
    /// KEY=URL configures a bind; KEY alone selects one (`default`: the default bind).
    #[arg(long = "bind", value_name = "KEY[=URL]")]
    binds: Vec<String>,
    /// The migrations folder: one subfolder per bind (default `migrations`).
    #[arg(long, value_name = "DIR")]
    migrations: Option<PathBuf>,
}

impl Shared {
    /// These flags, then `later`'s: later ones win, and `--bind` lists add up.
    fn and(mut self, later: &Shared) -> Shared {
        self.config = later.config.clone().or(self.config);
        self.database_uri = later.database_uri.clone().or(self.database_uri);
        self.binds.extend(later.binds.iter().cloned());
        self.migrations = later.migrations.clone().or(self.migrations);
        self
    }

    /// The migrations folder.
    fn migrations_dir(&self) -> PathBuf {
        self.migrations
            .clone()
            .unwrap_or_else(|| PathBuf::from("migrations"))
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the models of every bind.
    Dump {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        shared: Shared,
    },
    /// Create the missing tables.
    CreateAll {
        /// Print each bind's DDL in its dialect instead, runnable as it is.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        shared: Shared,
    },
    /// Drop the tables.
    DropAll {
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        shared: Shared,
    },
    /// Compare the live schema with the models; exit status 1 on drift.
    Check {
        #[command(flatten)]
        shared: Shared,
    },
    /// List the configured binds, their URLs (password masked), dialects and health.
    Binds {
        #[command(flatten)]
        shared: Shared,
    },
    /// Finish the two-phase transactions left in doubt; exit status 1 if any is left.
    ///
    /// On every bind, commits each prepared transaction of this application whose commit
    /// is logged, rolls back those nobody decided whose coordinator is gone, and leaves
    /// the others; prints a line for each. Exit status 1 when one is left prepared or a
    /// bind's prepared transactions cannot be listed.
    Recover {
        #[command(flatten)]
        shared: Shared,
    },
    /// Versioned migrations per bind: status, up, down, new.
    Migrate {
        #[command(subcommand)]
        action: migrate::Action,
    },
}

impl Command {
    fn shared(&self) -> &Shared {
        match self {
            Command::Dump { shared, .. }
            | Command::CreateAll { shared, .. }
            | Command::DropAll { shared, .. }
            | Command::Check { shared }
            | Command::Binds { shared }
            | Command::Recover { shared } => shared,
            Command::Migrate { action } => action.shared(),
        }
    }
}

/// A dump format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The aligned table.
    Text,
    /// JSON, in the shape of `examples/introspect`.
    Json,
    /// A Mermaid `erDiagram` per bind.
    Mermaid,
    /// A Graphviz graph, one cluster per bind, cross-bind references in red.
    Dot,
}

/// Parses the process arguments and runs the command; the exit status to return.
///
/// Safe to call anywhere, inside a tokio runtime too (from `#[tokio::main]`): there it
/// runs the command on a fresh runtime in a scoped thread and blocks the caller until it
/// ends, writing its output then. In an async `main`, prefer [`run_async`].
pub fn run() -> ExitCode {
    run_with(std::env::args_os(), &mut std::io::stdout().lock())
}

/// As [`run`], with the given arguments (the first is the program name) and output.
pub fn run_with<I, T>(args: I, out: &mut dyn Write) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_with_streams(args, out, &mut std::io::stderr().lock())
}

/// As [`run_with`], with the stream errors and notes go to (standard error for
/// [`run`]), so an embedding program or a test can read them.
pub fn run_with_streams<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    block_on(Models::Program, collect_args(args), out, err)
}

/// As [`run_with_streams`], for the tables of `registry` instead of the program's
/// ([`bindery::registry()`](crate::registry())): for a tool that picks its models, or a
/// test.
pub fn run_with_registry<I, T>(
    registry: &Registry,
    args: I,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    block_on(Models::Given(registry), collect_args(args), out, err)
}

/// The async [`run`], for a program whose `main` is async (`#[tokio::main]`, axum):
/// runs the command on the caller's runtime, which needs its I/O and time drivers
/// (`enable_all`, as `#[tokio::main]` does).
///
/// ```no_run
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     bindery::cli::run_async().await
/// }
/// ```
pub async fn run_async() -> ExitCode {
    let args = collect_args(std::env::args_os());
    execute(
        Models::Program,
        args,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    )
    .await
}

/// The async [`run_with_streams`]: the given arguments (the first is the program name),
/// output and error streams. The future is `Send`.
pub async fn run_with_streams_async<I, T>(
    args: I,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    execute(Models::Program, collect_args(args), out, err).await
}

/// The async [`run_with_registry`]. The future is `Send`.
pub async fn run_with_registry_async<I, T>(
    registry: &Registry,
    args: I,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    execute(Models::Given(registry), collect_args(args), out, err).await
}

/// Whose models a command works on.
#[derive(Clone, Copy)]
enum Models<'r> {
    /// The program's: [`crate::registry()`].
    Program,
    /// A registry the caller chose.
    Given(&'r Registry),
}

impl Models<'_> {
    fn registry(&self) -> &Registry {
        match self {
            Models::Program => crate::registry(),
            Models::Given(registry) => registry,
        }
    }
}

fn collect_args<I, T>(args: I) -> Vec<OsString>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    args.into_iter().map(Into::into).collect()
}

fn new_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Runs the command to its end from synchronous code. Outside a runtime, on a fresh one
/// here. Inside one, where blocking on another would panic ("Cannot start a runtime from
/// within a runtime"), on a fresh one in a scoped thread, into buffers copied to the
/// streams once it ends (the caller's streams need not be `Send`).
fn block_on(
    models: Models<'_>,
    args: Vec<OsString>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    if tokio::runtime::Handle::try_current().is_err() {
        return match new_runtime() {
            Ok(runtime) => runtime.block_on(execute(models, args, out, err)),
            Err(error) => no_runtime(err, &error),
        };
    }
    let (mut thread_out, mut thread_err) = (Vec::new(), Vec::new());
    let joined = std::thread::scope(|scope| {
        scope
            .spawn(|| match new_runtime() {
                Ok(runtime) => {
                    runtime.block_on(execute(models, args, &mut thread_out, &mut thread_err))
                }
                Err(error) => no_runtime(&mut thread_err, &error),
            })
            .join()
    });
    let _ = out.write_all(&thread_out).and_then(|()| out.flush());
    let _ = err.write_all(&thread_err);
    joined.unwrap_or_else(|_| {
        let _ = writeln!(err, "error: the command's thread panicked");
        ExitCode::from(2)
    })
}

fn no_runtime(err: &mut (impl Write + ?Sized), error: &std::io::Error) -> ExitCode {
    let _ = writeln!(err, "error: cannot start a runtime: {error}");
    ExitCode::from(2)
}

/// Parses the arguments and runs the command: the exit status, errors written to `err`.
async fn execute<O, E>(
    models: Models<'_>,
    args: Vec<OsString>,
    out: &mut O,
    err: &mut E,
) -> ExitCode
where
    O: Write + ?Sized,
    E: Write + ?Sized,
{
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => {
            if error.use_stderr() {
                let _ = write!(err, "{}", without_urls(&error.render().to_string(), &args));
                return ExitCode::from(2);
            }
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
    };
    match command(models, cli, out, err).await {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(err, "error: {message}");
            ExitCode::from(2)
        }
    }
}

/// The models of the selected binds (`None`: every bind), in the given format.
pub fn dump(registry: &Registry, binds: Option<&[BindKey]>, format: Format) -> String {
    let selected = select_tables(registry, binds);
    match format {
        Format::Text => selected.dump_text(),
        Format::Json => selected.dump_json(),
        Format::Mermaid => selected.dump_mermaid(),
        Format::Dot => selected.dump_dot(),
    }
}

fn select_tables(registry: &Registry, binds: Option<&[BindKey]>) -> Registry {
    Registry::from_tables(registry.tables().filter(|t| match binds {
        None => true,
        Some(keys) => keys.iter().any(|k| k.as_deref() == t.bind_key),
    }))
}

async fn command<O, E>(
    models: Models<'_>,
    cli: Cli,
    out: &mut O,
    err: &mut E,
) -> Result<ExitCode, String>
where
    O: Write + ?Sized,
    E: Write + ?Sized,
{
    let shared = cli.shared.clone().and(cli.command.shared());
    let (configured, selected) = split_binds(&shared.binds)?;
    let registry = models.registry();
    let autogenerate = matches!(
        cli.command,
        Command::Migrate {
            action: migrate::Action::New {
                autogenerate: true,
                ..
            }
        }
    );
    // Migrations are SQL files: they need no model, unless written from the models.
    // Nor do the binds and recovery.
    if autogenerate
        || !matches!(
            cli.command,
            Command::Binds { .. } | Command::Migrate { .. } | Command::Recover { .. }
        )
    {
        check_models(registry)?;
    }
    if matches!(cli.command, Command::Recover { .. }) && !selected.is_empty() {
        return Err(
            "recover works on every bind at once, as a two-phase transaction spans binds: \
             --bind KEY selects nothing here (--bind KEY=URL configures a bind)"
                .to_owned(),
        );
    }
    if let Command::Migrate {
        action: migrate::Action::New { name, .. },
    } = &cli.command
        && !autogenerate
    {
        return migrate::new(&shared.migrations_dir(), name, &selected, out);
    }
    if let Command::Dump { format, .. } = &cli.command {
        let binds = (!selected.is_empty()).then_some(selected.as_slice());
        write_out(out, &dump(registry, binds, *format))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut config = args::config(
        registry,
        shared.config.as_deref(),
        shared.database_uri.as_deref(),
        &configured,
        err,
    )?;
    if matches!(cli.command, Command::Migrate { .. }) {
        let migrator =
            crate::Migrator::from_dir(shared.migrations_dir()).map_err(|e| e.to_string())?;
        config = config.migrations(migrator);
    }
    let db = match models {
        Models::Program => Db::build(config),
        Models::Given(registry) => {
            Db::build_with_registry(config, Registry::from_tables(registry.tables()))
        }
    }
    .map_err(|e| e.to_string())?;
    let binds = selection(&selected);
    match cli.command {
        Command::Dump { .. } => Ok(ExitCode::SUCCESS),
        Command::CreateAll { dry_run, .. } => {
            migrate::create_all_warnings(&db, &shared.migrations_dir(), &binds, err);
            commands::create_all(&db, binds, dry_run, out).await
        }
        Command::DropAll { yes, .. } => commands::drop_all(&db, binds, yes, out).await,
        Command::Check { .. } => commands::check(&db, binds, out).await,
        Command::Binds { .. } => commands::binds(&db, out).await,
        Command::Recover { .. } => commands::recover(&db, out).await,
        Command::Migrate {
            action: migrate::Action::New { name, .. },
        } => migrate::autogenerate(&db, &shared.migrations_dir(), &name, binds, out).await,
        Command::Migrate { action } => migrate::run(&db, &action, binds, out, err).await,
    }
}

/// A schema command needs models: none at all, or none from a crate `bindery::link!`
/// names, is an error that says why and what to do, not an empty result.
fn check_models(registry: &Registry) -> Result<(), String> {
    if registry.is_empty() {
        return Err(
            "this program links no model, so there is nothing to dump, create, drop or check: \
             the models' crates are not linked into this binary. Name each crate that declares \
             models once, at the top level of the binary: `bindery::link!(accounts, shop);`"
                .to_owned(),
        );
    }
    registry
        .check_linked()
        .map_err(|missing| missing.to_string())
}
