//! What a table looks like: the static metadata `#[derive(Model)]` writes for each model.

use core::fmt;

use crate::{ColumnDefault, ServerDefault, SqlType};

/// One table: the static record `#[derive(Model)]` makes of a struct, the counterpart of
/// a SQLAlchemy `Table` with `info["bind_key"]`.
///
/// Every field is public and every part is `const`-constructible, so a table without a
/// model struct (Flask-SQLAlchemy's `db.Table(…, bind_key=…)`) can be written by hand and
/// submitted with [`bindery::table!`](../bindery/macro.table.html).
#[derive(Debug, Clone, Copy)]
pub struct TableInfo {
    /// The table's name in the database.
    pub name: &'static str,
    /// The bind the table lives in; `None` is the default bind.
    pub bind_key: Option<&'static str>,
    /// The Rust type it was derived from, with its module path (`shop::Order`).
    pub rust_type: &'static str,
    /// The columns, in declaration order.
    pub columns: &'static [ColumnInfo],
    /// Indexes and multi-column unique constraints.
    pub indexes: &'static [IndexInfo],
    /// Declared references to other models' keys that are not foreign keys
    /// (`#[model(link = accounts::User)]`), usually into another bind.
    pub links: &'static [Link],
}

impl TableInfo {
    /// A table with no columns and no indexes in the default bind, to be completed with
    /// struct update syntax in a `const`.
    pub const fn new(name: &'static str, rust_type: &'static str) -> TableInfo {
        TableInfo {
            name,
            bind_key: None,
            rust_type,
            columns: &[],
            indexes: &[],
            links: &[],
        }
    }

    /// The column named `name`, if any.
    pub fn column(&self, name: &str) -> Option<&'static ColumnInfo> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The primary-key columns, in declaration order.
    pub fn primary_key(&self) -> impl Iterator<Item = &'static ColumnInfo> + use<> {
        self.columns.iter().filter(|c| c.primary_key)
    }

    /// The key column of `parent` that this table's `column` points at, when `column` is
    /// declared to point there: a link (`link = Parent`, any bind) or a foreign key
    /// (`references = "parent.key"`, the same bind). `None` when it is neither.
    pub fn points_at(&self, column: &str, parent: &TableInfo) -> Option<&'static str> {
        if let Some(link) = self.link(column)
            && std::ptr::eq(link.target, parent)
        {
            return link.target_key().map(|key| key.name);
        }
        let reference = self.column(column)?.references?;
        (reference.table == parent.name && self.bind_key == parent.bind_key)
            .then_some(reference.column)
    }

    /// The link declared on the column named `column`, if any.
    pub fn link(&self, column: &str) -> Option<&'static Link> {
        self.links.iter().find(|l| l.column == column)
    }

    /// The bind this table lives in, ready to print.
    pub const fn bind(&self) -> BindName<'static> {
        BindName(self.bind_key)
    }
}

/// One column of a [`TableInfo`].
#[derive(Debug, Clone, Copy)]
pub struct ColumnInfo {
    /// The column's name in the database.
    pub name: &'static str,
    /// The Rust field it maps, for messages (`""` for hand-written tables).
    pub field: &'static str,
    /// Its type.
    pub sql_type: SqlType,
    /// Whether it accepts NULL (an `Option<T>` field).
    pub nullable: bool,
    /// Whether it is part of the primary key.
    pub primary_key: bool,
    /// Whether the database generates its value (SQLAlchemy's rule: the single integer
    /// primary key that is not a foreign key, unless told otherwise).
    pub autoincrement: bool,
    /// Whether it carries its own UNIQUE constraint.
    pub unique: bool,
    /// Its literal default, if any.
    pub default: Option<ColumnDefault>,
    /// The default the database computes (`server_default`), if any.
    pub server_default: Option<ServerDefault>,
    /// The field is an `Option` whose `None` means "not given" rather than NULL: an INSERT
    /// of such a row leaves the column out, so the database fills it — its generated key,
    /// or its `server_default`. The column itself is NOT NULL.
    pub none_is_unset: bool,
    /// The column it references, if it is a foreign key.
    pub references: Option<ForeignKey>,
    /// Its collation (`COLLATE …`), text columns only; `None` keeps the database's
    /// default, which on MySQL and MariaDB ignores case, accents and trailing spaces.
    /// The name applies as given on the bind's dialect: see
    /// [`Dialect::check_collation`](crate::Dialect::check_collation).
    pub collation: Option<&'static str>,
}

