//! The command line an application embeds: one line in its own `main`, since only that
//! binary links all its models.
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     bindery::cli::run()
//! }
//! ```
//!
//! ```text
//! app dump [--format text|json|mermaid|dot] [--bind KEY]…
//! app create-all [--bind KEY]… [--dry-run]
//! app drop-all [--bind KEY]… [--yes]
//! app check [--bind KEY]…
//! app binds
//! ```
//!
//! Configuration comes from `--config FILE` (TOML), then the environment
//! (`BINDERY_DATABASE_URI`, `BINDERY_BIND_<KEY>`), then `--database-uri URL` and
//! `--bind KEY=URL`; later sources win. With none at all, every bind gets a SQLite file
//! under `./instance/` (`default.db`, `<key>.db`); a URL that was given and refused is an
//! error, never a reason to fall back. `--bind KEY` without `=URL` selects a bind instead;
//! `--bind default` is the default bind. No error repeats an argument that may be a URL
//! (it may hold a password): it names the flag by position. Exit status: 0 success, 1
//! drift found by `check`, 2 any error.

mod args;
mod commands;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use self::args::{selection, split_binds, without_urls};
use self::commands::write_out;
use crate::{BindKey, Db, Registry};

#[derive(Debug, Parser)]
#[command(about = "The databases of this application: dump, create, drop, check, binds")]
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
}

impl Shared {
    /// These flags, then `later`'s: later ones win, and `--bind` lists add up.
    fn and(mut self, later: &Shared) -> Shared {
        self.config = later.config.clone().or(self.config);
        self.database_uri = later.database_uri.clone().or(self.database_uri);
        self.binds.extend(later.binds.iter().cloned());
        self
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
}

impl Command {
    fn shared(&self) -> &Shared {
        match self {
            Command::Dump { shared, .. }
            | Command::CreateAll { shared, .. }
            | Command::DropAll { shared, .. }
            | Command::Check { shared }
            | Command::Binds { shared } => shared,
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
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
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
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = writeln!(err, "error: cannot start a runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(execute(cli, out, err)) {
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

async fn execute(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<ExitCode, String> {
    let shared = cli.shared.clone().and(cli.command.shared());
    let (configured, selected) = split_binds(&shared.binds)?;
    if let Command::Dump { format, .. } = &cli.command {
        let binds = (!selected.is_empty()).then_some(selected.as_slice());
        write_out(out, &dump(crate::registry(), binds, *format))?;
        return Ok(ExitCode::SUCCESS);
    }
    let config = args::config(
        shared.config.as_deref(),
        shared.database_uri.as_deref(),
        &configured,
        err,
    )?;
    let db = Db::build(config).map_err(|e| e.to_string())?;
    let binds = selection(&selected);
    match cli.command {
        Command::Dump { .. } => Ok(ExitCode::SUCCESS),
        Command::CreateAll { dry_run, .. } => commands::create_all(&db, binds, dry_run, out).await,
        Command::DropAll { yes, .. } => commands::drop_all(&db, binds, yes, out).await,
        Command::Check { .. } => commands::check(&db, binds, out).await,
        Command::Binds { .. } => commands::binds(&db, out).await,
    }
}
