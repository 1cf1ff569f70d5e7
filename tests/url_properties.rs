//! Properties of URL parsing over generated input: a URL always parses back from what it
//! prints (the password aside), no printed form or error shows the password or a secret
//! option, no input, however malformed, makes parsing panic, and the MySQL options sqlx
//! writes into SQL pass only when they cannot leave their place in it.

use bindery::{Config, DatabaseUrl, Db, Dialect, UrlError};
use proptest::prelude::*;

/// Characters a user name, password or database name may hold, awkward ones included;
/// URLs carry them percent-encoded.
fn part(min: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = "abcXYZ019-_.~!$&'()*+,;=:@/?#[]% é😀".chars().collect();
    prop::collection::vec(prop::sample::select(chars), min..12)
        .prop_map(|c| c.into_iter().collect())
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// SQLAlchemy's `asbool` spellings of true and false.
const TRUTHY: &[&str] = &["true", "yes", "on", "y", "t", "1"];
const FALSY: &[&str] = &["false", "no", "off", "n", "f", "0"];

/// A spelling of `words`, in any case.
fn spelled(words: &'static [&'static str]) -> impl Strategy<Value = String> {
    (prop::sample::select(words), any::<bool>()).prop_map(|(w, upper)| {
        if upper {
            w.to_ascii_uppercase()
        } else {
            w.to_owned()
        }
    })
}

fn truthy() -> impl Strategy<Value = String> {
    spelled(TRUTHY)
}

fn falsy() -> impl Strategy<Value = String> {
    spelled(FALSY)
}

/// A relative SQLite file path of one to three names, awkward characters included
/// (`%`, `?`, `#`, a space, `é`), which a `file:` URI carries percent-encoded.
fn sqlite_path() -> impl Strategy<Value = String> {
    let name = "[a-z][a-z0-9_ %?#é.-]{0,8}";
    prop::collection::vec(name, 1..4).prop_map(|names| format!("{}.db", names.join("/")))
}

