//! Database URLs in sqlx's and in SQLAlchemy's spelling, with the password kept out of
//! every `Display` and `Debug`.

use core::fmt;
use std::path::{Path, PathBuf};

use url::Url;

use crate::Dialect;

mod options;

/// A parsed database URL.
///
/// Accepts sqlx URLs (`sqlite:`, `postgres://`, `postgresql://`, `mysql://`,
/// `mariadb://`) and SQLAlchemy URLs, so a Flask config pastes unchanged:
/// `mysql+pymysql://root:root@localhost:3306/test1`, `postgresql+psycopg2://…`,
/// `sqlite:///relative.db`, `sqlite:////abs/path.db`, `sqlite://`, `sqlite:///` and
/// `sqlite:///:memory:` (in memory), and SQLite URI filenames with `uri=true`:
/// `sqlite:///file:relative.db?mode=ro&uri=true`, `sqlite:///file::memory:?uri=true`.
///
/// `Display` and `Debug` print it with the password replaced by `***`.
///
/// ```
/// let url: bindery::DatabaseUrl = "mysql+pymysql://root:s3cret@localhost:3306/test1".parse()?;
/// assert_eq!(url.to_string(), "mysql+pymysql://root:***@localhost:3306/test1");
/// assert_eq!(url.dialect(), bindery::Dialect::MySql);
/// # Ok::<(), bindery::UrlError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    /// The scheme as written (`mysql+pymysql`), for display.
    scheme: String,
    target: Target,
}

#[derive(Clone, PartialEq, Eq)]
enum Target {
    SqliteMemory,
    SqliteFile {
        path: PathBuf,
        query: Vec<(String, String)>,
        /// Written as a `file:` URI with `uri=true`: printed the same way.
        uri: bool,
    },
    /// A server URL, its scheme normalised to sqlx's (`postgres`, `mysql`).
    Server {
        dialect: Dialect,
        url: Url,
    },
}

/// Why a URL was refused. No variant holds the URL itself, so none can leak a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Nothing was given.
    #[error("the URL is empty")]
    Empty,
    /// No `scheme:` at the start.
    #[error("the URL has no scheme (expected one like `postgres://`, `mysql://` or `sqlite:`)")]
    NoScheme,
    /// A scheme bindery has no driver for.
    #[error(
        "unknown scheme `{scheme}`: bindery speaks sqlite, postgres (postgresql) and mysql (mariadb), with or without a `+driver` suffix"
    )]
    UnknownScheme {
        /// The scheme as written.
        scheme: String,
    },
    /// The URL does not parse; the reason comes from the URL parser.
    #[error("malformed URL: {reason}")]
    Malformed {
        /// What the parser said (never the URL).
        reason: String,
    },
    /// A server URL without a host.
    #[error("the URL names no host")]
    NoHost,
    /// A MySQL URL without a database, which bindery needs to find its tables.
    #[error("the URL names no database (add `/name` after the host)")]
    NoDatabase,
    /// A control character (a tab, a newline, NUL, …) inside the URL.
    #[error("the URL holds a control character")]
    ControlCharacter,
    /// A SQLite `file:` URI (with `uri=true`) whose path is empty: SQLite would make a
    /// temporary database, deleted on close.
    #[error("the SQLite URL has an empty path")]
    EmptyPath,
    /// A `+driver` suffix bindery does not stand in for, such as SQLAlchemy's
    /// `sqlite+pysqlcipher` (an encrypted database whose key sits in the URL).
    #[error("unknown driver `{driver}` for {dialect}; bindery accepts {expected}")]
    UnknownDriver {
        /// The driver as written after `+`.
        driver: String,
        /// The dialect of the scheme.
        dialect: Dialect,
        /// The drivers accepted for that dialect.
        expected: &'static str,
    },
    /// A query option this dialect does not take. sqlx would log it with its value, or
    /// drop it silently; bindery refuses it, naming it and never its value.
    #[error("unknown {dialect} URL option `{option}`; expected one of: {expected}")]
    UnknownOption {
        /// The option's name (or its position, when the name is not safe to print).
        option: String,
        /// The URL's dialect.
        dialect: Dialect,
        /// The options that dialect takes.
        expected: &'static str,
    },
    /// A query option whose value is refused, for instance a MySQL `collation` or
    /// `timezone` that would end the `SET` statement sqlx writes it into. The value is
    /// never shown.
    #[error("URL option `{option}` is refused: {reason}")]
    BadOption {
        /// The option's name.
        option: String,
        /// What the value must be.
        reason: &'static str,
    },
    /// A query part without `=`: most likely a value holding an `&` that was not
    /// percent-encoded, so the part is not shown.
    #[error(
        "query part #{position} of the URL has no `=`: percent-encode `&` inside a value as %26"
    )]
    OptionWithoutValue {
        /// Its position among the query parts, from 1.
        position: usize,
    },
    /// The user name, password or database of a server URL is refused.
    #[error("the URL's {part} {reason}")]
    BadPart {
        /// `user name`, `password` or `database name`.
        part: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A SQLite URL with user info (`:secret@`) or a `:` in its first folder, such as
    /// SQLAlchemy's `sqlite+pysqlcipher://:key@/file.db` without its driver: SQLite has no
    /// users or passwords, and bindery will not make a folder named after a secret.
    #[error(
        "the SQLite URL holds `@` or `:` in its first folder, like user info (`user:password@`): SQLite takes no credentials; write `sqlite:///relative/path.db` or `sqlite:////absolute/path.db`"
    )]
    SqliteUserInfo,
}

