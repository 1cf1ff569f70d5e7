//! The names of migration files: `<version>_<name>.up.sql` and `<version>_<name>.down.sql`.
//!
//! `bindery-macros` compiles this same file (its `src/migration_file.rs` is a symlink to
//! it), so `bindery::migrations!` refuses at compile time exactly the names
//! `Migrator::from_dir` refuses at run time. Keep it free of `crate::` paths and
//! dependencies: `core` only.

use core::fmt;

/// Which script of a migration a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `.up.sql`: applies the migration.
    Up,
    /// `.down.sql`: reverts it.
    Down,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Up => "up",
            Direction::Down => "down",
        })
    }
}

/// A migration file's name, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationFileName<'a> {
    /// The version: the digits before the first `_` (sorted as a number).
    pub version: u64,
    /// The name: what follows the `_`, without the suffix.
    pub name: &'a str,
    /// Which script it is.
    pub direction: Direction,
}

/// Why a file name is not a migration's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileNameError {
    /// No `_` after the version, or no name after it.
    NoName,
    /// The version is not all digits, or does not fit in a signed 64-bit integer (the
    /// history table stores it as `BIGINT`).
    BadVersion,
    /// It ends in `.sql` but neither in `.up.sql` nor in `.down.sql`.
    NoDirection,
}

impl fmt::Display for FileNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileNameError::NoName => "no `_<name>` after the version",
            FileNameError::BadVersion => {
                "the version (before the first `_`) must be digits, at most 9223372036854775807"
            }
            FileNameError::NoDirection => "a migration file ends in `.up.sql` or `.down.sql`",
        })
    }
}

/// Parses a file name: `None` for a file that is not SQL (a README beside the
/// migrations), an error for a `.sql` file whose name is not a migration's.
pub fn parse_migration_file_name(
    file_name: &str,
) -> Option<Result<MigrationFileName<'_>, FileNameError>> {
    let stem = file_name.strip_suffix(".sql")?;
    let (stem, direction) = if let Some(stem) = stem.strip_suffix(".up") {
        (stem, Direction::Up)
    } else if let Some(stem) = stem.strip_suffix(".down") {
        (stem, Direction::Down)
    } else {
        return Some(Err(FileNameError::NoDirection));
    };
    let Some((version, name)) = stem.split_once('_') else {
        return Some(Err(FileNameError::NoName));
    };
    if name.is_empty() {
        return Some(Err(FileNameError::NoName));
    }
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Err(FileNameError::BadVersion));
    }
    let version = match version.parse::<u64>() {
        Ok(v) if v <= i64::MAX as u64 => v,
        _ => return Some(Err(FileNameError::BadVersion)),
    };
    Some(Ok(MigrationFileName {
        version,
        name,
        direction,
    }))
}

/// The folder of a bind's migrations under the migrations folder: its key, or `default`
/// for the default bind.
pub fn bind_folder(key: Option<&str>) -> &str {
    key.unwrap_or("default")
}
