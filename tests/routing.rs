//! Routing a model to its bind when the `Db` does not know the bind: the models of this
//! file live in binds no `Db` here configures (each `Db` is built over a registry of its
//! own), so every error names the model as well as the bind.

// Its binds are SQLite databases.
#![cfg(feature = "sqlite")]

use bindery::{Config, Db, Error};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A model of bind `shop`, which the `Db` below does not configure.
#[derive(Debug, bindery::Model)]
#[model(bind_key = "shop")]
struct Unrouted {
    #[model(primary_key)]
    id: i64,
}

/// A model of the default bind, which the `Db` below does not configure either.
#[derive(Debug, bindery::Model)]
struct UnroutedDefault {
    #[model(primary_key)]
    id: i64,
}

/// A `Db` built over a registry of its own can meet a model whose bind it lacks: the error
/// names the model as well as the bind.
#[tokio::test]
async fn an_unknown_bind_at_use_names_the_model() -> TestResult {
    let config = Config::new().bind("auth", "sqlite::memory:");
    let db = Db::build_with_registry(config, bindery::Registry::from_tables([]))?;
    let mut session = db.session();
    let error = session.get::<Unrouted>(1).await.unwrap_err();
    assert!(
        matches!(&error, Error::UnknownBind { bind, model: Some(model) }
            if *bind == "shop" && *model == "routing::Unrouted"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "bind \"shop\" is not configured (the bind of routing::Unrouted): add it to `binds` \
         (or set BINDERY_BIND_SHOP)"
    );
    let error = bindery::find::<UnroutedDefault>()
        .all(&db)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::NoDefaultBind { model: Some(model) } if *model == "routing::UnroutedDefault"),
        "{error:?}"
    );
    db.close().await;
    Ok(())
}
