//! The floor: the same workload written by hand with raw sqlx, pools picked by hand.
//!
//! Two floors for gets and for multi-row inserts: on one connection per bind acquired
//! once for the loop (what a bindery session does: it holds one connection per bind), the
//! figures bindery is held to; and on the pool, a connection acquired per statement (with
//! sqlx's default ping before acquire on the servers), for comparison only.

mod queries;

use std::time::Instant;

use bindery::sqlx::{
    self, MySql, MySqlPool, PgPool, Postgres, Sqlite, SqlitePool,
    pool::PoolConnection,
    sqlite::{SqliteConnectOptions, SqliteJournalMode},
};

use crate::servers::Places;
use crate::workload::{BINDS, Bench, COMMIT_EVERY, Metrics, row};

/// One pool per bind, by hand.
enum RawPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

type Got = Option<(i32, String, i32, f64, Option<String>)>;

/// One connection of a bind's pool, held for a whole phase.
enum RawConn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
    MySql(PoolConnection<MySql>),
}

impl RawPool {
    fn new(url: &str, places: &Places) -> Result<RawPool, String> {
        if let Some(dir) = &places.sqlite_dir {
            let file = url.trim_start_matches("sqlite:///");
            let options = SqliteConnectOptions::new()
                .filename(dir.join(file))
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal);
            return Ok(RawPool::Sqlite(SqlitePool::connect_lazy_with(options)));
        }
        if url.starts_with("postgres") {
            PgPool::connect_lazy(url).map(RawPool::Postgres)
        } else {
            MySqlPool::connect_lazy(url).map(RawPool::MySql)
        }
        .map_err(|e| e.to_string())
    }

    fn create_table(&self, table: &str) -> String {
        match self {
            RawPool::Sqlite(_) => format!(
                r#"CREATE TABLE "{table}" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(64) NOT NULL, "qty" INTEGER NOT NULL, "price" DOUBLE NOT NULL, "note" VARCHAR(255) NULL)"#
            ),
            RawPool::Postgres(_) => format!(
                r#"CREATE TABLE "{table}" ("id" SERIAL NOT NULL PRIMARY KEY, "name" VARCHAR(64) NOT NULL, "qty" INTEGER NOT NULL, "price" DOUBLE PRECISION NOT NULL, "note" VARCHAR(255) NULL)"#
            ),
            RawPool::MySql(_) => format!(
                "CREATE TABLE `{table}` (`id` INTEGER NOT NULL PRIMARY KEY AUTO_INCREMENT, `name` VARCHAR(64) NOT NULL, `qty` INTEGER NOT NULL, `price` DOUBLE NOT NULL, `note` VARCHAR(255) NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
            ),
        }
    }

    fn quote(&self, table: &str) -> String {
        match self {
            RawPool::MySql(_) => format!("`{table}`"),
            _ => format!("\"{table}\""),
        }
    }

    /// `INSERT INTO t (name, qty, price, note) VALUES (…)` for `rows` rows.
    fn insert(&self, table: &str, rows: usize) -> String {
        let mut sql = format!(
            "INSERT INTO {} (name, qty, price, note) VALUES ",
            self.quote(table)
        );
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            match self {
                RawPool::Postgres(_) => {
                    let n = r * 4;
                    sql.push_str(&format!("(${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4));
                }
                _ => sql.push_str("(?, ?, ?, ?)"),
            }
        }
        sql
    }

    fn select(&self, table: &str) -> String {
        let param = match self {
            RawPool::Postgres(_) => "$1",
            _ => "?",
        };
        format!(
            "SELECT id, name, qty, price, note FROM {} WHERE id = {param}",
            self.quote(table)
        )
    }

    async fn raw(&self, sql: String) -> Result<(), sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql);
        match self {
            RawPool::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
            RawPool::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
            RawPool::MySql(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
        }
    }

    async fn acquire(&self) -> Result<RawConn, sqlx::Error> {
        Ok(match self {
            RawPool::Sqlite(p) => RawConn::Sqlite(p.acquire().await?),
            RawPool::Postgres(p) => RawConn::Postgres(p.acquire().await?),
            RawPool::MySql(p) => RawConn::MySql(p.acquire().await?),
        })
    }

    async fn close(&self) {
        match self {
            RawPool::Sqlite(p) => p.close().await,
            RawPool::Postgres(p) => p.close().await,
            RawPool::MySql(p) => p.close().await,
        }
    }
}

