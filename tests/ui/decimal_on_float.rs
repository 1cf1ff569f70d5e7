use bindery::Model;

#[derive(Model)]
struct Price {
    #[model(primary_key)]
    id: i64,
    #[model(decimal(10, 2))]
    amount: f64,
}

fn main() {}
