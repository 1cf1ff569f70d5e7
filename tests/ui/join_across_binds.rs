use bindery::{Model, find};

#[derive(Model)]
#[model(bind_key = "auth")]
struct User {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
#[model(bind_key = "shop")]
struct Order {
    #[model(primary_key)]
    id: i64,
    #[model(link = User)]
    user_id: i64,
}

fn main() {
    let _pairs = find::<Order>().join::<User, _>(Order::COLUMNS.user_id);
}
