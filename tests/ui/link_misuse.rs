use bindery::Model;

#[derive(Model)]
struct User {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
struct Order {
    #[model(primary_key)]
    id: i64,
    #[model(link = "User")]
    placed_by: i64,
    #[model(link = User, references = "user.id")]
    reviewed_by: i64,
    #[model(skip, link = User)]
    cached: i64,
}

fn main() {}
