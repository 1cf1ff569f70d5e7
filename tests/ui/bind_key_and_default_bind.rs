use bindery::{Base, Model};

#[derive(Base)]
#[model(bind_key = "auth")]
struct AuthBase;

#[derive(Model)]
#[model(parent = AuthBase, bind_key = "shop", default_bind)]
struct Order {
    #[model(primary_key)]
    id: i64,
}

fn main() {}
