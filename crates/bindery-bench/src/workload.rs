//! The workload and bindery's side of it: three derived models (the first of each bind)
//! and M−3 more tables of the same shape, generated at run time.

use std::ops::Range;

use bindery::{Binds, Config, Db, Model, Registry, Session, TableInfo};

use crate::interleave::{Block, GETS_BLOCK};
use crate::queries::check;
use crate::servers::Places;

/// The rows inserted per commit, as the workload asks.
pub(crate) const COMMIT_EVERY: usize = 1_000;

macro_rules! bench_model {
    ($name:ident, table = $table:literal $(, bind_key = $bind:literal)?) => {
        /// A bench model: the five columns of the workload.
        #[derive(Debug, Clone, PartialEq, Model)]
        #[model(table = $table $(, bind_key = $bind)?)]
        pub(crate) struct $name {
            #[model(primary_key)]
            pub(crate) id: i32,
            #[model(length = 64)]
            pub(crate) name: String,
            pub(crate) qty: i32,
            pub(crate) price: f64,
            #[model(length = 255)]
            pub(crate) note: Option<String>,
        }

        impl From<Row> for $name {
            fn from(row: Row) -> $name {
                $name {
                    id: 0,
                    name: row.name,
                    qty: row.qty,
                    price: row.price,
                    note: row.note,
                }
            }
        }
    };
}

// The first model of each bind, in the round-robin order of the tables.
bench_model!(T0, table = "bench_t0");
bench_model!(T1, table = "bench_t1", bind_key = "auth");
bench_model!(T2, table = "bench_t2", bind_key = "shop");

/// One row's values, shared by both implementations.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) qty: i32,
    pub(crate) price: f64,
    pub(crate) note: Option<String>,
}

/// Row `i` of the workload (the same for every table and implementation).
pub(crate) fn row(i: usize) -> Row {
    Row {
        name: format!("name-{i}"),
        qty: i32::try_from(i).unwrap_or(i32::MAX),
        price: i as f64 * 1.5,
        note: i.is_multiple_of(2).then(|| format!("note for row {i}")),
    }
}

/// The figures of one implementation in one run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Metrics {
    pub(crate) create_all_s: f64,
    /// Bindery: `add_all` and `commit`. Raw: per-row prepared inserts in transactions.
    pub(crate) insert_rows_per_s: f64,
    /// Raw only: multi-row INSERTs on one connection per table, held for its statements.
    pub(crate) insert_batched_rows_per_s: Option<f64>,
    /// Raw only: the same multi-row INSERTs, a pool connection acquired per statement.
    pub(crate) insert_batched_pool_rows_per_s: Option<f64>,
    /// Bindery: one session's gets. Raw: on one connection per bind held for the loop.
    pub(crate) gets_per_s: f64,
    /// Raw only: the same gets, a pool connection acquired per query.
    pub(crate) gets_pool_per_s: Option<f64>,
    pub(crate) drop_all_s: f64,
    /// Filtered projections of two columns per second (`fixture::PROJECTIONS` of them).
    pub(crate) projection_per_s: f64,
    /// Grouped aggregates per second.
    pub(crate) aggregate_per_s: f64,
    /// Loader pages per second: 50 orders with their users, 50 users with their orders.
    pub(crate) load_pages_per_s: f64,
}

pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

impl Metrics {
    /// The median of each figure over several runs.
    pub(crate) fn median(runs: &[Metrics]) -> Metrics {
        let of = |f: fn(&Metrics) -> f64| median(runs.iter().map(f).collect());
        // A figure only one implementation has: the median when every run has it.
        let of_some = |f: fn(&Metrics) -> Option<f64>| {
            let values: Option<Vec<f64>> = runs.iter().map(f).collect();
            values.map(median)
        };
        Metrics {
            create_all_s: of(|m| m.create_all_s),
            insert_rows_per_s: of(|m| m.insert_rows_per_s),
            insert_batched_rows_per_s: of_some(|m| m.insert_batched_rows_per_s),
            insert_batched_pool_rows_per_s: of_some(|m| m.insert_batched_pool_rows_per_s),
            gets_per_s: of(|m| m.gets_per_s),
            gets_pool_per_s: of_some(|m| m.gets_pool_per_s),
            drop_all_s: of(|m| m.drop_all_s),
            projection_per_s: of(|m| m.projection_per_s),
            aggregate_per_s: of(|m| m.aggregate_per_s),
            load_pages_per_s: of(|m| m.load_pages_per_s),
        }
    }
}

/// The workload's shape, and the tables it runs on.
pub(crate) struct Bench {
    pub(crate) rows: usize,
    pub(crate) gets: usize,
    /// Every table, `bench_t0` … `bench_t{M-1}`, in order.
    pub(crate) tables: Vec<&'static TableInfo>,
}

/// The binds, in the round-robin order of the tables.
pub(crate) const BINDS: [Option<&str>; 3] = [None, Some("auth"), Some("shop")];

