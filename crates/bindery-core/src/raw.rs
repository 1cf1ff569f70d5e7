//! Raw SQL written once for every dialect: text, identifiers and values appended in
//! order, rendered for the bind it runs on — each identifier quoted by that dialect, each
//! value a bound parameter with that dialect's placeholder (`$n` or `?`). Nothing in the
//! text is parsed or rewritten: a `?` or `$1` written as text stays text.

use crate::dml::SqlWriter;
use crate::{Dialect, SqlField, Value};

/// A statement for any dialect: `Sql::new("SELECT ").ident("name").text(" FROM ")…`.
///
/// ```
/// use bindery_core::{Dialect, Sql};
/// let sql = Sql::new("SELECT ")
///     .ident("name")
///     .text(" FROM ")
///     .ident("user")
///     .text(" WHERE ")
///     .ident("id")
///     .text(" = ")
///     .value(7_i64);
/// assert_eq!(
///     sql.render(Dialect::Postgres).0,
///     r#"SELECT "name" FROM "user" WHERE "id" = $1"#
/// );
/// assert_eq!(sql.render(Dialect::MySql).0, "SELECT `name` FROM `user` WHERE `id` = ?");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sql {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Ident(String),
    Value(Value),
}

impl Sql {
    /// A statement that starts with `text`.
    pub fn new(text: impl Into<String>) -> Sql {
        Sql::default().text(text)
    }

    /// Appends SQL text as it is (keywords, operators): never a value, never a name that
    /// comes from outside the program.
    pub fn text(mut self, text: impl Into<String>) -> Sql {
        self.parts.push(Part::Text(text.into()));
        self
    }

    /// Appends an identifier (a table or column name), quoted by the dialect.
    pub fn ident(mut self, name: impl Into<String>) -> Sql {
        self.parts.push(Part::Ident(name.into()));
        self
    }

    /// Appends a value as a bound parameter.
    pub fn value<T: SqlField>(mut self, value: T) -> Sql {
        self.parts.push(Part::Value(value.into_value()));
        self
    }

    /// Appends an already made value as a bound parameter.
    pub fn bind(mut self, value: Value) -> Sql {
        self.parts.push(Part::Value(value));
        self
    }

    /// The statement in `dialect`, and its parameters in order.
    pub fn render(&self, dialect: Dialect) -> (String, Vec<Value>) {
        let mut w = SqlWriter::new(dialect);
        let mut values = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => {
                    w.push(text);
                }
                Part::Ident(name) => {
                    w.ident(name);
                }
                Part::Value(value) => {
                    w.param();
                    values.push(value.clone());
                }
            }
        }
        (w.finish(), values)
    }
}
