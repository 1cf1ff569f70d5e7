//! The application's command line from a fresh folder, with no configuration: SQLite
//! files under `./instance/`, one per bind. `check` finds drift (exit 1) until
//! `create-all` runs, then none (exit 0); `drop-all` wants `--yes` without a terminal.

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs the app in `dir` with no BINDERY_* variable; its exit code and stdout.
fn app(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_workspace-app"));
    command.args(args).current_dir(dir).stdin(Stdio::null());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("BINDERY_") {
            command.env_remove(name);
        }
    }
    let output = command.output().expect("the app runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn check_create_check_drop_from_a_fresh_folder() {
    let dir = std::env::temp_dir().join(format!("workspace_app_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a fresh folder");

    let (code, out) = app(&dir, &["check"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("table \"order\" (shop::Order) is missing"),
        "{out}"
    );

    let (code, out) = app(&dir, &["create-all"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("bind \"auth\" (SQLite): created 3 [role, user, admin]"),
        "{out}"
    );
    assert!(dir.join("instance").join("shop.db").is_file());

    let (code, out) = app(&dir, &["check"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out.matches("no drift").count(), 3, "{out}");

    let (code, _) = app(&dir, &["drop-all"]);
    assert_eq!(code, Some(2), "no terminal to confirm on, and no --yes");

    let (code, out) = app(&dir, &["drop-all", "--yes"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("dropped 2 [order, store]"), "{out}");

    let _ = std::fs::remove_dir_all(&dir);
}
