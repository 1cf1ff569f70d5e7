//! Models from every crate of a multi-crate program reach one registry, and bind keys
//! inherit across crate boundaries (a base in one crate, models in another).

// The model's field is never read here: it exists to be collected.
#![allow(dead_code)]

use bindery::{Bind, Model};

// `audit` is never named below, only linked.
bindery::link!(audit);

/// Three levels across two crates: `accounts::base::AuthBase` → `accounts::User` →
/// `accounts::Admin` → this crate's `Auditor`.
#[derive(Model)]
#[model(parent = accounts::Admin)]
struct Auditor {
    #[model(primary_key, references = "admin.user_id")]
    admin_id: i64,
}

#[test]
fn models_of_every_crate_are_collected() {
    let registry = bindery::registry();
    registry.validate().unwrap();
    let crates: Vec<&str> = registry.crates().into_iter().collect();
    assert_eq!(
        crates,
        ["accounts", "audit", "registry_across_crates", "shop"]
    );
    registry
        .require_crates(["accounts", "shop", "audit"])
        .unwrap();

    let tables: Vec<(Option<&str>, &str, &str)> = registry
        .tables()
        .map(|t| (t.bind_key, t.name, t.rust_type))
        .collect();
    assert_eq!(
        tables,
        [
            (None, "audit_log", "audit::AuditLog"),
            (Some("auth"), "admin", "accounts::Admin"),
            (Some("auth"), "auditor", "registry_across_crates::Auditor"),
            (Some("auth"), "role", "accounts::Role"),
            (Some("auth"), "user", "accounts::User"),
            (Some("shop"), "order", "shop::Order"),
            (Some("shop"), "store", "shop::Store"),
        ]
    );
}

#[test]
fn bind_keys_inherit_across_crates() {
    assert_eq!(accounts::base::AuthBase::BIND_KEY, Some("auth"));
    assert_eq!(accounts::User::BIND_KEY, Some("auth"));
    assert_eq!(accounts::Admin::BIND_KEY, Some("auth"));
    assert_eq!(Auditor::BIND_KEY, Some("auth"));
    assert_eq!(Auditor::TABLE.bind_key, Some("auth"));
    assert_eq!(shop::Order::TABLE.bind_key, Some("shop"));
}

#[test]
fn a_foreign_key_within_one_bind_of_another_crate_is_valid() {
    let order = shop::Order::TABLE;
    let store_id = order.column("store_id").unwrap();
    assert_eq!(store_id.references.unwrap().to_string(), "store.id");
    assert!(
        bindery::registry()
            .table(order.bind_key, store_id.references.unwrap().table)
            .is_some()
    );
}
