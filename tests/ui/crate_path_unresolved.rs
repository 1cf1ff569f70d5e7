// A path that leads nowhere: rustc reports it at the user's `crate = …`.
#[derive(bindery::Base)]
#[model(crate = nowhere::bindery, bind_key = "x")]
struct Lost;

fn main() {}
