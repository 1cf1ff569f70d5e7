use bindery::Model;

#[derive(Model)]
struct Note {
    id: i64,
    body: String,
}

fn main() {}
