//! The derives compile cleanly in a crate that denies the lints careful crates deny:
//! the generated code must never turn a user's `#![deny(...)]` into a build failure.
//! rustc's lints are checked by `cargo test`, clippy's by `cargo clippy --all-targets`.

#![deny(
    missing_docs,
    missing_debug_implementations,
    unused_qualifications,
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    unreachable_pub,
    unused_results,
    unused_extern_crates,
    unused_import_braces,
    unused_lifetimes,
    single_use_lifetimes,
    trivial_casts,
    trivial_numeric_casts,
    elided_lifetimes_in_paths,
    explicit_outlives_requirements,
    let_underscore_drop,
    unsafe_code,
    dead_code,
    deprecated,
    rust_2018_idioms,
    future_incompatible,
    warnings,
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::absolute_paths,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::missing_docs_in_private_items,
    clippy::pub_underscore_fields,
    clippy::used_underscore_items,
    clippy::let_underscore_untyped,
    clippy::default_numeric_fallback,
    clippy::min_ident_chars,
    clippy::module_name_repetitions,
    clippy::redundant_pub_crate,
    clippy::allow_attributes,
    clippy::allow_attributes_without_reason
)]

use bindery::{Base, Bind, Model};

/// A base that only carries a bind key.
#[derive(Debug, Base)]
#[model(bind_key = "strict")]
pub struct StrictBase;

/// A model that inherits its bind, with indexes, a unique pair and defaults.
#[derive(Debug, Model)]
#[model(parent = StrictBase, index(name, score), unique(name, code, name = "uq_strict_pair"))]
pub struct Account {
    /// The key, autoincremented.
    #[model(primary_key)]
    pub id: i64,
    /// A short name.
    #[model(length = 40, index)]
    pub name: String,
    /// A code, unique.
    #[model(unique, column = "account_code")]
    pub code: String,
    /// A score with a default.
    #[model(default = 1.5)]
    pub score: f64,
    /// A flag with a default.
    #[model(default = true)]
    pub active: bool,
    /// Not a column.
    #[model(skip)]
    pub cache: Option<String>,
}

/// A model with a composite key and a foreign key, in its own bind.
#[derive(Debug, Model)]
#[model(bind_key = "strict", table = "account_tags")]
pub struct AccountTag {
    /// Part of the key, and a reference to `account.id`.
    #[model(primary_key, references = "account.id")]
    pub account_id: i64,
    /// Part of the key.
    #[model(primary_key, length = 20)]
    pub tag: String,
    /// A nullable text with a default.
    #[model(default = "none")]
    pub note: Option<String>,
    /// A negative default.
    #[model(default = -1)]
    pub weight: i32,
}

/// A model back in the default bind, private to this crate.
#[derive(Debug, Model)]
#[model(parent = StrictBase, default_bind)]
struct Private {
    /// The key, not autoincremented.
    #[model(primary_key, autoincrement = false)]
    id: i32,
}

/// A model on its way out: using it warns, but deriving it must not.
#[deprecated = "use `Account`"]
#[derive(Debug, Model)]
#[model(bind_key = "strict")]
pub struct LegacyAccount {
    /// The key.
    #[model(primary_key)]
    pub id: i64,
    /// A column on its way out too.
    #[deprecated = "read `id`"]
    pub legacy_id: i32,
}

/// A base on its way out.
#[deprecated = "use `StrictBase`"]
#[derive(Debug, Base)]
#[model(bind_key = "strict")]
pub struct LegacyBase;

#[test]
fn the_models_still_work_under_strict_lints() {
    assert_eq!(Account::BIND_KEY, Some("strict"));
    assert_eq!(Private::BIND_KEY, None);
    assert_eq!(Account::TABLE.indexes.len(), 3);
    assert_eq!(AccountTag::TABLE.name, "account_tags");
    let private = Private { id: 7 };
    assert_eq!(private.key(), 7_i32);
    assert!(
        bindery::registry()
            .table(Some("strict"), "account")
            .is_some()
    );
}
