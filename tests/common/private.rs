//! Private TLS servers for the tests: a PostgreSQL and a MariaDB of the test binary's own,
//! each in its own temp folder on its own free loopback port (never the shared 5432 and
//! 3306), started once per test binary, on first use, with certificates made for them.
//!
//! A test binary has no hook that runs at its end, so each server is stopped by a guard:
//! a small `sh` that holds the read end of a pipe whose write end only this process
//! holds. When the process ends, however it ends, the pipe closes; the guard then stops
//! the server by its own pid (bounded wait, then SIGKILL) and removes the folder.
//!
//! The steps and pitfalls follow the measured facts of the issue's reference: the data
//! folder's parents must be traversable by user `postgres` (the tests run as root, and
//! PostgreSQL refuses to run as root), the server key private to its owner, the client
//! key file mode 0600, MariaDB with `require_secure_transport=ON` (a plain connection is
//! answered `1045 Access denied`) and a user that requires the client certificate's
//! subject.

#![allow(dead_code, unreachable_pub)] // each test file uses a different part of this

use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::{servers_required, unique_name};

/// How long a server may take to start; a loaded 2-core machine needs up to ~12 s.
pub(super) const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The password of the MariaDB user `app`, and the one the PostgreSQL URLs carry: the
/// tests assert it is never printed.
pub const PASSWORD: &str = "pw-Zq8r-never-shown";

/// The test PKI: a CA, a server certificate for 127.0.0.1 and localhost, a client
/// certificate for CN=app, and a second CA that signed nothing of the servers'.
pub struct Pki {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    /// Mode 0600, owned by the test's user.
    pub client_key: PathBuf,
    pub stranger_ca: PathBuf,
}

/// One private server.
pub struct PrivateServer {
    pub port: u16,
    pub dir: PathBuf,
    pub pki: Pki,
    /// The guard's stdin: held for the life of the process (see the module's notes).
    _guard: ChildStdin,
}

impl PrivateServer {
    /// The server, once it answers. The child is the guard's to stop: dropping its
    /// handle neither kills nor waits.
    fn started(child: Child, port: u16, dir: PathBuf, pki: Pki, guard: ChildStdin) -> Self {
        drop(child);
        PrivateServer {
            port,
            dir,
            pki,
            _guard: guard,
        }
    }

    /// A URL to this server: `scheme://user[:password]@127.0.0.1:port/db?query`.
    pub fn url(&self, scheme: &str, user: &str, password: bool, db: &str, query: &str) -> String {
        let password = if password {
            format!(":{PASSWORD}")
        } else {
            String::new()
        };
        let port = self.port;
        format!("{scheme}://{user}{password}@127.0.0.1:{port}/{db}{query}")
    }

    /// The client key's contents, to assert they are never printed.
    pub fn key_material(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.pki.client_key).unwrap_or_default();
        // Every base64 line of the key: printing any one of them would be a leak.
        text.lines()
            .filter(|line| !line.starts_with("-----") && line.len() > 20)
            .map(str::to_owned)
            .collect()
    }
}

/// Why a server could not be had; a skip (with a notice) unless servers are required.
pub(super) fn unavailable<T>(what: &str, reason: &str) -> Option<T> {
    let message = format!("cannot start a private {what}: {reason}");
    assert!(!servers_required(), "{message} (BINDERY_REQUIRE_SERVERS=1)");
    eprintln!("skipping: {message}; set BINDERY_REQUIRE_SERVERS=1 to fail instead");
    None
}

/// The binary's TLS PostgreSQL, started on first call.
pub fn postgres() -> Option<&'static PrivateServer> {
    static SERVER: OnceLock<Result<PrivateServer, String>> = OnceLock::new();
    match SERVER.get_or_init(start_postgres) {
        Ok(server) => Some(server),
        Err(reason) => unavailable("TLS PostgreSQL", reason),
    }
}

/// The binary's TLS MariaDB, started on first call.
pub fn mariadb() -> Option<&'static PrivateServer> {
    static SERVER: OnceLock<Result<PrivateServer, String>> = OnceLock::new();
    match SERVER.get_or_init(start_mariadb) {
        Ok(server) => Some(server),
        Err(reason) => unavailable("TLS MariaDB", reason),
    }
}

