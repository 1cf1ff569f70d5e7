//! Properties of URL parsing over generated input: a URL always parses back from what it
//! prints (the password aside), no printed form or error shows the password, and no
//! input, however malformed, makes parsing panic.

use bindery::{Config, DatabaseUrl, Dialect};
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
    fn any_input_parses_or_fails_without_echoing_it(input in part(0), secret in "[A-Za-z]{12}") {
        // Whatever comes in, parsing returns; an error never repeats the input's secret.
        for candidate in [input.clone(), format!("mysql://u:{secret}@{input}"), format!("{input}://u:{secret}@h/d")] {
            match DatabaseUrl::parse(&candidate) {
                Ok(url) => prop_assert!(!url.to_string().contains(&secret)),
                Err(error) => prop_assert!(!error.to_string().contains(&secret)),
            }
        }
    }
}
