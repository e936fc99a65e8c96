//! Where the warehouse database is ([`DbConfig`]) and opening connections to it. How a
//! connection is secured is [`crate::tls`]'s.

use std::{fmt, path::PathBuf, str::FromStr, time::Duration};

use tokio_postgres::{Client, NoTls, config::Host};

use crate::{
    Error, Result,
    error::db_reason,
    tls::{self, SslMode, take_tls_params},
};

/// Where the warehouse database is and how to reach it.
///
/// Built from an explicit URL (or libpq key=value string), else `DATABASE_URL`, else the
/// libpq `PG*` variables. Its `Display` never shows the password.
#[derive(Clone)]
pub struct DbConfig {
    pg: tokio_postgres::Config,
    ssl: SslMode,
    root_cert: Option<PathBuf>,
}

impl fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbConfig")
            .field("target", &self.to_string())
            .field("ssl", &self.ssl)
            .finish()
    }
}

impl DbConfig {
    /// The explicit URL if given, else `DATABASE_URL`, else libpq's `PG*` variables.
    pub fn resolve(explicit: Option<&str>) -> Result<Self> {
        match explicit {
            Some(url) if !url.trim().is_empty() => Self::from_url(url),
            _ => match std::env::var("DATABASE_URL") {
                Ok(url) if !url.trim().is_empty() => Self::from_url(&url),
                _ => Self::from_libpq_env(),
            },
        }
    }

    /// Parses a `postgres://` URL or a libpq `key=value` string, including `sslmode`
    /// (`disable`, `prefer`, `require`, `verify-ca`, `verify-full`) and `sslrootcert`.
    pub fn from_url(url: &str) -> Result<Self> {
        let (rest, params) = take_tls_params(url);
        let mut pg = tokio_postgres::Config::from_str(&rest)
            .map_err(|e| Error::Config(format!("cannot parse the database URL: {e}")))?;
        let ssl = match params.sslmode.as_deref() {
            Some(mode) => mode.parse()?,
            None => SslMode::Disable,
        };
        apply_defaults(&mut pg);
        Ok(Self {
            pg,
            ssl,
            root_cert: params.sslrootcert.map(PathBuf::from),
        })
    }

    /// Builds the settings from libpq's environment: `PGHOST`, `PGPORT`, `PGUSER`,
    /// `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGCONNECT_TIMEOUT`.
    pub fn from_libpq_env() -> Result<Self> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let mut pg = tokio_postgres::Config::new();
        match var("PGHOST") {
            Some(hosts) => {
                for h in hosts.split(',') {
                    pg.host(h);
                }
            }
            None => {
                if std::path::Path::new("/var/run/postgresql/.s.PGSQL.5432").exists()
                    && var("PGPORT").is_none()
                {
                    pg.host_path("/var/run/postgresql");
                } else {
                    pg.host("localhost");
                }
            }
        }
        if let Some(port) = var("PGPORT") {
            let port = port
                .parse::<u16>()
                .map_err(|_| Error::Config(format!("PGPORT {port:?} is not a port number")))?;
            pg.port(port);
        }
        let user = var("PGUSER")
            .or_else(|| var("USER"))
            .unwrap_or_else(|| "postgres".into());
        pg.user(&user);
        if let Some(pw) = var("PGPASSWORD") {
            pg.password(pw);
        }
        pg.dbname(var("PGDATABASE").unwrap_or(user));
        if let Some(secs) = var("PGCONNECT_TIMEOUT").and_then(|s| s.parse::<u64>().ok()) {
            pg.connect_timeout(Duration::from_secs(secs.max(2)));
        }
        let ssl = match var("PGSSLMODE") {
            Some(mode) => mode.parse()?,
            None => SslMode::Disable,
        };
        apply_defaults(&mut pg);
        Ok(Self {
            pg,
            ssl,
            root_cert: var("PGSSLROOTCERT").map(PathBuf::from),
        })
    }

    /// The driver configuration (for pools and tools that need it).
    pub fn pg_config(&self) -> &tokio_postgres::Config {
        &self.pg
    }

    /// The TLS mode in force.
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl
    }

    /// The database name.
    pub fn dbname(&self) -> &str {
        self.pg.get_dbname().unwrap_or("postgres")
    }

    /// The same server with another database (for tests and the embedded demo).
    pub fn with_dbname(&self, dbname: &str) -> Self {
        let mut copy = self.clone();
        copy.pg.dbname(dbname);
        copy
    }

    /// A `postgres://` URL for these settings, password included: for handing to a child
    /// process, never for logs.
    pub fn to_url(&self) -> String {
        self.url(true)
    }

    /// The same URL without the password: safe to print (for `psql`, which then asks for
    /// the password or reads `PGPASSWORD` / `~/.pgpass`).
    pub fn to_url_without_password(&self) -> String {
        self.url(false)
    }

    /// Whether a password is set (to tell a user it was left out of a printed URL).
    pub fn has_password(&self) -> bool {
        self.pg.get_password().is_some()
    }

    fn url(&self, with_password: bool) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        let user = enc(self.pg.get_user().unwrap_or("postgres"));
        let pw = self
            .pg
            .get_password()
            .filter(|_| with_password)
            .map(|p| format!(":{}", enc(&String::from_utf8_lossy(p))))
            .unwrap_or_default();
        let (host, socket) = match self.pg.get_hosts().first() {
            Some(Host::Tcp(h)) => (h.clone(), None),
            #[cfg(unix)]
            Some(Host::Unix(p)) => (String::new(), Some(p.display().to_string())),
            None => ("localhost".to_owned(), None),
        };
        let port = self.pg.get_ports().first().copied().unwrap_or(5432);
        let mut url = format!("postgres://{user}{pw}@{host}:{port}/{}", enc(self.dbname()));
        let mut params = Vec::new();
        if let Some(s) = socket {
            params.push(format!("host={}", enc(&s)));
        }
        let mode = match self.ssl {
            SslMode::Disable => None,
            SslMode::Prefer => Some("prefer"),
            SslMode::Require => Some("require"),
            SslMode::VerifyCa => Some("verify-ca"),
            SslMode::VerifyFull => Some("verify-full"),
        };
        if let Some(mode) = mode {
            params.push(format!("sslmode={mode}"));
        }
        if !params.is_empty() {
            url.push('?');
            url.push_str(&params.join("&"));
        }
        url
    }

    /// Opens one connection and drives it on the current Tokio runtime.
    pub async fn connect(&self) -> Result<Client> {
        let fail = |e: tokio_postgres::Error| Error::Connect {
            target: self.to_string(),
            reason: db_reason(&e),
        };
        match self.ssl {
            SslMode::Disable => {
                let (client, conn) = self.pg.connect(NoTls).await.map_err(fail)?;
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection closed: {e}");
                    }
                });
                Ok(client)
            }
            _ => {
                let tls = self.make_tls()?;
                let (client, conn) = self.pg.connect(tls).await.map_err(fail)?;
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection closed: {e}");
                    }
                });
                Ok(client)
            }
        }
    }

    /// The TLS connector for this configuration (`None` when TLS is disabled), for pools.
    pub fn tls_connector(&self) -> Result<Option<tokio_postgres_rustls::MakeRustlsConnect>> {
        match self.ssl {
            SslMode::Disable => Ok(None),
            _ => self.make_tls().map(Some),
        }
    }

    fn make_tls(&self) -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
        tls::connector(self.ssl, self.root_cert.as_deref())
    }
}

