//! What `#[derive(Model)]` and `#[derive(Base)]` write: bind keys, names, column flags,
//! keys, indexes and defaults, read back from the statics and from the registry.

// The models' fields are never read here: they exist to be collected.
#![allow(dead_code)]

use bindery::{Base, Bind, ColumnDefault, ForeignKey, IndexInfo, Model, SqlField, SqlType};

// Inheritance, three levels deep: Root (Base) → Middle (Base) → Leaf (Model) → Deep (Model).
#[derive(Base)]
#[model(bind_key = "warehouse")]
struct Root;

#[derive(Base)]
#[model(parent = Root)]
struct Middle;

#[derive(Model)]
#[model(parent = Middle)]
struct Leaf {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
#[model(parent = Leaf)]
struct Deep {
    #[model(primary_key, references = "leaf.id")]
    leaf_id: i64,
}

#[derive(Model)]
#[model(parent = Middle, bind_key = "archive")]
struct Overridden {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
#[model(parent = Middle, default_bind)]
struct BackToDefault {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
#[model(parent = Overridden)]
struct ChildOfOverridden {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
struct NoKeyAtAll {
    #[model(primary_key)]
    id: i32,
}

#[derive(Model)]
#[model(bind_key = "warehouse")]
struct Direct {
    #[model(primary_key)]
    id: i32,
}

#[test]
fn bind_keys_direct_inherited_overridden_and_default() {
    assert_eq!(Root::BIND_KEY, Some("warehouse"));
    assert_eq!(Middle::BIND_KEY, Some("warehouse"));
    assert_eq!(Leaf::BIND_KEY, Some("warehouse"));
    assert_eq!(Deep::BIND_KEY, Some("warehouse"));
    assert_eq!(Overridden::BIND_KEY, Some("archive"));
    assert_eq!(ChildOfOverridden::BIND_KEY, Some("archive"));
    assert_eq!(BackToDefault::BIND_KEY, None);
    assert_eq!(NoKeyAtAll::BIND_KEY, None);
    assert_eq!(Direct::BIND_KEY, Some("warehouse"));

    // The static table carries the same key as the trait.
    for (table, key) in [
        (Leaf::TABLE, Some("warehouse")),
        (Deep::TABLE, Some("warehouse")),
        (Overridden::TABLE, Some("archive")),
        (ChildOfOverridden::TABLE, Some("archive")),
        (BackToDefault::TABLE, None),
        (NoKeyAtAll::TABLE, None),
        (Direct::TABLE, Some("warehouse")),
    ] {
        assert_eq!(table.bind_key, key, "{}", table.rust_type);
    }
}

/// Used in const context: the bind key is known at compile time.
const _: () = assert!(Deep::BIND_KEY.is_some());

#[test]
fn table_names_default_to_snake_case_of_the_struct() {
    assert_eq!(Leaf::TABLE.name, "leaf");
    assert_eq!(BackToDefault::TABLE.name, "back_to_default");
    assert_eq!(NoKeyAtAll::TABLE.name, "no_key_at_all");
    assert_eq!(Product::TABLE.name, "products");
}

#[test]
fn rust_type_is_the_full_path() {
    assert_eq!(Leaf::TABLE.rust_type, "metadata::Leaf");
    assert_eq!(nested::Inner::TABLE.rust_type, "metadata::nested::Inner");
}

mod nested {
    #[derive(bindery::Model)]
    pub(crate) struct Inner {
        #[model(primary_key)]
        pub(crate) id: i64,
    }
}

/// A newtype that maps to a column type of its own.
struct Email(String);

impl SqlField for Email {
    const SQL_TYPE: SqlType = SqlType::VarChar(320);
    const KIND: bindery::ValueKind = bindery::ValueKind::Text;
    fn to_value(&self) -> bindery::Value {
        self.0.to_value()
    }
    fn from_value(value: bindery::Value) -> Result<Self, bindery::ValueError> {
        String::from_value(value).map(Email)
    }
}

#[derive(Model)]
#[model(table = "products", index(category, name), unique(sku, vendor))]
struct Product {
    #[model(primary_key)]
    id: i64,
    #[model(length = 64)]
    name: String,
    #[model(column = "type")]
    r#type: String,
    description: Option<String>,
    #[model(unique)]
    sku: String,
    vendor: i32,
    #[model(index)]
    category: Option<i16>,
    #[model(default = 1.5)]
    weight: f64,
    #[model(default = -3)]
    stock: i32,
    #[model(default = "new")]
    state: String,
    #[model(default = true)]
    visible: bool,
    thumbnail: Option<Vec<u8>>,
    contact: Email,
    ratio: f32,
    #[model(skip)]
    cached_score: u128,
}

fn column(table: &bindery::TableInfo, name: &str) -> &'static bindery::ColumnInfo {
    table
        .column(name)
        .unwrap_or_else(|| panic!("{} has no column {name}", table.name))
}

#[test]
fn column_types_come_from_the_rust_types() {
    let t = Product::TABLE;
    let types: Vec<(&str, SqlType, bool)> = t
        .columns
        .iter()
        .map(|c| (c.name, c.sql_type, c.nullable))
        .collect();
    assert_eq!(
        types,
        [
            ("id", SqlType::BigInt, false),
            ("name", SqlType::VarChar(64), false),
            ("type", SqlType::Text, false),
            ("description", SqlType::Text, true),
            ("sku", SqlType::Text, false),
            ("vendor", SqlType::Integer, false),
            ("category", SqlType::SmallInt, true),
            ("weight", SqlType::Double, false),
            ("stock", SqlType::Integer, false),
            ("state", SqlType::Text, false),
            ("visible", SqlType::Boolean, false),
            ("thumbnail", SqlType::Blob, true),
            ("contact", SqlType::VarChar(320), false),
            ("ratio", SqlType::Float, false),
        ]
    );
    assert!(
        t.column("cached_score").is_none(),
        "skipped fields are no columns"
    );
    assert_eq!(column(t, "type").field, "type");
}

#[test]
fn column_flags_defaults_and_indexes() {
    let t = Product::TABLE;
    assert!(column(t, "sku").unique);
    assert!(!column(t, "name").unique);
    assert_eq!(column(t, "weight").default, Some(ColumnDefault::Float(1.5)));
    assert_eq!(column(t, "stock").default, Some(ColumnDefault::Int(-3)));
    assert_eq!(column(t, "state").default, Some(ColumnDefault::Text("new")));
    assert_eq!(
        column(t, "visible").default,
        Some(ColumnDefault::Bool(true))
    );
    assert_eq!(column(t, "name").default, None);
    assert_eq!(
        t.indexes,
        [
            IndexInfo {
                name: "ix_products_category",
                columns: &["category"],
                unique: false
            },
            IndexInfo {
                name: "ix_products_category_name",
                columns: &["category", "name"],
                unique: false
            },
            IndexInfo {
                name: "uq_products_sku_vendor",
                columns: &["sku", "vendor"],
                unique: true
            },
        ]
    );
}

#[derive(Model)]
#[model(bind_key = "warehouse")]
struct Shelf {
    #[model(primary_key)]
    aisle: i32,
    #[model(primary_key)]
    position: i32,
    #[model(references = "leaf.id")]
    leaf_id: Option<i64>,
}

#[derive(Model)]
struct Ticket {
    #[model(primary_key, autoincrement = false)]
    number: i64,
}

#[derive(Model)]
struct Tag {
    #[model(primary_key)]
    code: String,
}

#[derive(Model)]
struct Counter {
    #[model(primary_key, autoincrement)]
    id: i16,
}

#[test]
fn composite_keys_and_the_autoincrement_rule() {
    // A single integer primary key autoincrements (SQLAlchemy's "auto").
    assert!(column(Leaf::TABLE, "id").autoincrement);
    assert!(column(Counter::TABLE, "id").autoincrement);
    // …unless told not to, unless it is not an integer, unless it is a foreign key.
    assert!(!column(Ticket::TABLE, "number").autoincrement);
    assert!(!column(Tag::TABLE, "code").autoincrement);
    assert!(!column(Deep::TABLE, "leaf_id").autoincrement);
    // A composite key never does.
    let key: Vec<_> = Shelf::TABLE.primary_key().map(|c| c.name).collect();
    assert_eq!(key, ["aisle", "position"]);
    assert!(Shelf::TABLE.columns.iter().all(|c| !c.autoincrement));
    assert_eq!(
        column(Shelf::TABLE, "leaf_id").references,
        Some(ForeignKey {
            table: "leaf",
            column: "id"
        })
    );
}

#[test]
fn registry_lookups() {
    let registry = bindery::registry();
    registry.validate().unwrap();

    let found = registry.table(Some("warehouse"), "leaf").unwrap();
    assert!(
        std::ptr::eq(found, Leaf::TABLE),
        "the registry holds the model's own static"
    );
    assert!(registry.table(None, "leaf").is_none());
    assert!(registry.table(Some("archive"), "overridden").is_some());
    assert!(std::ptr::eq(
        registry.by_rust_type("metadata::Product").unwrap(),
        Product::TABLE
    ));
    assert!(std::ptr::eq(registry.of::<Shelf>().unwrap(), Shelf::TABLE));
    assert!(registry.by_rust_type("metadata::Nope").is_none());

    // Binds in order: the default first, then by key; tables by name inside each.
    let binds: Vec<Option<&str>> = registry.binds().iter().map(|b| b.key()).collect();
    assert_eq!(binds, [None, Some("archive"), Some("warehouse")]);
    let warehouse: Vec<&str> = registry
        .bind(Some("warehouse"))
        .unwrap()
        .tables()
        .iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(warehouse, ["deep", "direct", "leaf", "shelf"]);
    let all: Vec<(Option<&str>, &str)> = registry.tables().map(|t| (t.bind_key, t.name)).collect();
    assert_eq!(
        all,
        [
            (None, "back_to_default"),
            (None, "counter"),
            (None, "inner"),
            (None, "no_key_at_all"),
            (None, "products"),
            (None, "tag"),
            (None, "ticket"),
            (Some("archive"), "child_of_overridden"),
            (Some("archive"), "overridden"),
            (Some("warehouse"), "deep"),
            (Some("warehouse"), "direct"),
            (Some("warehouse"), "leaf"),
            (Some("warehouse"), "shelf"),
        ]
    );
    assert_eq!(registry.len(), all.len());
    assert_eq!(
        registry.crates().into_iter().collect::<Vec<_>>(),
        ["metadata"]
    );
}
