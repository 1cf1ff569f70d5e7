use bindery::Model;

#[derive(Model)]
struct Product {
    #[model(primary_key)]
    id: i64,
    #[model(length = 10)]
    stock: i32,
}

fn main() {}
