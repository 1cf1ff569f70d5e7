use bindery::Model;

#[derive(Model)]
#[model(table = "")]
struct Nameless {
    #[model(primary_key)]
    id: i64,
}

fn main() {}
