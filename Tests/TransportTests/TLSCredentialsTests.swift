// Server certificates: SelfSignedCertificate makes a pair for the hostname,
// TLSCredentials loads it (or makes it when neither file exists), and the
// errors name the file and what to do.
import Foundation
import NIOCore
import NIOEmbedded
import NIOSSL
import Testing
@testable import Transport

@Suite("TLS credentials")
struct TLSCredentialsTests {
    @Test func fingerprintIsColonSeparatedSHA256AndStable() throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        let fingerprint = fixture.credentials.fingerprint
        let groups = fingerprint.split(separator: ":")
        #expect(groups.count == 32)
        #expect(groups.allSatisfy { $0.count == 2 && $0.allSatisfy { "0123456789ABCDEF".contains($0) } })
        let again = try TLSCredentials.load(
            certificatePath: fixture.certificatePath, privateKeyPath: fixture.privateKeyPath)
        #expect(again.fingerprint == fingerprint)
        let other = try TLSFixture.make()
        defer { other.remove() }
        #expect(other.credentials.fingerprint != fingerprint)
    }

    @Test func privateKeyIsOwnerOnly() throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        let key = try FileManager.default.attributesOfItem(atPath: fixture.privateKeyPath)
        let certificate = try FileManager.default.attributesOfItem(atPath: fixture.certificatePath)
        #expect((key[.posixPermissions] as? Int) == 0o600)
        #expect((certificate[.posixPermissions] as? Int) == 0o644)
    }

    /// A client that trusts the self-signed certificate, and checks the
    /// host name it was made for, completes a handshake with it.
    @Test func selfSignedCertificateVerifiesAsItsOwnTrustRoot() throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        let server = EmbeddedChannel()
        let client = EmbeddedChannel()
        try server.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: fixture.credentials.context))
        try client.pipeline.syncOperations.addHandler(
            NIOSSLClientHandler(context: fixture.clientSettings.makeContext(), serverHostname: TLSFixture.hostname))
        let address = try SocketAddress(ipAddress: "192.0.2.1", port: 1)
        server.connect(to: address, promise: nil)
        client.connect(to: address, promise: nil)
        #expect(throws: Never.self) {
            for _ in 0..<10 {
                while let bytes = try client.readOutbound(as: ByteBuffer.self) { try server.writeInbound(bytes) }
                while let bytes = try server.readOutbound(as: ByteBuffer.self) { try client.writeInbound(bytes) }
            }
            try client.writeOutbound(ByteBuffer(string: "ping"))
            while let bytes = try client.readOutbound(as: ByteBuffer.self) { try server.writeInbound(bytes) }
        }
        #expect(try server.readInbound(as: ByteBuffer.self).map { String(buffer: $0) } == "ping")
    }

    @Test func loadOrCreateMakesAPairOnceThenLoadsIt() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificate = directory + "/etc/tls/cert.pem"
        let key = directory + "/etc/tls/key.pem"
        let first = try TLSCredentials.loadOrCreate(certificatePath: certificate, privateKeyPath: key, hostname: "a.test")
        #expect(first.created)
        let second = try TLSCredentials.loadOrCreate(certificatePath: certificate, privateKeyPath: key, hostname: "a.test")
        #expect(!second.created)
        #expect(second.credentials.fingerprint == first.credentials.fingerprint)
    }

    @Test func loadOrCreateRefusesHalfAPair() throws {
        let fixture = try TLSFixture.make()
        defer { fixture.remove() }
        let missingKey = fixture.directory + "/nokey.pem"
        #expect {
            _ = try TLSCredentials.loadOrCreate(
                certificatePath: fixture.certificatePath, privateKeyPath: missingKey, hostname: "a.test")
        } throws: { error in
            guard case TLSSetupError.missing(let path, let other) = error else { return false }
            return path == missingKey && other == fixture.certificatePath && "\(error)".contains(missingKey)
        }
        let missingCertificate = fixture.directory + "/nocert.pem"
        #expect {
            _ = try TLSCredentials.loadOrCreate(
                certificatePath: missingCertificate, privateKeyPath: fixture.privateKeyPath, hostname: "a.test")
        } throws: { error in
            guard case TLSSetupError.missing(let path, _) = error else { return false }
            return path == missingCertificate
        }
    }

    @Test func mismatchedKeyIsRefused() throws {
        let one = try TLSFixture.make()
        let two = try TLSFixture.make()
        defer {
            one.remove()
            two.remove()
        }
        #expect {
            _ = try TLSCredentials.load(certificatePath: one.certificatePath, privateKeyPath: two.privateKeyPath)
        } throws: { error in
            guard case TLSSetupError.mismatch = error else { return false }
            return true
        }
    }

    @Test func unreadableFilesAreNamed() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let garbage = directory + "/cert.pem"
        try "not a certificate".write(toFile: garbage, atomically: true, encoding: .utf8)
        #expect {
            _ = try TLSCredentials.load(certificatePath: garbage, privateKeyPath: directory + "/key.pem")
        } throws: { error in
            guard case TLSSetupError.unreadable(let path, let what, _) = error else { return false }
            return path == garbage && what == "certificate" && "\(error)".contains("[tls]")
        }
    }

    @Test func unwritableFolderIsNamed() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // A file where a folder should be.
        try "x".write(toFile: directory + "/file", atomically: true, encoding: .utf8)
        #expect {
            try SelfSignedCertificate.create(
                hostname: "a.test", certificatePath: directory + "/file/cert.pem",
                privateKeyPath: directory + "/file/key.pem")
        } throws: { error in
            guard case TLSSetupError.cannotWrite = error else { return false }
            return true
        }
    }

    @Test func sniIsNeverAnIPLiteral() {
        let settings = ClientTLSSettings(verifyCertificate: true)
        #expect(settings.sniName(for: "mail.example.org") == "mail.example.org")
        #expect(settings.sniName(for: "192.0.2.7") == nil)
        #expect(settings.sniName(for: "::1") == nil)
        let named = ClientTLSSettings(verifyCertificate: true, serverName: "mx.example.org")
        #expect(named.sniName(for: "192.0.2.7") == "mx.example.org")
    }

    private func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("chappe-tls-\(UUID().uuidString)").path
    }
}
