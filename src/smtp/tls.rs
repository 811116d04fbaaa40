//! TLS setup: system roots plus an optional CA file, hostname verification
//! always on, and readable descriptions of certificates and failures.

use std::path::Path;

use tokio_native_tls::{TlsConnector, TlsStream, native_tls};

/// The environment variable that tells OpenSSL (through openssl-probe, which
/// native-tls consults) which CA bundle file to load.
pub const CERT_FILE_VAR: &str = "SSL_CERT_FILE";

/// Set once the process has pointed [`CERT_FILE_VAR`] away from the bundle
/// (see [`hashed_system_roots`]), with the value it had; child processes get
/// that value back.
static STEERED: std::sync::OnceLock<Option<std::ffi::OsString>> = std::sync::OnceLock::new();

/// Debian's system CA directory and the bundle built from the same list.
const SYSTEM_CERT_DIR: &str = "/etc/ssl/certs";
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Whether the system's CA certificates can be found through OpenSSL's
/// hashed directory (`/etc/ssl/certs/xxxxxxxx.0`, maintained by
/// `update-ca-certificates` from the same list as the bundle file), and the
/// user has not chosen CA locations through the environment.
///
/// native-tls loads the whole bundle file eagerly — 144 certificates, 60–90 ms
/// of OpenSSL 3.0 parsing per process — while the hashed directory is read
/// lazily, one certificate per lookup. When this returns true, `main` points
/// `SSL_CERT_FILE` at an empty file before any thread starts, so the same
/// roots are trusted through the directory alone. Environment variables that
/// name other locations than the system's own are respected.
pub fn hashed_system_roots() -> bool {
    let is = |var: &str, default: &str| std::env::var_os(var).is_none_or(|v| v == default);
    if !is(CERT_FILE_VAR, SYSTEM_BUNDLE) || !is("SSL_CERT_DIR", SYSTEM_CERT_DIR) {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(SYSTEM_CERT_DIR) else {
        return false;
    };
    let hashed = entries
        .filter_map(Result::ok)
        .filter(|e| is_hash_name(&e.file_name().to_string_lossy()))
        .take(16)
        .count();
    // A handful would be a private CA or two, not the system's roots.
    hashed >= 16
}

/// `5ad8a5d6.0`: eight hex digits, a dot, a number.
fn is_hash_name(name: &str) -> bool {
    let Some((hash, n)) = name.split_once('.') else {
        return false;
    };
    hash.len() == 8
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
}

/// Records that `main` steered [`CERT_FILE_VAR`], and the value it had.
pub fn note_steered(original: Option<std::ffi::OsString>) {
    let _ = STEERED.set(original);
}

/// What a child process (the password command) must get for
/// [`CERT_FILE_VAR`]: the user's value back, not smtpwire's shortcut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildCertFile {
    /// smtpwire did not change it: the child inherits it.
    Inherit,
    /// smtpwire changed it from this value: the child gets this.
    Set(&'static std::ffi::OsStr),
    /// smtpwire set it where the user had none: the child gets none.
    Remove,
}

/// [`CERT_FILE_VAR`] as a child process must get it.
pub fn child_cert_file() -> ChildCertFile {
    match STEERED.get() {
        None => ChildCertFile::Inherit,
        Some(Some(original)) => ChildCertFile::Set(original),
        Some(None) => ChildCertFile::Remove,
    }
}

/// Why a TLS connector could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// The CA file could not be read.
    #[error("cannot read the CA file {path}: {reason}")]
    Read { path: String, reason: String },
    /// The CA file holds no usable certificate.
    #[error("the CA file {path} holds no PEM certificate ({reason})")]
    NoCertificate { path: String, reason: String },
    /// The TLS library refused the configuration.
    #[error("cannot set up TLS: {0}")]
    Library(String),
}

