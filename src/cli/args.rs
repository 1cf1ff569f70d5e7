//! What the flags mean: `--bind` split into configured and selected binds, the
//! configuration from file, environment and flags, and clap's errors without URLs.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use crate::{BindKey, Binds, Config, Registry};

/// clap's error message with every argument that may be a URL (it holds `://` or `@`,
/// so perhaps a password) replaced by its position: clap quotes the arguments it
/// rejects.
pub(super) fn without_urls(message: &str, args: &[OsString]) -> String {
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
pub(super) type SplitBinds = (Vec<(String, String)>, Vec<BindKey>);

/// `KEY=URL` flags configure, `KEY` flags select. A flag that looks like a URL without
/// its `KEY=` is an error that names the flag by position, never repeats it: it may hold
/// a password.
pub(super) fn split_binds(flags: &[String]) -> Result<SplitBinds, String> {
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
            None if flag == "default" => selected.push(BindKey::DEFAULT),
            None => selected.push(BindKey::from(flag.as_str())),
        }
    }
    Ok((configured, selected))
}

/// File, then environment, then flags; with none saying anything, one SQLite file per
/// bind of `registry` under `./instance/` ([`Config::sqlite_per_bind`]). A URL that was
/// given and refused is an error, never a reason to fall back.
pub(super) fn config(
    registry: &Registry,
    file: Option<&Path>,
    database_uri: Option<&str>,
    configured: &[(String, String)],
    err: &mut (impl Write + ?Sized),
) -> Result<Config, String> {
    let mut config = Config::new();
    if let Some(path) = file {
        config = config.merge(Config::from_toml_file(path).map_err(|e| e.to_string())?);
    }
    config = config.merge(Config::from_env().map_err(|e| e.to_string())?);
    let mut flags = Config::new();
    if let Some(url) = database_uri {
        flags = flags.database_uri(url);
    }
    for (key, url) in configured {
        flags = flags.bind(key, url);
    }
    config = config.merge(flags);
    // Only a configuration that says nothing at all falls back; one whose every URL was
    // refused (a typo such as `postgress://`) fails here, naming each bind and why.
    if let Err(error) = config.validate() {
        if !matches!(error.problems(), [crate::ConfigProblem::NoDatabase]) {
            return Err(error.to_string());
        }
        let _ = writeln!(
            err,
            "note: no configuration given: using SQLite files under ./instance/"
        );
        config = Config::sqlite_per_bind("instance", registry.binds().iter().map(|b| b.key()));
    }
    Ok(config)
}

/// The binds a command works on: those selected by `--bind KEY`, or every bind.
pub(super) fn selection(selected: &[BindKey]) -> Binds {
    if selected.is_empty() {
        Binds::All
    } else {
        Binds::Only(selected.to_vec())
    }
}
