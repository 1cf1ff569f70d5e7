use bindery::Model;

struct Money {
    cents: u64,
}

#[derive(Model)]
struct Invoice {
    #[model(primary_key)]
    id: i64,
    total: Money,
    lines: Vec<String>,
}

fn main() {}
