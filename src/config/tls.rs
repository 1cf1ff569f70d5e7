//! TLS for server binds: one settings type, [`TlsOptions`], whatever gave it (a URL's
//! query options, `[binds.<key>.tls]` in TOML, `BINDERY_BIND_<KEY>_TLS_*` variables or
//! code), and its checks at `Db::build`: a file that cannot be read, or a mode that needs
//! TLS in a build without the `tls` feature, is a problem naming the bind and the key.

use core::fmt;
use std::path::PathBuf;

use crate::Dialect;
use crate::error::ConfigProblem;
use crate::url::DatabaseUrl;

/// How a bind uses TLS: PostgreSQL's `sslmode` words, which MySQL's `ssl-mode` words map
/// onto (`VERIFY_IDENTITY` is `VerifyFull`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsMode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it, else plain (sqlx's default for both servers).
    Prefer,
    /// TLS or no connection; the server's certificate is not checked.
    Require,
    /// TLS, and the server's certificate is signed by a trusted CA.
    VerifyCa,
    /// As `VerifyCa`, and the certificate names the host connected to (MySQL's
    /// `VERIFY_IDENTITY`).
    VerifyFull,
}

impl TlsMode {
    /// Reads `disable`/`disabled`, `prefer`/`preferred`, `require`/`required`,
    /// `verify-ca`/`verify_ca`, `verify-full`/`verify_identity`, in any case.
    pub fn parse(word: &str) -> Option<TlsMode> {
        let word = word.to_ascii_lowercase().replace('_', "-");
        Some(match word.as_str() {
            "disable" | "disabled" => TlsMode::Disable,
            "prefer" | "preferred" => TlsMode::Prefer,
            "require" | "required" => TlsMode::Require,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" | "verify-identity" => TlsMode::VerifyFull,
            _ => return None,
        })
    }

    /// Whether a connection in this mode fails rather than go without TLS.
    pub fn needs_tls(self) -> bool {
        matches!(
            self,
            TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull
        )
    }
}

/// What [`TlsMode::parse`] accepts, for the refusals.
pub(crate) const TLS_MODES: &str = "disable, prefer, require, verify-ca, verify-full (or MySQL's disabled, preferred, required, verify_ca, verify_identity)";

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyCa => "verify-ca",
            TlsMode::VerifyFull => "verify-full",
        })
    }
}

/// A bind's TLS settings; each one unset leaves the URL's (or sqlx's default) in force.
/// Files are paths: the key's path prints, its contents are never read by bindery but to
/// check it can be opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// The mode (`sslmode`, `ssl-mode`).
    pub mode: Option<TlsMode>,
    /// The CA certificates the server's certificate is checked against (`sslrootcert`,
    /// `ssl-ca`).
    pub ca: Option<PathBuf>,
    /// The client certificate (`sslcert`, `ssl-cert`).
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (`sslkey`, `ssl-key`).
    pub key: Option<PathBuf>,
}

