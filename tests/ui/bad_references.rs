use bindery::Model;

#[derive(Model)]
struct Order {
    #[model(primary_key)]
    id: i64,
    #[model(references = "store")]
    store_id: i64,
    #[model(references = "a.b.c")]
    other: i64,
}

fn main() {}
