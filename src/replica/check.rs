//! What `Db::check_replicas` asks each replica, and of its primary: that the replica is
//! one, replicates that primary (where the server can tell), and is reached as a user
//! that cannot write there.

use std::time::Duration;

use crate::Dialect;
use crate::backend::{Connection, Statement};
use crate::engine::Engine;

/// The problems of one replica of a bind whose primary is `primary`, each said in a
/// sentence; empty if it is fit to serve reads.
pub(crate) async fn problems_of(primary: &Engine, replica: &Engine) -> Vec<String> {
    let mut conn = match replica.pool().acquire().await {
        Ok(conn) => conn,
        Err(error) => return vec![format!("does not answer: {error}")],
    };
    let mut asker = Asker {
        deadline: replica.statement_timeout(),
        primary: primary.pool().acquire().await.ok(),
        problems: Vec::new(),
    };
    match replica.dialect() {
        Dialect::Postgres => asker.postgres(&mut conn).await,
        _ => asker.mariadb(&mut conn, primary).await,
    }
    asker.problems
}

struct Asker {
    deadline: Duration,
    /// A connection to the primary, if it answers (what a check compares with).
    primary: Option<Connection>,
    problems: Vec<String>,
}

impl Asker {
    async fn postgres(&mut self, conn: &mut Connection) {
        const SYSTEM: &str = "SELECT system_identifier FROM pg_control_system()";
        match self.ask(conn, "SELECT pg_is_in_recovery()", None).await {
            Ok(Some(on)) if on == "t" => {}
            Ok(_) => self.say("is not a replica: pg_is_in_recovery() is false, so it takes writes"),
            Err(error) => self.say(format!("cannot say whether it is a replica: {error}")),
        }
        // A standby made by pg_basebackup keeps its primary's system identifier.
        if let Ok(Some(theirs)) = self.ask(conn, SYSTEM, None).await
            && let Some(mine) = self.ask_primary(SYSTEM).await
            && mine != theirs
        {
            self.say(format!(
                "replicates another cluster: system identifier {theirs}, the primary's is {mine}"
            ));
        }
    }

    async fn mariadb(&mut self, conn: &mut Connection, primary: &Engine) {
        match self.ask(conn, "SELECT VERSION()", None).await {
            Ok(Some(version)) if version.contains("MariaDB") => primary.set_mariadb(true),
            Ok(_) => self.say(
                "is MySQL: causal tokens need MariaDB's GTIDs (@@last_gtid, MASTER_GTID_WAIT)",
            ),
            Err(error) => self.say(format!("cannot say what server it is: {error}")),
        }
        match self.ask(conn, "SELECT @@read_only", None).await {
            Ok(Some(on)) if on == "1" => {}
            Ok(_) => self.say("is not read-only (@@read_only = 0): it takes writes"),
            Err(error) => self.say(format!("cannot say whether it is read-only: {error}")),
        }
        // `read_only` does not stop a user with SUPER or READ_ONLY ADMIN (root): one stray
        // write there stops replication under gtid_strict_mode.
        const WRITERS: &str = "SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES \
            WHERE GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', \
            SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''') \
            AND PRIVILEGE_TYPE IN ('SUPER', 'READ_ONLY ADMIN')";
        match self.ask(conn, WRITERS, None).await {
            Ok(Some(n)) if n == "0" => {}
            Ok(_) => self.say(
                "is reached as a user with SUPER or READ_ONLY ADMIN, who can write despite read_only: connect as a plain user",
            ),
            Err(error) => self.say(format!("cannot read its user's privileges: {error}")),
        }
        match self
            .ask(conn, "SHOW SLAVE STATUS", Some("Master_Server_Id"))
            .await
        {
            Ok(None) => self.say("is not replicating: SHOW SLAVE STATUS is empty"),
            Ok(Some(theirs)) => {
                if let Some(mine) = self.ask_primary("SELECT @@server_id").await
                    && mine != theirs
                {
                    self.say(format!(
                        "replicates server {theirs}, but the primary is server {mine}"
                    ));
                }
            }
            // Without SLAVE MONITOR it cannot tell; reads with a `max_staleness` skip it.
            Err(_) => {}
        }
    }

    fn say(&mut self, problem: impl Into<String>) {
        self.problems.push(problem.into());
    }

    /// The first value of the last row `sql` answers on `conn`, as text.
    async fn ask(
        &self,
        conn: &mut Connection,
        sql: &'static str,
        column: Option<&'static str>,
    ) -> Result<Option<String>, String> {
        let probe = Statement::Probe {
            sql: sql.into(),
            column,
        };
        match conn.run(probe, self.deadline).await {
            Ok(answer) => Ok(super::text_of(&answer)),
            Err(fault) => Err(fault.into_sqlx(self.deadline).to_string()),
        }
    }

    /// What `sql` answers on the primary, if it answers.
    async fn ask_primary(&mut self, sql: &'static str) -> Option<String> {
        let mut conn = self.primary.take()?;
        let answer = self.ask(&mut conn, sql, None).await.ok().flatten();
        self.primary = Some(conn);
        answer
    }
}
