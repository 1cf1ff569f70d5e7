//! A database server killed (SIGKILL) in the middle of a two-phase commit and started
//! again: PostgreSQL and MariaDB, each after every bind prepared and after the decision
//! was logged (the log apart, on a SQLite file); and PostgreSQL keeping the log, before
//! and after its COMMIT that carries the decision. 20 times each. After each, once a new
//! `Db::connect` recovered, every bind has the transaction's rows or none has, and
//! nothing is left prepared.
//! The tests kill the binary's own private servers, so they run one at a time.

#![cfg(all(feature = "postgres", feature = "mysql"))]
// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/two_phase_models.rs"]
mod two_phase_models;

use std::collections::BTreeMap;
use std::sync::Mutex;

use bindery::__private::{Step, set_step_hook};
use common::replicas::ReplicaSet;
use common::two_phase::{LogMode, Pair, TwoBinds, recover_until_clean};
use two_phase_models::{setup, write_both};

/// How many times each server is killed at each step.
const ROUNDS: i64 = 20;

/// What to do (kill a server, …) at which step of the next two-phase commit.
type Action = Box<dyn FnOnce() + Send>;
static ARMED: Mutex<Option<(Step, Action)>> = Mutex::new(None);

/// Runs the armed action when its step comes (the hook is the process's, set once).
fn arm(step: Step, action: Action) {
    set_step_hook(|step| {
        let armed = ARMED.lock().unwrap().take_if(|(at, _)| *at == step);
        if let Some((_, action)) = armed {
            action();
        }
    });
    *ARMED.lock().unwrap() = Some((step, action));
}

/// One test at a time: each kills a server the others use.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

macro_rules! killed_at {
    ($name:ident, $mode:ident, $victim:expr, $step:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let _one_at_a_time = SERIAL.lock().await;
            let tag = common::short_tag(stringify!($name), "pm");
            if let Some(binds) = TwoBinds::new(Pair::PostgresMariaDb, &tag) {
                setup(&binds).await;
                a_server_killed_between_phases(&binds, LogMode::$mode, $victim, $step).await;
            }
        }
    };
}

// The log apart (a SQLite file): both binds prepare.
killed_at!(
    postgres_killed_after_the_prepares,
    Apart,
    0,
    Step::Prepared(2)
);
killed_at!(postgres_killed_after_the_decision, Apart, 0, Step::Decided);
killed_at!(
    mariadb_killed_after_the_prepares,
    Apart,
    1,
    Step::Prepared(2)
);
killed_at!(mariadb_killed_after_the_decision, Apart, 1, Step::Decided);
// The log on PostgreSQL, which commits last, its COMMIT the decision.
killed_at!(
    the_log_s_server_killed_before_its_commit,
    OnDefault,
    0,
    Step::Prepared(1)
);
killed_at!(
    the_log_s_server_killed_after_its_commit,
    OnDefault,
    0,
    Step::Decided
);

/// Kills the server of bind `victim` (0: the default bind's, 1: `orders`') at `step` of
/// each commit, then starts it again and recovers.
async fn a_server_killed_between_phases(
    binds: &TwoBinds,
    mode: LogMode,
    victim: usize,
    step: Step,
) {
    let server: &'static ReplicaSet = binds.parts[victim].set;
    let mut seen = BTreeMap::new();
    for id in 1..=ROUNDS {
        let db = bindery::Db::build(binds.config_in(mode, "outage")).unwrap();
        let mut session = write_both(&db, id).await;
        arm(step, Box::new(move || server.kill_primary()));
        let outcome = session.commit().await;
        assert!(
            ARMED.lock().unwrap().take().is_none(),
            "{step:?} never came"
        );
        drop(session);
        db.close().await;
        server.start_primary().unwrap();

        // As an application starting again: `connect` recovers first.
        let db = bindery::Db::connect(binds.config_in(mode, "outage"))
            .await
            .unwrap();
        recover_until_clean(&db, binds).await;
        let rows = (
            binds.count(0, "tp_account", id),
            binds.count(1, "tp_order", id),
        );
        assert!(
            rows == (1, 1) || rows == (0, 0),
            "round {id}: {rows:?}, {outcome:?}"
        );
        assert!(
            outcome.is_err() || rows == (1, 1),
            "committed, yet {rows:?}"
        );
        assert_eq!(binds.prepared(), Vec::<String>::new(), "round {id}");
        db.close().await;
        let what = match &outcome {
            Ok(()) => "Ok".to_owned(),
            Err(bindery::Error::InDoubt { decided, .. }) => format!("InDoubt(decided: {decided})"),
            // The variant's name.
            Err(error) => format!("{error:?}")
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect(),
        };
        *seen.entry((what, rows.0 == 1)).or_insert(0) += 1;
    }
    eprintln!(
        "{:?} killed at {step:?}, log {mode:?}, {ROUNDS} rounds: (commit's answer, rows on both) → rounds: {seen:?}",
        server.flavor()
    );
}

/// Recovery run while a commit stands between its decision and its COMMIT PREPAREDs, the
/// preparing connections still open (as when an application was just killed and the
/// servers do not know it yet): MariaDB lists the branch but lets no other connection
/// finish it. Recovery must report it left, keep the decision, and the commit then
/// finishes: both binds have the rows. Taking "unknown branch" for "done" there forgot the
/// decision, and the next recovery rolled the branch back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_while_the_preparing_connections_are_open_keeps_the_decision() {
    let _one_at_a_time = SERIAL.lock().await;
    let tag = common::short_tag("recovery_while_open", "pm");
    let Some(binds) = TwoBinds::new(Pair::PostgresMariaDb, &tag) else {
        return;
    };
    setup(&binds).await;
    let config = binds.config_in(LogMode::Apart, "racing");
    let db = bindery::Db::build(config.clone()).unwrap();
    let report = std::sync::Arc::new(Mutex::new(None));
    let seen = report.clone();
    // In the hook, on a thread and runtime of its own: the commit waits meanwhile.
    arm(
        Step::Decided,
        Box::new(move || {
            let recovered = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    let other = bindery::Db::build(config).unwrap();
                    other.recover().await.unwrap()
                })
            });
            *seen.lock().unwrap() = Some(recovered.join().unwrap());
        }),
    );
    let mut session = write_both(&db, 1).await;
    session.commit().await.unwrap();
    let report = report.lock().unwrap().take().expect("recovery ran");
    let left = report
        .actions
        .iter()
        .filter(|a| matches!(a.action, bindery::RecoveryAction::Failed(_)))
        .count();
    assert_eq!(
        left, 1,
        "the MariaDB branch, held by its connection:\n{report}"
    );
    assert_eq!(
        (
            binds.count(0, "tp_account", 1),
            binds.count(1, "tp_order", 1)
        ),
        (1, 1)
    );
    recover_until_clean(&db, &binds).await;
    assert_eq!(binds.prepared(), Vec::<String>::new());
    db.close().await;
}
