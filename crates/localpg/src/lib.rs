//! A throwaway PostgreSQL cluster from the local `initdb`/`pg_ctl`: the embedded database
//! of `retention demo` and the test harness's last resort. Running as root it runs the
//! server as the `postgres` user (initdb refuses root), in a directory that user can reach.
//!
//! It lives outside `retention-model` because it is tooling around a database, not part of
//! the model: only the demo and the test harness start clusters. Errors are the model's
//! [`retention_model::Error`] (`Config`, `Io`), so callers' `?` conversions stay as they were.
#![deny(missing_docs)]

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use retention_model::{DbConfig, Error, Result};

/// A PostgreSQL server this process started in its own data directory.
#[derive(Debug)]
pub struct LocalCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    run_as: Option<String>,
}

impl LocalCluster {
    /// The directory holding `initdb` and `pg_ctl`: `PATH` first, then the newest
    /// `/usr/lib/postgresql/*/bin`.
    pub fn find_bin_dir() -> Result<PathBuf> {
        if let Some(paths) = std::env::var_os("PATH") {
            for p in std::env::split_paths(&paths) {
                if p.join("initdb").is_file() && p.join("pg_ctl").is_file() {
                    return Ok(p);
                }
            }
        }
        let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                let bin = e.path().join("bin");
                bin.join("initdb").is_file().then_some((v, bin))
            })
            .collect();
        candidates.sort();
        candidates.pop().map(|(_, p)| p).ok_or_else(|| {
            Error::Config(
                "no PostgreSQL server binaries found (initdb, pg_ctl): install them \
                 (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL to a server"
                    .to_owned(),
            )
        })
    }

    /// Creates a cluster in a new directory under `base` and starts it on a free port of
    /// 127.0.0.1, with settings for a disposable database (no fsync) and trust authentication.
    pub fn start(base: &Path) -> Result<Self> {
        Self::start_with(base, None)
    }

    /// As [`LocalCluster::start`], but with password (scram-sha-256) authentication for the
    /// `postgres` user when `password` is given.
    pub fn start_with(base: &Path, password: Option<&str>) -> Result<Self> {
        let bin = Self::find_bin_dir()?;
        let run_as = is_root().then(|| "postgres".to_owned());
        std::fs::create_dir_all(base).map_err(io(format!("creating {}", base.display())))?;
        let dir = base.join(format!("pg-{}-{}", std::process::id(), unique_suffix()));
        std::fs::create_dir_all(&dir).map_err(io(format!("creating {}", dir.display())))?;
        if let Some(user) = &run_as {
            let (uid, gid) = user_ids(user)?;
            // The postgres user must be able to reach the directory: make parents traversable.
            let mut p = dir.as_path();
            std::os::unix::fs::chown(p, Some(uid), Some(gid))
                .map_err(io(format!("chown {}", p.display())))?;
            while let Some(parent) = p.parent() {
                if parent == Path::new("/") || parent.as_os_str().is_empty() {
                    break;
                }
                use std::os::unix::fs::PermissionsExt;
                if let Ok(meta) = std::fs::metadata(parent) {
                    let mode = meta.permissions().mode();
                    if mode & 0o001 == 0 {
                        return Err(Error::Config(format!(
                            "{} is not reachable by the postgres user; choose a directory under /tmp",
                            parent.display()
                        )));
                    }
                }
                p = parent;
            }
        }
        let data = dir.join("data");
        let cluster = Self {
            dir,
            bin,
            port: 0,
            run_as,
        };
        let mut initdb = vec![
            "-D",
            path_str(&data)?,
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ];
        let pwfile = cluster.dir.join("pwfile");
        match password {
            Some(pw) => {
                std::fs::write(&pwfile, pw).map_err(io(format!("writing {}", pwfile.display())))?;
                if let Some(user) = &cluster.run_as {
                    let (uid, gid) = user_ids(user)?;
                    std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid))
                        .map_err(io(format!("chown {}", pwfile.display())))?;
                }
                initdb.extend(["--auth=scram-sha-256", "--pwfile", path_str(&pwfile)?]);
            }
            None => initdb.push("--auth=trust"),
        }
        let result = cluster.run("initdb", &initdb);
        let _ = std::fs::remove_file(&pwfile);
        result?;
        let port = free_port()?;
        let cluster = Self { port, ..cluster };
        let opts = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB",
            path_str(&cluster.dir)?
        );
        let log = cluster.dir.join("server.log");
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                path_str(&data)?,
                "-l",
                path_str(&log)?,
                "-o",
                &opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )?;
        Ok(cluster)
    }

    /// The port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's directory (data, socket and `server.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Settings for the `postgres` database as the `postgres` superuser.
    pub fn config(&self) -> Result<DbConfig> {
        DbConfig::from_url(&format!(
            "postgres://postgres@127.0.0.1:{}/postgres",
            self.port
        ))
    }

    /// The command that stops this cluster and removes its directory, for people to copy.
    pub fn stop_command(&self) -> String {
        let ctl = self.bin.join("pg_ctl");
        let stop = format!(
            "{} -D {} -m fast stop",
            ctl.display(),
            self.dir.join("data").display()
        );
        match &self.run_as {
            Some(user) => format!(
                "runuser -u {user} -- {stop} && rm -rf {}",
                self.dir.display()
            ),
            None => format!("{stop} && rm -rf {}", self.dir.display()),
        }
    }

    /// Stops the server and removes its directory.
    pub fn stop(&self) -> Result<()> {
        let data = self.dir.join("data");
        self.run(
            "pg_ctl",
            &["-D", path_str(&data)?, "-m", "fast", "-w", "stop"],
        )?;
        std::fs::remove_dir_all(&self.dir).map_err(io(format!("removing {}", self.dir.display())))
    }

    /// Starts a detached watcher that stops the cluster and removes its directory once
    /// process `pid` has exited: for callers that cannot run [`LocalCluster::stop`] themselves
    /// (a test binary's shared server).
    pub fn stop_when_process_exits(&self, pid: u32) -> Result<()> {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {}",
            self.stop_command()
                .replace(" -m fast stop", " -m immediate stop")
        );
        Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(io("starting the cluster watcher".to_owned()))?;
        Ok(())
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<()> {
        let exe = self.bin.join(tool);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let out = cmd
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .map_err(io(format!("running {}", exe.display())))?;
        if out.status.success() {
            return Ok(());
        }
        let mut reason = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        if reason.is_empty() {
            reason = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        }
        let log = self.dir.join("server.log");
        if let Ok(text) = std::fs::read_to_string(&log) {
            let tail: Vec<&str> = text.lines().rev().take(5).collect();
            reason.push_str(&format!(
                " | server.log: {}",
                tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
            ));
        }
        Err(Error::Config(format!(
            "{tool} failed ({}): {reason}",
            out.status
        )))
    }
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { context, source }
}

fn path_str(p: &Path) -> Result<&str> {
    p.to_str()
        .ok_or_else(|| Error::Config(format!("path {} is not UTF-8", p.display())))
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

fn user_ids(user: &str) -> Result<(u32, u32)> {
    let passwd =
        std::fs::read_to_string("/etc/passwd").map_err(io("reading /etc/passwd".to_owned()))?;
    passwd
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 3 && f[0] == user).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))?
        })
        .next()
        .ok_or_else(|| {
            Error::Config(format!(
                "running as root, the server must run as the {user:?} user, which does not exist (apt-get install postgresql creates it)"
            ))
        })
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(io("finding a free port".to_owned()))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(io("finding a free port".to_owned()))
}

fn unique_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0)
}
