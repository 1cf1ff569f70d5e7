use bindery::Model;

#[derive(Model)]
struct Person {
    #[model(primary_key)]
    id: i64,
    name: String,
    #[model(column = "name")]
    full_name: String,
}

fn main() {}
