// The relay policy (DESIGN.md rule 5, STYLE.md rule 13): an ordered list
// of rules ending in an explicit reject, evaluated for each recipient by a
// pure function. The first rule that matches decides.
//
// The standard list is
//   1. local domain  -> the recipient must exist (looked up as an effect)
//   2. trusted network -> may relay
//   3. authenticated -> may relay
//   4. reject        -> 554 5.7.1 relay access denied
// so mail to a local domain is accepted from anyone (if the address
// exists) and mail to anywhere else only from trusted_networks or after
// AUTH: no open relay.
import Transport

public enum RelayRule: Sendable, Hashable {
    /// Recipients in these domains (lowercased; exact match, no
    /// subdomains; address literals as written, "[192.0.2.1]") are ours.
    case localDomains(Set<String>)
    /// Clients in these networks may relay.
    case trustedNetworks([IPNetwork])
    /// Authenticated clients may relay.
    case authenticated
    /// Whatever reaches this rule is refused.
    case reject
}

/// What the policy knows of the client.
public struct RelayClient: Sendable, Equatable {
    /// Nil for a Unix socket or an unknown peer: never trusted by network.
    public var address: IPAddress?
    public var isAuthenticated: Bool

    public init(address: IPAddress?, isAuthenticated: Bool) {
        self.address = address
        self.isAuthenticated = isAuthenticated
    }
}

public enum RelayDecision: Sendable, Equatable {
    /// A local domain: accept if the recipient exists.
    case lookUpLocally
    /// Another domain, and this client may relay.
    case relay
    /// Refused; the reply says why.
    case reject(SMTPReply)
}

public struct RelayPolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
}

public struct RelayPolicy: Sendable, Equatable {
    public let rules: [RelayRule]

    /// A policy from its rules, which must end in `.reject` and hold it
    /// only there, so that no list can fall through to "accept".
    public init(rules: [RelayRule]) throws(RelayPolicyError) {
        guard rules.last == .reject else {
            throw RelayPolicyError(description: "the relay rules must end with an explicit reject")
        }
        guard rules.filter({ $0 == .reject }).count == 1 else {
            throw RelayPolicyError(description: "reject must be the last relay rule, and only there")
        }
        self.rules = rules
    }

    /// The standard rules (see the top of this file).
    public static func standard(localDomains: [String], trustedNetworks: [IPNetwork]) -> RelayPolicy {
        RelayPolicy(
            validRules: [
                .localDomains(Set(localDomains.map { $0.lowercased() })),
                .trustedNetworks(trustedNetworks),
                .authenticated,
                .reject,
            ])
    }

    private init(validRules: [RelayRule]) {
        rules = validRules
    }

    /// The reply of the final rule.
    public static let relayDenied = SMTPReply(554, .notAuthorized, "relay access denied")

    /// Decides for one recipient.
    public func decide(_ recipient: SMTPMailbox, client: RelayClient) -> RelayDecision {
        let domain = recipient.domain.lowercased()
        for rule in rules {
            switch rule {
            case .localDomains(let domains):
                if domains.contains(domain) { return .lookUpLocally }
            case .trustedNetworks(let networks):
                if let address = client.address, networks.containsAddress(address) { return .relay }
            case .authenticated:
                if client.isAuthenticated { return .relay }
            case .reject:
                return .reject(Self.relayDenied)
            }
        }
        // Unreachable: the rules end in .reject (checked at init).
        return .reject(Self.relayDenied)
    }

    /// True when `domain` is one of the local domains.
    public func isLocal(domain: String) -> Bool {
        let lowered = domain.lowercased()
        return rules.contains { rule in
            if case .localDomains(let domains) = rule { return domains.contains(lowered) }
            return false
        }
    }
}
