use bindery::Model;

#[derive(Model)]
#[model(index(name, colour), unique(cache))]
struct Item {
    #[model(primary_key)]
    id: i64,
    name: String,
    #[model(skip)]
    cache: String,
}

fn main() {}
