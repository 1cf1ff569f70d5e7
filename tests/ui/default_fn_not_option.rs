use bindery::Model;

fn fresh() -> String {
    "x".to_owned()
}

#[derive(Model)]
struct Token {
    #[model(primary_key)]
    id: i64,
    #[model(default_fn = fresh)]
    value: String,
}

fn main() {}
