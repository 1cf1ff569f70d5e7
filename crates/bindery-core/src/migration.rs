//! Versioned migrations, without I/O: a migration's scripts, what a bind's history table
//! holds, the next step toward a goal (checked against the history: edited, missing,
//! dirty, out of order), each migration's status, and MySQL scripts split into
//! statements.

use crate::migration_file::Direction;

/// One migration of one bind: its version, name and scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// Its version (migrations run in numeric order).
    pub version: u64,
    /// Its name, from the file name.
    pub name: String,
    /// The up script.
    pub up: String,
    /// The down script, if there is a `.down.sql` file.
    pub down: Option<String>,
    /// The checksum of the up script (SHA-256, hex), compared with the history's.
    pub checksum: String,
    /// Where the up script came from (a path), for messages.
    pub source: String,
}

/// A row of a bind's history table, `bindery_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The migration's version.
    pub version: u64,
    /// Its name when it ran.
    pub name: String,
    /// The checksum of its up script when it ran.
    pub checksum: String,
    /// Whether it completed, or stopped part-way (MySQL only).
    pub state: HistoryState,
    /// When it ran, in milliseconds since the Unix epoch.
    pub applied_at_ms: i64,
    /// How long its script took, in milliseconds.
    pub execution_ms: i64,
}

/// Whether a recorded migration completed. On PostgreSQL and SQLite a migration that
/// fails leaves no row; MySQL commits each DDL statement, so a failure there leaves a
/// dirty row that says how many statements ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryState {
    /// Applied whole.
    Applied,
    /// Its up script stopped after `done` statements (MySQL).
    UpStopped {
        /// How many statements of the up script ran.
        done: u64,
    },
    /// Its down script stopped after `done` statements (MySQL).
    DownStopped {
        /// How many statements of the down script ran.
        done: u64,
    },
}

impl HistoryState {
    /// The state as the history table's `dirty` and `statements_done` columns hold it.
    pub fn to_columns(self) -> (i64, i64) {
        match self {
            HistoryState::Applied => (0, 0),
            HistoryState::UpStopped { done } => (1, i64::try_from(done).unwrap_or(i64::MAX)),
            HistoryState::DownStopped { done } => (2, i64::try_from(done).unwrap_or(i64::MAX)),
        }
    }

    /// The state the columns hold; an unknown `dirty` value reads as an up that stopped.
    pub fn from_columns(dirty: i64, done: i64) -> HistoryState {
        let done = u64::try_from(done).unwrap_or(0);
        match dirty {
            0 => HistoryState::Applied,
            2 => HistoryState::DownStopped { done },
            _ => HistoryState::UpStopped { done },
        }
    }
}

/// Where a run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Apply every pending migration up to this version (`None`: all of them).
    Up(Option<u64>),
    /// Revert the applied migrations above this version, newest first (`None`: only the
    /// newest one).
    Down(Option<u64>),
}

/// What a run does next on a bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'m> {
    /// Nothing: the bind is at its goal.
    Done,
    /// Apply this migration.
    Up(&'m Migration),
    /// Revert this migration.
    Down(&'m Migration),
}

/// Why a bind cannot move toward its goal: what its history says against its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanProblem {
    /// An applied migration whose up script changed since.
    Edited {
        /// Its version.
        version: u64,
        /// Its name.
        name: String,
        /// The checksum the history recorded.
        recorded: String,
        /// The checksum of the file now.
        found: String,
    },
    /// A migration stopped part-way (MySQL): nothing more runs until it is resolved.
    Dirty {
        /// Its version.
        version: u64,
        /// Its name.
        name: String,
        /// Which script stopped.
        direction: Direction,
        /// How many statements of it ran.
        done: u64,
    },
    /// A pending migration older than the newest applied one (a branch merged late): it
    /// would run after migrations written later than it.
    Gap {
        /// Its version.
        version: u64,
        /// Its name.
        name: String,
        /// The newest applied version.
        newest_applied: u64,
    },
    /// An applied migration no file has any more.
    Missing {
        /// Its version.
        version: u64,
        /// Its name, as the history recorded it.
        name: String,
    },
    /// The migration to revert has no down script.
    NoDown {
        /// Its version.
        version: u64,
        /// Its name.
        name: String,
        /// Where its up script came from.
        source: String,
    },
}