/// TLS for a session: the connector is built on first use, because loading
/// the system's root certificates costs tens of milliseconds that a
/// plain-text session should not pay.
#[derive(Debug)]
pub struct Tls {
    ca_file: Option<std::path::PathBuf>,
    system_roots: bool,
    connector: std::sync::OnceLock<Result<TlsConnector, SetupError>>,
}

impl Tls {
    /// The system's roots plus the certificates in `ca_file`.
    pub fn new(ca_file: Option<&Path>) -> Tls {
        Tls {
            ca_file: ca_file.map(Path::to_owned),
            system_roots: true,
            connector: std::sync::OnceLock::new(),
        }
    }

    /// Only the certificates in `ca_file` (like curl's `--cacert`): for a
    /// server with a private CA, no public CA can vouch for it, and the
    /// system's bundle (tens of milliseconds to load) is not read.
    pub fn only(ca_file: &Path) -> Tls {
        Tls {
            ca_file: Some(ca_file.to_owned()),
            system_roots: false,
            connector: std::sync::OnceLock::new(),
        }
    }

    /// A ready connector (tests inject one that trusts their own CA).
    pub fn with_connector(connector: TlsConnector) -> Tls {
        Tls {
            ca_file: None,
            system_roots: true,
            connector: Ok(connector).into(),
        }
    }

    /// The connector, built now if it was not yet.
    pub fn connector(&self) -> Result<&TlsConnector, SetupError> {
        self.connector
            .get_or_init(|| build_connector(self.ca_file.as_deref(), self.system_roots))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Checks the CA file now, so a typo fails before any connection.
    pub fn check(&self) -> Result<(), SetupError> {
        match &self.ca_file {
            Some(path) => read_pem_certificates(path).map(drop),
            None => Ok(()),
        }
    }
}

/// A connector that trusts the system roots plus every certificate in
/// `ca_file`, checks host names, and speaks TLS 1.2 or newer. There is no
/// way to turn verification off: a test CA goes in `ca_file`.
pub fn connector(ca_file: Option<&Path>) -> Result<TlsConnector, SetupError> {
    build_connector(ca_file, true)
}

fn build_connector(ca_file: Option<&Path>, system_roots: bool) -> Result<TlsConnector, SetupError> {
    let mut builder = native_tls::TlsConnector::builder();
    builder.min_protocol_version(Some(native_tls::Protocol::Tlsv12));
    builder.disable_built_in_roots(!system_roots);
    if let Some(path) = ca_file {
        for cert in read_pem_certificates(path)? {
            builder.add_root_certificate(cert);
        }
    }
    let connector = builder
        .build()
        .map_err(|e| SetupError::Library(e.to_string()))?;
    Ok(TlsConnector::from(connector))
}

/// Every `CERTIFICATE` block of a PEM file (a bundle may hold several).
fn read_pem_certificates(path: &Path) -> Result<Vec<native_tls::Certificate>, SetupError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| SetupError::Read {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut certs = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find(BEGIN) {
        let Some(len) = rest[start..].find(END) else {
            break;
        };
        let block = &rest[start..start + len + END.len()];
        let cert = native_tls::Certificate::from_pem(block.as_bytes()).map_err(|e| {
            SetupError::NoCertificate {
                path: shown.clone(),
                reason: e.to_string(),
            }
        })?;
        certs.push(cert);
        rest = &rest[start + len + END.len()..];
    }
    if certs.is_empty() {
        return Err(SetupError::NoCertificate {
            path: shown,
            reason: "no BEGIN CERTIFICATE block".to_owned(),
        });
    }
    Ok(certs)
}

/// What went wrong in a TLS handshake, read from the library's typed error
/// (OpenSSL's reason codes and the certificate verification result), so the
/// advice never depends on the wording of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsProblem {
    /// The other side does not speak TLS (e.g. a plain SMTP greeting came
    /// back: the port wants STARTTLS).
    NotTls,
    /// The certificate chain does not lead to a trusted root.
    Untrusted,
    /// The certificate has expired or is not valid yet.
    Expired,
    /// The certificate does not name the host (or IP address) connected to.
    WrongHost,
    /// Anything else: protocol versions, ciphers, an alert from the server.
    Other,
}