impl fmt::Display for DbConfig {
    /// `host:port, database "db", user "u"` — never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = match self.pg.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_owned(),
        };
        let port = self.pg.get_ports().first().copied().unwrap_or(5432);
        write!(
            f,
            "{host}:{port}, database \"{}\", user \"{}\"",
            self.dbname(),
            self.pg.get_user().unwrap_or("?")
        )
    }
}

fn apply_defaults(pg: &mut tokio_postgres::Config) {
    if pg.get_connect_timeout().is_none() {
        pg.connect_timeout(Duration::from_secs(10));
    }
    if pg.get_application_name().is_none() {
        pg.application_name("retention");
    }
    if pg.get_user().is_none() {
        pg.user(
            std::env::var("PGUSER")
                .ok()
                .as_deref()
                .unwrap_or("postgres"),
        );
    }
    if pg.get_hosts().is_empty() {
        pg.host("localhost");
    }
    if pg.get_dbname().is_none() {
        let user = pg.get_user().unwrap_or("postgres").to_owned();
        pg.dbname(&user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_never_shows_the_password() {
        let c = DbConfig::from_url("postgres://alice:s3cret@db.example:6543/wh")
            .unwrap_or_else(|e| panic!("{e}"));
        let shown = c.to_string();
        assert_eq!(shown, "db.example:6543, database \"wh\", user \"alice\"");
        assert!(!format!("{c:?}").contains("s3cret"));
        assert!(c.has_password());
        assert_eq!(
            c.to_url_without_password(),
            "postgres://alice@db.example:6543/wh"
        );
        assert!(c.to_url().contains("s3cret"));
    }

    #[test]
    fn sslmode_verify_full_is_understood_and_stripped() {
        let c = DbConfig::from_url("postgres://u@h/d?sslmode=verify-full&application_name=x")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(c.pg_config().get_application_name(), Some("x"));
        let c =
            DbConfig::from_url("host=h dbname=d sslmode=require").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.ssl_mode(), SslMode::Require);
        assert!(DbConfig::from_url("postgres://u@h/d?sslmode=bogus").is_err());
    }

    #[test]
    fn url_round_trips_with_special_characters() {
        let c = DbConfig::from_url("postgres://u:p%40ss@h:5433/d?sslmode=require")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.to_url(), "postgres://u:p%40ss@h:5433/d?sslmode=require");
    }
}
