//! TLS for database connections, as libpq understands it: the `sslmode` and `sslrootcert`
//! URL parameters (which the driver does not know) and the rustls connector each mode gets.
//!
//! One idea, kept apart from [`crate::DbConfig`] (where the database is): how a connection is
//! secured. `disable`/`prefer`/`require` encrypt without verifying; `verify-ca` checks the chain
//! against `sslrootcert` or the web PKI roots; `verify-full` checks the host name too.

use std::{path::Path, str::FromStr, sync::Arc};

use rustls::{
    DigitallySignedStruct, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject},
};

use crate::{Error, Result};

/// How the connection uses TLS, as libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// No TLS (the default when the URL does not ask for it).
    #[default]
    Disable,
    /// TLS if the server offers it, without verifying the certificate.
    Prefer,
    /// TLS required, certificate not verified (libpq's `require`).
    Require,
    /// TLS required, certificate chain verified against `sslrootcert` or the web PKI roots.
    VerifyCa,
    /// As `VerifyCa`, and the certificate must name the host.
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "disable" | "allow" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            other => return Err(Error::Config(format!("unknown sslmode {other:?}"))),
        })
    }
}

/// The rustls connector for `ssl`, trusting `root_cert` (PEM) or the web PKI roots when the
/// mode verifies.
pub(crate) fn connector(
    ssl: SslMode,
    root_cert: Option<&Path>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS setup failed: {e}")))?;
    let config = match ssl {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth(),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let mut roots = rustls::RootCertStore::empty();
            match root_cert {
                Some(path) => {
                    let certs = CertificateDer::pem_file_iter(path).map_err(|e| {
                        Error::Config(format!("cannot read sslrootcert {}: {e}", path.display()))
                    })?;
                    for cert in certs {
                        let cert = cert.map_err(|e| {
                            Error::Config(format!("bad certificate in {}: {e}", path.display()))
                        })?;
                        roots.add(cert).map_err(|e| {
                            Error::Config(format!("bad certificate in {}: {e}", path.display()))
                        })?;
                    }
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| Error::Config(format!("TLS setup failed: {e}")))?;
            let verifier: Arc<dyn ServerCertVerifier> = if ssl == SslMode::VerifyCa {
                Arc::new(ChainOnly(verifier))
            } else {
                verifier
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth()
        }
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

#[derive(Default)]
pub(crate) struct TlsParams {
    /// libpq's `sslmode`, as written.
    pub(crate) sslmode: Option<String>,
    /// libpq's `sslrootcert`, percent-decoded.
    pub(crate) sslrootcert: Option<String>,
}

/// Removes `sslmode` and `sslrootcert` from a URL or key=value string: the driver knows
/// fewer modes than libpq, so we handle TLS ourselves.
pub(crate) fn take_tls_params(url: &str) -> (String, TlsParams) {
    let mut params = TlsParams::default();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else {
            return (url.to_owned(), params);
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|kv| match kv.split_once('=') {
                Some(("sslmode", v)) => {
                    params.sslmode = Some(v.to_owned());
                    false
                }
                Some(("sslrootcert", v)) => {
                    params.sslrootcert = Some(percent_decode(v));
                    false
                }
                _ => true,
            })
            .collect();
        let rebuilt = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (rebuilt, params)
    } else {
        let kept: Vec<&str> = url
            .split_whitespace()
            .filter(|kv| match kv.split_once('=') {
                Some(("sslmode", v)) => {
                    params.sslmode = Some(v.to_owned());
                    false
                }
                Some(("sslrootcert", v)) => {
                    params.sslrootcert = Some(v.to_owned());
                    false
                }
                _ => true,
            })
            .collect();
        (kept.join(" "), params)
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            if let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// libpq's `require`: encrypt, trust any certificate.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// libpq's `verify-ca`: the chain must verify; the name need not match.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