impl TlsOptions {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == TlsOptions::default()
    }

    /// `other`'s settings over `self`'s.
    pub fn or_over(self, other: &TlsOptions) -> TlsOptions {
        TlsOptions {
            mode: other.mode.or(self.mode),
            ca: other.ca.clone().or(self.ca),
            cert: other.cert.clone().or(self.cert),
            key: other.key.clone().or(self.key),
        }
    }

    /// The TLS settings a server URL's query gives. Inline PEM (a value starting
    /// `-----BEGIN`) stays with sqlx, which reads it from the URL: it is not a path.
    pub(crate) fn from_url(url: &DatabaseUrl) -> TlsOptions {
        let mut tls = TlsOptions::default();
        let Some(server) = url.server_url() else {
            return tls;
        };
        let path = |value: &str| (!value.starts_with("-----")).then(|| PathBuf::from(value));
        for (name, value) in server.query_pairs() {
            match name.as_ref() {
                "sslmode" | "ssl-mode" => tls.mode = TlsMode::parse(&value),
                "sslrootcert" | "ssl-root-cert" | "ssl-ca" | "sslca" => tls.ca = path(&value),
                "sslcert" | "ssl-cert" => tls.cert = path(&value),
                "sslkey" | "ssl-key" => tls.key = path(&value),
                _ => {}
            }
        }
        tls
    }

    /// Every problem of these settings, configured under `key` (`binds.shop.tls`,
    /// `database_tls`) for a bind with a URL of `dialect`: files that cannot be read, settings on a
    /// SQLite bind, and TLS asked of a build without the `tls` feature.
    ///
    /// A setting the configuration did not give came from the URL (`url_key`, the key
    /// of the bind's URL): its problem names the URL's option instead.
    pub(crate) fn check(
        &self,
        configured: Option<&TlsOptions>,
        dialect: Dialect,
        (key, url_key): (&str, &str),
        problems: &mut Vec<ConfigProblem>,
    ) {
        let given = configured.cloned().unwrap_or_default();
        // The key a problem of `entry` names: the configuration's, or the URL option's.
        let name = |entry: &str, in_config: bool| {
            if in_config {
                return format!("{key}.{entry}");
            }
            let option = match (dialect, entry) {
                (Dialect::MySql, "mode") => "ssl-mode",
                (_, "mode") => "sslmode",
                (Dialect::MySql, "ca") => "ssl-ca",
                (_, "ca") => "sslrootcert",
                (_, "cert") => "sslcert",
                _ => "sslkey",
            };
            format!("{url_key} (URL option `{option}`)")
        };
        if self.is_empty() {
            return;
        }
        if dialect == Dialect::Sqlite {
            if self.mode.is_some_and(TlsMode::needs_tls) || self.ca.is_some() {
                problems.push(ConfigProblem::BadValue {
                    key: key.to_owned(),
                    reason: "is set, but the bind is SQLite, which has no TLS".into(),
                });
            }
            return;
        }
        if !cfg!(feature = "tls") {
            if let Some(mode) = self.mode.filter(|mode| mode.needs_tls()) {
                problems.push(ConfigProblem::TlsOff {
                    key: name("mode", given.mode.is_some()),
                    mode: mode.to_string(),
                });
            }
            return;
        }
        let files = [
            ("ca", &self.ca, given.ca.is_some()),
            ("cert", &self.cert, given.cert.is_some()),
            ("key", &self.key, given.key.is_some()),
        ];
        for (entry, path, in_config) in files {
            let Some(path) = path else { continue };
            if let Err(error) = std::fs::File::open(path) {
                problems.push(ConfigProblem::TlsFile {
                    key: name(entry, in_config),
                    path: path.clone(),
                    reason: error.to_string(),
                });
            }
        }
        if self.cert.is_some() != self.key.is_some() {
            problems.push(ConfigProblem::BadValue {
                key: key.to_owned(),
                reason: "sets one of `cert` and `key`: a client certificate needs both".into(),
            });
        }
    }
}

impl fmt::Display for TlsOptions {
    /// `verify-full ca=/etc/ca.crt cert=/etc/app.crt key=/etc/app.key`: the mode and the
    /// paths, never a file's contents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mode {
            Some(mode) => write!(f, "{mode}")?,
            None => f.write_str("default")?,
        }
        let files = [("ca", &self.ca), ("cert", &self.cert), ("key", &self.key)];
        for (name, path) in files {
            if let Some(path) = path {
                write!(f, " {name}={}", path.display())?;
            }
        }
        Ok(())
    }
}

/// Reads one `tls` entry (`mode`, `ca`, `cert`, `key`) given as text under `key`, into
/// `tls`; a bad mode or an unknown entry is a problem.
pub(crate) fn set_entry(
    tls: &mut TlsOptions,
    entry: &str,
    value: &str,
    key: &str,
    problems: &mut Vec<ConfigProblem>,
) {
    match entry {
        "mode" => match TlsMode::parse(value) {
            Some(mode) => tls.mode = Some(mode),
            None => problems.push(ConfigProblem::BadValue {
                key: key.to_owned(),
                reason: format!("is not a TLS mode; expected {TLS_MODES}"),
            }),
        },
        "ca" => tls.ca = Some(PathBuf::from(value)),
        "cert" => tls.cert = Some(PathBuf::from(value)),
        "key" => tls.key = Some(PathBuf::from(value)),
        _ => problems.push(ConfigProblem::UnknownKey {
            key: key.to_owned(),
            expected: "mode, ca, cert, key",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_in_both_spellings() {
        assert_eq!(TlsMode::parse("VERIFY_IDENTITY"), Some(TlsMode::VerifyFull));
        assert_eq!(TlsMode::parse("verify-full"), Some(TlsMode::VerifyFull));
        assert_eq!(TlsMode::parse("verify_ca"), Some(TlsMode::VerifyCa));
        assert_eq!(TlsMode::parse("required"), Some(TlsMode::Require));
        assert_eq!(TlsMode::parse("disabled"), Some(TlsMode::Disable));
        assert_eq!(TlsMode::parse("sometimes"), None);
    }
}