impl core::str::FromStr for DatabaseUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<DatabaseUrl, UrlError> {
        DatabaseUrl::parse(s)
    }
}

impl DatabaseUrl {
    /// Parses a sqlx or SQLAlchemy URL.
    pub fn parse(input: &str) -> Result<DatabaseUrl, UrlError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(UrlError::Empty);
        }
        // The URL parser would drop tabs and newlines silently, and a file path holding
        // one is a mistake: refuse them all.
        if input.chars().any(char::is_control) {
            return Err(UrlError::ControlCharacter);
        }
        let Some((scheme, rest)) = input.split_once(':') else {
            return Err(UrlError::NoScheme);
        };
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(UrlError::NoScheme);
        }
        let base = scheme
            .split('+')
            .next()
            .unwrap_or(scheme)
            .to_ascii_lowercase();
        let dialect = match base.as_str() {
            "sqlite" => Dialect::Sqlite,
            "postgres" | "postgresql" => Dialect::Postgres,
            "mysql" | "mariadb" => Dialect::MySql,
            _ => {
                return Err(UrlError::UnknownScheme {
                    scheme: scheme.to_owned(),
                });
            }
        };
        options::check_driver(dialect, scheme)?;
        let target = match dialect {
            Dialect::Sqlite => parse_sqlite(rest)?,
            Dialect::Postgres | Dialect::MySql => parse_server(dialect, rest)?,
        };
        Ok(DatabaseUrl {
            scheme: scheme.to_owned(),
            target,
        })
    }

    /// The dialect the URL speaks.
    pub fn dialect(&self) -> Dialect {
        match &self.target {
            Target::SqliteMemory | Target::SqliteFile { .. } => Dialect::Sqlite,
            Target::Server { dialect, .. } => *dialect,
        }
    }

    /// Whether this is an in-memory SQLite database.
    pub fn is_memory(&self) -> bool {
        matches!(self.target, Target::SqliteMemory)
    }

    /// The SQLite file's path as written (relative or absolute), with its query options.
    // Read only by the SQLite driver's engine; the URL parses without it all the same.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) fn sqlite_file(&self) -> Option<(&Path, &[(String, String)])> {
        match &self.target {
            Target::SqliteFile { path, query, .. } => Some((path, query)),
            _ => None,
        }
    }

    /// The full server URL, password included, in sqlx's scheme. Never print it.
    pub(crate) fn server_url(&self) -> Option<&Url> {
        match &self.target {
            Target::Server { url, .. } => Some(url),
            _ => None,
        }
    }

    /// What names the database itself, whatever the URL's options or credentials say:
    /// dialect, host, port and database name; or SQLite's path. Never a secret.
    pub(crate) fn identity(&self) -> String {
        match &self.target {
            Target::SqliteMemory => "sqlite|:memory:".to_owned(),
            Target::SqliteFile { path, .. } => format!("sqlite|{}", path.display()),
            Target::Server { dialect, url } => format!(
                "{dialect}|{}|{}|{}",
                url.host_str().unwrap_or_default(),
                url.port().unwrap_or_default(),
                self.database().unwrap_or_default()
            ),
        }
    }

    /// The database name of a server URL (the path without its `/`).
    pub fn database(&self) -> Option<&str> {
        self.server_url()
            .map(|url| url.path().trim_start_matches('/'))
            .filter(|db| !db.is_empty())
    }
}

