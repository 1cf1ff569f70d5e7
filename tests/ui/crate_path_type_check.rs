// Under `crate = …`, a mistake found in const evaluation is still reported at the
// attribute at fault, not at the path given to `crate`.
mod facade {
    pub use bindery as orm;
}

#[derive(facade::orm::Model)]
#[model(crate = facade::orm)]
struct Tag {
    #[model(primary_key, autoincrement)]
    code: String,
}

fn main() {}