impl ColumnInfo {
    /// A plain NOT NULL column with no key, default or reference, to be completed with
    /// struct update syntax in a `const`.
    pub const fn new(name: &'static str, sql_type: SqlType) -> ColumnInfo {
        ColumnInfo {
            name,
            field: "",
            sql_type,
            nullable: false,
            primary_key: false,
            autoincrement: false,
            unique: false,
            default: None,
            server_default: None,
            none_is_unset: false,
            references: None,
            collation: None,
        }
    }
}

/// A foreign key: the referenced table (in the same bind) and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ForeignKey {
    /// The referenced table.
    pub table: &'static str,
    /// The referenced column.
    pub column: &'static str,
}

impl fmt::Display for ForeignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.table, self.column)
    }
}

/// A declared reference from a column to another model's primary key that is not a
/// foreign key: no database enforces it, typically because the target lives in another
/// bind (`Order.placed_by` → `accounts::User`). `#[model(link = path::Model)]` on a field
/// writes one; the target is the model's own static, resolved by the compiler.
///
/// The dumps and diagrams show it, and [`Registry::links`](crate::Registry::links) lists
/// it with both ends resolved. The target must have a single-column primary key of the
/// same type (see [`Problem::LinkTargetKey`](crate::Problem::LinkTargetKey) and
/// [`Problem::LinkTypeMismatch`](crate::Problem::LinkTypeMismatch)).
#[derive(Clone, Copy)]
pub struct Link {
    /// The linking column, in this table.
    pub column: &'static str,
    /// The linked table; the link points at its primary key.
    pub target: &'static TableInfo,
}

impl Link {
    /// The target's key column: its single primary-key column, or `None` when it has
    /// none or several.
    pub fn target_key(&self) -> Option<&'static ColumnInfo> {
        let mut keys = self.target.primary_key();
        let key = keys.next()?;
        keys.next().is_none().then_some(key)
    }
}

/// What `link = path` may name: a model. Not public API: the derive reaches a link's
/// target through it, so a path to anything else fails with this message, at the path.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "bindery: `link = {Self}` names a type that is not a model",
    label = "not a `#[derive(Model)]` struct",
    note = "a link points at another model's primary key: name that model, as in `link = accounts::User`"
)]
pub trait LinkTarget {
    /// The target's table.
    const TABLE: &'static TableInfo;
}

impl<T: crate::Model> LinkTarget for T {
    const TABLE: &'static TableInfo = T::TABLE;
}

/// Printed as `column -> rust::Type` (the target's Rust type, never its whole table,
/// since two tables may link to each other).
impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("column", &self.column)
            .field("target", &self.target.rust_type)
            .finish()
    }
}

/// Two links are equal when they leave from the same column name for the very same
/// target static.
impl PartialEq for Link {
    fn eq(&self, other: &Link) -> bool {
        self.column == other.column && core::ptr::eq(self.target, other.target)
    }
}

impl Eq for Link {}

/// An index, or a unique constraint over one or more columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IndexInfo {
    /// Its name (`ix_<table>_<columns>` or `uq_<table>_<columns>`, SQLAlchemy's convention).
    pub name: &'static str,
    /// The columns it covers, in order.
    pub columns: &'static [&'static str],
    /// Whether it is unique.
    pub unique: bool,
}

/// A bind key printed the way people say it: `the default bind` or `bind "auth"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BindName<'a>(pub Option<&'a str>);

impl<'a> BindName<'a> {
    /// The bind as a plain word, for logs and scripts: its key (`auth`), or `default`
    /// for the default bind, as the command line's `--bind default` names it.
    ///
    /// ```
    /// use bindery_core::{BindKey, BindName};
    /// assert_eq!(BindName(Some("auth")).key_or_default(), "auth");
    /// assert_eq!(BindKey::DEFAULT.name().key_or_default(), "default");
    /// ```
    pub fn key_or_default(&self) -> &'a str {
        self.0.unwrap_or("default")
    }
}

