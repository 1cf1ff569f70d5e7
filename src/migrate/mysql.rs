//! One migration step on MySQL/MariaDB, whose DDL commits itself: no transaction can
//! hold a migration together, so its statements run one by one, and the history row is
//! written first (dirty) and kept up to date after each statement. A failure part-way
//! leaves a dirty row that says how many statements ran, and every later run refuses
//! the bind until someone resolves it.

use std::time::Instant;

use sqlx::pool::PoolConnection;
use sqlx::{MySql, MySqlConnection};

use super::{Ran, StepFailure, ensure_history, history, next_script};
use crate::schema::mysql::{execute, lock, unlock};
use crate::{Direction, Goal, HistoryState, Migration, split_statements};

/// Takes the bind's schema lock (the one `create_all` takes, waiting at most
/// `lock_timeout_seconds`), runs the next step, and releases the lock. A connection
/// whose lock could not be released (an error, or this future dropped) is closed rather
/// than pooled: closing it frees the lock.
pub(super) async fn step(
    pool: &sqlx::MySqlPool,
    lock_timeout_seconds: u128,
    migrations: &[Migration],
    goal: Goal,
) -> Result<Ran, StepFailure> {
    let mut conn = Locked {
        conn: pool.acquire().await?,
        released: false,
    };
    lock(&mut conn.conn, lock_timeout_seconds).await?;
    let ran = locked(&mut conn.conn, migrations, goal).await;
    conn.released = unlock(&mut conn.conn).await;
    ran
}

/// A connection that may hold the schema lock.
struct Locked {
    conn: PoolConnection<MySql>,
    released: bool,
}

impl Drop for Locked {
    fn drop(&mut self) {
        if !self.released {
            self.conn.close_on_drop();
        }
    }
}

async fn locked(
    conn: &mut MySqlConnection,
    migrations: &[Migration],
    goal: Goal,
) -> Result<Ran, StepFailure> {
    ensure_history::<MySql>(conn).await?;
    let rows = history::read::<MySql>(conn).await?;
    let Some((migration, direction, script)) = next_script(migrations, &rows, goal)? else {
        return Ok(None);
    };
    let statements = split_statements(script);
    let started = Instant::now();
    let stopped = |done: usize| {
        let done = done as u64;
        match direction {
            Direction::Up => HistoryState::UpStopped { done },
            Direction::Down => HistoryState::DownStopped { done },
        }
    };
    // Recorded before the first statement: a crash part-way still leaves the record.
    let before = match direction {
        Direction::Up => history::insert(migration, stopped(0), started.elapsed()),
        Direction::Down => history::set_state(migration, stopped(0), started.elapsed()),
    };
    history::execute::<MySql>(conn, &before).await?;
    for (i, statement) in statements.iter().enumerate() {
        tracing::debug!(version = migration.version, sql = %statement, "migration");
        if let Err(source) = execute(conn, statement).await {
            // Nothing ran yet: the bind is as it was, and so is its record.
            let rolled_back = i == 0;
            if rolled_back {
                let undo = match direction {
                    Direction::Up => history::delete(migration),
                    Direction::Down => {
                        history::set_state(migration, HistoryState::Applied, started.elapsed())
                    }
                };
                history::execute::<MySql>(conn, &undo).await?;
            }
            return Err(StepFailure::Script {
                version: migration.version,
                name: migration.name.clone(),
                direction,
                statement: i + 1,
                rolled_back,
                source,
            });
        }
        let progress = history::set_state(migration, stopped(i + 1), started.elapsed());
        history::execute::<MySql>(conn, &progress).await?;
    }
    let took = started.elapsed();
    let after = match direction {
        Direction::Up => history::set_state(migration, HistoryState::Applied, took),
        Direction::Down => history::delete(migration),
    };
    history::execute::<MySql>(conn, &after).await?;
    Ok(Some((migration.version, migration.name.clone(), took)))
}
