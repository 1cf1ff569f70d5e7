use bindery::Model;

#[derive(Model)]
struct Shelf {
    #[model(primary_key, autoincrement)]
    aisle: i32,
    #[model(primary_key)]
    position: i32,
    #[model(autoincrement = true)]
    count: i64,
}

fn main() {}
