//! Any text given as a database URL: parsing returns (never panics), and a URL that
//! parses prints a form that parses again to the same place, with its password masked.
#![no_main]

use bindery::DatabaseUrl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(url) = DatabaseUrl::parse(text) else {
        return;
    };
    let shown = url.to_string();
    assert_eq!(format!("{url:?}"), format!("DatabaseUrl({shown})"));
    let again = DatabaseUrl::parse(&shown).expect("a printed URL parses again");
    assert_eq!(again.dialect(), url.dialect());
    assert_eq!(again.to_string(), shown, "printing is stable");
});