impl fmt::Display for BindName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("the default bind"),
            Some(key) => write!(f, "bind {key:?}"),
        }
    }
}

/// A bind's key, owned: `None` is the default bind. Errors, reports and recorded queries
/// hold one, so a caller can match on the key; it prints as [`BindName`] does
/// (`the default bind`, `bind "auth"`).
///
/// ```
/// use bindery_core::BindKey;
/// let auth = BindKey::from("auth");
/// assert_eq!(auth.as_deref(), Some("auth"));
/// assert_eq!(auth.to_string(), "bind \"auth\"");
/// assert_eq!(BindKey::DEFAULT.to_string(), "the default bind");
/// assert_eq!(auth, "auth");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BindKey(Option<String>);

impl BindKey {
    /// The default bind.
    pub const DEFAULT: BindKey = BindKey(None);

    /// The key (`None`: the default bind).
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// Whether this is the default bind.
    pub fn is_default(&self) -> bool {
        self.0.is_none()
    }

    /// The key as an `Option<String>`.
    pub fn into_inner(self) -> Option<String> {
        self.0
    }

    /// The key, ready to print.
    pub fn name(&self) -> BindName<'_> {
        BindName(self.as_deref())
    }
}

impl fmt::Display for BindKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.name().fmt(f)
    }
}

impl From<Option<&str>> for BindKey {
    fn from(key: Option<&str>) -> BindKey {
        BindKey(key.map(str::to_owned))
    }
}

impl From<Option<String>> for BindKey {
    fn from(key: Option<String>) -> BindKey {
        BindKey(key)
    }
}

impl From<&str> for BindKey {
    fn from(key: &str) -> BindKey {
        BindKey(Some(key.to_owned()))
    }
}

impl From<BindName<'_>> for BindKey {
    fn from(name: BindName<'_>) -> BindKey {
        BindKey::from(name.0)
    }
}

/// What names a bind where bindery takes one: `None` or `Some("auth")` (Flask's spelling:
/// `None` is the default bind), `"auth"`, a [`BindKey`] or a [`BindName`]. Borrowed: naming
/// a bind allocates nothing.
///
/// ```
/// use bindery_core::{AsBindKey, BindKey};
/// fn key(bind: impl AsBindKey) -> Option<String> {
///     bind.as_bind_key().map(str::to_owned)
/// }
/// assert_eq!(key(None), None);
/// assert_eq!(key(Some("auth")), Some("auth".to_owned()));
/// assert_eq!(key("auth"), Some("auth".to_owned()));
/// assert_eq!(key(&BindKey::from("auth")), Some("auth".to_owned()));
/// assert_eq!(key(BindKey::DEFAULT), None);
/// ```
pub trait AsBindKey {
    /// The key (`None`: the default bind).
    fn as_bind_key(&self) -> Option<&str>;
}

impl AsBindKey for Option<&str> {
    fn as_bind_key(&self) -> Option<&str> {
        *self
    }
}

impl AsBindKey for &str {
    fn as_bind_key(&self) -> Option<&str> {
        Some(self)
    }
}

impl AsBindKey for &String {
    fn as_bind_key(&self) -> Option<&str> {
        Some(self.as_str())
    }
}

impl AsBindKey for BindKey {
    fn as_bind_key(&self) -> Option<&str> {
        self.as_deref()
    }
}

impl AsBindKey for &BindKey {
    fn as_bind_key(&self) -> Option<&str> {
        self.as_deref()
    }
}

impl AsBindKey for BindName<'_> {
    fn as_bind_key(&self) -> Option<&str> {
        self.0
    }
}

/// A named bind equals its key: `error_bind == "auth"`.
impl PartialEq<&str> for BindKey {
    fn eq(&self, other: &&str) -> bool {
        self.as_deref() == Some(*other)
    }
}

/// `bind == None::<&str>` for the default bind, `bind == Some("auth")` for a named one.
impl PartialEq<Option<&str>> for BindKey {
    fn eq(&self, other: &Option<&str>) -> bool {
        self.as_deref() == *other
    }
}
