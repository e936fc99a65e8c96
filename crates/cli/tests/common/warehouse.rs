//! One logical day of the pipeline run step by step as separate `retention` processes on a
//! test database, the means to interrupt a step in the middle of its work (a blocking lock,
//! SIGSTOP, SIGKILL, `pg_terminate_backend`), and a checksum of the whole warehouse without
//! its audit columns, to compare an interrupted or concurrent run with an uninterrupted one.
//!
//! Include with `#[path = "common/warehouse.rs"] mod warehouse;` next to `mod common;`.
#![allow(dead_code)] // each test file uses part of it

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use retention_testing::TestDb;
use tokio_postgres::Client;

/// The simulated day every scenario runs: the first of the simulation, which carries the
/// whole initial population (the SCD merge and the users COPY have real work to do).
pub const DAY: &str = "2026-01-01";
/// Population multiplier: about 14,000 users and 1,700 events on the day, so each step takes
/// tens to hundreds of milliseconds.
pub const SCALE: &str = "2";
/// The steps of a day, in order.
pub const STEPS: [&str; 5] = ["generate", "load", "validate", "scd", "transform"];
/// The manifest, written last: a day without one is not ready to load.
pub const MANIFEST: &str = "_manifest.json";

/// A day of the pipeline on its own database and landing directory.
pub struct Day {
    pub db: TestDb,
    pub url: String,
    pub data: tempfile::TempDir,
}

impl Day {
    /// A freshly migrated warehouse and an empty landing directory.
    pub async fn new() -> Self {
        let db = TestDb::migrated().await;
        let url = db.url();
        Self {
            db,
            url,
            data: tempfile::tempdir().unwrap(),
        }
    }

    /// The arguments of `step` for the day.
    fn args(&self, step: &str) -> Vec<String> {
        let mut args = vec![step.to_owned(), "--date".into(), DAY.into()];
        if step == "generate" {
            args.extend(["--scale".into(), SCALE.into()]);
        }
        args.extend([
            "--database-url".into(),
            self.url.clone(),
            "--data-dir".into(),
            self.data.path().to_str().unwrap().to_owned(),
        ]);
        args
    }

    /// Starts `step` as its own process (stdout and stderr piped).
    pub fn spawn(&self, step: &str) -> Child {
        self.spawn_with(step, &[])
    }

    /// [`Day::spawn`] with extra arguments after the step's own.
    pub fn spawn_with(&self, step: &str, extra: &[&str]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_retention"))
            .args(self.args(step))
            .args(extra)
            .env_remove("DATABASE_URL")
            .env_remove("RETENTION_DATA_DIR")
            .env_remove("RETENTION_SEED")
            .env_remove("RETENTION_SCALE")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Runs `step` to its end and asserts it succeeded.
    pub fn run(&self, step: &str) -> Output {
        let out = self.spawn(step).wait_with_output().unwrap();
        assert_ok(step, &out);
        out
    }

    /// Runs every step of [`STEPS`] before `step`.
    pub fn run_before(&self, step: &str) {
        for s in STEPS.iter().take_while(|s| **s != step) {
            self.run(s);
        }
    }

    /// Runs every step of [`STEPS`] after `step`.
    pub fn run_after(&self, step: &str) {
        for s in STEPS.iter().skip_while(|s| **s != step).skip(1) {
            self.run(s);
        }
    }

    /// The day's landing directory.
    pub fn landing(&self) -> PathBuf {
        self.data.path().join(format!("dt={DAY}"))
    }

    /// The landing files' bytes, by name.
    pub fn landing_files(&self) -> BTreeMap<String, Vec<u8>> {
        landing_files(&self.landing())
    }
}

/// Asserts that a step's process exited 0 with an `ok` JSON line.
pub fn assert_ok(step: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{step} failed:\n{stderr}");
    let json = crate::common::last_json_line(out);
    assert_eq!(json["status"], "ok", "{step}: {json}\n{stderr}");
}

fn landing_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        files.insert(
            entry.file_name().to_string_lossy().into_owned(),
            std::fs::read(entry.path()).unwrap(),
        );
    }
    files
}

