//! The application: the one binary that links every models crate, so it is the one place
//! that sees them all.

// `audit` is never named below: without this line its models would vanish.
bindery::link!(audit);

use accounts::User;
use bindery::Model;
use shop::Order;

fn main() {
    let registry = bindery::registry();
    if let Err(error) = registry.check() {
        eprintln!("{error}");
        std::process::exit(1);
    }
    println!(
        "{} tables over {} binds, from crates {:?}; users live in {}, orders in {}",
        registry.len(),
        registry.binds().len(),
        registry.crates(),
        User::TABLE.bind(),
        Order::TABLE.bind(),
    );
}
