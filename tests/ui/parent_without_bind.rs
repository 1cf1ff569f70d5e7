use bindery::Model;

struct NotABase;

#[derive(Model)]
#[model(parent = NotABase)]
struct Child {
    #[model(primary_key)]
    id: i64,
}

fn main() {}