/// SQLite URL forms, after `sqlite:`:
/// `//`, `///` or `` (memory), `:memory:`, `//:memory:` or `///:memory:`, `////abs`
/// (absolute, SQLAlchemy), `///rel` (relative, SQLAlchemy), `//rel` and `rel` (relative,
/// sqlx); and, with `uri=true`, a path `file:…` that is SQLite's own URI filename
/// (SQLAlchemy's "URI connections", see [`parse_file_uri`]).
fn parse_sqlite(rest: &str) -> Result<Target, UrlError> {
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest, None),
    };
    let path = if let Some(abs) = location.strip_prefix("////") {
        format!("/{abs}")
    } else if let Some(rel) = location.strip_prefix("///") {
        // `sqlite:///` names no file: SQLAlchemy opens `:memory:`.
        rel.to_owned()
    } else if let Some(rel) = location.strip_prefix("//") {
        rel.to_owned()
    } else {
        location.to_owned()
    };
    options::check_query(Dialect::Sqlite, query)?;
    let mut query: Vec<(String, String)> = query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    // `uri` is pysqlite's switch, not SQLite's option: SQLAlchemy takes it out of the
    // query before handing the rest to SQLite (the last one wins, as in its dict).
    let uri = query
        .iter()
        .rev()
        .find(|(k, _)| k == "uri")
        .is_some_and(|(_, v)| options::is_true(v));
    query.retain(|(k, _)| k != "uri");
    let memory_mode = query.iter().any(|(k, v)| k == "mode" && v == "memory");
    if uri && path.starts_with("file:") {
        return parse_file_uri(&path["file:".len()..], query, memory_mode);
    }
    check_no_user_info(&path)?;
    if path.is_empty() || path == ":memory:" {
        return Ok(Target::SqliteMemory);
    }
    if memory_mode {
        return Err(UrlError::BadOption {
            option: "mode".to_owned(),
            reason: "expected ro, rw or rwc (`mode=memory` is for a `file:` path with `uri=true`)",
        });
    }
    if uri && !query.is_empty() {
        // SQLite reads a name without `file:` as a plain file name, so SQLAlchemy would
        // open a file named `x.db?mode=ro`: refuse rather than guess.
        return Err(UrlError::BadOption {
            option: "uri".to_owned(),
            reason: "with other options, `uri=true` needs a path starting with `file:` (as in `sqlite:///file:app.db?mode=ro&uri=true`)",
        });
    }
    Ok(Target::SqliteFile {
        path: PathBuf::from(path),
        query,
        uri: false,
    })
}

/// A SQLite URI filename after its `file:`, as SQLite reads it
/// (<https://sqlite.org/uri.html>): an optional authority (`//` then nothing or
/// `localhost`), then a path, percent-decoded, relative or absolute. `:memory:` or
/// `mode=memory` is an in-memory database. Its query options were checked already.
fn parse_file_uri(
    rest: &str,
    query: Vec<(String, String)>,
    memory_mode: bool,
) -> Result<Target, UrlError> {
    let raw = match rest.strip_prefix("//") {
        Some(after) => {
            let (authority, path) = after.split_at(after.find('/').unwrap_or(after.len()));
            if !authority.is_empty() && !authority.eq_ignore_ascii_case("localhost") {
                return Err(UrlError::BadPart {
                    part: "`file:` URI",
                    reason: "names a host: SQLite takes only `file:///path` or `file://localhost/path`",
                });
            }
            path
        }
        None => rest,
    };
    if raw.contains('#') {
        return Err(UrlError::BadPart {
            part: "`file:` URI",
            reason: "holds `#`, which ends a SQLite URI: percent-encode it as %23",
        });
    }
    let path = String::from_utf8(options::percent_decode(raw)).map_err(|_| UrlError::BadPart {
        part: "`file:` URI",
        reason: "is not UTF-8 once percent-decoded",
    })?;
    if path.chars().any(char::is_control) {
        return Err(UrlError::BadPart {
            part: "`file:` URI",
            reason: "holds a control character once percent-decoded",
        });
    }
    if memory_mode || path == ":memory:" {
        return Ok(Target::SqliteMemory);
    }
    if path.is_empty() {
        return Err(UrlError::EmptyPath);
    }
    check_no_user_info(&path)?;
    Ok(Target::SqliteFile {
        path: PathBuf::from(path),
        query,
        uri: true,
    })
}

