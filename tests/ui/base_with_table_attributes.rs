use bindery::Base;

#[derive(Base)]
#[model(bind_key = "auth", table = "base", index(id))]
struct AuthBase;

fn main() {}
