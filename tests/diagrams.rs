//! The diagrams: one Mermaid `erDiagram` per dump, with each foreign key's cardinality and
//! each link dashed, names Mermaid can read, and a DOT graph with links dashed between
//! the bind clusters. The Mermaid output is also fed to Mermaid's own parser (see
//! [`mermaid_parser`]), when node and the packages of `tests/mermaid/` are installed.

// The models' fields are never read here: they exist to be drawn.
#![allow(dead_code)]
// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

use bindery::{Model, Registry};

bindery::link!(accounts, shop, audit);

#[derive(Model)]
#[model(bind_key = "shop")]
struct Store {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
#[model(bind_key = "shop")]
struct Coupon {
    #[model(primary_key)]
    id: i64,
}

/// Two binds with a table named `user` each.
mod twins {
    use bindery::Model;

    #[derive(Model)]
    #[model(bind_key = "auth", table = "user")]
    pub(crate) struct AuthUser {
        #[model(primary_key)]
        pub(crate) id: i64,
    }

    #[derive(Model)]
    #[model(bind_key = "shop", table = "user")]
    pub(crate) struct ShopUser {
        #[model(primary_key)]
        pub(crate) id: i64,
        #[model(link = AuthUser)]
        pub(crate) account_id: Option<i64>,
    }
}

#[derive(Model)]
#[model(bind_key = "shop", table = "order")]
struct Order {
    #[model(primary_key)]
    id: i64,
    #[model(references = "store.id")]
    store_id: i64,
    #[model(references = "coupon.id")]
    coupon_id: Option<i64>,
    #[model(link = twins::AuthUser)]
    placed_by: i64,
}

/// One-to-one: the key is the foreign key.
#[derive(Model)]
#[model(bind_key = "shop")]
struct StoreProfile {
    #[model(primary_key, references = "store.id")]
    store_id: i64,
}

/// Names Mermaid's lexer would misread: a quote, `%`, spaces, keywords.
#[derive(Model)]
#[model(bind_key = "odd", table = "end \"of\" 100% day")]
struct Odd {
    #[model(primary_key, column = "PK")]
    id: i64,
    #[model(column = "1st column")]
    first: String,
    #[model(column = "class")]
    class: Option<i32>,
}

fn shop() -> Registry {
    Registry::from_tables([
        Store::TABLE,
        Coupon::TABLE,
        Order::TABLE,
        StoreProfile::TABLE,
    ])
}

fn twins() -> Registry {
    Registry::from_tables([twins::AuthUser::TABLE, twins::ShopUser::TABLE, Order::TABLE])
}

#[test]
fn mermaid_is_one_diagram_with_each_foreign_keys_cardinality() {
    let text = shop().dump_mermaid();
    assert_eq!(text.matches("erDiagram").count(), 1, "{text}");
    assert!(text.starts_with("erDiagram\n"), "{text}");
    // Many orders to exactly one store; to zero or one coupon; a profile per store.
    assert!(
        text.contains("    order }o--|| store : \"store_id\"\n"),
        "{text}"
    );
    assert!(
        text.contains("    order }o--o| coupon : \"coupon_id\"\n"),
        "{text}"
    );
    assert!(
        text.contains("    store_profile |o--|| store : \"store_id\"\n"),
        "{text}"
    );
    assert!(
        !text.contains("|{"),
        "no foreign key is one-or-more: {text}"
    );
}

#[test]
fn mermaid_draws_links_dashed_and_qualifies_shared_table_names() {
    let text = twins().dump_mermaid();
    assert!(text.contains("    \"auth.user\" {\n"), "{text}");
    assert!(text.contains("    \"shop.user\" {\n"), "{text}");
    assert!(
        text.contains("    \"shop.user\" }o..o| \"auth.user\" : \"account_id (link)\"\n"),
        "{text}"
    );
    assert!(
        text.contains("    order }o..|| \"auth.user\" : \"placed_by (link)\"\n"),
        "{text}"
    );
    assert!(
        text.contains("BIGINT placed_by \"link to auth.user.id\""),
        "{text}"
    );
}

#[test]
fn mermaid_quotes_odd_table_names_and_rewrites_odd_column_names() {
    let text = Registry::from_tables([Odd::TABLE]).dump_mermaid();
    assert!(
        text.contains("    \"end 'of' 100\u{FF05} day\" {\n"),
        "{text}"
    );
    assert!(
        text.contains("        BIGINT PK_ PK \"column PK\"\n"),
        "{text}"
    );
    assert!(
        text.contains("        TEXT _1st_column \"column 1st column\"\n"),
        "{text}"
    );
    assert!(
        text.contains("        INTEGER class_ \"column class, nullable\"\n"),
        "{text}"
    );
}

#[test]
fn dot_draws_links_dashed_between_clusters_and_their_outside_targets() {
    let text = Registry::from_tables([Order::TABLE, Store::TABLE, Coupon::TABLE]).dump_dot();
    assert!(
        text.contains("    \"shop.order\" -> \"auth.user\" [label=\"placed_by (cross-bind reference)\", style=dashed, color=blue, fontcolor=blue];\n"),
        "{text}"
    );
    // `auth.user` is not in the selection: drawn as a dashed box outside the clusters.
    assert!(
        text.contains(
            "    \"auth.user\" [shape=box, style=dashed, label=\"user (bind \\\"auth\\\")\"];\n"
        ),
        "{text}"
    );
}

#[path = "mermaid/check.rs"]
mod mermaid_parser;