/// Runs `command` and returns its standard output; on failure, its error output, with
/// the password masked (the set-up SQL holds it, and the client echoes a failed
/// statement).
pub(super) fn run(command: &mut Command) -> Result<String, String> {
    let output = command.stdin(Stdio::null()).output();
    let failure = match output {
        Ok(output) if output.status.success() => {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        Ok(output) => format!(
            "failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(error) => error.to_string(),
    };
    Err(format!("{command:?}: {failure}").replace(PASSWORD, "***"))
}

/// Makes the PKI in `dir` with the `openssl` command.
fn make_pki(dir: &Path) -> Result<Pki, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let file = |name: &str| dir.join(name);
    let openssl = || {
        let mut command = Command::new("openssl");
        command.current_dir(dir);
        command
    };
    // Two CAs: ours, and a stranger that signed nothing of the servers'.
    for ca in ["ca", "stranger"] {
        run(openssl()
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", &format!("/CN=bindery-test-{ca}")])
            .args([
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.crt"),
            ])
            .args(["-addext", "basicConstraints=critical,CA:TRUE"])
            .args(["-addext", "keyUsage=keyCertSign,cRLSign"]))?;
    }
    // verify-full checks the host connected to (127.0.0.1) against the SAN.
    let leaves = [
        (
            "server",
            "/CN=localhost",
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "/CN=app", "extendedKeyUsage=clientAuth\n"),
    ];
    for (name, subject, extensions) in leaves {
        run(openssl()
            .args(["req", "-newkey", "rsa:2048", "-nodes", "-subj", subject])
            .args([
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
            ]))?;
        std::fs::write(file(&format!("{name}.ext")), extensions).map_err(|e| e.to_string())?;
        run(openssl()
            .args(["x509", "-req", "-in", &format!("{name}.csr")])
            .args([
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
            ])
            .args([
                "-extfile",
                &format!("{name}.ext"),
                "-out",
                &format!("{name}.crt"),
            ]))?;
    }
    for key in ["ca.key", "stranger.key", "server.key", "client.key"] {
        std::fs::set_permissions(file(key), std::fs::Permissions::from_mode(0o600))
            .map_err(|e| e.to_string())?;
    }
    Ok(Pki {
        ca: file("ca.crt"),
        server_cert: file("server.crt"),
        server_key: file("server.key"),
        client_cert: file("client.crt"),
        client_key: file("client.key"),
        stranger_ca: file("stranger.crt"),
    })
}

/// A free loopback port, released for the server to take.
pub(super) fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A new folder for one server (mode 0755: user `postgres` must traverse it).
pub(super) fn server_dir(tag: &str) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(unique_name(tag));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| e.to_string())?;
    Ok(dir)
}

/// Starts the guard of `server` (see the module's notes): once this process's end closes
/// its stdin, it sends `signal` to `pid`, waits at most 30 s, kills, removes `dir`.
fn guard(pid: u32, signal: &str, dir: &Path) -> Result<ChildStdin, String> {
    let script = r#"cat >/dev/null
kill -"$2" "$1" 2>/dev/null
i=0
while kill -0 "$1" 2>/dev/null && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL "$1" 2>/dev/null
rm -rf "$3""#;
    let pid = pid.to_string();
    spawn_guard(script, [pid.as_ref(), signal.as_ref(), dir.as_os_str()])
}

/// Runs the guard `script` under `sh` with `args` as `$1`…, and hands back its stdin:
/// the pipe whose closing, at this process's end, sets it off.
pub(super) fn spawn_guard<'a>(
    script: &str,
    args: impl IntoIterator<Item = &'a std::ffi::OsStr>,
) -> Result<ChildStdin, String> {
    let mut child = Command::new("sh")
        .args(["-c", script, "guard"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group: a Ctrl-C to the test run must not kill it before it
        // has cleaned up.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the guard: {e}"))?;
    child
        .stdin
        .take()
        .ok_or_else(|| "the guard has no stdin".to_owned())
}

/// Polls `ready` every 100 ms until it holds, or the server exits, or the start-up
/// timeout passes; the server's log in the error.
pub(super) fn wait_until(
    child: &mut Child,
    log: &Path,
    mut ready: impl FnMut() -> bool,
) -> Result<(), String> {
    let started = Instant::now();
    let log = || std::fs::read_to_string(log).unwrap_or_default();
    loop {
        if ready() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the server exited ({status}): {}", log()));
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(format!(
                "the server did not answer within {START_TIMEOUT:?}: {}",
                log()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The uid and gid of `user`, from /etc/passwd.
pub(super) fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&user))
            .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
            .flatten()
    })
}

/// The folder of PostgreSQL's server programs: on PATH, or Debian's newest.
pub(super) fn postgres_bin() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).find(|dir| dir.join("initdb").is_file()));
    // /usr/local/bin holds links to one version's programs, psql not among them.
    let on_path = on_path
        .and_then(|dir| std::fs::canonicalize(dir.join("initdb")).ok())
        .and_then(|initdb| initdb.parent().map(Path::to_path_buf));
    on_path.or_else(|| {
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
            .filter(|bin| bin.join("initdb").is_file())
            .collect();
        found.sort_by_key(|bin| {
            bin.parent()
                .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
        });
        found.pop()
    })
}

