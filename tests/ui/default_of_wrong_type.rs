use bindery::Model;

#[derive(Model)]
struct Setting {
    #[model(primary_key)]
    id: i64,
    #[model(default = "yes")]
    enabled: bool,
}

fn main() {}