/// What an uninterrupted run of the day leaves: the landing files and the warehouse checksums.
pub struct Reference {
    pub landing: BTreeMap<String, Vec<u8>>,
    pub checksums: BTreeMap<String, (i64, String)>,
}

/// The uninterrupted run of the day, made once per test process (on its own thread and
/// runtime, so every test's runtime can wait for it).
pub fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        std::thread::spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    let day = Day::new().await;
                    for step in STEPS {
                        day.run(step);
                    }
                    let client = day.db.client().await;
                    Reference {
                        landing: day.landing_files(),
                        checksums: checksums(&client).await,
                    }
                })
        })
        .join()
        .unwrap()
    })
}

/// Asserts that the warehouse (and the landing files) are those of the uninterrupted run,
/// naming the relations that differ.
pub async fn assert_same_as_reference(day: &Day, what: &str) {
    let reference = reference();
    let landing = day.landing_files();
    assert_eq!(
        landing.keys().collect::<Vec<_>>(),
        reference.landing.keys().collect::<Vec<_>>(),
        "{what}: the landing directory holds other files"
    );
    for (name, bytes) in &landing {
        assert!(
            *bytes == reference.landing[name],
            "{what}: landing file {name} differs from an uninterrupted run's"
        );
    }
    let client = day.db.client().await;
    let got = checksums(&client).await;
    let names: std::collections::BTreeSet<&String> =
        got.keys().chain(reference.checksums.keys()).collect();
    let differ: Vec<String> = names
        .into_iter()
        .filter(|n| got.get(*n) != reference.checksums.get(*n))
        .map(|n| {
            format!(
                "{n}: {:?} here, {:?} uninterrupted",
                got.get(n),
                reference.checksums.get(n)
            )
        })
        .collect();
    assert!(
        differ.is_empty(),
        "{what}: the warehouse differs from an uninterrupted run's in:\n{}",
        differ.join("\n")
    );
    assert!(got.len() > 30, "checksummed only {} relations", got.len());
}

/// The runs of `ops.task_runs` whose rows the history tables are compared by: for each step
/// and day, the first successful run to start (a run that came second in a race, or after a
/// failed one, is a re-run; history records both, business data must not tell). Not the
/// first to *finish*: a run records its end after its step's transaction commits, so the
/// re-run waiting on the step lock can do its (quick, nothing-to-do) work and record its end
/// before the first has recorded its own. The tests start the runs in lock order.
const FIRST_OK_RUNS: &str = "SELECT DISTINCT ON (step, batch_date) run_id FROM ops.task_runs \
     WHERE status = 'ok' ORDER BY step, batch_date, run_id";

