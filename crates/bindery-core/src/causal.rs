//! Causal tokens: where each bind's primary stood after a commit, so that a read on a
//! replica can wait until the replica has replayed that far (read-your-writes).
//!
//! A [`Position`] is what one server reports after a commit: PostgreSQL's WAL position
//! (an LSN, `pg_current_wal_insert_lsn()`), or MariaDB's GTID position (`@@last_gtid`,
//! one GTID per replication domain). A [`CausalToken`] is a position per bind. Both print
//! and parse as short text, so an application can carry a token across requests and
//! processes (a cookie, a header): the next request, on another process, still reads
//! its own writes.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::BindKey;

/// Where a primary stood after a commit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Position {
    /// A PostgreSQL WAL position (`0/16B3748` in PostgreSQL's spelling).
    Lsn(u64),
    /// A MariaDB GTID position: for each replication domain, the server and sequence
    /// number of its last transaction, by domain.
    Gtid(BTreeMap<u32, (u32, u64)>),
}

impl Position {
    /// Whether a server that has replayed `self` has also replayed `other`: `self` is at
    /// or past `other` in every domain `other` names. Positions of different kinds never
    /// cover each other.
    pub fn covers(&self, other: &Position) -> bool {
        match (self, other) {
            (Position::Lsn(mine), Position::Lsn(theirs)) => mine >= theirs,
            (Position::Gtid(mine), Position::Gtid(theirs)) => theirs
                .iter()
                .all(|(domain, (_, seq))| mine.get(domain).is_some_and(|(_, mine)| mine >= seq)),
            _ => false,
        }
    }

    /// The later of `self` and `other` (per domain, for GTIDs); `other` when their kinds
    /// differ (the bind moved to another kind of server).
    pub fn merge(&mut self, other: &Position) {
        match (&mut *self, other) {
            (Position::Lsn(mine), Position::Lsn(theirs)) => *mine = (*mine).max(*theirs),
            (Position::Gtid(mine), Position::Gtid(theirs)) => {
                for (domain, (server, seq)) in theirs {
                    let entry = mine.entry(*domain).or_insert((*server, *seq));
                    if *seq > entry.1 {
                        *entry = (*server, *seq);
                    }
                }
            }
            _ => *self = other.clone(),
        }
    }

    /// A PostgreSQL LSN as the server prints it (`16/B374D848`).
    pub fn parse_lsn(text: &str) -> Result<Position, PositionError> {
        let bad = || PositionError(format!("{text:?} is not a PostgreSQL LSN (hex/hex)"));
        let (high, low) = text.split_once('/').ok_or_else(bad)?;
        let part = |part: &str| {
            (!part.is_empty() && part.len() <= 8)
                .then(|| u64::from_str_radix(part, 16).ok())
                .flatten()
        };
        let (high, low) = (part(high).ok_or_else(bad)?, part(low).ok_or_else(bad)?);
        Ok(Position::Lsn(high << 32 | low))
    }

    /// A MariaDB GTID position as the server prints it (`0-1-42,1-1-7`; empty: nothing
    /// replicated yet).
    pub fn parse_gtid(text: &str) -> Result<Position, PositionError> {
        let mut domains = BTreeMap::new();
        for gtid in text.split(',').map(str::trim).filter(|g| !g.is_empty()) {
            let bad = || {
                PositionError(format!(
                    "{gtid:?} is not a MariaDB GTID (domain-server-seq)"
                ))
            };
            let mut parts = gtid.split('-');
            let (Some(domain), Some(server), Some(seq), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            let domain = domain.parse().map_err(|_| bad())?;
            let entry = (
                server.parse().map_err(|_| bad())?,
                seq.parse().map_err(|_| bad())?,
            );
            if domains.insert(domain, entry).is_some() {
                return Err(PositionError(format!(
                    "{text:?} names domain {domain} twice"
                )));
            }
        }
        Ok(Position::Gtid(domains))
    }

    /// The position in the server's own spelling: what `pg_lsn` or `MASTER_GTID_WAIT`
    /// takes. Only digits, `/`, `-` and `,`: safe to quote into SQL.
    pub fn server_text(&self) -> String {
        match self {
            Position::Lsn(lsn) => format!("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF_FFFF),
            Position::Gtid(domains) => domains
                .iter()
                .map(|(domain, (server, seq))| format!("{domain}-{server}-{seq}"))
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

impl fmt::Display for Position {
    /// `lsn:16/B374D848` or `gtid:0-1-42,1-1-7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Position::Lsn(_) => "lsn",
            Position::Gtid(_) => "gtid",
        };
        write!(f, "{kind}:{}", self.server_text())
    }
}

impl FromStr for Position {
    type Err = PositionError;

    fn from_str(text: &str) -> Result<Position, PositionError> {
        match text.split_once(':') {
            Some(("lsn", lsn)) => Position::parse_lsn(lsn),
            Some(("gtid", gtid)) => Position::parse_gtid(gtid),
            _ => Err(PositionError(format!(
                "{text:?} is not a position (lsn:… or gtid:…)"
            ))),
        }
    }
}

/// Text that is not a [`Position`] or a [`CausalToken`]; says what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionError(String);

impl fmt::Display for PositionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PositionError {}

/// What a reader must have seen: for each bind, the primary's position after the last
/// commit the token was given. A session's reads on a replica wait until the replica has
/// replayed its bind's position (see `bindery`'s README, "Read replicas").
///
/// It prints as `bind=position` pairs separated by `;` (the default bind's key is empty;
/// a key's characters other than ASCII letters, digits, `_`, `-` and `.` are
/// percent-encoded), and parses back:
///
/// ```
/// use bindery_core::{BindKey, CausalToken, Position};
///
/// let mut token = CausalToken::default();
/// token.advance(BindKey::from("auth"), Position::parse_lsn("0/16B3748")?);
/// token.advance(BindKey::DEFAULT, Position::parse_gtid("0-1-42")?);
/// let text = token.to_string();
/// assert_eq!(text, "=gtid:0-1-42;auth=lsn:0/16B3748");
/// assert_eq!(text.parse::<CausalToken>()?, token);
/// # Ok::<(), bindery_core::PositionError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CausalToken {
    positions: BTreeMap<BindKey, Position>,
}

impl CausalToken {
    /// The position a reader of `bind` must have seen, if any.
    pub fn position(&self, bind: &BindKey) -> Option<&Position> {
        self.positions.get(bind)
    }

    /// Every bind's position.
    pub fn positions(&self) -> impl Iterator<Item = (&BindKey, &Position)> {
        self.positions.iter()
    }

    /// Whether the token asks nothing of any bind.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// Moves `bind`'s position to `position`, unless it is already past it.
    pub fn advance(&mut self, bind: BindKey, position: Position) {
        match self.positions.get_mut(&bind) {
            Some(mine) => mine.merge(&position),
            None => {
                self.positions.insert(bind, position);
            }
        }
    }

    /// Every position of `other` laid into this token (the later one per bind).
    pub fn merge(&mut self, other: &CausalToken) {
        for (bind, position) in &other.positions {
            self.advance(bind.clone(), position.clone());
        }
    }
}

impl fmt::Display for CausalToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (bind, position)) in self.positions.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            for byte in bind.as_deref().unwrap_or("").bytes() {
                if byte.is_ascii_alphanumeric() || b"_-.".contains(&byte) {
                    write!(f, "{}", byte as char)?;
                } else {
                    write!(f, "%{byte:02X}")?;
                }
            }
            write!(f, "={position}")?;
        }
        Ok(())
    }
}

