//! TLS when the URL asks for it: a throwaway cluster with a certificate from a test CA.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns panic by design

use std::{path::Path, process::Command};

use retention_localpg::LocalCluster;
use retention_model::DbConfig;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for `localhost` / 127.0.0.1 signed by it.
fn make_certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=retention test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "server.crt",
        ],
    );
}

async fn uses_tls(config: &DbConfig) -> Result<bool, String> {
    let client = config.connect().await.map_err(|e| e.to_string())?;
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

#[tokio::test]
async fn sslmode_in_the_url_decides_tls_and_verification() {
    let cluster = LocalCluster::start(&std::env::temp_dir().join("retention-tls-test")).unwrap();
    let certs = tempfile::tempdir().unwrap();
    make_certificates(certs.path());
    let data = cluster.dir().join("data");
    for f in ["server.crt", "server.key"] {
        std::fs::copy(certs.path().join(f), data.join(f)).unwrap();
    }
    // The server runs as the data directory's owner; give it the files, key private.
    let owner = std::fs::metadata(&data)
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap();
    for f in ["server.crt", "server.key"] {
        std::os::unix::fs::chown(data.join(f), Some(owner), None).unwrap();
    }
    std::fs::set_permissions(
        data.join("server.key"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let admin = cluster.config().unwrap();
    let c = admin.connect().await.unwrap();
    c.batch_execute("ALTER SYSTEM SET ssl = on").await.unwrap();
    c.batch_execute("SELECT pg_reload_conf()").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let port = cluster.port();
    let ca = certs.path().join("ca.crt");
    let url = |host: &str, query: &str| {
        DbConfig::from_url(&format!(
            "postgres://postgres@{host}:{port}/postgres{query}"
        ))
        .unwrap()
    };

    let plain = uses_tls(&url("127.0.0.1", "")).await;
    let required = uses_tls(&url("127.0.0.1", "?sslmode=require")).await;
    let verified = uses_tls(&url(
        "localhost",
        &format!("?sslmode=verify-full&sslrootcert={}", ca.display()),
    ))
    .await;
    let wrong_ca = uses_tls(&url("localhost", "?sslmode=verify-full")).await;
    let wrong_ca_err = wrong_ca.clone().err().unwrap_or_default();
    cluster.stop().unwrap();

    assert_eq!(plain, Ok(false), "no sslmode: no TLS");
    assert_eq!(required, Ok(true), "sslmode=require: TLS");
    assert_eq!(verified, Ok(true), "verify-full against the test CA");
    assert!(
        wrong_ca.is_err(),
        "verify-full against the web PKI roots must refuse a test certificate"
    );
    assert!(
        wrong_ca_err.starts_with("cannot connect to PostgreSQL at localhost:"),
        "{wrong_ca_err}"
    );
}
