//! The two traits the derives implement: where a type's tables live, and what they are.

use crate::TableInfo;

/// Where a type's tables live: the bind key, inherited through trait defaults.
///
/// This is the Rust counterpart of Flask-SQLAlchemy's `__bind_key__`. `#[derive(Base)]`
/// and `#[derive(Model)]` implement it:
///
/// * no attribute: the default `None`, the default bind;
/// * `#[model(bind_key = "auth")]`: `Some("auth")`;
/// * `#[model(parent = AuthBase)]`: `<AuthBase as Bind>::BIND_KEY`, resolved by the
///   compiler, so a key set once on a base reaches every descendant at any depth and
///   across crates;
/// * `#[model(parent = AuthBase, default_bind)]`: back to `None`.
///
/// (The name `Bound`, used in the design notes, reads as `std::ops::Bound`; `Bind` does not.)
pub trait Bind {
    /// The bind key; `None` is the default bind (Flask's `SQLALCHEMY_DATABASE_URI`).
    const BIND_KEY: Option<&'static str> = None;
}

/// A struct stored as one table in its bind's database.
///
/// Implemented by `#[derive(Model)]`, which also submits [`Model::TABLE`] to the registry.
pub trait Model: Bind + 'static {
    /// The table's static metadata.
    const TABLE: &'static TableInfo;
}
