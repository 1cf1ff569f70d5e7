//! Any text given as a TOML configuration: it is read or refused with errors, never a
//! panic, and an error never quotes the file's secrets (a password planted in the input
//! never shows in the error).
#![no_main]

use bindery::Config;
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "Fuzz-Secret-7f3a9";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let planted = format!("{text}\n[binds.planted]\nurl = \"mysql://u:{SECRET}@h/db\"\n");
    for input in [text, planted.as_str()] {
        match Config::from_toml(input) {
            Ok(config) => assert!(!format!("{config:?}").contains(SECRET)),
            Err(error) => {
                assert!(!error.to_string().contains(SECRET));
                assert!(!format!("{error:?}").contains(SECRET));
            }
        }
    }
});
