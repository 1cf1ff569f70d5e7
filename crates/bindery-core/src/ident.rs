//! The identifiers every supported dialect accepts, quoted.

use core::fmt;

/// The longest identifier, in bytes, that every dialect keeps whole: PostgreSQL silently
/// cuts names at 63 bytes (MySQL stops at 64), and two cut names may then collide.
pub const MAX_IDENTIFIER_LEN: usize = 63;

/// Why an identifier is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentifierError {
    /// It is empty.
    Empty,
    /// It is longer than [`MAX_IDENTIFIER_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// It holds a control character (NUL included), which no dialect stores.
    ControlCharacter,
    /// It begins or ends with white space, which MySQL refuses and readers miss.
    SurroundingWhitespace,
    /// It holds a `.`, which reads as a schema qualifier and breaks `table.column` references.
    Dot,
    /// It begins with `sqlite_`, a prefix SQLite reserves for itself.
    SqliteReserved,
}

impl fmt::Display for IdentifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentifierError::Empty => f.write_str("it is empty"),
            IdentifierError::TooLong { len } => write!(
                f,
                "it is {len} bytes long, over the {MAX_IDENTIFIER_LEN} that PostgreSQL keeps"
            ),
            IdentifierError::ControlCharacter => f.write_str("it holds a control character"),
            IdentifierError::SurroundingWhitespace => {
                f.write_str("it begins or ends with white space")
            }
            IdentifierError::Dot => {
                f.write_str("it holds a `.`, which would read as a schema qualifier")
            }
            IdentifierError::SqliteReserved => {
                f.write_str("it begins with `sqlite_`, which SQLite reserves")
            }
        }
    }
}

/// Checks that `name` can name a table, column or index on SQLite, PostgreSQL and MySQL
/// alike, once quoted. Reserved words (`order`, `user`) are fine: bindery always quotes.
pub fn check_identifier(name: &str) -> Result<(), IdentifierError> {
    if name.is_empty() {
        return Err(IdentifierError::Empty);
    }
    if name.len() > MAX_IDENTIFIER_LEN {
        return Err(IdentifierError::TooLong { len: name.len() });
    }
    if name.chars().any(char::is_control) {
        return Err(IdentifierError::ControlCharacter);
    }
    if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        return Err(IdentifierError::SurroundingWhitespace);
    }
    if name.contains('.') {
        return Err(IdentifierError::Dot);
    }
    if name
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("sqlite_"))
    {
        return Err(IdentifierError::SqliteReserved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_and_unicode_are_fine() {
        for ok in ["order", "user", "group", "select", "tb_user", "주문", "a b"] {
            assert_eq!(check_identifier(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_what_a_dialect_refuses() {
        assert_eq!(check_identifier(""), Err(IdentifierError::Empty));
        assert_eq!(
            check_identifier(&"x".repeat(64)),
            Err(IdentifierError::TooLong { len: 64 })
        );
        assert_eq!(check_identifier(&"x".repeat(63)), Ok(()));
        assert_eq!(
            check_identifier("a\0b"),
            Err(IdentifierError::ControlCharacter)
        );
        assert_eq!(
            check_identifier("name "),
            Err(IdentifierError::SurroundingWhitespace)
        );
        assert_eq!(check_identifier("s.t"), Err(IdentifierError::Dot));
        assert_eq!(
            check_identifier("SQLite_master"),
            Err(IdentifierError::SqliteReserved)
        );
    }
}
