//! The blog post's example (`shared/seeds`), start to end: two models, each in its own
//! database.
//!
//! ```python
//! app.config['SQLALCHEMY_DATABASE_URI'] = 'mysql+pymysql://root:root@localhost:3306/test1'
//! app.config['SQLALCHEMY_BINDS'] = {'test2': '…/test2', 'test1': '…/test1'}
//!
//! class User(db.Model):
//!     __tablename__ = "tb_user"
//!     __bind_key__ = 'test2'
//!     id = db.Column(db.Integer, primary_key=True)
//!     name = db.Column(db.String)
//!
//! class Store(db.Model):
//!     __tablename__ = "tb_store"
//!     __bind_key__ = 'test1'
//!     id = db.Column(db.Integer, primary_key=True)
//!     name = db.Column(db.Integer, primary_key=True)
//!
//! db.create_all(bind='test2'); db.create_all(); …; db.drop_all(bind=None)
//! ```
//!
//! With no arguments it runs on SQLite files in `./instance/`. On servers, as in the blog:
//!
//! ```text
//! cargo run --example seed -- \
//!     --database-uri 'mysql+pymysql://root:@127.0.0.1:3306/test1' \
//!     --bind 'test2=mysql+pymysql://root:@127.0.0.1:3306/test2' \
//!     --bind 'test1=mysql+pymysql://root:@127.0.0.1:3306/test1'
//! ```
//!
//! The `BINDERY_DATABASE_URI` and `BINDERY_BIND_<KEY>` variables work too; flags win.

use std::process::ExitCode;

use std::time::Duration;

use bindery::{Binds, Config, Db, Model, PoolOptions};

/// `tb_user`, in database `test2`.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "tb_user", bind_key = "test2")]
pub(crate) struct User {
    /// `db.Column(db.Integer, primary_key=True)`
    #[model(primary_key)]
    pub(crate) id: i32,
    /// `db.Column(db.String)`: no length, so `TEXT`; nullable, as SQLAlchemy makes it.
    pub(crate) name: Option<String>,
}

/// `tb_store`, in database `test1`: a composite primary key of two integers.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "tb_store", bind_key = "test1")]
pub(crate) struct Store {
    /// `db.Column(db.Integer, primary_key=True)`
    #[model(primary_key)]
    pub(crate) id: i32,
    /// `db.Column(db.Integer, primary_key=True)`
    #[model(primary_key)]
    pub(crate) name: i32,
}

/// The blog's configuration on SQLite files: the default URI and `test1` share a file,
/// as they share a database in the blog.
fn sqlite_config() -> Config {
    Config::new()
        .database_uri("sqlite:///instance/test1.db")
        .bind("test2", "sqlite:///instance/test2.db")
        .bind("test1", "sqlite:///instance/test1.db")
}

/// Environment first, then `--database-uri URL` and `--bind KEY=URL`; SQLite files when
/// nothing is given.
fn config_from_args() -> Result<Config, String> {
    let env = Config::from_env().map_err(|e| e.to_string())?;
    let mut flags = Config::new();
    let mut given = env.get_database_uri().is_some() || !env.binds().is_empty();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--database-uri" => flags = flags.database_uri(&value()?),
            "--bind" => {
                let entry = value()?;
                let (key, url) = entry
                    .split_once('=')
                    .ok_or_else(|| "--bind takes KEY=URL".to_owned())?;
                flags = flags.bind(key, url);
            }
            "-h" | "--help" => {
                return Err(
                    "usage: seed [--database-uri URL] [--bind KEY=URL]…  (no arguments: SQLite files in ./instance/)"
                        .to_owned(),
                );
            }
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
        given = true;
    }
    // An unreachable database fails within 5 s instead of sqlx's 30.
    let fail_fast = Config::new().pool(PoolOptions {
        acquire_timeout: Some(Duration::from_secs(5)),
        ..PoolOptions::default()
    });
    Ok(if given {
        fail_fast.merge(env).merge(flags)
    } else {
        sqlite_config()
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let config = match config_from_args() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("seed: {message}");
            return ExitCode::from(2);
        }
    };
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("seed: error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), bindery::Error> {
    let db = Db::build(config)?;
    println!("engines:");
    for engine in db.engines() {
        println!(
            "  {:<18} {} ({})",
            engine.bind().to_string(),
            engine.url(),
            engine.dialect()
        );
    }
    for table in [User::TABLE, Store::TABLE] {
        let engine = db.engine(table.bind_key)?;
        println!(
            "{} ({}) lives on {}: {}",
            table.name,
            table.rust_type,
            table.bind(),
            engine.url()
        );
    }

    // db.create_all(bind='test2'), then db.create_all()
    println!(
        "create_all(bind=\"test2\"):\n{}",
        indent(db.create_all("test2").await?)
    );
    println!(
        "create_all():\n{}",
        indent(db.create_all(Binds::All).await?)
    );

    // Each run adds one user and one store through one session: the user goes to
    // test2, the store to test1, each in its own transaction, committed together. A second
    // run (or another program) adds rows the next run reads back too.
    let mut session = db.session();
    let last_store = session
        .query::<Store>()
        .order_by(Store::COLUMNS.id.desc())
        .first()
        .await?;
    let run_number = last_store.map_or(1, |s| s.id.saturating_add(1));
    let user = session
        .insert(User {
            id: 0, // generated by the database
            name: Some(format!("user #{run_number}")),
        })
        .await?;
    session.add(Store {
        id: run_number,
        name: 100 + run_number,
    });
    session.commit().await?;
    println!("inserted {user:?} into {}", User::TABLE.bind());

    let c = User::COLUMNS;
    for user in session.query::<User>().order_by(c.id.asc()).all().await? {
        println!("{} {user:?}", User::TABLE.bind());
    }
    for store in session.all::<Store>().await? {
        println!("{} {store:?}", Store::TABLE.bind());
    }
    if let Some(first) = session.get::<User>(1).await? {
        println!("session.get(User, 1) = {first:?}");
    }
    session.commit().await?;

    // db.drop_all(bind=None): no model lives in the default bind, so nothing goes, and
    // tb_user stays in test2, tb_store in test1.
    println!(
        "drop_all(bind=None):\n{}",
        indent(db.drop_all(Binds::DEFAULT).await?)
    );
    Ok(())
}

fn indent(report: impl std::fmt::Display) -> String {
    report
        .to_string()
        .lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
