use bindery::{Db, Model};

#[derive(Model)]
struct Entry {
    #[model(primary_key)]
    id: i64,
    name: String,
    rank: i32,
}

async fn read(db: &Db) -> Result<(), bindery::Error> {
    let c = Entry::COLUMNS;
    // `rank` is an i32: a projection reads it as one, never as text.
    let rows: Vec<(String, String)> = bindery::find::<Entry>()
        .select((c.name, c.rank))
        .all(db)
        .await?;
    drop(rows);
    Ok(())
}

fn main() {
    drop(read);
}
