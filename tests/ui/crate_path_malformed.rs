use bindery::{Base, Model};

// serde's spelling, a string: refused with the path to write instead.
#[derive(Model)]
#[model(crate = "my_facade::bindery")]
struct Quoted {
    #[model(primary_key)]
    id: i64,
}

// Not a path at all.
#[derive(Model)]
#[model(crate = 42)]
struct NotAPath {
    #[model(primary_key)]
    id: i64,
}

// No value.
#[derive(Base)]
#[model(crate)]
struct NoValue;

// Given twice.
#[derive(Base)]
#[model(crate = ::bindery)]
#[model(crate = ::bindery)]
struct Twice;

fn main() {}