impl core::fmt::Display for PlanProblem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PlanProblem::Edited {
                version,
                name,
                recorded,
                found,
            } => write!(
                f,
                "migration {version} ({name}) was edited after it was applied: its up script's \
                 checksum is {found}, the history recorded {recorded}; restore the file and \
                 write the change as a new migration"
            ),
            PlanProblem::Dirty {
                version,
                name,
                direction,
                done,
            } => write!(
                f,
                "migration {version} ({name}) is dirty: an earlier run of its {direction} script \
                 stopped after {done} statement(s), which MySQL/MariaDB committed; nothing more \
                 runs until it is resolved: undo those statements by hand and run `migrate \
                 resolve {version} --undone`, or finish the script by hand and run `migrate \
                 resolve {version} --applied` (Db::resolve_migration)"
            ),
            PlanProblem::Gap {
                version,
                name,
                newest_applied,
            } => write!(
                f,
                "migration {version} ({name}) is not applied, but the newer {newest_applied} is: \
                 it would run after migrations written later than it; give it a version above \
                 {newest_applied}"
            ),
            PlanProblem::Missing { version, name } => write!(
                f,
                "migration {version} ({name}) is applied, but no file has it: restore its files"
            ),
            PlanProblem::NoDown {
                version,
                name,
                source,
            } => write!(
                f,
                "migration {version} ({name}) has no down script: write one beside {source}"
            ),
        }
    }
}

/// The next step from `history` toward `goal`, given the bind's `migrations` (sorted by
/// version). Every applied migration is checked first: a dirty row, an edited script or
/// an applied migration without a file stops the run, whatever its goal.
pub fn next_step<'m>(
    migrations: &'m [Migration],
    history: &[HistoryRow],
    goal: Goal,
) -> Result<Step<'m>, PlanProblem> {
    for row in history {
        if let Some((direction, done)) = match row.state {
            HistoryState::Applied => None,
            HistoryState::UpStopped { done } => Some((Direction::Up, done)),
            HistoryState::DownStopped { done } => Some((Direction::Down, done)),
        } {
            return Err(PlanProblem::Dirty {
                version: row.version,
                name: row.name.clone(),
                direction,
                done,
            });
        }
        match migrations.iter().find(|m| m.version == row.version) {
            None => {
                return Err(PlanProblem::Missing {
                    version: row.version,
                    name: row.name.clone(),
                });
            }
            Some(m) if m.checksum != row.checksum => {
                return Err(PlanProblem::Edited {
                    version: m.version,
                    name: m.name.clone(),
                    recorded: row.checksum.clone(),
                    found: m.checksum.clone(),
                });
            }
            Some(_) => {}
        }
    }
    let applied = |m: &Migration| history.iter().any(|r| r.version == m.version);
    let newest = history.iter().map(|r| r.version).max();
    match goal {
        Goal::Up(to) => {
            let next = migrations
                .iter()
                .filter(|m| to.is_none_or(|to| m.version <= to))
                .find(|m| !applied(m));
            match (next, newest) {
                (None, _) => Ok(Step::Done),
                (Some(m), Some(newest)) if m.version < newest => Err(PlanProblem::Gap {
                    version: m.version,
                    name: m.name.clone(),
                    newest_applied: newest,
                }),
                (Some(m), _) => Ok(Step::Up(m)),
            }
        }
        Goal::Down(to) => {
            let Some(newest) = newest else {
                return Ok(Step::Done);
            };
            if to.is_some_and(|to| newest <= to) {
                return Ok(Step::Done);
            }
            // Checked above: every applied version has its migration.
            let Some(m) = migrations.iter().find(|m| m.version == newest) else {
                return Ok(Step::Done);
            };
            if m.down.is_none() {
                return Err(PlanProblem::NoDown {
                    version: m.version,
                    name: m.name.clone(),
                    source: m.source.clone(),
                });
            }
            Ok(Step::Down(m))
        }
    }
}

