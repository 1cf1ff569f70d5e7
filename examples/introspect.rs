//! Dumps every model this program links: the seed's two, and the three crates of the
//! multi-crate example. `--json` prints JSON instead of the aligned table.
//!
//! ```text
//! cargo run --example introspect
//! cargo run --example introspect -- --json
//! ```

#[path = "seed.rs"]
#[allow(dead_code)] // only the models of the seed are wanted here
mod seed;

bindery::link!(accounts, shop, audit);

use std::process::ExitCode;

fn main() -> ExitCode {
    let json = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--json") => true,
        Some(other) => {
            eprintln!("introspect: unknown argument {other:?}; usage: introspect [--json]");
            return ExitCode::from(2);
        }
    };
    let registry = bindery::registry();
    if json {
        println!("{}", registry.dump_json());
    } else {
        print!("{}", registry.dump_text());
    }
    match registry.validate() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
