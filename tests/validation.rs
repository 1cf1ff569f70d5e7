//! The registry's checks, run on a program whose models have every kind of problem at
//! once: each must be reported, each naming the Rust types involved, in a stable order.

// The models' fields are never read here: they exist to be collected.
#![allow(dead_code)]

use bindery::{
    BindKey, ColumnInfo, ForeignKey, IdentifierError, IdentifierKind, Model, Problem, SqlType,
    TableInfo,
};

// The same table twice in one bind: an error.
#[derive(Model)]
#[model(table = "dup")]
struct DupA {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
#[model(table = "dup")]
struct DupB {
    #[model(primary_key)]
    id: i64,
}

// The same table in two binds: allowed, as in Flask-SQLAlchemy 3.
#[derive(Model)]
#[model(table = "shared", bind_key = "a")]
struct SharedA {
    #[model(primary_key)]
    id: i64,
    label: String,
}

#[derive(Model)]
#[model(table = "shared", bind_key = "b")]
struct SharedB {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
#[model(bind_key = "b")]
struct OnlyInB {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
#[model(bind_key = "a")]
struct Referrer {
    #[model(primary_key)]
    id: i64,
    #[model(references = "only_in_b.id")]
    across: i64,
    #[model(references = "ghost.id")]
    ghost: i64,
    #[model(references = "shared.nope")]
    missing_column: i64,
    #[model(references = "shared.label")]
    not_unique: String,
    #[model(references = "shared.id")]
    wrong_type: i32,
    #[model(references = "shared.id")]
    fine: i64,
}

// Hand-written tables can be wrong in ways the derive refuses at compile time.
bindery::table! {
    static BAD_NAMES = TableInfo {
        columns: &[
            ColumnInfo { primary_key: true, ..ColumnInfo::new("id", SqlType::BigInt) },
            ColumnInfo::new("id", SqlType::Text),
        ],
        indexes: &[bindery::IndexInfo { name: "ix_bad", columns: &["nowhere"], unique: false }],
        ..TableInfo::new("sqlite_stat9", "validation::BAD_NAMES")
    };
}

bindery::table! {
    static NO_KEY = TableInfo {
        columns: &[ColumnInfo::new("note", SqlType::Text)],
        ..TableInfo::new("no_key", "validation::NO_KEY")
    };
}

#[test]
fn every_problem_is_reported_in_order() {
    let registry = bindery::registry();
    let fk = |table, column| ForeignKey { table, column };
    let expected = vec![
        Problem::DuplicateTable {
            bind: BindKey::DEFAULT,
            table: "dup",
            models: vec!["validation::DupA", "validation::DupB"],
        },
        // Default bind, by table name: no_key, sqlite_stat9.
        Problem::NoPrimaryKey {
            model: "validation::NO_KEY",
            table: "no_key",
        },
        Problem::InvalidIdentifier {
            model: "validation::BAD_NAMES",
            kind: IdentifierKind::Table,
            name: "sqlite_stat9",
            reason: IdentifierError::SqliteReserved,
        },
        Problem::DuplicateColumn {
            model: "validation::BAD_NAMES",
            column: "id",
        },
        Problem::UnknownIndexColumn {
            model: "validation::BAD_NAMES",
            index: "ix_bad",
            column: "nowhere",
        },
        // Bind "a": referrer.
        Problem::CrossBindForeignKey {
            model: "validation::Referrer",
            column: "across",
            bind: BindKey::from("a"),
            target: fk("only_in_b", "id"),
            found_in: vec![(BindKey::from("b"), "validation::OnlyInB")],
        },
        Problem::MissingForeignTable {
            model: "validation::Referrer",
            column: "ghost",
            bind: BindKey::from("a"),
            target: fk("ghost", "id"),
        },
        Problem::MissingForeignColumn {
            model: "validation::Referrer",
            column: "missing_column",
            target: fk("shared", "nope"),
            target_model: "validation::SharedA",
        },
        Problem::ForeignColumnNotUnique {
            model: "validation::Referrer",
            column: "not_unique",
            target: fk("shared", "label"),
            target_model: "validation::SharedA",
        },
        Problem::ForeignTypeMismatch {
            model: "validation::Referrer",
            column: "wrong_type",
            sql_type: SqlType::Integer,
            target: fk("shared", "id"),
            target_type: SqlType::BigInt,
        },
    ];
    assert_eq!(registry.problems(), expected);
}

#[test]
fn the_error_lists_every_problem_naming_the_types() {
    let error = bindery::registry().validate().unwrap_err();
    assert_eq!(error.problems().len(), 10);
    let text = error.to_string();
    let expected_lines = [
        "the models have 10 problems:",
        r#"  - table "dup" is declared twice in the default bind, by validation::DupA and validation::DupB"#,
        r#"  - validation::NO_KEY: table "no_key" has no primary key"#,
        r#"  - validation::BAD_NAMES: table name "sqlite_stat9" is refused: it begins with `sqlite_`, which SQLite reserves"#,
        r#"  - validation::BAD_NAMES: column "id" is declared twice"#,
        r#"  - validation::BAD_NAMES: index "ix_bad" covers column "nowhere", which the table lacks"#,
        r#"  - validation::Referrer.across references only_in_b.id across binds: validation::Referrer lives in bind "a", table "only_in_b" is validation::OnlyInB in bind "b"; one database cannot enforce a foreign key into another"#,
        r#"  - validation::Referrer.ghost references ghost.id, but no model declares table "ghost" in any bind (validation::Referrer lives in bind "a")"#,
        r#"  - validation::Referrer.missing_column references shared.nope, but validation::SharedA has no column "nope""#,
        r#"  - validation::Referrer.not_unique references shared.label, but that column of validation::SharedA is neither its primary key nor unique"#,
        r#"  - validation::Referrer.wrong_type is INTEGER but references shared.id, which is BIGINT"#,
    ];
    assert_eq!(text.lines().collect::<Vec<_>>(), expected_lines);
}

#[test]
fn same_table_in_two_binds_is_two_tables() {
    let registry = bindery::registry();
    let a = registry.table(Some("a"), "shared").unwrap();
    let b = registry.table(Some("b"), "shared").unwrap();
    assert!(std::ptr::eq(a, SharedA::TABLE));
    assert!(std::ptr::eq(b, SharedB::TABLE));
    // A duplicate is still findable, first by Rust path.
    assert_eq!(
        registry.table(None, "dup").unwrap().rust_type,
        DupA::TABLE.rust_type
    );
    assert!(std::ptr::eq(registry.of::<DupB>().unwrap(), DupB::TABLE));
    assert!(registry.table(None, "no_key").is_some());
    assert!(std::ptr::eq(
        registry.table(None, "sqlite_stat9").unwrap(),
        &BAD_NAMES
    ));
    assert!(registry.of::<OnlyInB>().is_some());
}