/// Row count and MD5 of every table and view of the staging, quarantine, dw, marts, mart_state
/// and ops schemas (partitions through their parent), without audit columns: columns filled
/// by `now()`/`clock_timestamp()` or `GENERATED ALWAYS AS IDENTITY`, and run ids, hosts, pids,
/// start and end times and durations. The history tables (`ops.task_runs` and the tables
/// keyed by its `run_id`) are compared on the first successful run of each step and day, and
/// `ops.task_runs.details` without its timings (`*_ms`).
pub async fn checksums(c: &Client) -> BTreeMap<String, (i64, String)> {
    let rels: Vec<(String, u32)> = c
        .query(
            "SELECT format('%I.%I', n.nspname, r.relname), r.oid FROM pg_class r \
             JOIN pg_namespace n ON n.oid = r.relnamespace \
             WHERE n.nspname IN ('staging', 'quarantine', 'dw', 'marts', 'mart_state', 'ops') \
             AND r.relkind IN ('r', 'p', 'v', 'm') AND NOT r.relispartition ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut out = BTreeMap::new();
    for (rel, oid) in rels {
        let columns: Vec<(String, bool)> = c
            .query(
                "SELECT a.attname::text, \
                        a.attidentity = 'a' \
                        OR coalesce(pg_get_expr(d.adbin, d.adrelid) ~ '(now|clock_timestamp)\\(\\)', false) \
                        OR a.attname IN ('run_id', 'started_at', 'finished_at', 'duration_ms', 'host', 'pid') \
                 FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                &[&oid],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let audit: Vec<&str> = columns
            .iter()
            .filter(|(_, audit)| *audit)
            .map(|(name, _)| name.as_str())
            .collect();
        let audit = if audit.is_empty() {
            "ARRAY[]::text[]".to_owned()
        } else {
            format!("ARRAY['{}']", audit.join("', '"))
        };
        let has_run_id = columns.iter().any(|(name, _)| name == "run_id");
        let filter = if rel == "ops.task_runs" {
            format!("WHERE run_id IN ({FIRST_OK_RUNS})")
        } else if has_run_id {
            format!("WHERE run_id IS NULL OR run_id IN ({FIRST_OK_RUNS})")
        } else {
            String::new()
        };
        let row_json = if rel == "ops.task_runs" {
            format!(
                "jsonb_set(to_jsonb(t) - {audit}, '{{details}}', coalesce((SELECT jsonb_object_agg(k, v) \
                 FROM jsonb_each(t.details) AS e(k, v) WHERE k NOT LIKE '%\\_ms'), 'null'))"
            )
        } else {
            format!("to_jsonb(t) - {audit}")
        };
        let row = c
            .query_one(
                &format!(
                    "SELECT count(*), md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) \
                     FROM (SELECT ({row_json})::text AS x FROM {rel} t {filter}) s"
                ),
                &[],
            )
            .await
            .unwrap_or_else(|e| panic!("checksum of {rel}: {e}"));
        out.insert(rel, (row.get(0), row.get(1)));
    }
    out
}

/// The `ops.task_runs` rows of `step` as (run id, status), in start order.
pub async fn runs(c: &Client, step: &str) -> Vec<(i64, String)> {
    c.query(
        "SELECT run_id, status FROM ops.task_runs WHERE step = $1 ORDER BY run_id",
        &[&step],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// Runs of any step still marked `running`.
pub async fn running(c: &Client) -> Vec<(i64, String)> {
    c.query(
        "SELECT run_id, step FROM ops.task_runs WHERE status = 'running' ORDER BY run_id",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// Polls `probe` every millisecond or so until it returns `Some`, for at most `limit`.
pub async fn poll<T, F, Fut>(limit: Duration, mut probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = probe().await {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Backends of this database other than `except`, as (pid, state, wait event, query,
/// has a transaction id: has written in its open transaction).
pub async fn backends(c: &Client, except: &[i32]) -> Vec<(i32, String, String, String, bool)> {
    c.query(
        "SELECT pid, coalesce(state, ''), coalesce(wait_event, ''), coalesce(query, ''), backend_xid IS NOT NULL \
         FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() \
         AND backend_type = 'client backend' AND NOT pid = ANY($1) ORDER BY pid",
        &[&except],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
    .collect()
}

/// Waits until the only backends of this database are the observer's and `except`: a killed
/// step's sessions have ended and released their locks.
pub async fn wait_backends_gone(c: &Client, except: &[i32]) {
    let gone = poll(Duration::from_secs(30), || async {
        backends(c, except).await.is_empty().then_some(())
    })
    .await;
    assert!(
        gone.is_some(),
        "the step's sessions never ended: {:?}",
        backends(c, except).await
    );
}

/// Ends every session of this database but the observer's and `except`, as a server restart
/// does to its clients.
pub async fn terminate_backends(c: &Client, except: &[i32]) -> usize {
    let n: i64 = c
        .query_one(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND backend_type = 'client backend' AND NOT pid = ANY($1)",
            &[&except],
        )
        .await
        .unwrap()
        .get(0);
    n as usize
}

/// A session holding a table lock in an open transaction: the step that needs the table waits
/// on it, in the middle of its own transaction, for as long as the test wants.
pub struct Blocker {
    client: Client,
    pub pid: i32,
}

impl Blocker {
    /// Takes `LOCK TABLE table IN mode MODE` in a transaction of a new session.
    pub async fn lock(db: &TestDb, table: &str, mode: &str) -> Self {
        let client = db.client().await;
        let pid: i32 = client
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0);
        client
            .batch_execute(&format!("BEGIN; LOCK TABLE {table} IN {mode} MODE"))
            .await
            .unwrap();
        Self { client, pid }
    }

    /// Waits until another session waits for this one's lock; returns its pid and whether it
    /// has written in its transaction.
    pub async fn wait_for_waiter(&self, observer: &Client, child: &mut Child) -> (i32, bool) {
        let pid = self.pid;
        let found = poll(Duration::from_secs(30), || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the step ended ({status}) before it reached the blocked table");
            }
            async move {
                observer
                    .query_opt(
                        "SELECT pid, backend_xid IS NOT NULL FROM pg_stat_activity \
                     WHERE datname = current_database() AND backend_type = 'client backend' \
                     AND $1 = ANY(pg_blocking_pids(pid))",
                        &[&pid],
                    )
                    .await
                    .unwrap()
                    .map(|r| (r.get(0), r.get(1)))
            }
        })
        .await;
        found.expect("no session waited for the blocking lock")
    }

    /// Ends the transaction: the waiting step goes on.
    pub async fn release(self) {
        self.client.batch_execute("ROLLBACK").await.unwrap();
    }
}

/// Sends a signal by name (`STOP`, `CONT`, `KILL`) to a process (with the shell's `kill`:
/// no `unsafe` here, and no procps needed).
pub fn signal(child: &Child, name: &str) {
    let status = Command::new("sh")
        .args(["-c", &format!("kill -{name} {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name} {}", child.id());
}

/// SIGKILL, then reap.
pub fn kill9(mut child: Child) {
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), None, "killed by a signal");
}

/// Waits for the process to end, at most `limit`.
pub fn wait_exit(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the step did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

/// Backend pid of a session that waits for the advisory lock of `step` and [`DAY`] (a second
/// run of a step waiting for the first's step lock), not for any other advisory lock (a
/// dimension's, a run's).
pub async fn step_lock_waiter(observer: &Client, step: &str) -> Option<i32> {
    let day = chrono::NaiveDate::parse_from_str(DAY, "%Y-%m-%d").unwrap();
    let key = retention_model::ops::advisory_key(step, Some(day));
    observer
        .query_opt(
            // A one-bigint advisory key is held as its high (classid) and low (objid) halves.
            "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid) \
             WHERE a.datname = current_database() AND a.backend_type = 'client backend' \
             AND l.locktype = 'advisory' AND NOT l.granted AND l.objsubid = 1 \
             AND ((l.classid::int8 << 32) | l.objid::int8) = $1 LIMIT 1",
            &[&key],
        )
        .await
        .unwrap()
        .map(|r| r.get(0))
}

/// Starts `generate` and stops it (SIGSTOP) while it writes the day's files: `users.csv` has
/// bytes and no manifest is there yet. Retries, from an empty directory, when generation was
/// too quick to be caught.
pub async fn generate_stopped_mid_file(day: &Day) -> Child {
    let dir = &day.landing();
    let full = reference().landing["users.csv"].len() as u64;
    let len = || std::fs::metadata(dir.join("users.csv")).map_or(0, |m| m.len());
    for _ in 0..20 {
        // From an empty directory, so that bytes in users.csv are this run's.
        if dir.exists() {
            std::fs::remove_dir_all(dir).unwrap();
        }
        // One thread: users.csv then grows block by block over the whole generation (with
        // more, the blocks are ready at once and the file is written in a burst at the end).
        // What is tested, publication by the manifest last, is the same either way.
        let mut child = day.spawn_with("generate", &["--threads", "1"]);
        let writing = poll(Duration::from_secs(30), || {
            let exited = matches!(child.try_wait(), Ok(Some(_)));
            async move {
                if exited {
                    return Some(false);
                }
                let len = len();
                (len > 0 && len < full && !dir.join(MANIFEST).exists()).then_some(true)
            }
        })
        .await;
        if writing == Some(true) {
            signal(&child, "STOP");
            if len() < full && !dir.join(MANIFEST).exists() && child.try_wait().unwrap().is_none() {
                return child;
            }
            signal(&child, "CONT");
        }
        eprintln!("generate ended before it was caught writing its files: again");
        assert_ok("generate", &wait_exit(child, Duration::from_secs(30)));
    }
    panic!("never caught generate in the middle of its files");
}
