//! A private Galera node for the tests: one MariaDB with wsrep on, bootstrapped as a
//! single-node cluster, in its own temp folder on free loopback ports (its SQL port and
//! its group-communication port, never the shared 3306 nor anyone else's), started once
//! per test binary, on first use.
//!
//! Built from `replicas.rs`'s parts: the same system tables, server settings and guard
//! (which stops the node by its pid file and removes the folder when the process ends,
//! however it ends). The wsrep settings follow the reference's measured facts: galera-4's
//! provider, `--wsrep-new-cluster` with an empty `gcomm://` for a lone node, ROW binlog
//! format and interleaved auto-increment locks, ready once `wsrep_local_state_comment`
//! is `Synced`.

#![allow(dead_code, unreachable_pub)] // each test file uses a different part of this

use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use super::private::{free_port, server_dir, unavailable, user_ids, wait_until};
use super::replicas::{
    checked_name, guard, is_root, mariadb_install, mariadb_installed, mariadb_socket_sql, mariadbd,
    spawn_server,
};

/// galera-4's wsrep provider (Debian's package `galera-4`).
const PROVIDER: &str = "/usr/lib/galera/libgalera_smm.so";

/// One MariaDB node with wsrep on, the only member of its cluster.
pub struct GaleraNode {
    port: u16,
    /// Its data, socket, pid file and error.log.
    node_dir: PathBuf,
    /// The guard's stdin: held for the life of the process (see the module's notes).
    _guard: ChildStdin,
}

/// The binary's Galera node, started on first call.
pub fn galera() -> Option<&'static GaleraNode> {
    static NODE: OnceLock<Result<GaleraNode, String>> = OnceLock::new();
    match NODE.get_or_init(start) {
        Ok(node) => Some(node),
        Err(reason) => unavailable("Galera node", reason),
    }
}

impl GaleraNode {
    /// A URL on the node as root.
    pub fn url(&self, db: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{db}", self.port)
    }

    /// The folder holding its data and error.log (removed at exit).
    pub fn dir(&self) -> &Path {
        &self.node_dir
    }

    pub fn create_database(&self, name: &str) -> Result<(), String> {
        let name = checked_name(name)?;
        mariadb_socket_sql(&self.node_dir, &format!("CREATE DATABASE `{name}`")).map(drop)
    }

    pub fn drop_database(&self, name: &str) -> Result<(), String> {
        let name = checked_name(name)?;
        mariadb_socket_sql(&self.node_dir, &format!("DROP DATABASE IF EXISTS `{name}`")).map(drop)
    }
}

fn start() -> Result<GaleraNode, String> {
    let began = Instant::now();
    mariadb_installed()?;
    if !Path::new(PROVIDER).is_file() {
        return Err(format!("no {PROVIDER} (install galera-4)"));
    }
    let ids = if is_root() {
        Some(user_ids("mysql").ok_or("no user mysql")?)
    } else {
        None
    };
    let dir = server_dir("galera")?;
    let node_dir = dir.join("node");
    // Before anything runs, so that a failed start-up is cleaned up too.
    let guard = guard("TERM", &dir, &[node_dir.join("pid")])?;
    let port = free_port()?;
    let mut gcomm = free_port()?;
    while gcomm == port {
        gcomm = free_port()?;
    }
    mariadb_install(&node_dir, ids)?;
    let mut command = mariadbd(port, &node_dir);
    command.args([
        "--binlog-format=ROW",
        "--innodb-autoinc-lock-mode=2",
        "--default-storage-engine=InnoDB",
    ]);
    command.args(["--wsrep-on=ON", &format!("--wsrep-provider={PROVIDER}")]);
    command.args(["--wsrep-cluster-name=bindery-test", "--wsrep-node-name=n1"]);
    // A cluster of one: bootstrap it, with no peers to join.
    command.args(["--wsrep-new-cluster", "--wsrep-cluster-address=gcomm://"]);
    command.arg(format!("--wsrep-node-address=127.0.0.1:{gcomm}"));
    command.arg(format!(
        "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:{gcomm};gcache.size=32M"
    ));
    // MariaDB writes to its --log-error file.
    let mut child = spawn_server(&mut command, Stdio::null())
        .map_err(|e| format!("cannot start mariadbd: {e}"))?;
    let log = node_dir.join("error.log");
    let state = "SHOW STATUS LIKE 'wsrep_local_state_comment'";
    wait_until(&mut child, &log, || {
        mariadb_socket_sql(&node_dir, state)
            .is_ok_and(|row| row.split_whitespace().nth(1) == Some("Synced"))
    })?;
    // The child is the guard's to stop: dropping its handle neither kills nor waits.
    drop(child);
    mariadb_socket_sql(
        &node_dir,
        "CREATE USER IF NOT EXISTS root@'127.0.0.1'; \
         GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;",
    )?;
    eprintln!(
        "Galera node 127.0.0.1:{port} (gcomm {gcomm}) Synced in {} ms ({})",
        began.elapsed().as_millis(),
        dir.display()
    );
    Ok(GaleraNode {
        port,
        node_dir,
        _guard: guard,
    })
}
