use bindery::Model;

#[derive(Model)]
struct Event {
    #[model(primary_key)]
    id: i64,
    #[model(server_default = "NOW() + 1")]
    at: Option<i64>,
    #[model(default = 1, server_default = "CURRENT_DATE")]
    day: Option<i64>,
}

fn main() {}
