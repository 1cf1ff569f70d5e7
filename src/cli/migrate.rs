//! `migrate status|up|down|new`: the versioned migrations of each bind, from the folder
//! `--migrations DIR` (default `migrations/`, one subfolder per bind, `default/` for
//! the default bind).

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::commands::write_out;
use crate::{BindKey, Binds, Db, Error, Resolution, bind_folder, parse_migration_file_name};

/// What `migrate` does.
#[derive(Debug, clap::Subcommand)]
pub(super) enum Action {
    /// Every migration of each bind and where it stands (applied, pending, edited, dirty).
    Status {
        #[command(flatten)]
        shared: super::Shared,
    },
    /// Apply the pending migrations (up to version `--to`, on one bind).
    Up {
        /// The version to stop at (needs one `--bind`: versions are per bind).
        #[arg(long, value_name = "VERSION")]
        to: Option<u64>,
        #[command(flatten)]
        shared: super::Shared,
    },
    /// Revert the newest applied migration of each bind (or all above `--to`).
    Down {
        /// Revert every applied migration above this version (0: all of them).
        #[arg(long, value_name = "VERSION")]
        to: Option<u64>,
        #[command(flatten)]
        shared: super::Shared,
    },
    /// Mark a dirty migration (stopped part-way on MySQL) resolved by hand, on one bind.
    Resolve {
        /// The dirty migration's version.
        version: u64,
        /// Its script was finished by hand: it counts as applied.
        #[arg(long, conflicts_with = "undone", required_unless_present = "undone")]
        applied: bool,
        /// What its script did was undone by hand: it counts as not applied.
        #[arg(long)]
        undone: bool,
        #[command(flatten)]
        shared: super::Shared,
    },
    /// Write an empty up and down script with the next version, in each selected bind's
    /// folder (the default bind's without `--bind`); with `--autogenerate`, the scripts
    /// that close each selected bind's drift (every bind's without `--bind`), for the
    /// binds that drift.
    New {
        /// The migration's name: letters, digits and `_`.
        name: String,
        /// Write the statements that make each bind's live schema match its models, and
        /// undo them, from the drift `check` reports (Alembic's `--autogenerate`).
        #[arg(long)]
        autogenerate: bool,
        #[command(flatten)]
        shared: super::Shared,
    },
}

impl Action {
    pub(super) fn shared(&self) -> &super::Shared {
        match self {
            Action::Status { shared }
            | Action::Up { shared, .. }
            | Action::Down { shared, .. }
            | Action::Resolve { shared, .. }
            | Action::New { shared, .. } => shared,
        }
    }
}

/// Runs `status`, `up` or `down` on `db`, whose configuration holds the migrations.
pub(super) async fn run(
    db: &Db,
    action: &Action,
    binds: Binds,
    out: &mut (impl Write + ?Sized),
    err: &mut (impl Write + ?Sized),
) -> Result<ExitCode, String> {
    unknown_folder_warnings(db, err);
    let report = match *action {
        Action::Status { .. } => {
            let status = db
                .migrations_status(binds)
                .await
                .map_err(|e| e.to_string())?;
            write_out(out, &format!("{status}\n"))?;
            return Ok(ExitCode::SUCCESS);
        }
        Action::Up { to: None, .. } => db.migrate(binds).await,
        Action::Up {
            to: Some(version), ..
        } => db.migrate_to(one_bind(&binds, "--to")?, version).await,
        Action::Resolve {
            version, applied, ..
        } => {
            let resolution = if applied {
                Resolution::Applied
            } else {
                Resolution::Undone
            };
            let bind = one_bind(&binds, "resolve")?;
            db.resolve_migration(bind, version, resolution)
                .await
                .map_err(|e| e.to_string())?;
            write_out(out, &format!("{bind}: migration {version} resolved\n"))?;
            return Ok(ExitCode::SUCCESS);
        }
        Action::Down { to, .. } => db.migrate_down(binds, to).await,
        Action::New { .. } => return Ok(ExitCode::SUCCESS),
    };
    match report {
        Ok(report) => {
            write_out(out, &format!("{report}\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(Error::Migrate(error)) => {
            // What completed before the failure, then why it stopped.
            write_out(out, &format!("{}\n", error.completed))?;
            Err(error.to_string())
        }
        Err(error) => Err(error.to_string()),
    }
}

/// A folder of migrations whose name is no configured bind (a typo, `shpo/`) would never
/// run: said on the error stream.
fn unknown_folder_warnings(db: &Db, err: &mut (impl Write + ?Sized)) {
    let Some(migrator) = db.config().get_migrations() else {
        return;
    };
    for folder in migrator.bind_folders() {
        let configured = db.engines().iter().any(|e| bind_folder(e.key()) == folder);
        if !configured {
            let _ = writeln!(
                err,
                "warning: the migrations folder {folder:?} names no configured bind: its \
                 migrations do not run"
            );
        }
    }
}

/// The one bind a version belongs to: versions are per bind.
fn one_bind<'b>(binds: &'b Binds, what: &str) -> Result<&'b BindKey, String> {
    match binds {
        Binds::Only(keys) if keys.len() == 1 => Ok(&keys[0]),
        _ => Err(format!(
            "{what} names a version of one bind: select that bind with --bind KEY"
        )),
    }
}

