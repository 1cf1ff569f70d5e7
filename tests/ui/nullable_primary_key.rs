use bindery::Model;

#[derive(Model)]
struct Session {
    #[model(primary_key)]
    token: Option<String>,
}

fn main() {}
