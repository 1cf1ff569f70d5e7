use bindery::Model;

#[derive(Model)]
struct Event {
    #[model(primary_key)]
    id: i64,
    #[model(server_default = "CURRENT_TIMESTAMP")]
    at: Option<String>,
}

fn main() {}