impl Bench {
    pub(crate) fn new(models: usize, rows: usize, gets: usize) -> Bench {
        let mut tables = vec![T0::TABLE, T1::TABLE, T2::TABLE];
        for i in 3..models {
            // Generated once per process; a bench is short-lived, so leaking is the point.
            let name: &'static str = format!("bench_t{i}").leak();
            let rust_type: &'static str = format!("bindery_bench::T{i}").leak();
            tables.push(Box::leak(Box::new(TableInfo {
                bind_key: BINDS[i % 3],
                columns: T0::TABLE.columns,
                ..TableInfo::new(name, rust_type)
            })));
        }
        Bench { rows, gets, tables }
    }

    /// The three binds, as both the workload's `Db` and the fixture's see them.
    pub(crate) fn config(places: &Places) -> Config {
        let [default, auth, shop] = &places.urls;
        let config = Config::new()
            .database_uri(default)
            .bind("auth", auth)
            .bind("shop", shop);
        match &places.sqlite_dir {
            Some(dir) => config.sqlite_base_dir(dir),
            None => config,
        }
    }

    /// The keys the gets ask for: spread at random (a fixed seed, so runs compare) over
    /// the three models and their rows.
    pub(crate) fn get_plan(&self) -> Vec<(usize, i32)> {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..self.gets)
            .map(|_| {
                // xorshift64*
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                let x = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
                let model = (x % 3) as usize;
                let id = (x / 3 % self.rows as u64) as i32 + 1;
                (model, id)
            })
            .collect()
    }
}

/// The blocks of the insert phase: one commit of 1,000 rows each, table after table.
pub(crate) fn insert_blocks(rows: usize) -> usize {
    3 * rows.div_ceil(COMMIT_EVERY)
}

/// Which of the first three tables insert block `block` fills, and with which rows.
pub(crate) fn insert_rows(block: Block, rows: usize) -> (usize, Range<usize>) {
    let per_table = rows.div_ceil(COMMIT_EVERY);
    let chunk = Block {
        index: block.index % per_table,
        ..block
    };
    (block.index / per_table, chunk.items(COMMIT_EVERY, rows))
}

/// Bindery's side of the workload: a `Db` over the three binds and all M tables.
pub(crate) struct Bindery {
    pub(crate) db: Db,
    pub(crate) rows: usize,
}

pub(crate) fn err(e: bindery::Error) -> String {
    e.to_string()
}

impl Bindery {
    pub(crate) fn new(bench: &Bench, places: &Places) -> Result<Bindery, String> {
        let registry = Registry::from_tables(bench.tables.iter().copied());
        let db = Db::build_with_registry(Bench::config(places), registry).map_err(err)?;
        Ok(Bindery {
            db,
            rows: bench.rows,
        })
    }

    pub(crate) fn create_all(&self) -> impl AsyncFnMut(Block) -> Result<(), String> {
        async |_| self.db.create_all(Binds::All).await.map(drop).map_err(err)
    }

    pub(crate) fn drop_all(&self) -> impl AsyncFnMut(Block) -> Result<(), String> {
        async |_| self.db.drop_all(Binds::All).await.map(drop).map_err(err)
    }

    /// R rows into the first model of each bind, one session per model: `add_all` of
    /// 1,000 rows and `commit` per block.
    pub(crate) fn inserts(&self) -> impl AsyncFnMut(Block) -> Result<(), String> {
        let mut session: Option<Session> = None;
        async move |block| {
            let (table, rows) = insert_rows(block, self.rows);
            if rows.start == 0 {
                session = None;
            }
            let s = session.get_or_insert_with(|| self.db.session());
            match table {
                0 => insert::<T0>(s, rows).await,
                1 => insert::<T1>(s, rows).await,
                _ => insert::<T2>(s, rows).await,
            }
            .map_err(err)?;
            if block.last {
                session = None;
            }
            Ok(())
        }
    }

    /// `plan`'s gets in one session, `GETS_BLOCK` a block, then `commit`.
    pub(crate) fn gets(
        &self,
        plan: &[(usize, i32)],
    ) -> impl AsyncFnMut(Block) -> Result<(), String> {
        let mut session = self.db.session();
        let mut found = 0;
        async move |block| {
            for &(model, id) in &plan[block.items(GETS_BLOCK, plan.len())] {
                let hit = match model {
                    0 => session.get::<T0>(id).await.map_err(err)?.is_some(),
                    1 => session.get::<T1>(id).await.map_err(err)?.is_some(),
                    _ => session.get::<T2>(id).await.map_err(err)?.is_some(),
                };
                found += usize::from(hit);
            }
            if block.last {
                session.commit().await.map_err(err)?;
                check("rows bindery's gets found", found, plan.len())?;
            }
            Ok(())
        }
    }

    pub(crate) async fn close(self) {
        self.db.close().await;
    }
}

/// `rows` into `M` through `session`: `add_all`, then `commit`.
async fn insert<M: Model + From<Row>>(
    session: &mut Session,
    rows: Range<usize>,
) -> Result<(), bindery::Error> {
    session.add_all(rows.map(|i| M::from(row(i))));
    session.commit().await
}
