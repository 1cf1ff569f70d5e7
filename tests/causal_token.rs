//! Causal tokens print and parse back, whatever the bind keys and positions: an
//! application carries them as text (a cookie, a header) between processes.

#![allow(clippy::unwrap_used)]

use bindery::{BindKey, CausalToken, Position};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

fn position() -> impl Strategy<Value = Position> {
    prop_oneof![
        any::<u64>().prop_map(Position::Lsn),
        btree_map(any::<u32>(), (any::<u32>(), any::<u64>()), 0..4).prop_map(Position::Gtid),
    ]
}

fn bind() -> impl Strategy<Value = BindKey> {
    prop_oneof![
        Just(BindKey::DEFAULT),
        // Any text, the separators `=`, `;`, `%` and non-ASCII included.
        "[a-z=;%é.\\- ]{1,12}".prop_map(|key| BindKey::from(key.as_str())),
    ]
}

proptest! {
    #[test]
    fn a_token_round_trips_through_text(entries in vec((bind(), position()), 0..5)) {
        let mut token = CausalToken::default();
        for (bind, position) in entries {
            token.advance(bind, position);
        }
        let text = token.to_string();
        prop_assert_eq!(text.parse::<CausalToken>().unwrap(), token);
    }

    #[test]
    fn advancing_never_moves_a_bind_back(a in any::<u64>(), b in any::<u64>()) {
        let mut token = CausalToken::default();
        token.advance(BindKey::DEFAULT, Position::Lsn(a));
        token.advance(BindKey::DEFAULT, Position::Lsn(b));
        prop_assert_eq!(token.position(&BindKey::DEFAULT), Some(&Position::Lsn(a.max(b))));
    }
}

#[test]
fn garbage_is_refused_with_what_was_expected() {
    for bad in [
        "auth",
        "auth=lsn",
        "auth=lsn:zz/1",
        "auth=gtid:1-2",
        "%G1=lsn:0/1",
        "a=xid:1",
    ] {
        let error = bad.parse::<CausalToken>().unwrap_err();
        assert!(!error.to_string().is_empty(), "{bad}");
    }
}
