//! The workload and bindery's side of it: three derived models (the first of each bind)
//! and M−3 more tables of the same shape, generated at run time.

use std::time::Instant;

use bindery::{Binds, Config, Db, Model, Registry, TableInfo};

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

fn median(mut values: Vec<f64>) -> f64 {
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

    pub(crate) async fn run_bindery(
        &self,
        places: &Places,
    ) -> Result<crate::workload::Metrics, String> {
        let registry = Registry::from_tables(self.tables.iter().copied());
        let db =
            Db::build_with_registry(Bench::config(places), registry).map_err(|e| e.to_string())?;
        let err = |e: bindery::Error| e.to_string();

        let started = Instant::now();
        db.create_all(Binds::All).await.map_err(err)?;
        let create_all_s = started.elapsed().as_secs_f64();

        let started = Instant::now();
        self.insert::<T0>(&db).await.map_err(err)?;
        self.insert::<T1>(&db).await.map_err(err)?;
        self.insert::<T2>(&db).await.map_err(err)?;
        let insert_rows_per_s = (3 * self.rows) as f64 / started.elapsed().as_secs_f64();

        let rates = crate::queries::projections(&db, self.rows).await?;

        let plan = self.get_plan();
        let started = Instant::now();
        let mut session = db.session();
        let mut found = 0;
        for (model, id) in plan {
            let hit = match model {
                0 => session.get::<T0>(id).await.map_err(err)?.is_some(),
                1 => session.get::<T1>(id).await.map_err(err)?.is_some(),
                _ => session.get::<T2>(id).await.map_err(err)?.is_some(),
            };
            found += usize::from(hit);
        }
        session.commit().await.map_err(err)?;
        let gets_per_s = self.gets as f64 / started.elapsed().as_secs_f64();
        if found != self.gets {
            return Err(format!("bindery found {found} of {} rows", self.gets));
        }

        let started = Instant::now();
        db.drop_all(Binds::All).await.map_err(err)?;
        let drop_all_s = started.elapsed().as_secs_f64();
        db.close().await;
        Ok(Metrics {
            create_all_s,
            insert_rows_per_s,
            insert_batched_rows_per_s: None,
            insert_batched_pool_rows_per_s: None,
            gets_per_s,
            gets_pool_per_s: None,
            drop_all_s,
            projection_per_s: rates.projection,
            aggregate_per_s: rates.aggregate,
            load_pages_per_s: rates.load_pages,
        })
    }

    /// R rows into `M` through one session: `add_all`, commit every 1,000 rows.
    async fn insert<M: Model + From<Row>>(&self, db: &Db) -> Result<(), bindery::Error> {
        let mut session = db.session();
        let mut start = 0;
        while start < self.rows {
            let end = (start + COMMIT_EVERY).min(self.rows);
            session.add_all((start..end).map(|i| M::from(row(i))));
            session.commit().await?;
            start = end;
        }
        Ok(())
    }
}
