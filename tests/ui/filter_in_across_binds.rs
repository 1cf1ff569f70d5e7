use bindery::{Model, find};

#[derive(Model)]
#[model(bind_key = "auth")]
struct User {
    #[model(primary_key)]
    id: i64,
}

// The default bind: not "auth" either.
#[derive(Model)]
struct Order {
    #[model(primary_key)]
    id: i64,
    #[model(link = User)]
    user_id: i64,
}

fn main() {
    let users = find::<User>().select((User::COLUMNS.id,));
    let _orders = find::<Order>().filter_in(Order::COLUMNS.user_id, users);
}
