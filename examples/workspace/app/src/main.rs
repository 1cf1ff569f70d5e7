//! The application: the one binary that links every models crate, so it is the place
//! where bindery's command line sees them all.
//!
//! ```text
//! cargo run -p workspace-app -- dump --format dot
//! cargo run -p workspace-app -- create-all
//! cargo run -p workspace-app -- check
//! ```
//!
//! With no configuration it uses SQLite files under `./instance/`, one per bind.

// `audit` is never named below: without this line its models would vanish.
bindery::link!(accounts, shop, audit);

fn main() -> std::process::ExitCode {
    bindery::cli::run()
}