/// Per-row prepared inserts in transactions of 1,000 rows.
macro_rules! per_row {
    ($pool:expr, $sql:expr, $rows:expr) => {
        async {
            let mut start = 0;
            while start < $rows {
                let end = (start + COMMIT_EVERY).min($rows);
                let mut tx = $pool.begin().await?;
                for i in start..end {
                    let r = row(i);
                    sqlx::query(sqlx::AssertSqlSafe($sql.clone()))
                        .bind(r.name)
                        .bind(r.qty)
                        .bind(r.price)
                        .bind(r.note)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                start = end;
            }
            Ok::<(), sqlx::Error>(())
        }
        .await
    };
}

/// Multi-row `INSERT … VALUES` of 1,000 rows, each its own statement.
macro_rules! batched {
    ($executor:expr, $full:expr, $make:expr, $rows:expr) => {
        async {
            let mut start = 0;
            while start < $rows {
                let end = (start + COMMIT_EVERY).min($rows);
                let sql = if end - start == COMMIT_EVERY {
                    $full.clone()
                } else {
                    $make(end - start)
                };
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for i in start..end {
                    let r = row(i);
                    query = query.bind(r.name).bind(r.qty).bind(r.price).bind(r.note);
                }
                query.execute($executor).await?;
                start = end;
            }
            Ok::<(), sqlx::Error>(())
        }
        .await
    };
}

pub(crate) async fn run(bench: &Bench, places: &Places) -> Result<Metrics, String> {
    let pools = [
        RawPool::new(&places.urls[0], places)?,
        RawPool::new(&places.urls[1], places)?,
        RawPool::new(&places.urls[2], places)?,
    ];
    let pool_of = |table: &TableRef| &pools[table.bind];
    let tables: Vec<TableRef> = bench
        .tables
        .iter()
        .map(|t| TableRef {
            name: t.name,
            bind: BINDS.iter().position(|b| *b == t.bind_key).unwrap_or(0),
        })
        .collect();
    let err = |e: sqlx::Error| e.to_string();

    // DDL with raw_sql, one statement per table, sequentially.
    let started = Instant::now();
    for table in &tables {
        let pool = pool_of(table);
        pool.raw(pool.create_table(table.name)).await.map_err(err)?;
    }
    let create_all_s = started.elapsed().as_secs_f64();

    // Multi-row INSERT … VALUES of 1,000 rows, each statement on its own (autocommit, as
    // bindery sends a commit of one statement), on one connection per table held for its
    // statements: the floor. Run right after create_all, into the same empty tables as
    // bindery's inserts: the servers are still busy with the tables just created, which
    // later phases would not meet.
    let started = Instant::now();
    for table in &tables[..3] {
        let pool = pool_of(table);
        let full = pool.insert(table.name, COMMIT_EVERY);
        let make = |rows: usize| pool.insert(table.name, rows);
        match pool.acquire().await.map_err(err)? {
            RawConn::Sqlite(mut c) => batched!(&mut *c, full, make, bench.rows),
            RawConn::Postgres(mut c) => batched!(&mut *c, full, make, bench.rows),
            RawConn::MySql(mut c) => batched!(&mut *c, full, make, bench.rows),
        }
        .map_err(err)?;
    }
    let insert_batched_rows_per_s = (3 * bench.rows) as f64 / started.elapsed().as_secs_f64();

    // The query phases, here while the first table of each bind holds exactly the rows
    // bindery's hold when it runs them (the inserts below add more).
    let names = [tables[0].name, tables[1].name, tables[2].name];
    let rates = queries::run(&pools, names, bench.rows).await?;

    // The same multi-row INSERTs, a pool connection acquired per statement (for
    // comparison only; it meets the servers a little less busy than the floor does).
    let started = Instant::now();
    for table in &tables[..3] {
        let pool = pool_of(table);
        let full = pool.insert(table.name, COMMIT_EVERY);
        let make = |rows: usize| pool.insert(table.name, rows);
        match pool {
            RawPool::Sqlite(p) => batched!(p, full, make, bench.rows),
            RawPool::Postgres(p) => batched!(p, full, make, bench.rows),
            RawPool::MySql(p) => batched!(p, full, make, bench.rows),
        }
        .map_err(err)?;
    }
    let insert_batched_pool_rows_per_s = (3 * bench.rows) as f64 / started.elapsed().as_secs_f64();

    // Per-row prepared inserts into the first table of each bind.
    let started = Instant::now();
    for table in &tables[..3] {
        let pool = pool_of(table);
        let sql = pool.insert(table.name, 1);
        match pool {
            RawPool::Sqlite(p) => per_row!(p, sql, bench.rows),
            RawPool::Postgres(p) => per_row!(p, sql, bench.rows),
            RawPool::MySql(p) => per_row!(p, sql, bench.rows),
        }
        .map_err(err)?;
    }
    let insert_rows_per_s = (3 * bench.rows) as f64 / started.elapsed().as_secs_f64();

    // Gets with query_as: first on one connection per bind acquired once for the loop
    // (the floor), then acquiring a pool connection per query.
    let selects: Vec<String> = tables[..3]
        .iter()
        .map(|t| pool_of(t).select(t.name))
        .collect();
    let plan = bench.get_plan();
    let started = Instant::now();
    let mut held = Vec::with_capacity(3);
    for table in &tables[..3] {
        held.push(pool_of(table).acquire().await.map_err(err)?);
    }
    let mut found = 0;
    for &(model, id) in &plan {
        let sql = sqlx::AssertSqlSafe(selects[model].clone());
        let got: Got = match &mut held[model] {
            RawConn::Sqlite(c) => sqlx::query_as(sql).bind(id).fetch_optional(&mut **c).await,
            RawConn::Postgres(c) => sqlx::query_as(sql).bind(id).fetch_optional(&mut **c).await,
            RawConn::MySql(c) => sqlx::query_as(sql).bind(id).fetch_optional(&mut **c).await,
        }
        .map_err(err)?;
        found += usize::from(got.is_some());
    }
    drop(held);
    let gets_per_s = bench.gets as f64 / started.elapsed().as_secs_f64();
    if found != bench.gets {
        return Err(format!("raw sqlx found {found} of {} rows", bench.gets));
    }

    let started = Instant::now();
    let mut found = 0;
    for &(model, id) in &plan {
        let sql = sqlx::AssertSqlSafe(selects[model].clone());
        let got: Got = match pool_of(&tables[model]) {
            RawPool::Sqlite(p) => sqlx::query_as(sql).bind(id).fetch_optional(p).await,
            RawPool::Postgres(p) => sqlx::query_as(sql).bind(id).fetch_optional(p).await,
            RawPool::MySql(p) => sqlx::query_as(sql).bind(id).fetch_optional(p).await,
        }
        .map_err(err)?;
        found += usize::from(got.is_some());
    }
    let gets_pool_per_s = bench.gets as f64 / started.elapsed().as_secs_f64();
    if found != bench.gets {
        return Err(format!("raw sqlx found {found} of {} rows", bench.gets));
    }

    // DROP TABLE, one per table, sequentially.
    let started = Instant::now();
    for table in tables.iter().rev() {
        let pool = pool_of(table);
        pool.raw(format!("DROP TABLE {}", pool.quote(table.name)))
            .await
            .map_err(err)?;
    }
    let drop_all_s = started.elapsed().as_secs_f64();
    for pool in &pools {
        pool.close().await;
    }
    Ok(Metrics {
        create_all_s,
        insert_rows_per_s,
        insert_batched_rows_per_s: Some(insert_batched_rows_per_s),
        insert_batched_pool_rows_per_s: Some(insert_batched_pool_rows_per_s),
        gets_per_s,
        gets_pool_per_s: Some(gets_pool_per_s),
        drop_all_s,
        projection_per_s: rates.projection,
        aggregate_per_s: rates.aggregate,
        load_pages_per_s: rates.load_pages,
    })
}

struct TableRef {
    name: &'static str,
    bind: usize,
}
