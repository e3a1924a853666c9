// A self-signed certificate made with SelfSignedCertificate into a fresh
// temporary folder, loaded with TLSCredentials for the server, and trusted
// explicitly by the client.
import Foundation
import NIOSSL
@testable import Transport

struct TLSFixture: Sendable {
    static let hostname = "mail.chappe.test"

    let directory: String
    let certificatePath: String
    let privateKeyPath: String
    let certificatePEM: String
    let credentials: TLSCredentials

    static func make() throws -> TLSFixture {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("chappe-transport-tests-\(UUID().uuidString)").path
        let certificatePath = directory + "/tls/cert.pem"
        let privateKeyPath = directory + "/tls/key.pem"
        try SelfSignedCertificate.create(
            hostname: hostname, certificatePath: certificatePath, privateKeyPath: privateKeyPath)
        let credentials = try TLSCredentials.load(certificatePath: certificatePath, privateKeyPath: privateKeyPath)
        let pem = try String(contentsOfFile: certificatePath, encoding: .utf8)
        return TLSFixture(
            directory: directory, certificatePath: certificatePath, privateKeyPath: privateKeyPath,
            certificatePEM: pem, credentials: credentials)
    }

    /// Verifies the certificate against itself as the only trust root, for
    /// the name it was made for.
    var clientSettings: ClientTLSSettings {
        ClientTLSSettings(verifyCertificate: true, serverName: Self.hostname, trustRootsPEM: [certificatePEM])
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
