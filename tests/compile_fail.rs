//! Every mistake the derives can see is a compile error at the user's span, with a
//! message that names the model, field or attribute at fault (`tests/ui/*.stderr`).

/// Runs without the type features: rustc's notes list the types that implement the trait
/// a check needs (every `SqlField` type, for an unsupported field type; and how it prints
/// `String` depends on what else is in scope), and the type features add to both.
#[test]
#[cfg_attr(
    any(
        feature = "chrono",
        feature = "time",
        feature = "uuid",
        feature = "json",
        feature = "rust_decimal"
    ),
    ignore = "the notes list the types of each check's trait, which the type features change"
)]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.compile_fail("tests/ui/types/*.rs");
}
