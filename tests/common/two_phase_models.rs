//! The models of the two-phase commit tests, included by path (as a module of their own)
//! by those tests alone: linked into any other test binary, their bind `orders` would
//! be one that binary's configurations lack.

use bindery::{Binds, Db, Model};

use crate::common::two_phase::TwoBinds;

/// A row of the default bind.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "tp_account")]
pub(crate) struct Account {
    #[model(primary_key, autoincrement = false)]
    pub(crate) id: i64,
    #[model(length = 40)]
    pub(crate) name: String,
}

/// A row of the bind `orders`.
#[derive(Debug, Clone, PartialEq, Model)]
#[model(table = "tp_order", bind_key = "orders")]
pub(crate) struct Order {
    #[model(primary_key, autoincrement = false)]
    pub(crate) id: i64,
    pub(crate) amount: i64,
}

/// Creates both tables.
pub(crate) async fn setup(binds: &TwoBinds) {
    let db = binds.db("setup");
    db.create_all(Binds::All)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    db.close().await;
}

/// One transaction's rows, the same id on both binds, added to a session of `db`.
pub(crate) async fn write_both(db: &Db, id: i64) -> bindery::Session {
    let mut session = db.session();
    session.add(Account {
        id,
        name: format!("account {id}"),
    });
    session.add(Order {
        id,
        amount: id * 10,
    });
    session.flush().await.unwrap_or_else(|e| panic!("{e}"));
    session
}