fn start_postgres() -> Result<PrivateServer, String> {
    let bin = postgres_bin().ok_or("no initdb (install postgresql)")?;
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    // PostgreSQL refuses to run as root: as root, run it as user `postgres`.
    let ids = if root {
        Some(user_ids("postgres").ok_or("no user postgres")?)
    } else {
        None
    };
    let as_server = |command: &mut Command| {
        if let Some((uid, gid)) = ids {
            command.uid(uid).gid(gid);
        }
    };
    let dir = server_dir("tls_pg")?;
    let pki = make_pki(&dir.join("certs"))?;
    let port = free_port()?;
    let data = dir.join("data");
    if let Some((uid, gid)) = ids {
        // The server reads its key as `postgres`, and refuses one others can read.
        for path in [
            &dir,
            &dir.join("certs"),
            &pki.server_key,
            &pki.server_cert,
            &pki.ca,
        ] {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
        }
    }
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8"]);
    initdb.arg("--locale=C.UTF-8");
    as_server(&mut initdb);
    run(&mut initdb)?;
    // TCP only with TLS (`hostssl`, no `host` line): trust for postgres, the client
    // certificate for app. The socket, for the set-up below, trusts everyone.
    let hba = "local all all trust\n\
               hostssl all postgres 127.0.0.1/32 trust\n\
               hostssl all app 127.0.0.1/32 cert\n";
    std::fs::write(data.join("pg_hba.conf"), hba).map_err(|e| e.to_string())?;
    let mut server = Command::new(bin.join("postgres"));
    server.arg("-D").arg(&data);
    server.args([
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        &format!("port={port}"),
    ]);
    server.args(["-c", &format!("unix_socket_directories={}", dir.display())]);
    server.args(["-c", "ssl=on", "-c", "ssl_min_protocol_version=TLSv1.2"]);
    for (setting, path) in [
        ("ssl_cert_file", &pki.server_cert),
        ("ssl_key_file", &pki.server_key),
        ("ssl_ca_file", &pki.ca),
    ] {
        server.args(["-c", &format!("{setting}={}", path.display())]);
    }
    let log = dir.join("server.log");
    let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    server
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file);
    as_server(&mut server);
    let mut child = server
        .spawn()
        .map_err(|e| format!("cannot start postgres: {e}"))?;
    // SIGINT: PostgreSQL's fast shutdown.
    let guard = guard(child.id(), "INT", &dir)?;
    let psql = |sql: &str| {
        let mut command = Command::new(bin.join("psql"));
        command.args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-U",
            "postgres",
            "-d",
            "postgres",
        ]);
        command
            .arg("-h")
            .arg(&dir)
            .args(["-p", &port.to_string(), "-c", sql]);
        command
    };
    wait_until(&mut child, &log, || run(&mut psql("SELECT 1")).is_ok())?;
    run(&mut psql("CREATE ROLE app LOGIN"))?;
    run(&mut psql("CREATE DATABASE app OWNER app"))?;
    Ok(PrivateServer::started(child, port, dir, pki, guard))
}

fn start_mariadb() -> Result<PrivateServer, String> {
    let installer = Command::new("mariadb-install-db").arg("--version").output();
    if !matches!(installer, Ok(ref out) if out.status.success()) {
        return Err("no mariadb-install-db (install mariadb-server)".into());
    }
    let dir = server_dir("tls_maria")?;
    let pki = make_pki(&dir.join("certs"))?;
    let port = free_port()?;
    let data = dir.join("data");
    run(Command::new("mariadb-install-db")
        .args([
            "--no-defaults",
            "--user=root",
            "--auth-root-authentication-method=normal",
        ])
        .arg("--skip-test-db")
        .arg(format!("--datadir={}", data.display())))?;
    let socket = dir.join("sock");
    let log = dir.join("error.log");
    let mut server = Command::new("/usr/sbin/mariadbd");
    server.args([
        "--no-defaults",
        "--user=root",
        "--bind-address=127.0.0.1",
        "--skip-name-resolve",
    ]);
    server.args([
        "--innodb-buffer-pool-size=16M",
        "--skip-log-bin",
        "--performance-schema=OFF",
    ]);
    server.arg(format!("--port={port}"));
    server.arg(format!("--datadir={}", data.display()));
    server.arg(format!("--socket={}", socket.display()));
    server.arg(format!("--pid-file={}", dir.join("pid").display()));
    server.arg(format!("--log-error={}", log.display()));
    server.arg(format!("--ssl-ca={}", pki.ca.display()));
    server.arg(format!("--ssl-cert={}", pki.server_cert.display()));
    server.arg(format!("--ssl-key={}", pki.server_key.display()));
    // Plain TCP is refused with 1045, not with a TLS error.
    server.args([
        "--require-secure-transport=ON",
        "--tls-version=TLSv1.2,TLSv1.3",
    ]);
    server
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = server
        .spawn()
        .map_err(|e| format!("cannot start mariadbd: {e}"))?;
    let guard = guard(child.id(), "TERM", &dir)?;
    // The socket counts as secure transport: the set-up goes through it.
    let client = |sql: &str| {
        let mut command = Command::new("mariadb");
        command.args(["--no-defaults", "-u", "root"]);
        command
            .arg(format!("--socket={}", socket.display()))
            .args(["-e", sql]);
        command
    };
    wait_until(&mut child, &log, || run(&mut client("SELECT 1")).is_ok())?;
    run(&mut client(&format!(
        "CREATE USER IF NOT EXISTS root@'127.0.0.1'; GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;\
         CREATE USER app@'127.0.0.1' IDENTIFIED BY '{PASSWORD}' REQUIRE SUBJECT '/CN=app';\
         CREATE DATABASE app; GRANT ALL ON app.* TO app@'127.0.0.1';"
    )))?;
    Ok(PrivateServer::started(child, port, dir, pki, guard))
}
