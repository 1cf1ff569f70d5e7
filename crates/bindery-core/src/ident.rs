//! The identifiers every supported dialect accepts, quoted.
//!
//! `bindery-macros` compiles this same file (its `src/ident.rs` is a symlink to it), so
//! the derive refuses exactly the names the registry refuses without depending on this
//! crate and its sea-query and linkme. Keep it free of `crate::` paths and dependencies:
//! `core` only.

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
    /// It holds a character outside Unicode's Basic Multilingual Plane (an emoji, say):
    /// MySQL and MariaDB keep names in 3-byte UTF-8 and refuse these.
    OutsideBmp,
    /// A table name whose MySQL file name would be too long: MySQL stores a table as files
    /// named after it, with each character other than ASCII letters, digits and `_`
    /// written as up to five bytes, and a file name holds 255.
    FileNameTooLong {
        /// The file name's length in bytes, counting five for each such character.
        bytes: usize,
    },
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
            IdentifierError::OutsideBmp => f.write_str(
                "it holds a character outside Unicode's Basic Multilingual Plane (such as an emoji), which MySQL refuses in names",
            ),
            IdentifierError::FileNameTooLong { bytes } => write!(
                f,
                "MySQL would name its files with up to {bytes} bytes (five for each character other than ASCII letters, digits and `_`), over the {MAX_TABLE_FILE_NAME} a file name allows"
            ),
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
    if name.chars().any(|c| u32::from(c) > 0xFFFF) {
        return Err(IdentifierError::OutsideBmp);
    }
    Ok(())
}

/// The longest MySQL file name of a table, in bytes: 255 less the `.frm` or `.ibd`
/// extension. Measured on MariaDB: 50 `"` (250 bytes) make a table, 51 do not.
const MAX_TABLE_FILE_NAME: usize = 251;

/// [`check_identifier`], and for a table also what MySQL needs of its file name: each
/// character other than ASCII letters, digits and `_` is written as up to five bytes
/// (`"` as `@0022`), so 51 of them are too many although the name is short.
pub fn check_table_name(name: &str) -> Result<(), IdentifierError> {
    check_identifier(name)?;
    let bytes: usize = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                1
            } else {
                5
            }
        })
        .sum();
    if bytes > MAX_TABLE_FILE_NAME {
        return Err(IdentifierError::FileNameTooLong { bytes });
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
        assert_eq!(check_identifier("a😀"), Err(IdentifierError::OutsideBmp));
        assert_eq!(check_identifier("a한é\"`'"), Ok(()));
    }

    #[test]
    fn a_table_name_must_make_a_mysql_file_name() {
        assert_eq!(check_table_name(&"\"".repeat(50)), Ok(()));
        assert_eq!(
            check_table_name(&"\"".repeat(51)),
            Err(IdentifierError::FileNameTooLong { bytes: 255 })
        );
        assert_eq!(check_table_name(&"x".repeat(63)), Ok(()));
        // Columns and indexes are no files.
        assert_eq!(check_identifier(&"\"".repeat(63)), Ok(()));
    }
}