/// A path as a SQLite URI carries it: what bindery prints encoded, `/` kept.
fn encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| {
            if b.is_ascii_graphic() && !matches!(b, b'%' | b'?' | b'#') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Some of SQLite's URI options bindery applies, each at most once, in any order.
fn sqlite_options() -> impl Strategy<Value = Vec<String>> {
    (
        prop::option::of(prop::sample::select(vec!["ro", "rw", "rwc"])),
        prop::option::of(prop::sample::select(vec!["shared", "private"])),
        prop::option::of(prop::sample::select(vec!["1", "true"])),
    )
        .prop_map(|(mode, cache, immutable)| {
            let mut options = Vec::new();
            options.extend(mode.map(|m| format!("mode={m}")));
            options.extend(cache.map(|c| format!("cache={c}")));
            options.extend(immutable.map(|i| format!("immutable={i}")));
            options
        })
        .prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn server_urls_round_trip_and_mask(
        scheme in prop::sample::select(vec!["postgres", "postgresql+psycopg2", "mysql", "mysql+pymysql", "mariadb"]),
        user in "[a-z][a-z0-9_]{0,8}",
        password in part(4),
        host in "[a-z][a-z0-9-]{0,10}",
        port in 1u16..,
        database in "[a-z][a-z0-9_]{0,10}",
    ) {
        let input = format!("{scheme}://{user}:{}@{host}:{port}/{database}", encode(&password));
        let url = DatabaseUrl::parse(&input).unwrap();
        let shown = url.to_string();
        let debug = format!("{url:?}");
        // Exactly this text: nothing of the password can be in it.
        prop_assert_eq!(&shown, &format!("{scheme}://{user}:***@{host}:{port}/{database}"));
        prop_assert_eq!(&debug, &format!("DatabaseUrl({shown})"));
        prop_assert_eq!(url.database(), Some(database.as_str()));
        // What is printed parses again, to the same place.
        let again = DatabaseUrl::parse(&shown).unwrap();
        prop_assert_eq!(again.to_string(), shown);
        prop_assert_eq!(again.dialect(), url.dialect());
        // A config holding it prints it the same way.
        let config = Config::new().bind("k", &input);
        let config_debug = format!("{config:?}");
        prop_assert!(config_debug.contains(&debug));
    }

    #[test]
    fn sqlite_paths_round_trip(path in "[a-z][a-z0-9_/]{0,20}\\.db", absolute in any::<bool>()) {
        let input = if absolute { format!("sqlite:////{path}") } else { format!("sqlite:///{path}") };
        let url = DatabaseUrl::parse(&input).unwrap();
        prop_assert_eq!(url.dialect(), Dialect::Sqlite);
        prop_assert_eq!(url.to_string(), input.clone());
        prop_assert_eq!(DatabaseUrl::parse(&url.to_string()).unwrap(), url);
    }

    #[test]
    fn every_in_memory_spelling_is_in_memory(
        driver in prop::sample::select(vec!["", "+pysqlite", "+aiosqlite"]),
        spelling in prop::sample::select(vec![
            "//", "///", "", "//:memory:", "///:memory:", ":memory:",
            "///file::memory:", "///file:mem", "///file:///mem", "///file://localhost/mem",
        ]),
        uri in prop_oneof![Just(None), truthy().prop_map(Some), falsy().prop_map(Some)],
        cache in prop::option::of(prop::sample::select(vec!["shared", "private"])),
    ) {
        // A `file:` name is in memory only as SQLite's URI, and without `:memory:` only
        // with `mode=memory`.
        let is_uri = uri.as_deref().is_some_and(|u| TRUTHY.contains(&u.to_ascii_lowercase().as_str()));
        let file = spelling.contains("file:");
        prop_assume!(!file || is_uri);
        let mut query: Vec<String> = Vec::new();
        if file && !spelling.contains(":memory:") {
            query.push("mode=memory".into());
        }
        query.extend(cache.map(|c| format!("cache={c}")));
        query.extend(uri.map(|u| format!("uri={u}")));
        let query = if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) };
        let input = format!("sqlite{driver}:{spelling}{query}");
        let url = DatabaseUrl::parse(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
        prop_assert!(url.is_memory(), "{}", input);
        prop_assert_eq!(url.to_string(), format!("sqlite{driver}://"));
        prop_assert_eq!(DatabaseUrl::parse(&url.to_string()).unwrap(), url);
    }

    #[test]
    fn file_uris_round_trip_through_what_they_print(
        path in sqlite_path(),
        absolute in any::<bool>(),
        localhost in any::<bool>(),
        options in sqlite_options(),
        uri in truthy(),
        uri_at in 0usize..4,
    ) {
        let location = match (absolute, localhost) {
            (false, _) => format!("file:{}", encode_path(&path)),
            (true, false) => format!("file:///{}", encode_path(&path)),
            (true, true) => format!("file://localhost/{}", encode_path(&path)),
        };
        let mut query = options.clone();
        query.insert(uri_at.min(query.len()), format!("uri={uri}"));
        let input = format!("sqlite:///{location}?{}", query.join("&"));
        let url = DatabaseUrl::parse(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
        prop_assert!(!url.is_memory());
        let shown = url.to_string();
        // Printed as a `file:` URI again, its options in order, `uri=true` last.
        let slash = if absolute { "///" } else { "" };
        let mut expected = format!("sqlite:///file:{slash}{}?", encode_path(&path));
        for option in &options {
            expected.push_str(option);
            expected.push('&');
        }
        expected.push_str("uri=true");
        prop_assert_eq!(&shown, &expected);
        prop_assert_eq!(DatabaseUrl::parse(&shown).unwrap(), url);
    }

    #[test]
    fn without_uri_true_a_file_name_is_a_plain_name(
        path in "[a-z][a-z0-9_]{0,12}\\.db",
        uri in prop::option::of(falsy()),
        file in any::<bool>(),
    ) {
        // `sqlite:///file:x.db` is the file `file:x.db`, as SQLAlchemy opens it; `uri=…`
        // false changes nothing, and `uri=true` alone on a plain path changes nothing.
        let name = if file { format!("file:{path}") } else { path.clone() };
        let plain = DatabaseUrl::parse(&format!("sqlite:///{name}")).unwrap();
        prop_assert_eq!(plain.to_string(), format!("sqlite:///{name}"));
        if let Some(uri) = uri {
            let input = format!("sqlite:///{name}?uri={uri}");
            prop_assert_eq!(DatabaseUrl::parse(&input).unwrap(), plain.clone());
        }
        if !file {
            let input = format!("sqlite:///{name}?uri=true");
            prop_assert_eq!(DatabaseUrl::parse(&input).unwrap(), plain);
        }
    }

    #[test]
    fn sqlite_uri_options_off_the_list_are_refused_by_name(
        option in "[a-z][a-z_]{0,10}".prop_filter("a known option", |o| !["mode", "cache", "immutable", "uri"].contains(&o.as_str())),
        value in "[A-Za-z0-9]{1,8}",
        bad_uri in "[a-z2-9]{2,6}".prop_filter("a boolean", |v| !TRUTHY.contains(&v.as_str()) && !FALSY.contains(&v.as_str())),
        known in sqlite_options().prop_filter("some option", |o| !o.is_empty()),
        uri in truthy(),
    ) {
        let input = format!("sqlite:///file:x.db?{option}={value}&uri=true");
        match DatabaseUrl::parse(&input) {
            Err(UrlError::UnknownOption { option: refused, dialect: Dialect::Sqlite, .. }) => {
                prop_assert_eq!(refused, option);
            }
            other => prop_assert!(false, "{:?} for {}", other, input),
        }
        let input = format!("sqlite:///file:x.db?uri={bad_uri}");
        match DatabaseUrl::parse(&input) {
            Err(UrlError::BadOption { option: refused, .. }) => prop_assert_eq!(refused, "uri"),
            other => prop_assert!(false, "{:?} for {}", other, input),
        }
        // On a plain path, `uri=true` with any other option would name a file after the
        // options in SQLAlchemy: refused, naming `uri`.
        let input = format!("sqlite:///x.db?{}&uri={uri}", known.join("&"));
        match DatabaseUrl::parse(&input) {
            Err(UrlError::BadOption { option: refused, .. }) => prop_assert_eq!(refused, "uri"),
            other => prop_assert!(false, "{:?} for {}", other, input),
        }
    }

    #[test]
    fn any_input_parses_or_fails_without_echoing_it(input in part(0), secret in "[A-Za-z]{12}") {
        // Whatever comes in, parsing returns; an error never repeats the input's secret.
        for candidate in [input.clone(), format!("mysql://u:{secret}@{input}"), format!("{input}://u:{secret}@h/d")] {
            match DatabaseUrl::parse(&candidate) {
                Ok(url) => prop_assert!(!url.to_string().contains(&secret)),
                Err(error) => prop_assert!(!error.to_string().contains(&secret)),
            }
        }
    }

    #[test]
    fn mysql_names_and_zones_that_cannot_leave_the_set_statement_pass(
        name in "[A-Za-z0-9_]{1,64}",
        zone in prop_oneof![
            Just("SYSTEM".to_owned()),
            "[+-][0-9]{1,2}:[0-9]{2}",
            "[A-Za-z][A-Za-z0-9_]{0,12}(/[A-Za-z][A-Za-z0-9_+]{0,12}){0,2}",
        ],
    ) {
        for option in ["charset", "collation"] {
            let input = format!("mysql://u@h/db?{option}={name}");
            prop_assert!(DatabaseUrl::parse(&input).is_ok(), "{}", input);
        }
        for option in ["timezone", "time-zone"] {
            let input = format!("mysql://u@h/db?{option}={}", encode(&zone));
            prop_assert!(DatabaseUrl::parse(&input).is_ok(), "{}", input);
        }
    }

    #[test]
    fn mysql_values_holding_sql_syntax_are_refused(
        before in "[A-Za-z0-9_/+:]{0,8}",
        bad in prop_oneof![
            Just(";".to_owned()), Just("'".to_owned()), Just("\"".to_owned()),
            Just("`".to_owned()), Just("#".to_owned()), Just("--".to_owned()),
            Just("/*".to_owned()), Just(" ".to_owned()), Just("\\".to_owned()),
            any::<char>().prop_filter("a control character", |c| c.is_control()).prop_map(String::from),
        ],
        after in "[A-Za-z0-9_/+:]{0,8}",
        option in prop::sample::select(vec!["charset", "collation", "timezone", "time-zone"]),
    ) {
        let value = format!("{before}{bad}{after}");
        let input = format!("mysql://u@h/db?{option}={}", encode(&value));
        match DatabaseUrl::parse(&input) {
            Err(UrlError::BadOption { option: refused, .. }) => prop_assert_eq!(refused, option),
            other => prop_assert!(false, "{:?} for {}={:?}", other, option, value),
        }
    }

    #[test]
    fn secrets_never_show_in_any_output(
        password in part(1),
        secret in "[A-Za-z0-9]{10,16}",
        driver in prop::sample::select(vec!["", "+pymysql", "+psycopg2", "+pysqlcipher", "+nosuch"]),
        shape in 0usize..7,
    ) {
        // Marked, so that no other text of the output can look like them.
        let password = format!("Zq{password}");
        let secret = format!("Sk{secret}");
        let (user_info, query) = (format!("u:{}@", encode(&password)), match shape {
            0 => format!("password={secret}"),
            1 => format!("sslpassword={secret}"),
            2 => format!("sslkey=-----BEGIN%20KEY-----%0A{secret}%0A-----END%20KEY-----"),
            3 => format!("application_name=a&password={secret}&x"),
            4 => format!("password=a%26b&{secret}"),
            5 => format!("collation=x%3B{secret}"),
            _ => format!("options=-c%20a%3Db&password={secret}%00"),
        });
        let inputs = [
            format!("postgresql{driver}://{user_info}h/db?{query}"),
            format!("mysql{driver}://{user_info}h/db?{query}"),
            format!("sqlite{driver}://{user_info}/x.db?{query}"),
            format!("sqlite{driver}:///x.db?{query}"),
        ];
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dir = std::env::temp_dir().join(format!("bindery_props_{}", std::process::id()));
        for input in &inputs {
            let mut shown = match DatabaseUrl::parse(input) {
                Ok(url) => format!("{url} {url:?}"),
                Err(error) => format!("{error} {error:?}"),
            };
            let config = Config::new().bind("k", input).sqlite_base_dir(&dir);
            shown.push_str(&format!("{config:?}"));
            if let Err(error) = config.validate() {
                shown.push_str(&format!("{error} {error:?}"));
            }
            runtime.block_on(async {
                match Db::build(config) {
                    Ok(db) => {
                        shown.push_str(&format!("{db:?} {:?}", db.engines()));
                        db.close().await;
                    }
                    Err(error) => shown.push_str(&format!("{error} {error:?}")),
                }
            });
            prop_assert!(!shown.contains(&password), "{} shows the password: {}", input, shown);
            prop_assert!(!shown.contains(&secret), "{} shows the secret: {}", input, shown);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn startup_values_holding_a_control_character_are_refused(
        before in "[A-Za-z0-9 _=-]{0,8}",
        control in any::<char>().prop_filter("a control character", |c| c.is_control()),
        after in "[A-Za-z0-9 _=-]{0,8}",
        option in prop::sample::select(vec![
            "application_name", "options", "options[search_path]", "user", "dbname", "host", "password",
        ]),
    ) {
        // Percent-encoded, so that only the decoded value holds it: a NUL there would end
        // the startup packet's string and begin another parameter.
        let value = format!("{before}{control}{after}");
        let input = format!("postgres://u@h/db?{option}={}", encode(&value));
        match DatabaseUrl::parse(&input) {
            Err(UrlError::BadOption { option: refused, .. }) => prop_assert_eq!(refused, option),
            other => prop_assert!(false, "{:?} for {}={:?}", other, option, value),
        }
        // Without it, the same value passes.
        let input = format!("postgres://u@h/db?{option}={}", encode(&format!("{before}{after}")));
        prop_assert!(DatabaseUrl::parse(&input).is_ok(), "{}", input);
    }
}