/// How a failed handshake is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeFailure {
    /// The connection itself failed (reset, hang-up): not a TLS matter.
    Io(std::io::ErrorKind),
    /// TLS failed.
    Tls(TlsProblem),
}

/// OpenSSL's `SSL_R_*` reason codes (ssl/sslerr.h; stable across 1.1 and 3.x).
mod reason {
    pub(super) const PACKET_LENGTH_TOO_LONG: i32 = 198;
    pub(super) const WRONG_VERSION_NUMBER: i32 = 267;
    pub(super) const HTTP_REQUEST: i32 = 156;
    pub(super) const UNEXPECTED_EOF_WHILE_READING: i32 = 294;
}

/// Classifies a handshake error by type: an `io::Error` or OpenSSL's error
/// stack behind it, and the certificate verification result.
pub fn classify(e: &native_tls::Error) -> HandshakeFailure {
    use std::error::Error as _;
    if let Some(io) = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()) {
        return HandshakeFailure::Io(io.kind());
    }
    let Some(source) = e.source() else {
        // OpenSSL reported neither an I/O error nor an error stack: the peer
        // closed the connection mid-handshake (SSL_ERROR_SYSCALL at EOF).
        return HandshakeFailure::Io(std::io::ErrorKind::UnexpectedEof);
    };
    if let Some(stack) = source.downcast_ref::<openssl::error::ErrorStack>() {
        for error in stack.errors() {
            match error.reason_code() {
                reason::WRONG_VERSION_NUMBER
                | reason::PACKET_LENGTH_TOO_LONG
                | reason::HTTP_REQUEST => return HandshakeFailure::Tls(TlsProblem::NotTls),
                reason::UNEXPECTED_EOF_WHILE_READING => {
                    return HandshakeFailure::Io(std::io::ErrorKind::UnexpectedEof);
                }
                _ => {}
            }
        }
    }
    // native-tls keeps the verification result only in its message, as
    // "… (<X509_verify_cert_error_string(code)>)"; compare it with the
    // library's own string for each code rather than with English words.
    let text = e.to_string();
    let verify = |code: i32| text.ends_with(&format!(" ({})", verify_message(code)));
    const EXPIRED: [i32; 4] = [
        openssl_sys::X509_V_ERR_CERT_HAS_EXPIRED,
        openssl_sys::X509_V_ERR_CERT_NOT_YET_VALID,
        openssl_sys::X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD,
        openssl_sys::X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD,
    ];
    const WRONG_HOST: [i32; 3] = [
        openssl_sys::X509_V_ERR_HOSTNAME_MISMATCH,
        openssl_sys::X509_V_ERR_IP_ADDRESS_MISMATCH,
        openssl_sys::X509_V_ERR_EMAIL_MISMATCH,
    ];
    const UNTRUSTED: [i32; 6] = [
        openssl_sys::X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
        openssl_sys::X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
        openssl_sys::X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
        openssl_sys::X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
        openssl_sys::X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
        openssl_sys::X509_V_ERR_CERT_UNTRUSTED,
    ];
    let problem = if EXPIRED.into_iter().any(verify) {
        TlsProblem::Expired
    } else if WRONG_HOST.into_iter().any(verify) {
        TlsProblem::WrongHost
    } else if UNTRUSTED.into_iter().any(verify) {
        TlsProblem::Untrusted
    } else {
        TlsProblem::Other
    };
    HandshakeFailure::Tls(problem)
}

