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

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{BufRead as _, IsTerminal as _, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::{Binds, Config, Db, Registry, TableInfo, creation_order};

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
pub fn dump(registry: &Registry, binds: Option<&[Option<String>]>, format: Format) -> String {
    let selected = select_tables(registry, binds);
    match format {
        Format::Text => selected.dump_text(),
        Format::Json => selected.dump_json(),
        Format::Mermaid => selected.dump_mermaid(),
        Format::Dot => selected.dump_dot(),
    }
}

fn select_tables(registry: &Registry, binds: Option<&[Option<String>]>) -> Registry {
    Registry::from_tables(registry.tables().filter(|t| match binds {
        None => true,
        Some(keys) => keys.iter().any(|k| k.as_deref() == t.bind_key),
    }))
}

/// clap's error message with every argument that may be a URL (it holds `://` or `@`,
/// so perhaps a password) replaced by its position: clap quotes the arguments it
/// rejects.
fn without_urls(message: &str, args: &[OsString]) -> String {
    let mut message = message.to_owned();
    for (position, arg) in args.iter().enumerate().skip(1) {
        let arg = arg.to_string_lossy();
        if arg.contains("://") || arg.contains('@') {
            message = message.replace(arg.as_ref(), &format!("<argument {position}>"));
        }
    }
    message
}

/// Whether a bind key given on the command line is in fact (part of) a URL.
fn looks_like_url(key: &str) -> bool {
    key.contains(':') || key.contains('/') || key.contains('@')
}

/// The `--bind` flags, split: `(key, URL)` pairs that configure, keys that select.
type SplitBinds = (Vec<(String, String)>, Vec<Option<String>>);

/// `KEY=URL` flags configure, `KEY` flags select. A flag that looks like a URL without
/// its `KEY=` is an error that names the flag by position, never repeats it: it may hold
/// a password.
fn split_binds(flags: &[String]) -> Result<SplitBinds, String> {
    let mut configured = Vec::new();
    let mut selected = Vec::new();
    for (index, flag) in flags.iter().enumerate() {
        let position = index + 1;
        let key = flag.split_once('=').map_or(flag.as_str(), |(key, _)| key);
        if looks_like_url(key) {
            return Err(format!(
                "--bind #{position} looks like a URL without its bind key: write --bind KEY=URL (or --database-uri URL for the default bind); the argument is not repeated here, as it may hold a password"
            ));
        }
        match flag.split_once('=') {
            Some((key, url)) => configured.push((key.to_owned(), url.to_owned())),
            None if flag == "default" => selected.push(None),
            None => selected.push(Some(flag.clone())),
        }
    }
    Ok((configured, selected))
}

/// File, then environment, then flags; SQLite files under `./instance/` when none says
/// anything. A URL that was given and refused is an error, never a reason to fall back.
fn config(
    shared: &Shared,
    configured: &[(String, String)],
    err: &mut dyn Write,
) -> Result<Config, String> {
    let mut config = Config::new();
    if let Some(path) = &shared.config {
        config = config.merge(Config::from_toml_file(path).map_err(|e| e.to_string())?);
    }
    config = config.merge(Config::from_env().map_err(|e| e.to_string())?);
    let mut flags = Config::new();
    if let Some(url) = &shared.database_uri {
        flags = flags.database_uri(url);
    }
    for (key, url) in configured {
        flags = flags.bind(key, url);
    }
    config = config.merge(flags);
    // Only a configuration that says nothing at all falls back; one whose every URL was
    // refused (a typo such as `postgress://`) fails here, naming each bind and why.
    let says_nothing = match config.validate() {
        Ok(()) => false,
        Err(error) => {
            if !matches!(error.problems(), [crate::ConfigProblem::NoDatabase]) {
                return Err(error.to_string());
            }
            true
        }
    };
    if says_nothing {
        let _ = writeln!(
            err,
            "note: no configuration given: using SQLite files under ./instance/"
        );
        config = Config::new();
        for bind in crate::registry().binds() {
            config = match bind.key() {
                None => config.database_uri("sqlite:///instance/default.db"),
                Some(key) => {
                    let file: String = key
                        .chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() || c == '-' {
                                c
                            } else {
                                '_'
                            }
                        })
                        .collect();
                    config.bind(key, &format!("sqlite:///instance/{file}.db"))
                }
            };
        }
    }
    Ok(config)
}

