// The client's name for the Received field (RFC 5321 §4.4): its reverse
// DNS name, but only when that name's own addresses include the client's
// (forward-confirmed reverse DNS). Anyone can publish any PTR name for
// their own addresses; the forward check is what makes the name mean
// something, and without it Received says "unknown", as Postfix does.
import DNS
import Transport

public enum PeerNameLookup {
    /// How many PTR names are checked: a client may have several.
    static let maxNames = 3

    public static func verifiedName(of text: String, using dns: any DNSLookup) async -> String? {
        guard let address = IPAddress(text) else { return nil }
        guard case .records(let names) = await dns.ptr(address) else { return nil }
        for name in names.prefix(maxNames) {
            if case .addresses(let addresses) = await dns.addresses(name), addresses.contains(address) {
                // RFC 5321 §4.1.3: a name, without the root's trailing dot.
                let shown = name.description
                return shown.hasSuffix(".") ? String(shown.dropLast()) : shown
            }
        }
        return nil
    }
}
