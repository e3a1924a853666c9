// Response codes: RFC 9051 §7.1 `resp-text-code`, with UIDPLUS (RFC 4315 §3),
// CONDSTORE (RFC 7162 §3.1.2, §3.2.2), TOOBIG (RFC 4469 §5, RFC 7888 §5) and
// USEATTR (RFC 6154 §6).

public enum IMAPResponseCode: Sendable, Hashable {
    case alert
    case badCharset([String])
    case capability([String])
    case parse
    /// PERMANENTFLAGS; include `IMAPFlag.wildcard` ("\*") when keywords may be created.
    case permanentFlags([IMAPFlag])
    case readOnly
    case readWrite
    case tryCreate
    case uidNext(UInt32)
    case uidValidity(UInt32)
    /// RFC 3501 §7.1: the first unseen message (not in RFC 9051).
    case unseen(UInt32)
    /// APPENDUID uidvalidity uid-set (RFC 4315 §3; a set with MULTIAPPEND).
    case appendUID(uidValidity: UInt32, uids: IMAPSequenceSet)
    /// COPYUID uidvalidity source-set destination-set (RFC 4315 §3).
    case copyUID(uidValidity: UInt32, source: IMAPSequenceSet, destination: IMAPSequenceSet)
    case uidNotSticky
    case highestModSeq(UInt64)
    case noModSeq
    case modified(IMAPSequenceSet)
    case closed
    case alreadyExists
    case nonExistent
    case inUse
    case cannot
    case limit
    case overQuota
    case tooBig
    case authenticationFailed
    case authorizationFailed
    case expired
    case privacyRequired
    case contactAdmin
    case noPerm
    case unavailable
    case expungeIssued
    case corruption
    case serverBug
    case clientBug
    case notSaved
    case hasChildren
    case unknownCTE
    case useAttr
    /// Any other code: atom [SP 1*<any TEXT-CHAR except "]">].
    case other(String, String?)

    /// The code's name as written between the brackets.
    public var name: String {
        switch self {
        case .alert: return "ALERT"
        case .badCharset: return "BADCHARSET"
        case .capability: return "CAPABILITY"
        case .parse: return "PARSE"
        case .permanentFlags: return "PERMANENTFLAGS"
        case .readOnly: return "READ-ONLY"
        case .readWrite: return "READ-WRITE"
        case .tryCreate: return "TRYCREATE"
        case .uidNext: return "UIDNEXT"
        case .uidValidity: return "UIDVALIDITY"
        case .unseen: return "UNSEEN"
        case .appendUID: return "APPENDUID"
        case .copyUID: return "COPYUID"
        case .uidNotSticky: return "UIDNOTSTICKY"
        case .highestModSeq: return "HIGHESTMODSEQ"
        case .noModSeq: return "NOMODSEQ"
        case .modified: return "MODIFIED"
        case .closed: return "CLOSED"
        case .alreadyExists: return "ALREADYEXISTS"
        case .nonExistent: return "NONEXISTENT"
        case .inUse: return "INUSE"
        case .cannot: return "CANNOT"
        case .limit: return "LIMIT"
        case .overQuota: return "OVERQUOTA"
        case .tooBig: return "TOOBIG"
        case .authenticationFailed: return "AUTHENTICATIONFAILED"
        case .authorizationFailed: return "AUTHORIZATIONFAILED"
        case .expired: return "EXPIRED"
        case .privacyRequired: return "PRIVACYREQUIRED"
        case .contactAdmin: return "CONTACTADMIN"
        case .noPerm: return "NOPERM"
        case .unavailable: return "UNAVAILABLE"
        case .expungeIssued: return "EXPUNGEISSUED"
        case .corruption: return "CORRUPTION"
        case .serverBug: return "SERVERBUG"
        case .clientBug: return "CLIENTBUG"
        case .notSaved: return "NOTSAVED"
        case .hasChildren: return "HASCHILDREN"
        case .unknownCTE: return "UNKNOWN-CTE"
        case .useAttr: return "USEATTR"
        case .other(let name, _): return name
        }
    }
}

extension IMAPWireWriter {
    /// resp-text-code (RFC 9051 §9), without the brackets.
    mutating func responseCode(_ code: IMAPResponseCode) {
        ascii(sanitizedAtom(code.name))
        switch code {
        case .badCharset(let charsets) where !charsets.isEmpty:
            // "BADCHARSET" [SP "(" charset *(SP charset) ")"], charset = atom / quoted
            space()
            parenthesized(charsets) { writer, charset in
                if !charset.isEmpty, charset.utf8.allSatisfy(IMAPCharacter.isAtomChar) {
                    writer.ascii(charset)
                } else {
                    writer.quoted(writer.sanitizedText(charset, utf8: false))
                }
            }
        case .capability(let capabilities):
            for capability in capabilities {
                space()
                ascii(sanitizedAtom(capability))
            }
        case .permanentFlags(let flags):
            space()
            flagList(flags)
        case .uidNext(let value), .uidValidity(let value), .unseen(let value):
            space()
            number(value)
        case .appendUID(let validity, let uids):
            space()
            number(validity)
            space()
            sequenceSet(uids)
        case .copyUID(let validity, let source, let destination):
            space()
            number(validity)
            space()
            sequenceSet(source)
            space()
            sequenceSet(destination)
        case .highestModSeq(let value):
            space()
            number(value)
        case .modified(let set):
            space()
            sequenceSet(set)
        case .other(_, .some(let text)):
            // 1*<any TEXT-CHAR except "]">
            let cleaned = sanitizedText(text, utf8: false).filter { $0 != "]" }
            if !cleaned.isEmpty { ascii(" " + cleaned) }
        default:
            break
        }
    }

    /// An atom as given, with non-atom octets dropped so it cannot break the line.
    func sanitizedAtom(_ atom: String) -> String {
        String(decoding: atom.utf8.filter(IMAPCharacter.isAtomChar), as: UTF8.self)
    }

    /// Text without CR and LF (they would end the response early) and, unless
    /// UTF8=ACCEPT, with non-ASCII characters replaced by "?" (RFC 9051 §9 `text`).
    func sanitizedText(_ text: String, utf8: Bool) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar == "\r" || scalar == "\n" || scalar == "\0" {
                result.unicodeScalars.append(" ")
            } else if !utf8, !scalar.isASCII {
                result.unicodeScalars.append("?")
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