/// The statements of a script, for MySQL, which runs them one by one (its DDL commits
/// each): split at each `;` outside quotes (`'…'`, `"…"`, `` `…` ``) and comments
/// (`-- …`, `# …`, `/* … */`); statements that are empty or only comments are left out.
pub fn split_statements(script: &str) -> Vec<&str> {
    let bytes = script.as_bytes();
    let mut statements = Vec::new();
    let (mut start, mut i) = (0, 0);
    let mut has_code = false;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                has_code = true;
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    // A backslash escapes the next character in MySQL's strings.
                    i += if bytes[i] == b'\\' && quote != b'`' {
                        2
                    } else {
                        1
                    };
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => i = line_end(bytes, i),
            b'#' => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b';' => {
                if has_code {
                    statements.push(script[start..i].trim());
                }
                has_code = false;
                i += 1;
                start = i;
            }
            b if b.is_ascii_whitespace() => i += 1,
            _ => {
                has_code = true;
                i += 1;
            }
        }
    }
    if has_code {
        statements.push(script[start.min(script.len())..].trim());
    }
    statements
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(version: u64, down: bool) -> Migration {
        Migration {
            version,
            name: format!("m{version}"),
            up: String::new(),
            down: down.then(String::new),
            checksum: format!("c{version}"),
            source: format!("{version}_m{version}.up.sql"),
        }
    }

    fn row(version: u64, state: HistoryState) -> HistoryRow {
        HistoryRow {
            version,
            name: format!("m{version}"),
            checksum: format!("c{version}"),
            state,
            applied_at_ms: 0,
            execution_ms: 0,
        }
    }

    #[test]
    fn up_takes_the_lowest_pending_within_the_goal() {
        let ms = [migration(1, true), migration(2, true), migration(10, true)];
        let history = [row(1, HistoryState::Applied)];
        assert_eq!(
            next_step(&ms, &history, Goal::Up(None)),
            Ok(Step::Up(&ms[1]))
        );
        assert_eq!(next_step(&ms, &history, Goal::Up(Some(1))), Ok(Step::Done));
        assert_eq!(
            next_step(&ms, &history, Goal::Down(None)),
            Ok(Step::Down(&ms[0]))
        );
        assert_eq!(
            next_step(&ms, &history, Goal::Down(Some(1))),
            Ok(Step::Done)
        );
    }

    #[test]
    fn edited_dirty_missing_and_gaps_stop_the_run() {
        let ms = [migration(1, true), migration(2, false), migration(3, true)];
        let mut edited = row(1, HistoryState::Applied);
        edited.checksum = "old".into();
        assert!(matches!(
            next_step(&ms, &[edited], Goal::Up(None)),
            Err(PlanProblem::Edited { version: 1, .. })
        ));
        let dirty = row(1, HistoryState::UpStopped { done: 2 });
        assert!(matches!(
            next_step(&ms, &[dirty], Goal::Down(None)),
            Err(PlanProblem::Dirty {
                version: 1,
                done: 2,
                direction: Direction::Up,
                ..
            })
        ));
        assert!(matches!(
            next_step(&ms, &[row(9, HistoryState::Applied)], Goal::Up(None)),
            Err(PlanProblem::Missing { version: 9, .. })
        ));
        assert!(matches!(
            next_step(&ms, &[row(3, HistoryState::Applied)], Goal::Up(None)),
            Err(PlanProblem::Gap {
                version: 1,
                newest_applied: 3,
                ..
            })
        ));
        let both = [row(1, HistoryState::Applied), row(2, HistoryState::Applied)];
        assert!(matches!(
            next_step(&ms, &both, Goal::Down(None)),
            Err(PlanProblem::NoDown { version: 2, .. })
        ));
    }

    #[test]
    fn scripts_split_outside_quotes_and_comments() {
        let script = "CREATE TABLE a (x TEXT DEFAULT 'a;b');\n-- c;\n# d;\n/* e; */\n\
                      INSERT INTO `w;` VALUES (\"q\\\";\");  ;\nSELECT 1";
        assert_eq!(
            split_statements(script),
            [
                "CREATE TABLE a (x TEXT DEFAULT 'a;b')",
                "-- c;\n# d;\n/* e; */\nINSERT INTO `w;` VALUES (\"q\\\";\")",
                "SELECT 1"
            ]
        );
        assert!(split_statements("-- only a comment;\n").is_empty());
    }
}
