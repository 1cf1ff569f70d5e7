use bindery::Model;

#[derive(Model)]
struct Tag {
    #[model(primary_key, autoincrement)]
    code: String,
}

fn main() {}
