//! The application killed (SIGKILL) in the middle of a two-phase commit, at each step:
//! after the first bind prepared, after every bind did, after the decision was logged,
//! after the first bind committed; with the decision log on a bind that takes part (its
//! own COMMIT the decision) and kept apart. Each step 20 times, on every pair of
//! servers; after each, a new `Db` of the same instance recovers, and every bind has the
//! transaction's rows or none has (which one, the step says), and nothing is left
//! prepared.
//! The killed process is this test binary run again as a child
//! ([`child_commits_until_killed`]), stopped by the step hook until the kill comes.

#![cfg(all(feature = "postgres", feature = "mysql"))]
// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/two_phase_models.rs"]
mod two_phase_models;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use bindery::__private::{Step, set_step_hook};
use bindery::{Config, Db};
use common::two_phase::{LogMode, TwoBinds, recover_until_clean};
use two_phase_models::{setup, write_both};

/// How many times each step is crashed at.
const ROUNDS: i64 = 20;

/// Each step, and whether the transaction is committed once recovery ran: with the log
/// on the default bind (which commits last, unprepared, its COMMIT the decision: one bind
/// prepares), and with the log apart (both binds prepare).
/// A step's name (as the child is told it), the step, and whether it ends committed.
type StepCase = (&'static str, Step, bool);

const STEPS: [(LogMode, &[StepCase]); 2] = [
    (
        LogMode::OnDefault,
        &[
            ("prepared1", Step::Prepared(1), false),
            ("decided", Step::Decided, true),
            ("committed1", Step::Committed(1), true),
        ],
    ),
    (
        LogMode::Apart,
        &[
            ("prepared1", Step::Prepared(1), false),
            ("prepared2", Step::Prepared(2), false),
            ("decided", Step::Decided, true),
            ("committed1", Step::Committed(1), true),
        ],
    ),
];

on_every_pair!(the_application_killed_at_each_step_leaves_every_bind_all_or_nothing);

async fn the_application_killed_at_each_step_leaves_every_bind_all_or_nothing(binds: &TwoBinds) {
    let mut id = 0;
    for (mode, steps) in STEPS {
        for (name, _, committed) in steps {
            let mut finished = (0, 0);
            for round in 0..ROUNDS {
                id += 1;
                killed_at(binds, mode, name, id);
                let db = Db::build(binds.config_in(mode, "crash")).unwrap();
                let (commits, rollbacks) = recover_until_clean(&db, binds).await;
                finished = (finished.0 + commits, finished.1 + rollbacks);
                let rows = (
                    binds.count(0, "tp_account", id),
                    binds.count(1, "tp_order", id),
                );
                let expected = if *committed { (1, 1) } else { (0, 0) };
                assert_eq!(rows, expected, "{mode:?}: killed at {name}, round {round}");
                assert_eq!(binds.prepared(), Vec::<String>::new(), "after {name}");
                db.close().await;
            }
            eprintln!(
                "{:?}, log {mode:?}: killed at {name} {ROUNDS} times: every bind {}; \
                 recovery committed {} and rolled back {} branches; nothing left prepared",
                binds.pair,
                if *committed {
                    "has the rows"
                } else {
                    "has none"
                },
                finished.0,
                finished.1
            );
        }
    }
}

/// Runs the child that commits transaction `id` and stops at step `name`, waits until it
/// says it is there, and SIGKILLs it.
fn killed_at(binds: &TwoBinds, mode: LogMode, name: &str, id: i64) {
    let [a, b] = &binds.parts;
    let log = match mode {
        LogMode::OnDefault => String::new(),
        LogMode::Apart => binds.log_url(),
    };
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_commits_until_killed",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env("BINDERY_TEST_CHILD_DEFAULT", a.set.primary_url(&a.name))
        .env("BINDERY_TEST_CHILD_ORDERS", b.set.primary_url(&b.name))
        .env("BINDERY_TEST_CHILD_LOG", log)
        .env("BINDERY_TEST_CHILD_STEP", name)
        .env("BINDERY_TEST_CHILD_INSTANCE", binds.instance("crash"))
        .env("BINDERY_TEST_CHILD_ID", id.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reached = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line == "reached");
    // std's kill is SIGKILL: no destructor, no rollback, no goodbye to the servers.
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        reached,
        "the child never reached {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The killed process of [`killed_at`]: writes transaction `ID` on both binds and commits
/// in two phases, and at step `STEP` prints `reached` and waits to be killed. Run only as
/// that child (it needs the variables it is given).
#[tokio::test]
#[ignore = "run by the_application_killed_at_each_step_… in a child process"]
async fn child_commits_until_killed() {
    let var = |name: &str| std::env::var(format!("BINDERY_TEST_CHILD_{name}")).unwrap();
    let mut config = Config::new()
        .database_uri(&var("DEFAULT"))
        .bind("orders", &var("ORDERS"))
        .two_phase(true)
        .two_phase_instance(var("INSTANCE"));
    let log = var("LOG");
    if !log.is_empty() {
        config = config.bind("log", &log).two_phase_log("log");
    }
    let db = Db::build(config).unwrap();
    set_step_hook(|step| {
        let wanted = std::env::var("BINDERY_TEST_CHILD_STEP").unwrap_or_default();
        let mut steps = STEPS.iter().flat_map(|(_, steps)| steps.iter());
        if steps.any(|(name, at, _)| *at == step && *name == wanted) {
            println!("reached");
            loop {
                std::thread::sleep(Duration::from_secs(60));
            }
        }
    });
    let mut session = write_both(&db, var("ID").parse().unwrap()).await;
    let outcome = session.commit().await;
    panic!("the commit ended without reaching its step: {outcome:?}");
}

/// The two-phase bench (`bindery-bench --two-phase`) on this binary's private primaries,
/// a scratch database on each: build it first with `cargo build --release -p
/// bindery-bench`, then `cargo test --test two_phase_crash -- --ignored
/// bench_two_phase_on_private_servers --nocapture`. Prints the bench's JSON line.
#[test]
#[ignore = "a benchmark: run by hand, see the README's Benchmarks"]
fn bench_two_phase_on_private_servers() {
    let (Some(postgres), Some(mariadb)) =
        (common::replicas::postgres(), common::replicas::mariadb())
    else {
        return;
    };
    let (pg_name, my_name) = (
        common::unique_name("bench_2pc"),
        common::unique_name("bench_2pc"),
    );
    postgres.create_database(&pg_name).unwrap();
    mariadb.create_database(&my_name).unwrap();
    let printed = common::run_bench(&[
        "--two-phase",
        &postgres.primary_url(&pg_name),
        &mariadb.primary_url(&my_name),
        "--runs",
        "5",
    ]);
    postgres.drop_database(&pg_name).unwrap();
    mariadb.drop_database(&my_name).unwrap();
    println!("{printed}");
}
