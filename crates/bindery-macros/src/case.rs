//! Table names from struct names, the way Flask-SQLAlchemy makes them.

/// `CamelCase` → `camel_case`, `HTTPResponse` → `http_response`, `User2FA` → `user2_fa`:
/// an underscore goes before an upper-case letter that follows a lower-case letter or a
/// digit, or that starts a new word after an acronym. This is Flask-SQLAlchemy's
/// `camel_to_snake_case`, so a model ported from Python keeps its table.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        // Python's `[A-Z]` and `[a-z]` are ASCII-only; so are these tests.
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if prev.is_ascii_lowercase() || prev.is_ascii_digit() || next_is_lower {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out.trim_start_matches('_').to_owned()
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn matches_flask_sqlalchemy() {
        // The expected values are what Flask-SQLAlchemy 3.1's camel_to_snake_case returns.
        for (camel, snake) in [
            ("User", "user"),
            ("StoreOrder", "store_order"),
            ("HTTPResponse", "http_response"),
            ("User2FA", "user2_fa"),
            ("ABC", "abc"),
            ("already_snake", "already_snake"),
            ("Snake_Case", "snake__case"),
        ] {
            assert_eq!(snake_case(camel), snake, "{camel}");
        }
    }
}
