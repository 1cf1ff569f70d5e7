//! The floor: the same workload written by hand with raw sqlx, pools picked by hand, on
//! its own copy of the tables (`raw_bench_t…`) in the same databases as bindery's.
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

use crate::interleave::{Block, GETS_BLOCK};
use crate::queries::check;
use crate::servers::Places;
use crate::workload::{BINDS, Bench, COMMIT_EVERY, insert_blocks, insert_rows, row};

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

    /// SQLite: moves the write-ahead log into the database file now (`PASSIVE`: it waits
    /// for no one). Nothing elsewhere.
    async fn checkpoint(&self) -> Result<(), sqlx::Error> {
        match self {
            RawPool::Sqlite(p) => sqlx::raw_sql("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(p)
                .await
                .map(drop),
            RawPool::Postgres(_) | RawPool::MySql(_) => Ok(()),
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

/// One multi-row `INSERT … VALUES` statement (`sql`) of the rows `items`.
macro_rules! batch {
    ($executor:expr, $sql:expr, $items:expr) => {{
        let mut query = sqlx::query(sqlx::AssertSqlSafe($sql));
        for i in $items {
            let r = row(i);
            query = query.bind(r.name).bind(r.qty).bind(r.price).bind(r.note);
        }
        query.execute($executor).await.map(drop)
    }};
}

fn err(e: sqlx::Error) -> String {
    e.to_string()
}

/// Raw sqlx's side of the workload: a pool per bind, and its own copy of every table,
/// named `raw_bench_t…`, in the same databases as bindery's.
pub(crate) struct Raw {
    pools: [RawPool; 3],
    tables: Vec<TableRef>,
    rows: usize,
}

impl Raw {
    /// Checkpoints every SQLite database of the bench (see `phases`), untimed.
    pub(crate) async fn checkpoint(&self) -> Result<(), String> {
        for pool in &self.pools {
            pool.checkpoint().await.map_err(err)?;
        }
        Ok(())
    }

    pub(crate) fn new(bench: &Bench, places: &Places) -> Result<Raw, String> {
        let pools = [
            RawPool::new(&places.urls[0], places)?,
            RawPool::new(&places.urls[1], places)?,
            RawPool::new(&places.urls[2], places)?,
        ];
        let tables = bench
            .tables
            .iter()
            .map(|t| TableRef {
                name: format!("raw_{}", t.name),
                bind: BINDS.iter().position(|b| *b == t.bind_key).unwrap_or(0),
            })
            .collect();
        Ok(Raw {
            pools,
            tables,
            rows: bench.rows,
        })
    }

    fn pool_of(&self, table: &TableRef) -> &RawPool {
        &self.pools[table.bind]
    }

    /// DDL with raw_sql, one `CREATE TABLE` per table, sequentially.
    pub(crate) fn create_all(&self) -> impl AsyncFnMut(Block) -> Result<(), String> {
        async |_| {
            for table in &self.tables {
                let pool = self.pool_of(table);
                pool.raw(pool.create_table(&table.name))
                    .await
                    .map_err(err)?;
            }
            Ok(())
        }
    }

    /// `DROP TABLE`, one per table, sequentially.
    pub(crate) fn drop_all(&self) -> impl AsyncFnMut(Block) -> Result<(), String> {
        async |_| {
            for table in self.tables.iter().rev() {
                let pool = self.pool_of(table);
                pool.raw(format!("DROP TABLE {}", pool.quote(&table.name)))
                    .await
                    .map_err(err)?;
            }
            Ok(())
        }
    }

    /// The floor: a multi-row `INSERT … VALUES` of 1,000 rows per block, each statement on
    /// its own (autocommit, as bindery sends a commit of one statement), on one connection
    /// per table acquired at its first block and held for its statements (its text built
    /// then, once).
    pub(crate) fn inserts(&self) -> impl AsyncFnMut(Block) -> Result<(), String> {
        let mut held: Option<(RawConn, String)> = None;
        async move |block| {
            let (table, items) = insert_rows(block, self.rows);
            let (table, pool) = (&self.tables[table], self.pool_of(&self.tables[table]));
            if items.start == 0 {
                held = None;
            }
            if held.is_none() {
                let conn = pool.acquire().await.map_err(err)?;
                held = Some((conn, pool.insert(&table.name, COMMIT_EVERY)));
            }
            let Some((conn, full)) = &mut held else {
                return Err("no connection held".to_owned());
            };
            let sql = if items.len() == COMMIT_EVERY {
                full.clone()
            } else {
                pool.insert(&table.name, items.len())
            };
            match conn {
                RawConn::Sqlite(c) => batch!(&mut **c, sql, items),
                RawConn::Postgres(c) => batch!(&mut **c, sql, items),
                RawConn::MySql(c) => batch!(&mut **c, sql, items),
            }
            .map_err(err)?;
            if block.last {
                held = None;
            }
            Ok(())
        }
    }

    /// For comparison only, not interleaved: the same multi-row INSERTs, a pool
    /// connection acquired per statement, into the same tables (run after the reads);
    /// rows per second.
    pub(crate) async fn inserts_pool(&self) -> Result<f64, String> {
        let started = Instant::now();
        let full: Vec<String> = self.tables[..3]
            .iter()
            .map(|t| self.pool_of(t).insert(&t.name, COMMIT_EVERY))
            .collect();
        for index in 0..insert_blocks(self.rows) {
            let block = Block {
                index,
                first: false,
                last: false,
            };
            let (t, items) = insert_rows(block, self.rows);
            let (table, pool) = (&self.tables[t], self.pool_of(&self.tables[t]));
            let sql = if items.len() == COMMIT_EVERY {
                full[t].clone()
            } else {
                pool.insert(&table.name, items.len())
            };
            match pool {
                RawPool::Sqlite(p) => batch!(p, sql, items),
                RawPool::Postgres(p) => batch!(p, sql, items),
                RawPool::MySql(p) => batch!(p, sql, items),
            }
            .map_err(err)?;
        }
        Ok((3 * self.rows) as f64 / started.elapsed().as_secs_f64())
    }

    /// For comparison only, not interleaved: per-row prepared inserts in transactions of
    /// 1,000 rows into the first table of each bind (run last); rows per second.
    pub(crate) async fn inserts_per_row(&self) -> Result<f64, String> {
        let started = Instant::now();
        for table in &self.tables[..3] {
            let pool = self.pool_of(table);
            let sql = pool.insert(&table.name, 1);
            match pool {
                RawPool::Sqlite(p) => per_row!(p, sql, self.rows),
                RawPool::Postgres(p) => per_row!(p, sql, self.rows),
                RawPool::MySql(p) => per_row!(p, sql, self.rows),
            }
            .map_err(err)?;
        }
        Ok((3 * self.rows) as f64 / started.elapsed().as_secs_f64())
    }

    /// The statements of the gets, one per bind's first table.
    fn selects(&self) -> Vec<String> {
        self.tables[..3]
            .iter()
            .map(|t| self.pool_of(t).select(&t.name))
            .collect()
    }

    /// The floor: gets with `query_as`, on one connection per bind acquired at the first
    /// block and held to the last.
    pub(crate) fn gets(
        &self,
        plan: &[(usize, i32)],
    ) -> impl AsyncFnMut(Block) -> Result<(), String> {
        let selects = self.selects();
        let mut held = Vec::with_capacity(3);
        let mut found = 0;
        async move |block| {
            if block.first {
                for table in &self.tables[..3] {
                    held.push(self.pool_of(table).acquire().await.map_err(err)?);
                }
            }
            for &(model, id) in &plan[block.items(GETS_BLOCK, plan.len())] {
                let sql = sqlx::AssertSqlSafe(selects[model].clone());
                let got: Got = match &mut held[model] {
                    RawConn::Sqlite(c) => {
                        sqlx::query_as(sql).bind(id).fetch_optional(&mut **c).await
                    }
                    RawConn::Postgres(c) => {
                        sqlx::query_as(sql).bind(id).fetch_optional(&mut **c).await
                    }
                    RawConn::MySql(c) => {
                        sqlx::query_as(sql).bind(id).fetch_optional(&mut **c).await
                    }
                }
                .map_err(err)?;
                found += usize::from(got.is_some());
            }
            if block.last {
                held.clear();
                check("rows raw sqlx's gets found", found, plan.len())?;
            }
            Ok(())
        }
    }

    /// For comparison only, not interleaved: the same gets, a pool connection acquired
    /// per query; gets per second.
    pub(crate) async fn gets_pool(&self, plan: &[(usize, i32)]) -> Result<f64, String> {
        let selects = self.selects();
        let started = Instant::now();
        let mut found = 0;
        for &(model, id) in plan {
            let sql = sqlx::AssertSqlSafe(selects[model].clone());
            let got: Got = match self.pool_of(&self.tables[model]) {
                RawPool::Sqlite(p) => sqlx::query_as(sql).bind(id).fetch_optional(p).await,
                RawPool::Postgres(p) => sqlx::query_as(sql).bind(id).fetch_optional(p).await,
                RawPool::MySql(p) => sqlx::query_as(sql).bind(id).fetch_optional(p).await,
            }
            .map_err(err)?;
            found += usize::from(got.is_some());
        }
        let rate = plan.len() as f64 / started.elapsed().as_secs_f64();
        check("rows raw sqlx's pooled gets found", found, plan.len())?;
        Ok(rate)
    }

    pub(crate) async fn close(self) {
        for pool in &self.pools {
            pool.close().await;
        }
    }
}

struct TableRef {
    name: String,
    bind: usize,
}
