//! Every mistake the derives can see is a compile error at the user's span, with a
//! message that names the model, field or attribute at fault (`tests/ui/*.stderr`).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
