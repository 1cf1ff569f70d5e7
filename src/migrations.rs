//! Where migrations come from: a folder read at run time (`Migrator::from_dir`), or the
//! files `bindery::migrations!` embedded at compile time. Both go through one parser, so
//! a folder means the same either way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use crate::error::MigrationFilesError;
use crate::{Direction, Migration, bind_folder, parse_migration_file_name};

/// The migrations of every bind: `migrations/<bind>/<version>_<name>.up.sql` (and
/// `.down.sql`), the default bind's under `migrations/default/`.
///
/// Read from disk at run time with [`Migrator::from_dir`], or embedded in the binary at
/// compile time with [`bindery::migrations!`](crate::migrations!).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Migrator {
    /// Each bind folder's migrations, sorted by version.
    binds: BTreeMap<String, Vec<Migration>>,
    /// What the embedded files held that is not migrations (reported when used).
    problems: Vec<MigrationFilesError>,
}

impl Migrator {
    /// No migrations at all.
    pub fn new() -> Migrator {
        Migrator::default()
    }

    /// Reads every bind's migrations under `dir` (each subfolder is a bind: its key, or
    /// `default`). A folder that does not exist holds no migrations. A `.sql` file whose
    /// name is not `<version>_<name>.up.sql` or `.down.sql`, two files of one version, or
    /// a down script without its up script, is an error naming the file; other files
    /// (a README) are left alone.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Migrator, MigrationFilesError> {
        let dir = dir.as_ref();
        let mut files = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Migrator::new()),
            Err(e) => return Err(io_error(dir, &e)),
        };
        for bind in entries {
            let bind = bind.map_err(|e| io_error(dir, &e))?;
            let folder = bind.path();
            if !folder.is_dir() {
                continue;
            }
            let Some(key) = bind.file_name().to_str().map(str::to_owned) else {
                return Err(not_utf8(&folder));
            };
            for file in std::fs::read_dir(&folder).map_err(|e| io_error(&folder, &e))? {
                let file = file.map_err(|e| io_error(&folder, &e))?;
                let path = file.path();
                let Some(name) = file.file_name().to_str().map(str::to_owned) else {
                    return Err(not_utf8(&path));
                };
                if parse_migration_file_name(&name).is_none() {
                    continue;
                }
                let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, &e))?;
                files.push((key.clone(), name, text, path));
            }
        }
        Migrator::from_files(files)
    }

    /// Not public API: what `bindery::migrations!` expands to, the embedded files as
    /// (bind folder, file name, text, path). A problem the macro did not catch is kept
    /// and reported when the migrations are used.
    #[doc(hidden)]
    pub fn __embedded(files: &[(&str, &str, &str, &str)]) -> Migrator {
        let files = files
            .iter()
            .map(|&(bind, name, text, path)| {
                (
                    bind.to_owned(),
                    name.to_owned(),
                    text.to_owned(),
                    PathBuf::from(path),
                )
            })
            .collect();
        Migrator::from_files(files).unwrap_or_else(|problem| Migrator {
            binds: BTreeMap::new(),
            problems: vec![problem],
        })
    }

    fn from_files(
        files: Vec<(String, String, String, PathBuf)>,
    ) -> Result<Migrator, MigrationFilesError> {
        // The up script (name, text, path) and the down script (text, path) of each
        // (bind, version).
        type Script = (String, String, PathBuf);
        let mut found: BTreeMap<(String, u64), (Option<Script>, Option<Script>)> = BTreeMap::new();
        for (bind, file_name, text, path) in files {
            let parsed = match parse_migration_file_name(&file_name) {
                None => continue,
                Some(Ok(parsed)) => parsed,
                Some(Err(e)) => {
                    return Err(MigrationFilesError {
                        path,
                        reason: e.to_string(),
                    });
                }
            };
            let entry = found.entry((bind, parsed.version)).or_default();
            let slot = match parsed.direction {
                Direction::Up => &mut entry.0,
                Direction::Down => &mut entry.1,
            };
            if let Some((_, _, other)) = slot.replace((parsed.name.to_owned(), text, path.clone()))
            {
                return Err(MigrationFilesError {
                    path,
                    reason: format!(
                        "version {} has another {} script: {}",
                        parsed.version,
                        parsed.direction,
                        other.display()
                    ),
                });
            }
        }
        let mut migrator = Migrator::new();
        for ((bind, version), (up, down)) in found {
            let Some((name, up, up_path)) = up else {
                let path = down.map(|(_, _, p)| p).unwrap_or_default();
                return Err(MigrationFilesError {
                    path,
                    reason: format!("a down script without its up script (version {version})"),
                });
            };
            migrator.binds.entry(bind).or_default().push(Migration {
                version,
                name,
                checksum: checksum(&up),
                up,
                down: down.map(|(_, text, _)| text),
                source: up_path.display().to_string(),
            });
        }
        Ok(migrator)
    }

    /// The migrations of bind `key` (`None`: the default bind, folder `default`),
    /// sorted by version.
    pub fn migrations(&self, key: Option<&str>) -> &[Migration] {
        self.binds.get(bind_folder(key)).map_or(&[], Vec::as_slice)
    }

    /// The bind folders that hold migrations (`default` for the default bind).
    pub fn bind_folders(&self) -> impl Iterator<Item = &str> {
        self.binds.keys().map(String::as_str)
    }

    /// Whether bind `key` has any migration.
    pub fn has_migrations(&self, key: Option<&str>) -> bool {
        !self.migrations(key).is_empty()
    }

    /// The first problem of embedded files, if any.
    pub(crate) fn problem(&self) -> Option<&MigrationFilesError> {
        self.problems.first()
    }
}

/// The SHA-256 of a script, in hex.
fn checksum(script: &str) -> String {
    sha2::Sha256::digest(script.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn io_error(path: &Path, error: &std::io::Error) -> MigrationFilesError {
    MigrationFilesError {
        path: path.to_owned(),
        reason: error.to_string(),
    }
}

fn not_utf8(path: &Path) -> MigrationFilesError {
    MigrationFilesError {
        path: path.to_owned(),
        reason: "the name is not UTF-8".to_owned(),
    }
}