/// `sqlite://:key@/file.db` would make a folder named `:key@`: user info, not a path.
fn check_no_user_info(path: &str) -> Result<(), UrlError> {
    if let Some((first, _)) = path.trim_start_matches('/').split_once('/') {
        let drive =
            first.len() == 2 && first.ends_with(':') && first.as_bytes()[0].is_ascii_alphabetic();
        if first.contains('@') || (first.contains(':') && !drive) {
            return Err(UrlError::SqliteUserInfo);
        }
    }
    Ok(())
}

fn parse_server(dialect: Dialect, rest: &str) -> Result<Target, UrlError> {
    let scheme = match dialect {
        Dialect::Postgres => "postgres",
        _ => "mysql",
    };
    let url = Url::parse(&format!("{scheme}:{rest}")).map_err(|e| UrlError::Malformed {
        reason: e.to_string(),
    })?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NoHost);
    }
    if dialect == Dialect::MySql && url.path().trim_start_matches('/').is_empty() {
        return Err(UrlError::NoDatabase);
    }
    options::check_credentials_and_database(&url)?;
    options::check_query(dialect, url.query())?;
    Ok(Target::Server { dialect, url })
}

/// Query parameters whose values are secrets.
fn is_secret_param(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "password" | "pass" | "pwd" | "passwd" | "sslpassword" | "ssl-password"
    )
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Target::SqliteMemory => write!(f, "{}://", self.scheme),
            Target::SqliteFile {
                path,
                query,
                uri: false,
            } => {
                // `sqlite:///rel` and `sqlite:////abs`, SQLAlchemy's spelling, which reads
                // the same for both kinds of path.
                write!(f, "{}:///{}", self.scheme, path.display())?;
                write_query(f, query.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            }
            Target::SqliteFile {
                path,
                query,
                uri: true,
            } => {
                // `sqlite:///file:rel?…&uri=true`, `sqlite:///file:///abs?…&uri=true`.
                let path = path.to_string_lossy();
                let authority = if path.starts_with('/') { "//" } else { "" };
                write!(
                    f,
                    "{}:///file:{authority}{}",
                    self.scheme,
                    encode_uri_path(&path)
                )?;
                let uri = [("uri", "true")].into_iter();
                write_query(
                    f,
                    query
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .chain(uri),
                )
            }
            Target::Server { url, .. } => {
                write!(f, "{}://", self.scheme)?;
                if !url.username().is_empty() || url.password().is_some() {
                    f.write_str(url.username())?;
                    if url.password().is_some() {
                        f.write_str(":***")?;
                    }
                    f.write_str("@")?;
                }
                if let Some(host) = url.host_str() {
                    f.write_str(host)?;
                }
                if let Some(port) = url.port() {
                    write!(f, ":{port}")?;
                }
                f.write_str(url.path())?;
                let pairs: Vec<(String, String)> = url
                    .query_pairs()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                write_query(f, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            }
        }
    }
}

