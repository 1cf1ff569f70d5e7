use bindery::Model;

#[derive(Model)]
#[model(table = "public.users")]
struct Qualified {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
#[model(table = "users ")]
struct Trailing {
    #[model(primary_key)]
    id: i64,
}

#[derive(Model)]
#[model(table = "a_table_name_that_is_far_too_long_for_postgresql_to_keep_whole_x")]
struct TooLong {
    #[model(primary_key)]
    id: i64,
}

fn main() {}
