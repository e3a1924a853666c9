// Server certificate and key: loaded from the [tls] files, or created as a
// self-signed certificate for the hostname when the files do not exist yet.
// Runs at start-up and reload, never on an event loop.
import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

public struct TLSCredentials: Sendable {
    public let context: NIOSSLContext
    /// SHA-256 of the certificate's DER form, as colon-separated hex.
    public let fingerprint: String

    /// Loads the PEM certificate chain and private key.
    public static func load(certificatePath: String, privateKeyPath: String) throws -> TLSCredentials {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw TLSSetupError.unreadable(path: certificatePath, what: "certificate", error: "\(error)")
        }
        do {
            key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        } catch {
            throw TLSSetupError.unreadable(path: privateKeyPath, what: "private key", error: "\(error)")
        }
        guard let leaf = chain.first else {
            throw TLSSetupError.unreadable(path: certificatePath, what: "certificate", error: "no certificate in file")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSetupError.mismatch(certificate: certificatePath, key: privateKeyPath, error: "\(error)")
        }
        let der = try leaf.toDERBytes()
        return TLSCredentials(context: context, fingerprint: Self.fingerprint(der: der))
    }

    /// Loads the files, creating a self-signed certificate for `hostname`
    /// first if neither exists. Returns the credentials and whether they
    /// were just created.
    public static func loadOrCreate(
        certificatePath: String, privateKeyPath: String, hostname: String
    ) throws -> (credentials: TLSCredentials, created: Bool) {
        let files = FileManager.default
        let haveCertificate = files.fileExists(atPath: certificatePath)
        let haveKey = files.fileExists(atPath: privateKeyPath)
        switch (haveCertificate, haveKey) {
        case (true, true):
            return (try load(certificatePath: certificatePath, privateKeyPath: privateKeyPath), false)
        case (false, false):
            try SelfSignedCertificate.create(
                hostname: hostname, certificatePath: certificatePath, privateKeyPath: privateKeyPath)
            return (try load(certificatePath: certificatePath, privateKeyPath: privateKeyPath), true)
        case (true, false):
            throw TLSSetupError.missing(path: privateKeyPath, other: certificatePath)
        case (false, true):
            throw TLSSetupError.missing(path: certificatePath, other: privateKeyPath)
        }
    }

    static func fingerprint(der: [UInt8]) -> String {
        SHA256.hash(data: der).map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}

public enum TLSSetupError: Error, CustomStringConvertible, Sendable {
    case unreadable(path: String, what: String, error: String)
    case mismatch(certificate: String, key: String, error: String)
    case missing(path: String, other: String)
    case cannotWrite(path: String, error: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let what, let error):
            return "cannot read the TLS \(what) \(path): \(error); fix the file or change [tls]"
        case .mismatch(let certificate, let key, let error):
            return "the TLS certificate \(certificate) and key \(key) do not work together: \(error)"
        case .missing(let path, let other):
            return "\(path) is missing while \(other) exists; restore it, or delete both to have a self-signed pair made"
        case .cannotWrite(let path, let error):
            return "cannot write \(path): \(error); check the folder's permissions or change [tls]"
        }
    }
}

/// A self-signed P-256 certificate for one host name, valid for a year.
public enum SelfSignedCertificate {
    public static func create(hostname: String, certificatePath: String, privateKeyPath: String) throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName(hostname)
            OrganizationName("Chappe self-signed")
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(365 * 86_400),
            issuer: name,
            subject: name,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName(hostname)])
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        let certificatePEM = try certificate.serializeAsPEM().pemString + "\n"
        try write(key.pemRepresentation + "\n", to: privateKeyPath, permissions: 0o600)
        try write(certificatePEM, to: certificatePath, permissions: 0o644)
    }

    private static func write(_ text: String, to path: String, permissions: Int) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            // Create with the final permissions so the key is never world-readable.
            guard FileManager.default.createFile(
                atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: permissions])
            else {
                throw CocoaError(.fileWriteUnknown)
            }
        } catch {
            throw TLSSetupError.cannotWrite(path: path, error: "\(error)")
        }
    }
}
