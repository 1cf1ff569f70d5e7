//! Private replicated servers for the tests: a PostgreSQL primary with a streaming
//! replica (physical, hot standby) and a MariaDB primary with a GTID replica, each pair in
//! its own temp folder on free loopback ports (never the shared 5432 and 3306), started
//! once per test binary, on first use.
//!
//! As in `private.rs`, a guard `sh` holding a pipe only this process writes stops the
//! servers and removes the folder when the process ends, however it ends. Unlike there,
//! a test may kill and restart either server, so the guard cannot be told a pid at
//! start: it reads each server's pid file when it runs (replica first, then primary),
//! checks the pid still names a server (a killed server's pid may have been reused), and
//! stops it (bounded wait, then SIGKILL of its process group). Tests of one binary share
//! its sets: one that kills a server must not run alongside another using that set.
//!
//! The steps and pitfalls follow the reference scripts' measured facts: `pg_basebackup
//! -R -C -S` (standby.signal, primary_conninfo and a slot, so the primary keeps the WAL a
//! down replica needs); MariaDB users made with `sql_log_bin=0` on each server (so GTIDs
//! start clean under `gtid_strict_mode`); and a replica reached by tests as a plain
//! `reader`, since `read_only=1` does not stop a MariaDB user with SUPER or READ_ONLY
//! ADMIN, and one stray write there stops replication.

#![allow(dead_code, unreachable_pub)] // each test file uses a different part of this

use std::net::TcpStream;
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::private::{
    START_TIMEOUT, free_port, postgres_bin, run, server_dir, spawn_guard, unavailable, user_ids,
    wait_until,
};

/// The password of the MariaDB user `reader` (PostgreSQL's `reader` is trusted).
pub const READER_PASSWORD: &str = "reader-pw";

/// How long a replica may take to catch up with a new database.
const CATCH_UP: Duration = Duration::from_secs(30);

/// Which server a replica set runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Postgres,
    MariaDb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Primary,
    Replica,
}

impl Node {
    fn name(self) -> &'static str {
        match self {
            Node::Primary => "primary",
            Node::Replica => "replica",
        }
    }
}

/// A primary and its replica.
pub struct ReplicaSet {
    flavor: Flavor,
    primary_port: u16,
    replica_port: u16,
    dir: PathBuf,
    /// PostgreSQL's programs (unused for MariaDB).
    bin: PathBuf,
    /// The uid and gid the servers run as when the tests run as root.
    ids: Option<(u32, u32)>,
    /// The running servers, this process's children: kept to reap a killed one, so
    /// that it is gone, not a zombie, when `kill_replica` returns.
    primary: Mutex<Option<Child>>,
    replica: Mutex<Option<Child>>,
    /// The guard's stdin: held for the life of the process (see the module's notes).
    _guard: ChildStdin,
}

/// The binary's PostgreSQL primary and replica, started on first call.
pub fn postgres() -> Option<&'static ReplicaSet> {
    static SET: OnceLock<Result<ReplicaSet, String>> = OnceLock::new();
    match SET.get_or_init(|| timed(Flavor::Postgres, start_postgres)) {
        Ok(set) => Some(set),
        Err(reason) => unavailable("PostgreSQL primary and replica", reason),
    }
}

/// The binary's MariaDB primary and replica, started on first call.
pub fn mariadb() -> Option<&'static ReplicaSet> {
    static SET: OnceLock<Result<ReplicaSet, String>> = OnceLock::new();
    match SET.get_or_init(|| timed(Flavor::MariaDb, start_mariadb)) {
        Ok(set) => Some(set),
        Err(reason) => unavailable("MariaDB primary and replica", reason),
    }
}

/// Runs `start`, printing how long it took: start-up is most of these tests' time.
fn timed(flavor: Flavor, start: fn() -> Result<ReplicaSet, String>) -> Result<ReplicaSet, String> {
    let began = Instant::now();
    let set = start()?;
    eprintln!(
        "{flavor:?} primary 127.0.0.1:{} and replica 127.0.0.1:{} up in {} ms ({})",
        set.primary_port,
        set.replica_port,
        began.elapsed().as_millis(),
        set.dir.display()
    );
    Ok(set)
}

impl ReplicaSet {
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    pub fn primary_port(&self) -> u16 {
        self.primary_port
    }

