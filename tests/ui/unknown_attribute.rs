use bindery::Model;

#[derive(Model)]
#[model(tabel = "users", bind_key = "auth")]
struct User {
    #[model(primary_key, uniqe)]
    id: i64,
    #[model(lenght = 10)]
    name: String,
}

fn main() {}
