//! The blog post's example (`shared/seeds`): two models, each in its own database.
//!
//! ```python
//! class User(db.Model):
//!     __tablename__ = "tb_user"
//!     __bind_key__ = 'test2'
//!     id = db.Column(db.Integer, primary_key=True)
//!     name = db.Column(db.String)
//!
//! class Store(db.Model):
//!     __tablename__ = "tb_store"
//!     __bind_key__ = 'test1'
//!     id = db.Column(db.Integer, primary_key=True)
//!     name = db.Column(db.Integer, primary_key=True)
//! ```

use bindery::{Model, TableInfo};

/// `tb_user`, in database `test2`.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "tb_user", bind_key = "test2")]
pub(crate) struct User {
    /// `db.Column(db.Integer, primary_key=True)`
    #[model(primary_key)]
    pub(crate) id: i32,
    /// `db.Column(db.String)`: no length, so `TEXT`; nullable, as SQLAlchemy makes it.
    pub(crate) name: Option<String>,
}

/// `tb_store`, in database `test1`: a composite primary key of two integers.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "tb_store", bind_key = "test1")]
pub(crate) struct Store {
    /// `db.Column(db.Integer, primary_key=True)`
    #[model(primary_key)]
    pub(crate) id: i32,
    /// `db.Column(db.Integer, primary_key=True)`
    #[model(primary_key)]
    pub(crate) name: i32,
}

fn describe(table: &TableInfo) -> String {
    let key: Vec<&str> = table.primary_key().map(|c| c.name).collect();
    format!(
        "{} ({}) lives in {}, primary key ({})",
        table.name,
        table.rust_type,
        table.bind(),
        key.join(", ")
    )
}

#[allow(dead_code)] // `introspect` includes this file for its models, not for `main`.
fn main() {
    if let Err(error) = bindery::registry().check() {
        eprintln!("{error}");
        std::process::exit(1);
    }
    println!("{}", describe(User::TABLE));
    println!("{}", describe(Store::TABLE));
}