/// A path as a SQLite URI writes it: `%`, `?`, `#` and anything but printable ASCII
/// percent-encoded, `/` kept.
fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_graphic() && !matches!(byte, b'%' | b'?' | b'#') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn write_query<'a>(
    f: &mut fmt::Formatter<'_>,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> fmt::Result {
    for (i, (key, value)) in pairs.enumerate() {
        f.write_str(if i == 0 { "?" } else { "&" })?;
        // Inline PEM (`sslkey=-----BEGIN PRIVATE KEY-----…`) is a secret too.
        let value = if is_secret_param(key) || value.trim_start().starts_with("-----BEGIN") {
            "***"
        } else {
            value
        };
        let encoded: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair(key, value)
            .finish();
        f.write_str(&encoded)?;
    }
    Ok(())
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&format_args!("{self}"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> DatabaseUrl {
        DatabaseUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn sqlalchemy_and_sqlx_sqlite_forms() {
        assert!(parse("sqlite://").is_memory());
        assert!(parse("sqlite::memory:").is_memory());
        assert!(parse("sqlite://:memory:").is_memory());
        for (url, path) in [
            ("sqlite:///relative.db", "relative.db"),
            ("sqlite:////abs/path.db", "/abs/path.db"),
            ("sqlite://data.db", "data.db"),
            ("sqlite:data.db", "data.db"),
            ("sqlite:///instance/app.db?mode=rwc", "instance/app.db"),
        ] {
            let parsed = parse(url);
            let (p, _) = parsed.sqlite_file().unwrap();
            assert_eq!(p, Path::new(path), "{url}");
        }
        for memory in [
            "sqlite:///",
            "sqlite:///:memory:",
            "sqlite:///file::memory:?uri=true",
            "sqlite:///file:x?mode=memory&cache=shared&uri=true",
        ] {
            assert!(parse(memory).is_memory(), "{memory}");
        }
        assert_eq!(
            DatabaseUrl::parse("sqlite:///file:?uri=true"),
            Err(UrlError::EmptyPath)
        );
    }

    #[test]
    fn bad_file_uris_are_refused_by_part() {
        for (input, reason) in [
            ("sqlite:///file://example.com/x.db?uri=true", "names a host"),
            ("sqlite:///file:x#y.db?uri=true", "holds `#`"),
            ("sqlite:///file:x%00.db?uri=true", "control character"),
            ("sqlite:///file:x%FF.db?uri=true", "not UTF-8"),
        ] {
            match DatabaseUrl::parse(input) {
                Err(UrlError::BadPart { part, reason: r }) => {
                    assert_eq!(part, "`file:` URI", "{input}");
                    assert!(r.contains(reason), "{input}: {r}");
                }
                other => panic!("{input}: {other:?}"),
            }
        }
    }

    #[test]
    fn server_forms_and_masking() {
        for (input, shown, dialect) in [
            (
                "mysql+pymysql://root:root@localhost:3306/test1",
                "mysql+pymysql://root:***@localhost:3306/test1",
                Dialect::MySql,
            ),
            (
                "postgresql+psycopg2://u:p%40ss@db.example:5433/app?sslmode=require",
                "postgresql+psycopg2://u:***@db.example:5433/app?sslmode=require",
                Dialect::Postgres,
            ),
            (
                "postgres://u@h/app?password=hunter2",
                "postgres://u@h/app?password=***",
                Dialect::Postgres,
            ),
            (
                "mariadb://root@127.0.0.1/test",
                "mariadb://root@127.0.0.1/test",
                Dialect::MySql,
            ),
        ] {
            let url = parse(input);
            assert_eq!(url.to_string(), shown);
            assert_eq!(format!("{url:?}"), format!("DatabaseUrl({shown})"));
            assert_eq!(url.dialect(), dialect);
        }
        // The password survives, decoded by sqlx later, for connecting only.
        let url = parse("postgres://u:p%40ss@h/app");
        assert_eq!(url.server_url().unwrap().password(), Some("p%40ss"));
    }

    #[test]
    fn refusals_name_no_secret() {
        assert_eq!(DatabaseUrl::parse(""), Err(UrlError::Empty));
        assert_eq!(DatabaseUrl::parse("localhost/db"), Err(UrlError::NoScheme));
        assert_eq!(
            DatabaseUrl::parse("oracle://scott:tiger@h/db"),
            Err(UrlError::UnknownScheme {
                scheme: "oracle".into()
            })
        );
        let bad_port = DatabaseUrl::parse("mysql://root:secret@h:99999/db").unwrap_err();
        assert_eq!(bad_port.to_string(), "malformed URL: invalid port number");
        assert_eq!(
            DatabaseUrl::parse("mysql://root:secret@h:3306"),
            Err(UrlError::NoDatabase)
        );
        assert_eq!(DatabaseUrl::parse("postgres:///db"), Err(UrlError::NoHost));
    }
}
