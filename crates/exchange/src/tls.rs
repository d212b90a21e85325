//! TLS for the server: a certificate chain and private key read from PEM files, or a
//! self-signed pair made on the spot for local use, turned into a rustls configuration on the
//! `ring` provider with safe defaults (TLS 1.2 and 1.3, HTTP/1.1 by ALPN).

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::ExchangeError;

/// A certificate chain and its private key.
#[derive(Debug)]
pub struct Identity {
    /// The chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
    /// The leaf certificate in PEM, for clients to trust when it is self-signed.
    pub certificate_pem: String,
}

impl Identity {
    /// Reads a PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1 or
    /// SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Identity, ExchangeError> {
        let chain = read_certificates(cert)?;
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
            ExchangeError::Config(format!("{}: no PEM private key: {e}", key.display()))
        })?;
        let certificate_pem =
            std::fs::read_to_string(cert).map_err(|e| ExchangeError::io(cert, &e))?;
        Ok(Identity { chain, key, certificate_pem })
    }

    /// A new self-signed certificate for `names` (DNS names or IP addresses), valid for local
    /// use only: clients must be told to trust [`Identity::certificate_pem`].
    pub fn self_signed(names: &[String]) -> Result<Identity, ExchangeError> {
        let certified = rcgen::generate_simple_self_signed(names.to_vec()).map_err(|e| {
            ExchangeError::Config(format!("cannot make a self-signed certificate: {e}"))
        })?;
        let key =
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
        Ok(Identity {
            chain: vec![certified.cert.der().clone()],
            key,
            certificate_pem: certified.cert.pem(),
        })
    }

    /// A self-signed certificate for `names` whose key is kept in `dir`
    /// (`self-signed-key.pem`, owner only) with the certificate (`self-signed-cert.pem`) and
    /// the names it was made for, so that clients that trust it once go on trusting it after
    /// a restart. The key and certificate are reused when the names are the same; for other
    /// names a new certificate is made with the kept key. Returns whether the certificate
    /// was reused.
    pub fn self_signed_kept(
        dir: &Path,
        names: &[String],
    ) -> Result<(Identity, bool), ExchangeError> {
        let key_path = dir.join("self-signed-key.pem");
        let cert_path = dir.join("self-signed-cert.pem");
        let names_path = dir.join("self-signed-names.txt");
        let wanted = names.join("\n") + "\n";
        let key_pem = match std::fs::read_to_string(&key_path) {
            Ok(pem) => Some(pem),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(ExchangeError::io(&key_path, &e)),
        };
        if key_pem.is_some()
            && std::fs::read_to_string(&names_path).is_ok_and(|n| n == wanted)
            && cert_path.is_file()
        {
            let identity = Identity::from_pem_files(&cert_path, &key_path)?;
            // The pair must still fit (rustls checks): a replaced key makes a new certificate.
            let fits = rustls::ServerConfig::builder_with_provider(Arc::new(provider()))
                .with_safe_default_protocol_versions()
                .is_ok_and(|b| {
                    b.with_no_client_auth()
                        .with_single_cert(identity.chain.clone(), identity.key.clone_key())
                        .is_ok()
                });
            if fits {
                return Ok((identity, true));
            }
        }
        let key = match &key_pem {
            Some(pem) => rcgen::KeyPair::from_pem(pem).map_err(|e| {
                ExchangeError::Config(format!("{}: not a usable key: {e}", key_path.display()))
            })?,
            None => rcgen::KeyPair::generate()
                .map_err(|e| ExchangeError::Config(format!("cannot make a key: {e}")))?,
        };
        let cert = rcgen::CertificateParams::new(names.to_vec())
            .and_then(|p| p.self_signed(&key))
            .map_err(|e| {
                ExchangeError::Config(format!("cannot make a self-signed certificate: {e}"))
            })?;
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir).map_err(|e| ExchangeError::io(dir, &e))?;
        let write = |path: &Path, text: &str, mode| {
            pcf_base::atomic::write_replace(path, text.as_bytes(), mode)
                .map_err(|e| ExchangeError::io(path, &e))
        };
        if key_pem.is_none() {
            write(&key_path, &key.serialize_pem(), pcf_base::atomic::Mode::Private)?;
        }
        write(&cert_path, &cert.pem(), pcf_base::atomic::Mode::Public)?;
        write(&names_path, &wanted, pcf_base::atomic::Mode::Public)?;
        let identity = Identity {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            certificate_pem: cert.pem(),
        };
        Ok((identity, false))
    }

    /// The rustls server configuration.
    pub fn server_config(self) -> Result<Arc<rustls::ServerConfig>, ExchangeError> {
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| ExchangeError::Config(format!("TLS: {e}")))?
            .with_no_client_auth()
            .with_single_cert(self.chain, self.key)
            .map_err(|e| {
                ExchangeError::Config(format!("TLS: the certificate and key do not fit: {e}"))
            })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Reads the certificates of a PEM file.
pub fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, ExchangeError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            ExchangeError::Config(format!("{}: cannot read PEM certificates: {e}", path.display()))
        })?;
    if certs.is_empty() {
        return Err(ExchangeError::Config(format!(
            "{}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file",
            path.display()
        )));
    }
    Ok(certs)
}

/// The crypto provider pcf uses for TLS.
pub fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}
