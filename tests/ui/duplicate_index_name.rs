use bindery::Model;

// The field's `index` and the struct's `index(code)` are both `ix_product_code`.
#[derive(Model)]
#[model(index(code))]
struct Product {
    #[model(primary_key)]
    id: i64,
    #[model(index, length = 10)]
    code: String,
}

fn main() {}
