//! The one PostgreSQL test harness of the workspace: every crate's tests get a fresh
//! database from it, so tests run in parallel and never see each other's rows.
//!
//! The server comes from, in order:
//! 1. `DATABASE_URL` (a server and maintenance database on which databases are created);
//! 2. a Testcontainers `postgres:15` container, when a Docker engine answers;
//! 3. a throwaway cluster from the local `initdb`/`pg_ctl` under `/tmp`.
//!
//! `RETENTION_TEST_DB=url|container|local` forces one source. If none is possible the test
//! fails with a message saying how to provide a database; it never skips silently.
//!
//! ```no_run
//! # async fn t() {
//! let db = retention_testing::TestDb::migrated().await;
//! let client = db.client().await;
//! client.execute("INSERT INTO ops.erasures (user_id, deleted_at, batch_date) VALUES (1, now(), current_date)", &[]).await.unwrap();
//! # }
//! ```
#![deny(missing_docs)]

use std::{
    collections::BTreeMap,
    process::{Command, Stdio},
    sync::{
        OnceLock,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use retention_localpg::LocalCluster;
use retention_model::{CalendarRange, DbConfig, MIGRATIONS};
use testcontainers_modules::{
    postgres::Postgres,
    testcontainers::{Container, ImageExt, runners::SyncRunner},
};
use tokio_postgres::Client;

/// Where the test server came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// `DATABASE_URL`.
    Url,
    /// A Testcontainers `postgres:15` container.
    Container,
    /// A throwaway local cluster.
    Local,
}

/// The server all tests of this process create their databases on.
#[derive(Debug)]
pub struct TestServer {
    /// Settings for the maintenance database, as a user that may create databases.
    pub admin: DbConfig,
    /// Where it came from.
    pub kind: ServerKind,
    /// The container's id, when it is one.
    pub container_id: Option<String>,
}

enum Keep {
    Container(#[allow(dead_code)] Box<Container<Postgres>>),
    Cluster(#[allow(dead_code)] LocalCluster),
}

static SERVER: OnceLock<TestServer> = OnceLock::new();
static KEEP: OnceLock<std::sync::Mutex<Vec<Keep>>> = OnceLock::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The process-wide test server, started on first use.
pub fn server() -> &'static TestServer {
    SERVER.get_or_init(|| {
        // Containers and clusters are started outside any async runtime.
        match std::thread::spawn(start_server).join() {
            Ok(Ok(s)) => s,
            Ok(Err(msg)) => panic!("{msg}"),
            Err(_) => panic!("starting the test database server panicked"),
        }
    })
}

fn start_server() -> Result<TestServer, String> {
    let forced = std::env::var("RETENTION_TEST_DB").unwrap_or_default();
    let url = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());
    match forced.as_str() {
        "url" => from_url(url.ok_or("RETENTION_TEST_DB=url but DATABASE_URL is not set")?),
        "container" => from_container(),
        "local" => from_local(),
        "" => {
            if let Some(url) = url {
                return from_url(url);
            }
            if docker_answers() {
                match from_container() {
                    Ok(s) => return Ok(s),
                    Err(e) => {
                        eprintln!("test harness: container failed ({e}); trying a local cluster")
                    }
                }
            }
            from_local().map_err(|e| {
                format!(
                    "no test database: DATABASE_URL is not set, no Docker engine answers, and a local cluster \
                     could not start ({e}). Set DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres, \
                     start Docker, or install PostgreSQL (apt-get install postgresql)."
                )
            })
        }
        other => Err(format!(
            "RETENTION_TEST_DB={other:?}: expected url, container or local"
        )),
    }
}

fn from_url(url: String) -> Result<TestServer, String> {
    let admin = DbConfig::from_url(&url).map_err(|e| e.to_string())?;
    Ok(TestServer {
        admin,
        kind: ServerKind::Url,
        container_id: None,
    })
}

fn docker_answers() -> bool {
    Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn from_container() -> Result<TestServer, String> {
    let container = Postgres::default()
        .with_tag("15")
        .with_cmd(["postgres", "-c", "fsync=off", "-c", "max_connections=200"])
        .start()
        .map_err(|e| format!("cannot start a postgres:15 container: {e}"))?;
    let port = container
        .get_host_port_ipv4(5432)
        .map_err(|e| format!("container port: {e}"))?;
    let id = container.id().to_owned();
    // Containers held in a static are never dropped: a watcher removes it when we exit.
    let script = format!(
        "while kill -0 {} 2>/dev/null; do sleep 1; done; docker rm -f {id}",
        std::process::id()
    );
    Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting the container watcher: {e}"))?;
    let admin = DbConfig::from_url(&format!(
        "postgres://postgres:postgres@127.0.0.1:{port}/postgres"
    ))
    .map_err(|e| e.to_string())?;
    keep(Keep::Container(Box::new(container)));
    eprintln!("test harness: using container {id} (postgres:15) on 127.0.0.1:{port}");
    Ok(TestServer {
        admin,
        kind: ServerKind::Container,
        container_id: Some(id),
    })
}

fn from_local() -> Result<TestServer, String> {
    let base = std::env::temp_dir().join("retention-test-clusters");
    let cluster = LocalCluster::start(&base).map_err(|e| e.to_string())?;
    cluster
        .stop_when_process_exits(std::process::id())
        .map_err(|e| e.to_string())?;
    let admin = cluster.config().map_err(|e| e.to_string())?;
    eprintln!(
        "test harness: using a local cluster in {} on port {}",
        cluster.dir().display(),
        cluster.port()
    );
    keep(Keep::Cluster(cluster));
    Ok(TestServer {
        admin,
        kind: ServerKind::Local,
        container_id: None,
    })
}

fn keep(k: Keep) {
    if let Ok(mut v) = KEEP.get_or_init(Default::default).lock() {
        v.push(k);
    }
}

/// A database of its own for one test, dropped when the value is dropped
/// (kept when `RETENTION_TEST_KEEP_DB=1`, for debugging).
#[derive(Debug)]
pub struct TestDb {
    config: DbConfig,
    name: String,
}

impl TestDb {
    /// A fresh database with the whole warehouse schema (all migrations, the default calendar).
    pub async fn migrated() -> Self {
        let template = ensure_template().await;
        Self::create(Some(&template)).await
    }

    /// A fresh, empty database (for generic crates and for testing `init` itself).
    pub async fn empty() -> Self {
        Self::create(None).await
    }

    async fn create(template: Option<&str>) -> Self {
        let server = server();
        let name = format!(
            "t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_micros())
                .unwrap_or(0)
        );
        let mut admin = connect_admin(&server.admin).await;
        let sql = match template {
            Some(t) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{t}\""),
            None => format!("CREATE DATABASE \"{name}\""),
        };
        // A template being copied elsewhere can be briefly busy, and a just-started container
        // may drop a first connection: retry a little, on a new connection when it closed.
        let mut attempt = 0;
        loop {
            match admin.batch_execute(&sql).await {
                Ok(()) => break,
                Err(e) if attempt < 20 => {
                    attempt += 1;
                    if attempt == 20 {
                        panic!("cannot create test database {name}: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                    if admin.is_closed() {
                        admin = connect_admin(&server.admin).await;
                    }
                }
                Err(e) => panic!("cannot create test database {name}: {e}"),
            }
        }
        Self {
            config: server.admin.with_dbname(&name),
            name,
        }
    }

    /// Connection settings of this database.
    pub fn config(&self) -> &DbConfig {
        &self.config
    }

    /// A `postgres://` URL of this database (for child processes such as the CLI).
    pub fn url(&self) -> String {
        self.config.to_url()
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new connection to this database.
    pub async fn client(&self) -> Client {
        self.config
            .connect()
            .await
            .unwrap_or_else(|e| panic!("cannot connect to test database {}: {e}", self.name))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if std::env::var("RETENTION_TEST_KEEP_DB").is_ok_and(|v| v == "1") {
            eprintln!("test harness: kept database {}", self.name);
            return;
        }
        let admin = server().admin.clone();
        let name = self.name.clone();
        // Drop cannot await: drop the database from a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async move {
                    if let Ok(c) = admin.connect().await {
                        let _ = c
                            .batch_execute(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            }
        })
        .join();
    }
}

async fn connect_admin(admin: &DbConfig) -> Client {
    let mut last = String::new();
    for attempt in 0..30 {
        match admin.connect().await {
            Ok(c) => return c,
            Err(e) => {
                last = e.to_string();
                tokio::time::sleep(Duration::from_millis(200 + 50 * attempt)).await;
            }
        }
    }
    panic!("test harness: {last}")
}

/// Name of the migrated template for the current migrations; created once per server.
async fn ensure_template() -> String {
    let server = server();
    let mut digest: u64 = 0xcbf2_9ce4_8422_2325;
    for m in MIGRATIONS {
        for b in m.checksum().bytes() {
            digest = (digest ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let name = format!("retention_tpl_{digest:016x}");
    let admin = connect_admin(&server.admin).await;
    if database_exists(&admin, &name).await.unwrap_or(false) {
        return name;
    }
    // Serialise template creation across test processes sharing the server.
    let lock = retention_model::ops::advisory_key("test-template", None);
    admin
        .execute("SELECT pg_advisory_lock($1)", &[&lock])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    if !database_exists(&admin, &name).await.unwrap_or(false) {
        let building = format!("{name}_build");
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
            ))
            .await
            .unwrap_or_else(|e| panic!("cannot drop the unfinished template database: {e}"));
        // Separate statements: DROP/CREATE DATABASE refuse to run in one implicit transaction.
        admin
            .batch_execute(&format!("CREATE DATABASE \"{building}\""))
            .await
            .unwrap_or_else(|e| panic!("cannot create template database: {e}"));
        {
            let mut c = server
                .admin
                .with_dbname(&building)
                .connect()
                .await
                .unwrap_or_else(|e| panic!("cannot connect to template database: {e}"));
            retention_model::migrate(&mut c)
                .await
                .unwrap_or_else(|e| panic!("migrating the template: {e}"));
            retention_model::prepare_calendar(&c, CalendarRange::default())
                .await
                .unwrap_or_else(|e| panic!("filling the template's calendar: {e}"));
        }
        admin
            .batch_execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{building}' AND pid <> pg_backend_pid();
                 ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
            ))
            .await
            .unwrap_or_else(|e| panic!("publishing the template database: {e}"));
    }
    let _ = admin
        .execute("SELECT pg_advisory_unlock($1)", &[&lock])
        .await;
    name
}

/// Row count and checksum of every table and view of `schemas` (partitioned tables whole),
/// without the audit columns (`rejected_at`, `loaded_at`, `updated_at` of the weekly
/// summary): two warehouses built from the same days compare equal.
///
/// # Panics
/// When a relation cannot be read: this is test support.
pub async fn checksums(c: &Client, schemas: &[&str]) -> BTreeMap<String, (i64, String)> {
    let rels: Vec<String> = c
        .query(
            "SELECT format('%I.%I', n.nspname, r.relname) FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace \
             WHERE n.nspname = ANY($1) AND r.relkind IN ('r', 'p', 'v', 'm') AND NOT r.relispartition ORDER BY 1",
            &[&schemas],
        )
        .await
        .unwrap_or_else(|e| panic!("listing the relations of {schemas:?}: {e}"))
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = BTreeMap::new();
    for rel in rels {
        let audit = if rel == "dw.fact_user_weekly_summary" {
            "'updated_at'"
        } else {
            "'rejected_at', 'loaded_at'"
        };
        let row = c
            .query_one(
                &format!(
                    "SELECT count(*), md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) \
                     FROM (SELECT (to_jsonb(t) - ARRAY[{audit}])::text AS x FROM {rel} t) s"
                ),
                &[],
            )
            .await
            .unwrap_or_else(|e| panic!("checksumming {rel}: {e}"));
        out.insert(rel, (row.get(0), row.get(1)));
    }
    out
}

/// Row count and checksum of every `mart_state` table as the transform kept it, and as
/// `mart_state.rebuild()` recomputes it from `dw` after every one of them was emptied (in a
/// transaction that is rolled back). The queue of changed users (`user_changes`) is left
/// out: it is work waiting for the next transform, and a rebuild empties it by design.
/// Emptying first makes a table that no `rebuild_<NN>_<part>()` fills show up as a
/// difference.
///
/// # Panics
/// When a statement fails: this is test support.
pub async fn mart_state_and_rebuilt(
    c: &mut Client,
) -> (
    BTreeMap<String, (i64, String)>,
    BTreeMap<String, (i64, String)>,
) {
    let keep = |mut m: BTreeMap<String, (i64, String)>| {
        m.remove("mart_state.user_changes");
        m
    };
    let kept = keep(checksums(c, &["mart_state"]).await);
    let tx = c
        .transaction()
        .await
        .unwrap_or_else(|e| panic!("beginning the rebuild's transaction: {e}"));
    tx.batch_execute(
        "DO $$ BEGIN
             EXECUTE (SELECT 'TRUNCATE ' || string_agg(format('mart_state.%I', relname), ', ')
                      FROM pg_class WHERE relnamespace = 'mart_state'::regnamespace AND relkind = 'r');
         END $$;
         SELECT mart_state.rebuild();",
    )
    .await
    .unwrap_or_else(|e| panic!("emptying mart_state and rebuilding it: {e}"));
    let rebuilt = keep(checksums(tx.client(), &["mart_state"]).await);
    tx.rollback()
        .await
        .unwrap_or_else(|e| panic!("rolling the rebuild back: {e}"));
    (kept, rebuilt)
}

async fn database_exists(client: &Client, name: &str) -> Result<bool, tokio_postgres::Error> {
    let row = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await?;
    Ok(row.is_some())
}