/// `new NAME`: an empty up and down script in each selected bind's folder under `dir`,
/// numbered one past the highest version there (from 1). Never overwrites a file.
pub(super) fn new(
    dir: &Path,
    name: &str,
    selected: &[BindKey],
    out: &mut (impl Write + ?Sized),
) -> Result<ExitCode, String> {
    check_name(name)?;
    let default = [BindKey::DEFAULT];
    let keys = if selected.is_empty() {
        &default[..]
    } else {
        selected
    };
    let mut text = String::new();
    for key in keys {
        write_migration(dir, key, name, "", "", &mut text)?;
    }
    write_out(out, &text)?;
    Ok(ExitCode::SUCCESS)
}

/// `new NAME --autogenerate`: for each selected bind that drifts from its models, the up
/// and down scripts that close the drift ([`Db::autogenerate`]), numbered as `new`
/// numbers them.
pub(super) async fn autogenerate(
    db: &Db,
    dir: &Path,
    name: &str,
    binds: Binds,
    out: &mut (impl Write + ?Sized),
) -> Result<ExitCode, String> {
    check_name(name)?;
    let plans = db.autogenerate(binds).await.map_err(|e| e.to_string())?;
    let mut text = String::new();
    for plan in &plans {
        if plan.migration.is_empty() {
            let _ = writeln!(text, "{}: no drift, nothing to write", plan.bind);
            continue;
        }
        let migration = &plan.migration;
        let (up, down) = (migration.up_script(), migration.down_script());
        write_migration(dir, &plan.bind, name, &up, &down, &mut text)?;
        for note in &migration.notes {
            let _ = writeln!(text, "  note: {note}");
        }
    }
    write_out(out, &text)?;
    Ok(ExitCode::SUCCESS)
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!(
            "the migration name {name:?} may hold only letters, digits and `_`"
        ));
    }
    Ok(())
}

/// Writes `up` and `down` as the next version of migration `name` in `key`'s folder
/// under `dir`, never over a file, and lists their paths in `listed`.
fn write_migration(
    dir: &Path,
    key: &BindKey,
    name: &str,
    up: &str,
    down: &str,
    listed: &mut String,
) -> Result<(), String> {
    let folder = dir.join(bind_folder(key.as_deref()));
    std::fs::create_dir_all(&folder)
        .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    let version = next_version(&folder)?;
    for (direction, text) in [("up", up), ("down", down)] {
        let path = folder.join(format!("{version:04}_{name}.{direction}.sql"));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        file.write_all(text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let _ = writeln!(listed, "{}", path.display());
    }
    Ok(())
}

/// One past the highest version of the migration files in `folder` (1 when none).
fn next_version(folder: &Path) -> Result<u64, String> {
    let entries =
        std::fs::read_dir(folder).map_err(|e| format!("cannot read {}: {e}", folder.display()))?;
    let mut highest = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(Ok(parsed)) = name.to_str().and_then(parse_migration_file_name) else {
            continue;
        };
        highest = highest.max(parsed.version);
    }
    highest
        .checked_add(1)
        .ok_or_else(|| format!("{}: no version after {highest}", folder.display()))
}

/// The warning `create-all` gives for each selected bind that has migrations: the tables
/// it makes are outside the bind's migration history.
pub(super) fn create_all_warnings(
    db: &Db,
    dir: &Path,
    binds: &Binds,
    err: &mut (impl Write + ?Sized),
) {
    let Ok(migrator) = crate::Migrator::from_dir(dir) else {
        return;
    };
    let Ok(keys) = binds.keys(db) else {
        return;
    };
    for key in keys {
        if migrator.has_migrations(key.as_deref()) {
            let _ = writeln!(
                err,
                "warning: {key} has migrations in {}: the tables create-all makes are not in \
                 its migration history, and a later `migrate up` may fail on them; prefer \
                 `migrate up`",
                dir.join(bind_folder(key.as_deref())).display()
            );
        }
    }
}
