//! The loader's connection pool: a wait timeout (deadpool has none by default, so a
//! `get` could hang forever) and retries with backoff for transient connection errors, before
//! any transaction starts.

use std::time::Duration;

use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime,
};
use retention_model::DbConfig;
use tokio_postgres::{NoTls, error::SqlState};

use crate::{Error, LoadOptions, Result};

/// A pool of two connections to `db`, TLS as the settings ask.
pub(crate) fn build(db: &DbConfig, options: &LoadOptions) -> Result<Pool> {
    let config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match db.tls_connector()? {
        None => Manager::from_config(db.pg_config().clone(), NoTls, config),
        Some(tls) => Manager::from_config(db.pg_config().clone(), tls, config),
    };
    Pool::builder(manager)
        .max_size(2)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(options.pool_wait))
        .create_timeout(Some(options.pool_wait))
        .recycle_timeout(Some(options.pool_wait))
        .build()
        .map_err(|e| Error::Pool(e.to_string()))
}

/// A pooled connection, retrying transient failures with doubling backoff.
pub(crate) async fn connection(pool: &Pool, options: &LoadOptions) -> Result<Object> {
    let mut delay = Duration::from_millis(100);
    let attempts = options.connect_attempts.max(1);
    for attempt in 1..=attempts {
        match pool.get().await {
            Ok(conn) => return Ok(conn),
            Err(e) if attempt < attempts && transient(&e) => {
                tracing::warn!(
                    "connection attempt {attempt}/{attempts} failed ({e}); retrying in {delay:?}"
                );
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(e) => return Err(Error::Pool(pool_reason(&e))),
        }
    }
    Err(Error::Pool("no connection attempt was made".into()))
}

fn transient(e: &PoolError) -> bool {
    match e {
        PoolError::Timeout(_) => true,
        PoolError::Backend(e) => match e.code() {
            None => true,
            Some(code) => {
                code.code().starts_with("08")
                    || *code == SqlState::CANNOT_CONNECT_NOW
                    || *code == SqlState::TOO_MANY_CONNECTIONS
                    || *code == SqlState::ADMIN_SHUTDOWN
            }
        },
        _ => false,
    }
}

fn pool_reason(e: &PoolError) -> String {
    match e {
        PoolError::Backend(inner) => crate::error::reason(inner),
        other => other.to_string(),
    }
}
