use bindery::Model;

struct NotAModel;

#[derive(Model)]
struct Order {
    #[model(primary_key)]
    id: i64,
    #[model(link = NotAModel)]
    placed_by: i64,
    #[model(link = accounts::Nobody)]
    reviewed_by: i64,
}

fn main() {}
