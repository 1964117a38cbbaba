import COpenSSL
import CZstd

/// Versions of the system libraries cotrain is running with (not built against).
public enum LibraryVersions {
    /// e.g. "OpenSSL 3.0.19 27 Jan 2026".
    public static var openSSL: String { String(cString: cotrain_OPENSSL_version_text()) }
    /// e.g. "1.5.4".
    public static var zstd: String { String(cString: ZSTD_versionString()) }
}