    pub fn replica_port(&self) -> u16 {
        self.replica_port
    }

    /// The folder holding both servers' data and logs (removed at exit).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A URL on the primary as the admin (`postgres` / `root`).
    pub fn primary_url(&self, db: &str) -> String {
        self.url(self.admin(), self.primary_port, db)
    }

    /// A URL on the replica as `reader`: no superuser, cannot write, may read the lag.
    pub fn replica_url(&self, db: &str) -> String {
        let user = match self.flavor {
            Flavor::Postgres => "reader".to_owned(),
            Flavor::MariaDb => format!("reader:{READER_PASSWORD}"),
        };
        self.url(&user, self.replica_port, db)
    }

    /// A URL on the replica as the admin, who could write there: for tests that check
    /// such a replica is refused. Never write through it (see the module's notes).
    pub fn replica_admin_url(&self, db: &str) -> String {
        self.url(self.admin(), self.replica_port, db)
    }

    fn admin(&self) -> &'static str {
        match self.flavor {
            Flavor::Postgres => "postgres",
            Flavor::MariaDb => "root",
        }
    }

    fn url(&self, user: &str, port: u16, db: &str) -> String {
        let scheme = match self.flavor {
            Flavor::Postgres => "postgres",
            Flavor::MariaDb => "mysql",
        };
        format!("{scheme}://{user}@127.0.0.1:{port}/{db}")
    }

    fn port(&self, node: Node) -> u16 {
        match node {
            Node::Primary => self.primary_port,
            Node::Replica => self.replica_port,
        }
    }

    fn child(&self, node: Node) -> &Mutex<Option<Child>> {
        match node {
            Node::Primary => &self.primary,
            Node::Replica => &self.replica,
        }
    }

    /// Node's folder: PostgreSQL's data folder, or MariaDB's, its socket and pid file.
    fn node_dir(&self, node: Node) -> PathBuf {
        self.dir.join(node.name())
    }

    fn pid_file(&self, node: Node) -> PathBuf {
        pid_file(self.flavor, &self.dir, node)
    }

    fn log(&self, node: Node) -> PathBuf {
        match self.flavor {
            Flavor::Postgres => self.dir.join(format!("{}.log", node.name())),
            Flavor::MariaDb => self.node_dir(node).join("error.log"),
        }
    }

    /// The command-line client on `node` as the admin, tab-separated output.
    fn client(&self, node: Node) -> Command {
        self.client_in(node, None)
    }

    /// The client in database `db`; without one, PostgreSQL's `postgres` and no
    /// MariaDB default database.
    fn client_in(&self, node: Node, db: Option<&str>) -> Command {
        let port = self.port(node).to_string();
        match self.flavor {
            Flavor::Postgres => {
                let db = db.unwrap_or("postgres");
                let mut command = Command::new(self.bin.join("psql"));
                command.args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-U", "postgres"]);
                command.args(["-h", "127.0.0.1", "-p", &port, "-d", db]);
                // Bounded: a server that hangs fails the step instead of the test run.
                command.env("PGCONNECT_TIMEOUT", "10");
                command.env("PGOPTIONS", "-c statement_timeout=60s");
                command
            }
            Flavor::MariaDb => {
                let mut command = Command::new("mariadb");
                command.args(["--no-defaults", "-B", "-u", "root", "--connect-timeout=10"]);
                command.args(["-h", "127.0.0.1", "-P", &port]);
                command.args(db.map(|db| format!("--database={db}")));
                command
            }
        }
    }

    /// Runs `sql` on `node` as the admin; its output, without headers.
    fn sql(&self, node: Node, sql: &str) -> Result<String, String> {
        self.sql_in(node, None, sql)
    }

    /// Runs `sql` on `node` as the admin, in database `db` (see `client_in`).
    fn sql_in(&self, node: Node, db: Option<&str>, sql: &str) -> Result<String, String> {
        let mut command = self.client_in(node, db);
        match self.flavor {
            Flavor::Postgres => command.args(["-c", sql]),
            Flavor::MariaDb => command.args(["-N", "-e", sql]),
        };
        run(&mut command).map(|out| out.trim().to_owned())
    }

    /// Polls `ready` every 100 ms until it holds or `limit` passes.
    fn poll(
        &self,
        limit: Duration,
        what: &str,
        mut ready: impl FnMut() -> bool,
    ) -> Result<(), String> {
        let began = Instant::now();
        while !ready() {
            if began.elapsed() > limit {
                return Err(format!("{what}: not within {limit:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }
}

/// Starts the guard (see the module's notes). `signal` is the server's clean shutdown;
/// the pid files are read when the guard runs, in the order given (a MariaDB server
/// writes its own, so `galera.rs` shares this guard). A zombie counts as
/// stopped: the exited test process's children wait for init, which may reap late.
/// Then whatever still names the folder is killed (a set-up program such as
/// `mariadb-install-db` outlives a test process killed mid-start, and would write on
/// into the folder being removed), until the folder is gone.
pub(super) fn guard(signal: &str, dir: &Path, pid_files: &[PathBuf]) -> Result<ChildStdin, String> {
    let script = r#"cat >/dev/null
sig=$1 dir=$2
shift 2
running() { state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) && [ "${state%% *}" != Z ]; }
for pid_file in "$@"; do
  pid=$(head -n 1 "$pid_file" 2>/dev/null)
  case "$pid" in ''|*[!0-9]*) continue ;; esac
  grep -qxE 'postgres|mariadbd' "/proc/$pid/comm" 2>/dev/null || continue
  kill -"$sig" "$pid" 2>/dev/null
  i=0
  while running "$pid" && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
  running "$pid" && kill -KILL -"$pid" "$pid" 2>/dev/null
done
n=0
while [ -e "$dir" ] && [ "$n" -lt 20 ]; do
  for f in $(grep -lsF -- "$dir/" /proc/[0-9]*/cmdline); do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    [ "$pid" = $$ ] || kill -KILL "$pid" 2>/dev/null
  done
  sleep 0.1
  rm -rf "$dir" 2>/dev/null
  n=$((n + 1))
done"#;
    let args = [signal.as_ref(), dir.as_os_str()];
    spawn_guard(
        script,
        args.into_iter()
            .chain(pid_files.iter().map(|f| f.as_os_str())),
    )
}

fn pid_file(flavor: Flavor, dir: &Path, node: Node) -> PathBuf {
    match flavor {
        Flavor::Postgres => dir.join(node.name()).join("postmaster.pid"),
        Flavor::MariaDb => dir.join(node.name()).join("pid"),
    }
}

/// Whether the tests run as root (then the servers run as their own users).
pub(super) fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether a process of group `pgid` is alive: zombies (killed backends not yet reaped
/// by init) hold no port or shared memory, so they do not count.
fn group_alive(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.filter_map(Result::ok).any(|entry| {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // After the command's name in parentheses: state, ppid, pgrp.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
        fields.first().is_some_and(|state| *state != "Z")
            && fields.get(2) == Some(&pgid.to_string().as_str())
    })
}

/// A database name safe to put in SQL unquoted by the caller.
pub(super) fn checked_name(name: &str) -> Result<&str, String> {
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some(name)
        .ok_or_else(|| format!("{name:?}: only letters, digits and _ please"))
}

/// Whether MariaDB's server is installed (`mariadb-install-db` runs).
pub(super) fn mariadb_installed() -> Result<(), String> {
    let installer = Command::new("mariadb-install-db").arg("--version").output();
    if !matches!(installer, Ok(ref out) if out.status.success()) {
        return Err("no mariadb-install-db (install mariadb-server)".into());
    }
    Ok(())
}

/// Makes MariaDB's system tables in `node_dir`/data, `node_dir` owned by the server's
/// user (`ids`, when the tests run as root).
pub(super) fn mariadb_install(node_dir: &Path, ids: Option<(u32, u32)>) -> Result<(), String> {
    std::fs::create_dir_all(node_dir).map_err(|e| e.to_string())?;
    if let Some((uid, gid)) = ids {
        std::os::unix::fs::chown(node_dir, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
    }
    let mut install = Command::new("mariadb-install-db");
    install.args(["--no-defaults", "--user=mysql", "--skip-test-db"]);
    install.arg("--auth-root-authentication-method=normal");
    install.arg(format!("--datadir={}", node_dir.join("data").display()));
    // Its own folder for the bootstrap's temporary tables: two installs at once in
    // /tmp failed now and then ("Could not remove temporary table …").
    install.env("TMPDIR", node_dir);
    run(&mut install).map(drop)
}

/// MariaDB's server on `port` with its files in `node_dir` (data, sock, pid,
/// error.log): the settings every private MariaDB here shares, without binary log.
pub(super) fn mariadbd(port: u16, node_dir: &Path) -> Command {
    let mut command = Command::new("/usr/sbin/mariadbd");
    command.args(["--no-defaults", "--user=mysql", "--bind-address=127.0.0.1"]);
    command.args(["--skip-name-resolve", "--performance-schema=OFF"]);
    command.args([
        "--innodb-buffer-pool-size=32M",
        "--innodb-log-file-size=16M",
    ]);
    command.arg(format!("--port={port}"));
    for (option, file) in [
        ("datadir", "data"),
        ("socket", "sock"),
        ("pid-file", "pid"),
        ("log-error", "error.log"),
    ] {
        command.arg(format!("--{option}={}", node_dir.join(file).display()));
    }
    command
}

/// Spawns a server `command` in a process group of its own (PostgreSQL's backends with
/// it, all killed at once), stdin and stdout closed, its stderr to `stderr`.
pub(super) fn spawn_server(command: &mut Command, stderr: Stdio) -> Result<Child, String> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .process_group(0);
    command.spawn().map_err(|e| e.to_string())
}

/// Runs `sql` as MariaDB's root@localhost, through the socket in `node_dir`; its output,
/// tab-separated, without headers.
pub(super) fn mariadb_socket_sql(node_dir: &Path, sql: &str) -> Result<String, String> {
    let mut command = Command::new("mariadb");
    command.args(["--no-defaults", "-N", "-B", "-u", "root"]);
    command.arg(format!("--socket={}", node_dir.join("sock").display()));
    run(command.args(["-e", sql]))
}

impl ReplicaSet {
    /// A new, empty set: its folder, two ports and the guard, before any server runs
    /// (so that a failed start-up is cleaned up too).
    fn new(flavor: Flavor, bin: PathBuf, ids: Option<(u32, u32)>) -> Result<Self, String> {
        let (tag, signal) = match flavor {
            // SIGINT: PostgreSQL's fast shutdown.
            Flavor::Postgres => ("repl_pg", "INT"),
            Flavor::MariaDb => ("repl_maria", "TERM"),
        };
        let dir = server_dir(tag)?;
        if let (Flavor::Postgres, Some((uid, gid))) = (flavor, ids) {
            // initdb and pg_basebackup create the data folders as `postgres`.
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
        }
        let primary_port = free_port()?;
        let mut replica_port = free_port()?;
        while replica_port == primary_port {
            replica_port = free_port()?;
        }
        let pid_file = |node: Node| pid_file(flavor, &dir, node);
        let guard = guard(
            signal,
            &dir,
            &[pid_file(Node::Replica), pid_file(Node::Primary)],
        )?;
        Ok(ReplicaSet {
            flavor,
            primary_port,
            replica_port,
            dir,
            bin,
            ids,
            primary: Mutex::new(None),
            replica: Mutex::new(None),
            _guard: guard,
        })
    }

    /// The server program of `node`, with its settings (the same at every start).
    fn server_command(&self, node: Node) -> Command {
        let port = self.port(node);
        let node_dir = self.node_dir(node);
        match self.flavor {
            Flavor::Postgres => {
                let mut command = Command::new(self.bin.join("postgres"));
                command.arg("-D").arg(&node_dir);
                let socket_dir = format!("unix_socket_directories={}", self.dir.display());
                // fsync=off: a killed server loses nothing the kernel has (only a
                // crash of the machine would), and start-up is quicker. The retry
                // interval: a replica whose primary was killed and restarted reconnects
                // within half a second, not the default five.
                for setting in [
                    "listen_addresses=127.0.0.1",
                    &format!("port={port}"),
                    &socket_dir,
                    "wal_level=replica",
                    "max_wal_senders=5",
                    "hot_standby_feedback=on",
                    "max_prepared_transactions=10",
                    "fsync=off",
                    "wal_retrieve_retry_interval=500ms",
                ] {
                    command.args(["-c", setting]);
                }
                if let Some((uid, gid)) = self.ids {
                    // PostgreSQL refuses to run as root.
                    command.uid(uid).gid(gid);
                }
                command
            }
            Flavor::MariaDb => self.mariadbd(node, port, &node_dir),
        }
    }

    fn mariadbd(&self, node: Node, port: u16, node_dir: &Path) -> Command {
        let mut command = mariadbd(port, node_dir);
        let server_id = if node == Node::Primary { 1 } else { 2 };
        command.arg(format!("--server-id={server_id}"));
        command.args(["--log-bin=mariadb-bin", "--binlog-format=ROW"]);
        command.args(["--gtid-strict-mode=1", "--log-slave-updates=1"]);
        if node == Node::Replica {
            command.args(["--relay-log=relay-bin", "--read-only=1"]);
        }
        command
    }

    /// Makes MariaDB's system tables for `node`, owned by the server's user.
    fn install(&self, node: Node) -> Result<(), String> {
        mariadb_install(&self.node_dir(node), self.ids)
    }

    /// Starts `node`'s server and waits until it answers.
    fn spawn(&self, node: Node) -> Result<(), String> {
        let log = self.log(node);
        let stderr = match self.flavor {
            // MariaDB writes to its --log-error file.
            Flavor::MariaDb => Stdio::null(),
            Flavor::Postgres => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .map_err(|e| e.to_string())?
                .into(),
        };
        let mut child = spawn_server(&mut self.server_command(node), stderr)
            .map_err(|e| format!("cannot start the {}: {e}", node.name()))?;
        let ready = wait_until(&mut child, &log, || self.answers(node));
        *lock(self.child(node)) = Some(child);
        ready.map_err(|e| format!("{}: {e}", node.name()))
    }

    fn answers(&self, node: Node) -> bool {
        match self.flavor {
            Flavor::Postgres => self.sql(node, "SELECT 1").is_ok(),
            // root@127.0.0.1 is made after the first start, through the socket.
            Flavor::MariaDb => self.socket_sql(node, "SELECT 1").is_ok(),
        }
    }

    /// Runs `sql` as MariaDB's root@localhost, through `node`'s socket.
    fn socket_sql(&self, node: Node, sql: &str) -> Result<String, String> {
        mariadb_socket_sql(&self.node_dir(node), sql)
    }

    /// SIGKILLs the primary's server, as a crash would, and waits until it is gone.
    /// PostgreSQL's crash recovery keeps prepared transactions (`pg_twophase`), and
    /// MariaDB's InnoDB recovery keeps XA PREPAREd ones (`XA RECOVER`).
    pub fn kill_primary(&self) {
        self.kill(Node::Primary);
    }

    /// Starts the primary again after `kill_primary`, once it answers and the replica
    /// replicates from it again.
    pub fn start_primary(&self) -> Result<(), String> {
        self.start(Node::Primary)
    }

    /// SIGKILLs the replica's server, as a crash would, and waits until it is gone.
    pub fn kill_replica(&self) {
        self.kill(Node::Replica);
    }

    /// Starts the replica again after `kill_replica`, once it answers and replicates.
    pub fn start_replica(&self) -> Result<(), String> {
        self.start(Node::Replica)
    }

    /// Runs `sql` on the primary as the admin through the command-line client (in
    /// PostgreSQL's database `postgres`); its output, tab-separated, without headers.
    pub fn primary_sql(&self, sql: &str) -> Result<String, String> {
        self.sql(Node::Primary, sql)
    }

    /// `primary_sql` in database `db`: PostgreSQL's prepared transactions are each a
    /// database's (`COMMIT PREPARED` must run in the one that prepared it).
    pub fn primary_sql_in(&self, db: &str, sql: &str) -> Result<String, String> {
        self.sql_in(Node::Primary, Some(checked_name(db)?), sql)
    }

    /// SIGKILLs `node`'s process group, waits until its processes are gone and its port
    /// refuses connections, and removes its pid file.
    fn kill(&self, node: Node) {
        let what = node.name();
        if let Some(mut child) = lock(self.child(node)).take() {
            let pid = child.id();
            let group = format!("-{pid}");
            let _ = Command::new("kill")
                .args(["-KILL", "--", &group])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
            let gone = self.poll(
                START_TIMEOUT,
                &format!("the killed {what}'s processes"),
                || !group_alive(pid),
            );
            if let Err(reason) = gone {
                panic!("{reason}");
            }
        }
        let port = self.port(node);
        let refused = self.poll(START_TIMEOUT, &format!("the killed {what}'s port"), || {
            TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1))
                .is_err()
        });
        if let Err(reason) = refused {
            panic!("{reason}");
        }
        // The pid may be reused: the guard must not find it (it checks, too).
        let _ = std::fs::remove_file(self.pid_file(node));
    }

    /// Starts `node` again after `kill`, with the same settings; returns once it answers
    /// and the replica replicates (a restarted primary's replica reconnects by itself:
    /// PostgreSQL's every `wal_retrieve_retry_interval`, MariaDB's every second).
    fn start(&self, node: Node) -> Result<(), String> {
        if lock(self.child(node)).is_some() {
            let what = node.name();
            return Err(format!("the {what} is running: kill_{what} first"));
        }
        self.spawn(node)?;
        self.wait_replicating()
    }

    /// Waits until the replica is connected to the primary and applying what it sends.
    fn wait_replicating(&self) -> Result<(), String> {
        self.poll(START_TIMEOUT, "replication", || match self.flavor {
            Flavor::Postgres => {
                // The replica's side too: the primary may still list the killed one.
                let receiver = "SELECT status FROM pg_stat_wal_receiver";
                let sender = "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'";
                self.sql(Node::Replica, receiver)
                    .is_ok_and(|s| s == "streaming")
                    && self.sql(Node::Primary, sender).is_ok_and(|n| n == "1")
            }
            Flavor::MariaDb => {
                let running = "SELECT variable_value FROM information_schema.global_status \
                               WHERE variable_name = 'SLAVE_RUNNING'";
                // Vertical, with the names (-N would drop them).
                let status = run(self
                    .client(Node::Replica)
                    .args(["-e", "SHOW SLAVE STATUS\\G"]));
                self.sql(Node::Replica, running).is_ok_and(|s| s == "ON")
                    && status.is_ok_and(|s| {
                        s.contains("Slave_IO_Running: Yes") && s.contains("Slave_SQL_Running: Yes")
                    })
            }
        })
    }
}

impl ReplicaSet {
    /// Creates database `name` on the primary; returns once the replica has it too.
    pub fn create_database(&self, name: &str) -> Result<(), String> {
        let name = checked_name(name)?;
        match self.flavor {
            Flavor::Postgres => {
                self.sql(Node::Primary, &format!("CREATE DATABASE \"{name}\""))?;
                let query = format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'");
                self.poll(CATCH_UP, &format!("database {name} on the replica"), || {
                    self.sql(Node::Replica, &query).is_ok_and(|n| n == "1")
                })
            }
            Flavor::MariaDb => {
                // @@last_gtid: the GTID of this session's last commit, the CREATE's.
                let create = format!("CREATE DATABASE `{name}`; SELECT @@last_gtid");
                let gtid = self.sql(Node::Primary, &create)?;
                let secs = CATCH_UP.as_secs();
                let wait = format!("SELECT MASTER_GTID_WAIT('{gtid}', {secs})");
                match self.sql(Node::Replica, &wait)?.as_str() {
                    "0" => Ok(()),
                    other => Err(format!("database {name} not on the replica ({other})")),
                }
            }
        }
    }

    /// Drops database `name` on the primary (the replica follows).
    pub fn drop_database(&self, name: &str) -> Result<(), String> {
        let name = checked_name(name)?;
        let sql = match self.flavor {
            // FORCE: a test's pool may still hold connections.
            Flavor::Postgres => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            Flavor::MariaDb => format!("DROP DATABASE IF EXISTS `{name}`"),
        };
        self.sql(Node::Primary, &sql).map(drop)
    }

    /// Makes the replica apply each transaction `delay` after its commit on the
    /// primary (PostgreSQL to the millisecond, MariaDB in whole seconds, rounded up);
    /// `Duration::ZERO` removes the delay.
    pub fn set_apply_delay(&self, delay: Duration) -> Result<(), String> {
        match self.flavor {
            Flavor::Postgres => {
                let ms = delay.as_millis();
                // ALTER SYSTEM cannot share a query string (an implicit transaction).
                let alter = if ms == 0 {
                    "ALTER SYSTEM RESET recovery_min_apply_delay".to_owned()
                } else {
                    format!("ALTER SYSTEM SET recovery_min_apply_delay = '{ms}ms'")
                };
                self.sql(Node::Replica, &alter)?;
                self.sql(Node::Replica, "SELECT pg_reload_conf()")?;
                // The reload is asynchronous: a write right after must see the new delay.
                let setting =
                    "SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay'";
                self.poll(CATCH_UP, "the new apply delay", || {
                    self.sql(Node::Replica, setting)
                        .is_ok_and(|s| s == ms.to_string())
                })
            }
            Flavor::MariaDb => {
                let secs = delay.as_millis().div_ceil(1000);
                self.sql(
                    Node::Replica,
                    &format!("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = {secs}; START SLAVE"),
                )?;
                self.wait_replicating()
            }
        }
    }
}

fn start_postgres() -> Result<ReplicaSet, String> {
    let bin = postgres_bin().ok_or("no initdb (install postgresql)")?;
    let ids = if is_root() {
        Some(user_ids("postgres").ok_or("no user postgres")?)
    } else {
        None
    };
    let set = ReplicaSet::new(Flavor::Postgres, bin, ids)?;
    let as_server = |program: &str| {
        let mut command = Command::new(set.bin.join(program));
        if let Some((uid, gid)) = ids {
            command.uid(uid).gid(gid);
        }
        command
    };
    let mut initdb = as_server("initdb");
    initdb.arg("-D").arg(set.node_dir(Node::Primary));
    initdb.args([
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    ]);
    run(initdb.arg("--no-sync"))?;
    set.spawn(Node::Primary)?;
    // Made on the primary, so it replicates. pg_read_all_data: SELECT on every table,
    // present and future, without owning or being granted them one by one.
    set.sql(
        Node::Primary,
        "CREATE ROLE reader LOGIN NOSUPERUSER IN ROLE pg_read_all_data",
    )?;
    // -R: standby.signal and primary_conninfo; -C -S: a slot, so the primary keeps the
    // WAL the replica has not had, while it is killed.
    let mut backup = as_server("pg_basebackup");
    backup.args(["-h", "127.0.0.1", "-p", &set.primary_port.to_string()]);
    backup
        .args(["-U", "postgres", "-D"])
        .arg(set.node_dir(Node::Replica));
    backup.args(["-R", "-C", "-S", "replica1", "-X", "stream", "-c", "fast"]);
    run(backup.arg("--no-sync"))?;
    set.spawn(Node::Replica)?;
    set.wait_replicating()?;
    Ok(set)
}

fn start_mariadb() -> Result<ReplicaSet, String> {
    mariadb_installed()?;
    let ids = if is_root() {
        Some(user_ids("mysql").ok_or("no user mysql")?)
    } else {
        None
    };
    let set = ReplicaSet::new(Flavor::MariaDb, PathBuf::new(), ids)?;
    // Both at once: each takes seconds, mostly on one core.
    std::thread::scope(|scope| {
        let installs = [Node::Primary, Node::Replica].map(|node| {
            let set = &set;
            scope.spawn(move || set.install(node))
        });
        installs.into_iter().try_for_each(|install| {
            install
                .join()
                .unwrap_or_else(|_| Err("mariadb-install-db panicked".to_owned()))
        })
    })?;
    // Not binlogged (sql_log_bin=0), on each server: the GTIDs start clean, as
    // gtid_strict_mode needs. reader: no SUPER nor READ_ONLY ADMIN, so read_only holds.
    let users = format!(
        "SET SESSION sql_log_bin = 0;\
         CREATE USER IF NOT EXISTS root@'127.0.0.1';\
         GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;\
         CREATE USER repl@'127.0.0.1' IDENTIFIED BY 'repl';\
         GRANT REPLICATION SLAVE ON *.* TO repl@'127.0.0.1';\
         CREATE USER reader@'127.0.0.1' IDENTIFIED BY '{READER_PASSWORD}';\
         GRANT SELECT, SLAVE MONITOR ON *.* TO reader@'127.0.0.1';"
    );
    for node in [Node::Primary, Node::Replica] {
        set.spawn(node)?;
        set.socket_sql(node, &users)?;
    }
    let port = set.primary_port;
    set.sql(
        Node::Replica,
        &format!(
            "SET GLOBAL gtid_slave_pos = ''; CHANGE MASTER TO MASTER_HOST = '127.0.0.1', \
             MASTER_PORT = {port}, MASTER_USER = 'repl', MASTER_PASSWORD = 'repl', \
             MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1; START SLAVE"
        ),
    )?;
    set.wait_replicating()?;
    Ok(set)
}
