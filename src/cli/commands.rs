//! The commands that work on the databases: create-all (or its dry run), drop-all (after
//! asking), check, binds and recover.

use std::fmt::Write as _;
use std::future::Future;
use std::io::{BufRead as _, IsTerminal as _, Write};
use std::process::ExitCode;

use crate::{Binds, Db, TableInfo, creation_order};

/// `create-all`: creates the missing tables, or with `dry_run` prints the DDL instead.
pub(super) async fn create_all(
    db: &Db,
    binds: Binds,
    dry_run: bool,
    out: &mut (impl Write + ?Sized),
) -> Result<ExitCode, String> {
    if dry_run {
        write_out(out, &self::dry_run(db, &binds)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let report = with_progress("creating tables", db.create_all(binds)).await;
    write_out(out, &format!("{}\n", report.map_err(|e| e.to_string())?))?;
    Ok(ExitCode::SUCCESS)
}

/// `drop-all`: drops the tables once confirmed (`yes`, or on the terminal).
pub(super) async fn drop_all(
    db: &Db,
    binds: Binds,
    yes: bool,
    out: &mut (impl Write + ?Sized),
) -> Result<ExitCode, String> {
    if !yes && !confirm(&binds)? {
        write_out(out, "nothing dropped\n")?;
        return Ok(ExitCode::SUCCESS);
    }
    let report = with_progress("dropping tables", db.drop_all(binds)).await;
    write_out(out, &format!("{}\n", report.map_err(|e| e.to_string())?))?;
    Ok(ExitCode::SUCCESS)
}

/// `check`: the drift report; exit status 1 when there is drift.
pub(super) async fn check(
    db: &Db,
    binds: Binds,
    out: &mut (impl Write + ?Sized),
) -> Result<ExitCode, String> {
    let report = db.check(binds).await.map_err(|e| e.to_string())?;
    write_out(out, &format!("{report}\n"))?;
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `binds`: each bind's name (`default`, `auth`), dialect, masked URL, health, each read
/// replica's health, lag and reads, and for a
/// server bind its TLS settings and whether its connection is encrypted; exit
/// status 1 when any bind is down, so it serves as a readiness probe.
pub(super) async fn binds(db: &Db, out: &mut (impl Write + ?Sized)) -> Result<ExitCode, String> {
    let mut text = String::new();
    let mut all_up = true;
    for ping in db.ping().await {
        let engine = db.engine(&ping.bind).map_err(|e| e.to_string())?;
        all_up &= ping.is_up();
        let health = match &ping.result {
            Ok(latency) => format!("ok in {:.1} ms", latency.as_secs_f64() * 1000.0),
            Err(error) => format!("down: {error}"),
        };
        // Server binds: the TLS settings (mode and paths, never key material) and what
        // the server says of the connection the ping used.
        let tls = if engine.dialect() == crate::Dialect::Sqlite {
            String::new()
        } else {
            let encrypted = match (&ping.result, engine.encrypted().await) {
                (Err(_), _) => "",
                (Ok(_), Ok(true)) => ", encrypted",
                (Ok(_), Ok(false)) => ", not encrypted",
                (Ok(_), Err(_)) => ", encryption unknown",
            };
            format!("  tls {}{encrypted}", engine.tls())
        };
        let _ = writeln!(
            text,
            "{:<20} {:<10} {}  {health}{tls}",
            ping.bind.name().key_or_default(),
            ping.dialect.to_string(),
            engine.url()
        );
        replica_lines(db, &ping.bind, &mut text).await?;
    }
    write_out(out, &text)?;
    Ok(if all_up {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `recover`: what [`Db::recover`] did, a line per prepared transaction; exit status 1
/// when it did not finish everything it found, as a transaction left prepared holds its
/// locks until a later run finishes it.
pub(super) async fn recover(db: &Db, out: &mut (impl Write + ?Sized)) -> Result<ExitCode, String> {
    let report = with_progress("recovering in-doubt transactions", db.recover())
        .await
        .map_err(|e| e.to_string())?;
    write_out(out, &report.to_string())?;
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `binds`' lines for each read replica of `bind`: its masked URL, up or left out (and
/// why), its lag measured now, and the reads it served.
async fn replica_lines(db: &Db, bind: &crate::BindKey, text: &mut String) -> Result<(), String> {
    let counters = db.read_counters(bind).map_err(|e| e.to_string())?;
    for replica in db.replica_status(bind).await.map_err(|e| e.to_string())? {
        let health = match (&replica.last_failure, replica.up) {
            (_, true) => "up".to_owned(),
            (Some(why), false) => format!("left out: {why}"),
            (None, false) => "left out".to_owned(),
        };
        let lag = match replica.lag {
            Some(Some(lag)) => format!("lag {:.1} ms", lag.as_secs_f64() * 1000.0),
            Some(None) => "not replicating".to_owned(),
            None => "lag unknown".to_owned(),
        };
        let _ = writeln!(
            text,
            "  {:<18} {:<10} {}  {health}, {lag}, {} reads",
            replica.role.to_string(),
            "",
            replica.url,
            replica.reads
        );
    }
    if !counters.replicas.is_empty() {
        let _ = writeln!(
            text,
            "  {:<18} {:<10} reads: {} on the primary, {} causal waits, {} fallbacks",
            "", "", counters.primary, counters.causal_waits, counters.fallbacks
        );
    }
    Ok(())
}

/// Runs `work` under a spinner (on a terminal), cleared when it ends.
async fn with_progress<T>(message: &'static str, work: impl Future<Output = T>) -> T {
    let progress = progress_bar(message);
    let result = work.await;
    progress.finish_and_clear();
    result
}

/// Writes `text` to the output and flushes it.
pub(super) fn write_out(out: &mut (impl Write + ?Sized), text: &str) -> Result<(), String> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write the output: {e}"))
}

/// A spinner on a terminal; nothing when the output is piped.
fn progress_bar(message: &'static str) -> indicatif::ProgressBar {
    if std::io::stdout().is_terminal() && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner().with_message(message);
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// Asks on the terminal; refuses when there is none to ask on.
fn confirm(binds: &Binds) -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err(
            "drop-all drops tables and data: pass --yes to do it without a terminal to confirm on"
                .into(),
        );
    }
    let what = match binds {
        Binds::All => "every bind".to_owned(),
        Binds::Only(keys) => keys
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    };
    eprint!("Drop every table of {what}, with its data? [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| e.to_string())?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Each selected bind's DDL in its dialect, runnable as it is: in one transaction where
/// the dialect has transactional DDL.
fn dry_run(db: &Db, binds: &Binds) -> Result<String, String> {
    let keys = binds.keys(db).map_err(|e| e.to_string())?;
    let mut out = String::new();
    for key in keys {
        let engine = db.engine(&key).map_err(|e| e.to_string())?;
        let dialect = engine.dialect();
        let tables: Vec<&TableInfo> = db
            .registry()
            .bind(key.as_deref())
            .map_or_else(Vec::new, |b| b.tables().to_vec());
        let _ = writeln!(out, "-- {} ({dialect}): {}", engine.bind(), engine.url());
        if dialect.transactional_ddl() {
            out.push_str("BEGIN;\n");
        }
        for table in creation_order(&tables) {
            for statement in dialect.create_statements(table) {
                let _ = writeln!(out, "{statement};");
            }
        }
        if dialect.transactional_ddl() {
            out.push_str("COMMIT;\n");
        }
    }
    Ok(out)
}
