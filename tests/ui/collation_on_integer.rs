use bindery::Model;

#[derive(Model)]
struct Product {
    #[model(primary_key)]
    id: i64,
    #[model(collation = "utf8mb4_bin")]
    stock: i32,
}

fn main() {}