/// OpenSSL's message for a certificate verification code.
fn verify_message(code: i32) -> &'static str {
    // SAFETY: `from_raw` is unsafe because OpenSSL formats unknown codes
    // into a shared static buffer; every code passed here is one of
    // openssl-sys's `X509_V_ERR_*` constants, for which it returns a
    // string constant.
    #[expect(unsafe_code, reason = "a known verification code's message")]
    let result = unsafe { openssl::x509::X509VerifyResult::from_raw(code) };
    result.error_string()
}

/// A handshake failure in words: OpenSSL's long error strings are cut down to
/// the part a person can act on, e.g. `certificate verify failed (Hostname
/// mismatch)`. The text can quote the peer, so it is made
/// [`visible`](super::visible::visible).
pub fn explain(e: &native_tls::Error) -> String {
    let full = super::visible::visible(&e.to_string()).into_owned();
    // OpenSSL: "error:0A000086:SSL routines:…:certificate verify failed:../ssl/…:1889: (unable to get local issuer certificate)"
    let detail = full
        .rfind(" (")
        .filter(|_| full.ends_with(')'))
        .map(|i| full[i + 1..].to_owned());
    let routine = full
        .split(':')
        .find(|part| {
            let p = part.trim();
            p.contains(' ') && !p.starts_with("SSL routines") && !p.starts_with('(')
        })
        .map(str::trim);
    match (routine, detail) {
        (Some(routine), Some(detail)) => format!("{routine} {detail}"),
        (Some(routine), None) => routine.to_owned(),
        (None, _) => full,
    }
}

/// `certificate CN=mail.lab.example, issued by CN=Lab CA, valid until
/// 2028-11-26` for the transcript. The names are the server's words: every
/// unsafe character in them is escaped.
pub fn describe_peer<S>(tls: &TlsStream<S>) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match tls.get_ref().peer_certificate() {
        Ok(Some(cert)) => match cert.to_der() {
            Ok(der) => describe_der(&der),
            Err(e) => super::visible::visible(&format!("certificate unreadable: {e}")).into_owned(),
        },
        Ok(None) => "no server certificate".to_owned(),
        Err(e) => super::visible::visible(&format!("certificate unavailable: {e}")).into_owned(),
    }
}

/// Subject, issuer and expiry of a DER certificate, safe to print.
pub fn describe_der(der: &[u8]) -> String {
    let text = match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => {
            let until = chrono::DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)
                .map_or_else(|| "?".to_owned(), |t| t.format("%Y-%m-%d").to_string());
            format!(
                "certificate {}, issued by {}, valid until {until}",
                cert.subject(),
                cert.issuer()
            )
        }
        Err(e) => format!("certificate not parsable: {e}"),
    };
    super::visible::visible(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_names() {
        for (name, hashed) in [
            ("5ad8a5d6.0", true),
            ("e18bfb83.12", true),
            ("ca-certificates.crt", false),
            ("5ad8a5d6", false),
            ("5ad8a5g6.0", false),
            ("5ad8a5d6.", false),
        ] {
            assert_eq!(is_hash_name(name), hashed, "{name}");
        }
    }

    #[test]
    fn ca_file_errors_are_clear() {
        let missing = connector(Some(Path::new("/nonexistent/ca.pem"))).unwrap_err();
        assert!(
            missing
                .to_string()
                .starts_with("cannot read the CA file /nonexistent/ca.pem"),
            "{missing}"
        );
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = connector(Some(&empty)).unwrap_err();
        assert!(matches!(err, SetupError::NoCertificate { .. }), "{err}");
    }

    #[test]
    fn a_generated_ca_loads_and_describes_itself() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["ca.test".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, format!("{}\n{}", cert.pem(), cert.pem())).unwrap();
        assert_eq!(read_pem_certificates(&path).unwrap().len(), 2);
        assert!(connector(Some(&path)).is_ok());
        let text = describe_der(cert.der());
        assert!(
            text.starts_with("certificate CN=Test CA, issued by CN=Test CA, valid until "),
            "{text}"
        );
    }
}
