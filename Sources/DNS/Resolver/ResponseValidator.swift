// ResponseValidator: does a response belong to our query? A forged reply must guess the ID
// and echo the exact question (RFC 5452 §3, §4.1); anything else is dropped.

/// Why a response is not the one to our query.
public enum DNSResponseMismatch: Error, Sendable, Hashable, CustomStringConvertible {
    /// QR is not set: a query, not a response.
    case notAResponse
    /// The ID differs from the query's (RFC 1035 §4.1.1).
    case idMismatch(expected: UInt16, received: UInt16)
    /// The opcode differs from the query's.
    case opcodeMismatch
    /// The question section differs: count, name (compared without case), type or class.
    case questionMismatch

    public var description: String {
        switch self {
        case .notAResponse: "the reply is not a response"
        case .idMismatch(let expected, let received): "response id \(received) does not match query id \(expected)"
        case .opcodeMismatch: "the response's opcode differs from the query's"
        case .questionMismatch: "the response's question differs from the query's"
        }
    }
}

/// Checks that `response` answers `query`: QR set, same ID and opcode, and the same
/// questions — names equal without regard to case (RFC 4343), types and classes equal.
public func validate(response: DNSMessage, for query: DNSMessage) throws(DNSResponseMismatch) {
    guard response.isResponse else { throw .notAResponse }
    guard response.id == query.id else { throw .idMismatch(expected: query.id, received: response.id) }
    guard response.opcode == query.opcode else { throw .opcodeMismatch }
    guard response.questions == query.questions else { throw .questionMismatch }
}