impl FromStr for CausalToken {
    type Err = PositionError;

    fn from_str(text: &str) -> Result<CausalToken, PositionError> {
        let mut token = CausalToken::default();
        for pair in text.split(';').filter(|p| !p.is_empty()) {
            let (key, position) = pair
                .split_once('=')
                .ok_or_else(|| PositionError(format!("{pair:?} is not bind=position")))?;
            let key = percent_decoded(key)?;
            let bind = if key.is_empty() {
                BindKey::DEFAULT
            } else {
                BindKey::from(key.as_str())
            };
            token.advance(bind, position.parse()?);
        }
        Ok(token)
    }
}

fn percent_decoded(text: &str) -> Result<String, PositionError> {
    let bad = || PositionError(format!("{text:?} is not a percent-encoded bind key"));
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = tail.get(..2).ok_or_else(bad)?;
            let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
            bytes.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).map_err(|_| bad())
}

/// Which of a bind's servers an engine reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The bind's primary: every write, and the reads that must see them.
    Primary,
    /// The bind's read replica at this place in its configured list (from 0). Its
    /// connections are opened read-only: the server refuses a write on them, whoever the
    /// user is.
    Replica(usize),
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Primary => f.write_str("primary"),
            Role::Replica(i) => write!(f, "replica {i}"),
        }
    }
}

/// Where a read may go on a bind with replicas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReadFrom {
    /// A replica, unless the reader wrote to the bind in its open transaction (then the
    /// primary, which alone has those rows).
    #[default]
    Auto,
    /// The primary, always.
    Primary,
    /// A replica even inside a transaction that wrote (its uncommitted rows are not
    /// there); still the primary when no replica can serve.
    Replica,
}

/// How one read is to be served on a bind with replicas (plumbing: `Find::on_primary`,
/// `Session::read_from` and `max_staleness` set it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadPolicy {
    /// Replica or primary.
    pub from: ReadFrom,
    /// Replicas further behind than this are skipped.
    pub max_staleness: Option<Duration>,
}

#[cfg(feature = "serde")]
impl serde::Serialize for CausalToken {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for CausalToken {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsn_round_trips_and_orders() {
        let a = Position::parse_lsn("0/16B3748").unwrap_or_else(|e| panic!("{e}"));
        let b = Position::parse_lsn("1/0").unwrap_or_else(|e| panic!("{e}"));
        assert!(b.covers(&a) && !a.covers(&b) && a.covers(&a));
        assert_eq!(a.server_text(), "0/16B3748");
        assert_eq!(b.to_string().parse::<Position>(), Ok(b));
        for bad in ["", "0", "/1", "1/", "g/1", "123456789/0", "0/1/2"] {
            assert!(Position::parse_lsn(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn gtid_covers_domain_by_domain() {
        let seen = Position::parse_gtid("0-1-42,1-2-7").unwrap_or_else(|e| panic!("{e}"));
        let ask = |t: &str| Position::parse_gtid(t).unwrap_or_else(|e| panic!("{e}"));
        assert!(seen.covers(&ask("0-1-42")));
        assert!(seen.covers(&ask("0-3-40,1-2-7")));
        assert!(!seen.covers(&ask("0-1-43")));
        assert!(!seen.covers(&ask("2-1-1")));
        assert!(seen.covers(&ask("")));
        let mut merged = ask("0-1-50");
        merged.merge(&seen);
        assert_eq!(merged.server_text(), "0-1-50,1-2-7");
        for bad in ["0-1", "0-1-2-3", "a-1-2", "0-1-2,0-1-3"] {
            assert!(Position::parse_gtid(bad).is_err(), "{bad:?}");
        }
    }
}
