//! `#[model(crate = …)]`, tested where it matters: this crate depends on bindery only
//! under the name `db` (see its `Cargo.toml`), so `::bindery` does not resolve here and
//! every model below compiles only if the derive writes the path it is given.

/// A facade's re-export, as `my_facade::bindery` would be for an application that
/// reaches bindery through its own framework crate.
pub mod facade {
    pub use db as orm;
}

/// The base of this crate's models, reached by the renamed dependency's absolute path.
#[derive(db::Base)]
#[model(crate = ::db, bind_key = "renamed")]
pub struct RenamedBase;

/// A model reached by the renamed dependency, with an index and defaults.
#[derive(Debug, PartialEq, db::Model)]
#[model(crate = ::db, parent = RenamedBase, index(name))]
pub struct Widget {
    /// The key, generated.
    #[model(primary_key)]
    pub id: i64,
    /// Its name.
    #[model(length = 20, default = "widget")]
    pub name: String,
    /// Its price, if known.
    pub price: Option<f64>,
}

/// A model reached through the facade by a relative path, with a foreign key.
#[derive(Debug, PartialEq, facade::orm::Model)]
#[model(crate = facade::orm, parent = RenamedBase)]
pub struct Part {
    /// The key.
    #[model(primary_key, autoincrement = false)]
    pub id: i64,
    /// The widget it belongs to.
    #[model(references = "widget.id")]
    pub widget_id: i64,
}

#[cfg(test)]
mod tests {
    use db::{Bind, Model};

    use super::{Part, RenamedBase, Widget};

    #[test]
    fn models_land_in_the_registry_under_their_bind() {
        assert_eq!(RenamedBase::BIND_KEY, Some("renamed"));
        assert_eq!(Widget::BIND_KEY, Some("renamed"));
        assert_eq!(Part::BIND_KEY, Some("renamed"));
        assert_eq!(Widget::TABLE.name, "widget");
        assert_eq!(Part::TABLE.bind_key, Some("renamed"));
        let registry = db::registry();
        let widget = registry.table(Some("renamed"), "widget").unwrap();
        assert_eq!(widget.rust_type, "bindery_renamed_test::Widget");
        assert_eq!(widget.indexes[0].name, "ix_widget_name");
        let part = registry.table(Some("renamed"), "part").unwrap();
        assert_eq!(part.columns[1].references.unwrap().table, "widget");
        assert!(registry.validate().is_ok());
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test(flavor = "current_thread")]
    async fn models_round_trip_through_sqlite() {
        use db::{Config, Db};

        let config = Config::new()
            .database_uri("sqlite://")
            .bind("renamed", "sqlite://");
        let db = Db::build(config).unwrap();
        db.create_all("renamed").await.unwrap();
        let mut session = db.session();
        let widget = session
            .insert(Widget {
                id: 0,
                name: "gear".to_owned(),
                price: Some(2.5),
            })
            .await
            .unwrap();
        assert_eq!(widget.id, 1, "the generated key is set back");
        session.add(Part {
            id: 7,
            widget_id: widget.id,
        });
        session.commit().await.unwrap();
        assert_eq!(session.get::<Widget>(1).await.unwrap(), Some(widget));
        assert_eq!(
            session.get::<Part>(7).await.unwrap(),
            Some(Part {
                id: 7,
                widget_id: 1
            })
        );
    }
}
