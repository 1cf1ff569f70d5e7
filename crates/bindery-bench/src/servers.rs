//! Where the three binds live for one bench: SQLite files in a fresh folder, or databases
//! the bench creates on the PostgreSQL and MariaDB servers (and drops afterwards).

use std::path::PathBuf;

use bindery::sqlx::{self, Connection as _};

use crate::Backend;

/// The URLs of the default bind, `auth` and `shop`.
pub(crate) struct Places {
    pub(crate) urls: [String; 3],
    pub(crate) sqlite_dir: Option<PathBuf>,
    created: Vec<(Server, String)>,
}

#[derive(Clone, Copy)]
enum Server {
    Postgres,
    MySql,
}

fn server_url(server: Server) -> String {
    let (var, default) = match server {
        Server::Postgres => (
            "BINDERY_TEST_POSTGRES_URL",
            "postgres://root@127.0.0.1:5432/test",
        ),
        Server::MySql => ("BINDERY_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
    };
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

async fn admin(server: Server, sql: String) -> Result<(), String> {
    let url = server_url(server);
    let run = async {
        let sql = sqlx::AssertSqlSafe(sql);
        match server {
            Server::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&url).await?;
                sqlx::raw_sql(sql).execute(&mut conn).await?;
                conn.close().await
            }
            Server::MySql => {
                let mut conn = sqlx::MySqlConnection::connect(&url).await?;
                sqlx::raw_sql(sql).execute(&mut conn).await?;
                conn.close().await
            }
        }
    };
    run.await.map_err(|e: sqlx::Error| e.to_string())
}

fn with_database(server: Server, name: &str) -> Result<String, String> {
    let mut url = server_url(server);
    let slash = url
        .rfind('/')
        .ok_or("the server URL has no database path")?;
    let query = url[slash..].find('?').map(|q| url[slash + q..].to_owned());
    url.truncate(slash + 1);
    url.push_str(name);
    if let Some(query) = query {
        url.push_str(&query);
    }
    Ok(url)
}

impl Places {
    pub(crate) async fn create(backend: Backend) -> Result<Places, String> {
        let tag = std::process::id();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("bindery_bench_{tag}"));
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                Ok(Places {
                    urls: ["default", "auth", "shop"].map(|b| format!("sqlite:///{b}.db")),
                    sqlite_dir: Some(dir),
                    created: Vec::new(),
                })
            }
            Backend::Server => {
                let mut places = Places {
                    urls: Default::default(),
                    sqlite_dir: None,
                    created: Vec::new(),
                };
                let plan = [
                    (Server::Postgres, format!("bench_default_{tag}")),
                    (Server::Postgres, format!("bench_auth_{tag}")),
                    (Server::MySql, format!("bench_shop_{tag}")),
                ];
                for (i, (server, name)) in plan.into_iter().enumerate() {
                    let create = match server {
                        Server::Postgres => format!("CREATE DATABASE \"{name}\""),
                        Server::MySql => format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
                    };
                    if let Err(e) = admin(server, create).await {
                        places.drop_all().await;
                        return Err(format!("cannot create database {name}: {e}"));
                    }
                    places.urls[i] = with_database(server, &name)?;
                    places.created.push((server, name));
                }
                Ok(places)
            }
        }
    }

    pub(crate) async fn drop_all(&self) {
        for (server, name) in &self.created {
            let drop = match server {
                Server::Postgres => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                Server::MySql => format!("DROP DATABASE IF EXISTS `{name}`"),
            };
            if let Err(e) = admin(*server, drop).await {
                eprintln!("warning: database {name} was not dropped: {e}");
            }
        }
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
