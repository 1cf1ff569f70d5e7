//! The two-phase commit settings: whether sessions commit across binds in two phases,
//! which bind keeps the decision log, and the instance name the transaction ids carry.

use crate::AsBindKey;
use crate::error::ConfigProblem;

use super::Config;

/// The instance name of a configuration that names none.
pub(crate) const DEFAULT_INSTANCE: &str = "default";

/// The longest instance name: a MariaDB XA transaction id holds at most 64 bytes, and
/// bindery's carry the name, the log's tag, a process tag, a time and a sequence number
/// besides.
pub(crate) const MAX_INSTANCE_LEN: usize = 16;

impl Config {
    /// Commit every session's work across binds in two phases: each bind prepares
    /// (PostgreSQL's `PREPARE TRANSACTION`, MariaDB's `XA PREPARE`), the commit decision
    /// is logged durably (see [`Config::two_phase_log`]), then each bind commits. A crash
    /// at any point leaves every bind with the transaction's rows or none, once
    /// [`Db::recover`](crate::Db::recover) has run (`Db::connect` runs it). A session can
    /// also turn it on for itself ([`Session::two_phase`](crate::Session::two_phase)).
    pub fn two_phase(mut self, on: bool) -> Config {
        self.two_phase = Some(on);
        self
    }

    /// Whether sessions commit across binds in two phases (off unless set).
    pub fn get_two_phase(&self) -> bool {
        self.two_phase.unwrap_or(false)
    }

    /// The bind whose database keeps the two-phase decision log (the table
    /// `bindery_two_phase_log`); the default bind unless set.
    pub fn two_phase_log<K: AsBindKey>(mut self, key: K) -> Config {
        self.two_phase_log = Some(key.as_bind_key().map(str::to_owned));
        self
    }

    /// The bind that keeps the decision log (`None`: the default bind).
    pub fn get_two_phase_log(&self) -> Option<&str> {
        self.two_phase_log.as_ref().and_then(Option::as_deref)
    }

    /// This application instance's name, carried by every two-phase transaction id it
    /// makes: recovery at its next start rolls back, at once, the undecided transactions
    /// its earlier runs left prepared (those of other names only once they are old).
    /// Give each running instance its own name, of at most 16 ASCII letters, digits,
    /// `_`, `.` or `-`; `default` unless set.
    pub fn two_phase_instance(mut self, name: impl Into<String>) -> Config {
        self.two_phase_instance = Some(name.into());
        self
    }

    /// The instance name in force (see [`Config::two_phase_instance`]).
    pub fn get_two_phase_instance(&self) -> &str {
        self.two_phase_instance
            .as_deref()
            .unwrap_or(DEFAULT_INSTANCE)
    }

    /// Sets the decision log's bind as a file or the environment gives it; a name that
    /// cannot be a bind key is a problem named `config_key` (`two_phase_log`,
    /// `BINDERY_TWO_PHASE_LOG`). Whether the bind is configured is checked at
    /// [`Config::validate`]: it may come from another layer.
    pub(super) fn set_two_phase_log(&mut self, bind: &str, config_key: &str) {
        match super::check_bind_key(bind, config_key) {
            Ok(()) => self.two_phase_log = Some(Some(bind.to_owned())),
            Err(problem) => self.problems.push(problem),
        }
    }

    /// Sets the instance name as a file or the environment gives it; a name
    /// [`Config::two_phase_instance`] would refuse is a problem named `config_key`
    /// (`two_phase_instance`, `BINDERY_TWO_PHASE_INSTANCE`).
    pub(super) fn set_two_phase_instance(&mut self, name: &str, config_key: &str) {
        match check_instance(name) {
            Ok(()) => self.two_phase_instance = Some(name.to_owned()),
            Err(reason) => self.problems.push(ConfigProblem::BadValue {
                key: config_key.to_owned(),
                reason,
            }),
        }
    }

    pub(super) fn two_phase_problems(&self, problems: &mut Vec<ConfigProblem>) {
        if let Some(name) = &self.two_phase_instance
            && let Err(reason) = check_instance(name)
        {
            problems.push(ConfigProblem::BadValue {
                key: "two_phase_instance".into(),
                reason,
            });
        }
        if !self.get_two_phase() && self.two_phase_log.is_none() {
            return;
        }
        let configured = match self.get_two_phase_log() {
            None => self.database_uri.is_some(),
            Some(key) => self.binds.contains_key(key),
        };
        let key = self.get_two_phase_log();
        if !configured && !self.refused(key) {
            problems.push(ConfigProblem::BadValue {
                key: "two_phase_log".into(),
                reason: match key {
                    Some(key) => format!("names bind {key:?}, which is not configured"),
                    None => {
                        "is the default bind (unless set), which has no URL: name a bind".into()
                    }
                },
            });
        }
    }
}

/// Why `name` cannot be an instance name, if it cannot. Its characters are checked
/// first, so that the length, counted once they are all ASCII, is the same in bytes and
/// in characters (a name of 16 characters and 18 bytes was "16 characters long", and
/// refused for it).
fn check_instance(name: &str) -> Result<(), String> {
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(format!(
            "holds {c:?}; an instance name holds ASCII letters, digits, `_`, `.` and `-`"
        ));
    }
    if name.is_empty() || name.len() > MAX_INSTANCE_LEN {
        return Err(format!(
            "is {} characters long; an instance name has 1 to {MAX_INSTANCE_LEN}",
            name.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names() {
        assert_eq!(check_instance("web-1.eu_2"), Ok(()));
        assert_eq!(check_instance(&"x".repeat(MAX_INSTANCE_LEN)), Ok(()));
        let long = check_instance(&"x".repeat(MAX_INSTANCE_LEN + 1));
        assert_eq!(
            long.unwrap_err(),
            "is 17 characters long; an instance name has 1 to 16"
        );
        assert!(
            check_instance("")
                .unwrap_err()
                .starts_with("is 0 characters long")
        );
        // 16 characters, 18 bytes: the character is named, not a wrong length.
        let accented = check_instance("caf\u{e9}-na\u{ef}ve-12345");
        assert!(accented.unwrap_err().starts_with("holds '\u{e9}'"));
    }
}