fn selection(selected: &[Option<String>]) -> Binds {
    if selected.is_empty() {
        Binds::All
    } else {
        Binds::Only(selected.to_vec())
    }
}

async fn execute(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<ExitCode, String> {
    let shared = cli.shared.clone().and(cli.command.shared());
    let (configured, selected) = split_binds(&shared.binds)?;
    if let Command::Dump { format, .. } = &cli.command {
        let binds = (!selected.is_empty()).then_some(selected.as_slice());
        write_out(out, &dump(crate::registry(), binds, *format))?;
        return Ok(ExitCode::SUCCESS);
    }
    let db = Db::build(config(&shared, &configured, err)?).map_err(|e| e.to_string())?;
    let binds = selection(&selected);
    match cli.command {
        Command::Dump { .. } => Ok(ExitCode::SUCCESS),
        Command::CreateAll { dry_run: true, .. } => {
            write_out(out, &dry_run(&db, &binds)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::CreateAll { dry_run: false, .. } => {
            let progress = progress_bar("creating tables");
            let report = db.create_all(binds).await;
            progress.finish_and_clear();
            let report = report.map_err(|e| e.to_string())?;
            write_out(out, &format!("{report}\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::DropAll { yes, .. } => {
            if !yes && !confirm(&binds)? {
                write_out(out, "nothing dropped\n")?;
                return Ok(ExitCode::SUCCESS);
            }
            let progress = progress_bar("dropping tables");
            let report = db.drop_all(binds).await;
            progress.finish_and_clear();
            let report = report.map_err(|e| e.to_string())?;
            write_out(out, &format!("{report}\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { .. } => {
            let report = db.check(binds).await.map_err(|e| e.to_string())?;
            write_out(out, &format!("{report}\n"))?;
            Ok(if report.is_clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Binds { .. } => {
            let mut text = String::new();
            for ping in db.ping().await {
                let engine = db.engine(ping.bind.as_deref()).map_err(|e| e.to_string())?;
                let health = match &ping.result {
                    Ok(latency) => format!("ok in {:.1} ms", latency.as_secs_f64() * 1000.0),
                    Err(error) => format!("down: {error}"),
                };
                let _ = writeln!(
                    text,
                    "{:<20} {:<10} {}  {health}",
                    engine.bind().to_string(),
                    ping.dialect.to_string(),
                    engine.url()
                );
            }
            write_out(out, &text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn write_out(out: &mut dyn Write, text: &str) -> Result<(), String> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write the output: {e}"))
}

/// A spinner on a terminal; nothing when the output is piped.
fn progress_bar(message: &'static str) -> indicatif::ProgressBar {
    if std::io::stdout().is_terminal() && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner().with_message(message);
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// Asks on the terminal; refuses when there is none to ask on.
fn confirm(binds: &Binds) -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err(
            "drop-all drops tables and data: pass --yes to do it without a terminal to confirm on"
                .into(),
        );
    }
    let what = match binds {
        Binds::All => "every bind".to_owned(),
        Binds::Only(keys) => keys
            .iter()
            .map(|k| crate::BindName(k.as_deref()).to_string())
            .collect::<Vec<_>>()
            .join(", "),
    };
    eprint!("Drop every table of {what}, with its data? [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| e.to_string())?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Each selected bind's DDL in its dialect, runnable as it is: in one transaction where
/// the dialect has transactional DDL.
fn dry_run(db: &Db, binds: &Binds) -> Result<String, String> {
    let keys: Vec<Option<String>> = match binds {
        Binds::All => db
            .engines()
            .iter()
            .map(|e| e.key().map(str::to_owned))
            .collect(),
        Binds::Only(keys) => keys.clone(),
    };
    let mut out = String::new();
    for key in keys {
        let engine = db.engine(key.as_deref()).map_err(|e| e.to_string())?;
        let dialect = engine.dialect();
        let tables: Vec<&TableInfo> = db
            .registry()
            .bind(key.as_deref())
            .map_or_else(Vec::new, |b| b.tables().to_vec());
        let _ = writeln!(out, "-- {} ({dialect}): {}", engine.bind(), engine.url());
        if dialect.transactional_ddl() {
            out.push_str("BEGIN;\n");
        }
        for table in creation_order(&tables) {
            for statement in dialect.create_statements(table) {
                let _ = writeln!(out, "{statement};");
            }
        }
        if dialect.transactional_ddl() {
            out.push_str("COMMIT;\n");
        }
    }
    Ok(out)
}
