//! The trap: a crate the program depends on but never names is not linked, and its models
//! vanish from the registry without a word. `audit` is a dependency of this test, yet
//! nothing here names it. `Registry::require_crates` makes the mistake visible.

// `accounts` is named, so it is linked; `audit` is not.
use accounts::User;
use bindery::Model;

#[test]
fn the_models_of_an_unnamed_crate_are_missing() {
    let registry = bindery::registry();
    assert!(registry.of::<User>().is_some());
    assert!(registry.by_rust_type("audit::AuditLog").is_none());
    assert!(registry.table(None, "audit_log").is_none());
    assert_eq!(
        registry.crates().into_iter().collect::<Vec<_>>(),
        ["accounts"]
    );
    assert_eq!(User::TABLE.bind_key, Some("auth"));
}

#[test]
fn require_crates_names_the_crate_and_the_fix() {
    let error = bindery::registry()
        .require_crates(["accounts", "audit"])
        .unwrap_err();
    assert_eq!(error.crates(), ["audit"]);
    assert_eq!(
        error.to_string(),
        "no model of crate `audit` reached the registry: nothing in the program names it, \
         so it was not linked; add `bindery::link!(audit);` to the binary"
    );
}
