use bindery::Model;

#[derive(Model)]
struct Pair(i64, String);

fn main() {}
