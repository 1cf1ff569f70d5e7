//! `#[model(link = path::Model)]`: a declared reference to another model's key that is
//! not a foreign key. The derive stores the target's very static; the registry resolves
//! each link to its key column, lists it, and reports the links that cannot work.

// The models' fields are never read here: they exist to be collected.
#![allow(dead_code)]

use bindery::{ColumnInfo, Link, Model, Problem, Registry, SqlType, TableInfo};

mod people {
    use bindery::Model;

    #[derive(Model)]
    #[model(bind_key = "people")]
    pub(crate) struct Person {
        #[model(primary_key)]
        pub(crate) id: i64,
    }

    #[derive(Model)]
    #[model(bind_key = "people")]
    pub(crate) struct Pair {
        #[model(primary_key)]
        pub(crate) left: i64,
        #[model(primary_key)]
        pub(crate) right: i64,
    }
}

use people::{Pair, Person};

#[derive(Model)]
#[model(bind_key = "desk")]
struct Ticket {
    #[model(primary_key)]
    id: i64,
    #[model(link = people::Person)]
    person_id: i64,
    #[model(link = Person)]
    reviewer_id: Option<i64>,
}

#[derive(Model)]
#[model(bind_key = "desk")]
struct PairTicket {
    #[model(primary_key)]
    id: i64,
    #[model(link = Pair)]
    pair_id: i64,
}

#[derive(Model)]
#[model(bind_key = "desk")]
struct WrongType {
    #[model(primary_key)]
    id: i64,
    #[model(link = Person)]
    person: String,
}

/// A link inside one bind: allowed (a foreign key would say more there).
#[derive(Model)]
#[model(bind_key = "people")]
struct Nickname {
    #[model(primary_key)]
    id: i64,
    #[model(link = Person)]
    person_id: i64,
}

#[test]
fn the_derive_stores_the_target_static_in_column_order() {
    let links = Ticket::TABLE.links;
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].column, "person_id");
    assert!(core::ptr::eq(links[0].target, Person::TABLE));
    assert_eq!(links[1].column, "reviewer_id");
    assert_eq!(links[0].target_key().map(|k| k.name), Some("id"));
    assert_eq!(Ticket::TABLE.link("reviewer_id"), Some(&links[1]));
    assert_eq!(Ticket::TABLE.link("id"), None);
    // Not a foreign key: nothing in the DDL.
    assert!(Ticket::TABLE.columns.iter().all(|c| c.references.is_none()));
}

#[test]
fn the_registry_lists_links_resolved_to_the_key_column() {
    let registry = Registry::from_tables([Person::TABLE, Ticket::TABLE, Nickname::TABLE]);
    assert_eq!(registry.problems(), []);
    let edges: Vec<(&str, &str, &str, &str, bool)> = registry
        .links()
        .iter()
        .map(|l| {
            (
                l.from.name,
                l.column.name,
                l.to.name,
                l.key.name,
                l.crosses_binds(),
            )
        })
        .collect();
    assert_eq!(
        edges,
        [
            ("ticket", "person_id", "person", "id", true),
            ("ticket", "reviewer_id", "person", "id", true),
            ("nickname", "person_id", "person", "id", false),
        ]
    );
    assert_eq!(registry.links_to(Person::TABLE).count(), 3);
    assert_eq!(registry.links_to(Ticket::TABLE).count(), 0);
}

#[test]
fn a_link_to_a_composite_key_is_a_problem_naming_model_and_field() {
    let registry = Registry::from_tables([Pair::TABLE, PairTicket::TABLE]);
    assert_eq!(
        registry.problems(),
        [Problem::LinkTargetKey {
            model: "links::PairTicket",
            column: "pair_id",
            field: "pair_id",
            target_model: "links::people::Pair",
            key: vec!["left", "right"],
        }]
    );
    assert_eq!(
        registry.problems()[0].to_string(),
        "field `pair_id` of links::PairTicket links to links::people::Pair, which has a composite primary key (left, right): a link names one row by one value, so its target needs a single-column primary key"
    );
    assert!(registry.links().is_empty());
}

#[test]
fn a_link_of_another_type_than_the_key_is_a_problem_naming_both() {
    let registry = Registry::from_tables([Person::TABLE, WrongType::TABLE]);
    assert_eq!(
        registry.problems()[0].to_string(),
        "links::WrongType.person is TEXT but links to links::people::Person.id, which is BIGINT"
    );
    assert!(matches!(
        registry.problems(),
        [Problem::LinkTypeMismatch {
            sql_type: SqlType::Text,
            target_type: SqlType::BigInt,
            ..
        }]
    ));
}

static HAND_WRITTEN: TableInfo = TableInfo {
    columns: &[ColumnInfo {
        primary_key: true,
        ..ColumnInfo::new("id", SqlType::BigInt)
    }],
    links: &[Link {
        column: "person_id",
        target: Person::TABLE,
    }],
    ..TableInfo::new("hand", "links::Hand")
};

#[test]
fn a_hand_written_link_from_a_missing_column_is_a_problem() {
    let registry = Registry::from_tables([Person::TABLE, &HAND_WRITTEN]);
    assert_eq!(
        registry.problems()[0].to_string(),
        "links::Hand: a link to links::people::Person leaves from column \"person_id\", which the table lacks"
    );
    assert!(registry.links().is_empty());
}
