// SEARCH (RFC 9051 §6.4.4, RFC 3501 §6.4.4, RFC 7162 §3.1.5) over the store:
// keys that need the index's help are answered first as UID sets (FTS5 for
// BODY and TEXT, the indexed header fields for FROM, TO, CC, BCC, SUBJECT),
// then every message of the session's view is tested against the key tree.
//
// Where the matching differs from the RFC's "contains the string":
// - BODY and TEXT look in the decoded text of the text parts (and, for TEXT,
//   the decoded header fields), lowercased and cut at the store's full-text
//   budget; the store's GLOB over its trigram index is an exact substring
//   match on that text, so long messages past the budget are not searched
//   beyond it, and non-text attachments are not searched at all.
// - Dates (BEFORE, ON, SINCE, SENT*) compare calendar days in UTC.
// - HEADER of a field the index does not keep reads each message's header
//   and matches the unfolded raw value, ignoring ASCII case.
import Foundation
import MailStore

struct IMAPSearchEvaluator {
    let access: any IMAPMailAccess
    let request: IMAPSearchRequest

    /// The per-message facts the keys test.
    private struct Facts {
        var textMatches: [TextKey: Set<UInt32>] = [:]
        var sentDays: [UInt32: Int] = [:]
        var headers: [UInt32: [UInt8]] = [:]
        var position: [UInt32: UInt32] = [:]
        var saved: Set<UInt32> = []
        var lastUID: UInt32 = 0
    }

    private enum TextKey: Hashable {
        case text(String, body: Bool)
        case field(SearchHeaderField, String)
    }

    func run() async throws(StoreError) -> IMAPSearchOutcome {
        let messages: [MessageSummary]
        if request.keys.contains(where: Self.readsMessageData) {
            let visible = Set(request.view)
            messages = try await access.messages(in: request.mailbox, uids: nil).filter { visible.contains($0.uid) }
        } else {
            // Keys answered by UIDs alone (header and text searches, sets): no listing needed.
            messages = request.view.filter { !request.expunged.contains($0) }.map(Self.bare)
        }
        var facts = Facts()
        for (index, uid) in request.view.enumerated() { facts.position[uid] = UInt32(index + 1) }
        facts.saved = Set(request.saved)
        facts.lastUID = request.view.last ?? 0
        var textKeys: Set<TextKey> = []
        var needsSentDates = false
        var needsHeaders = false
        for key in request.keys { Self.collect(key, &textKeys, &needsSentDates, &needsHeaders) }
        for key in textKeys {
            switch key {
            case .text(let text, let body):
                facts.textMatches[key] = Set(try await access.search(in: request.mailbox, text: text, scope: body ? .body : .text))
            case .field(let field, let text):
                facts.textMatches[key] = Set(try await access.search(in: request.mailbox, header: field, contains: text))
            }
        }
        if needsSentDates {
            for (uid, date) in try await access.sentDates(in: request.mailbox) {
                if let date { facts.sentDays[uid] = Self.day(date) }
            }
        }
        if needsHeaders {
            for message in messages {
                facts.headers[message.uid] = try await header(of: message.uid)
            }
        }
        var found: [UInt32] = []
        var highest: UInt64 = 0
        for message in messages where request.keys.allSatisfy({ matches($0, message, facts) }) {
            found.append(message.uid)
            highest = max(highest, message.modSeq)
        }
        let usesModSeq = request.keys.contains(where: \.usesModSeq)
        return IMAPSearchOutcome(uids: found, highestModSeq: usesModSeq && !found.isEmpty ? highest : nil)
    }

    // MARK: - Preparing

    private static func collect(_ key: IMAPSearchKey, _ texts: inout Set<TextKey>, _ sent: inout Bool, _ headers: inout Bool) {
        switch key {
        case .body(let text): texts.insert(.text(text, body: true))
        case .text(let text): texts.insert(.text(text, body: false))
        case .from(let text): texts.insert(.field(.from, text))
        case .to(let text): texts.insert(.field(.to, text))
        case .cc(let text): texts.insert(.field(.cc, text))
        case .bcc(let text): texts.insert(.field(.bcc, text))
        case .subject(let text): texts.insert(.field(.subject, text))
        case .header(let name, let text):
            if let field = indexedField(name), !text.isEmpty { texts.insert(.field(field, text)) } else { headers = true }
        case .sentBefore, .sentOn, .sentSince: sent = true
        case .not(let inner): collect(inner, &texts, &sent, &headers)
        case .or(let a, let b):
            collect(a, &texts, &sent, &headers)
            collect(b, &texts, &sent, &headers)
        case .and(let keys): for inner in keys { collect(inner, &texts, &sent, &headers) }
        default: break
        }
    }

    /// Whether the key tests what only the message's row has: flags, sizes,
    /// internal dates, MODSEQ.
    private static func readsMessageData(_ key: IMAPSearchKey) -> Bool {
        switch key {
        case .all, .body, .text, .from, .to, .cc, .bcc, .subject, .header, .uid, .sequenceSet, .recent, .old,
            .sentBefore, .sentOn, .sentSince:
            return false
        case .not(let inner): return readsMessageData(inner)
        case .or(let a, let b): return readsMessageData(a) || readsMessageData(b)
        case .and(let keys): return keys.contains(where: readsMessageData)
        default: return true
        }
    }

    /// A message known only by its UID, for keys that need nothing else.
    private static func bare(_ uid: UInt32) -> MessageSummary {
        MessageSummary(
            uid: uid, size: 0, wireSize: 0, internalDate: Date(timeIntervalSince1970: 0), flags: [], keywords: [],
            modSeq: 0, isRecent: false, path: "", baseName: "")
    }

    /// The header fields the index keeps.
    private static func indexedField(_ name: String) -> SearchHeaderField? {
        switch name.lowercased() {
        case "from": return .from
        case "to": return .to
        case "cc": return .cc
        case "bcc": return .bcc
        case "subject": return .subject
        case "message-id": return .messageID
        case "in-reply-to": return .inReplyTo
        default: return nil
        }
    }

    /// The header section of a message (up to the first empty line, 64 KB at most).
    private func header(of uid: UInt32) async throws(StoreError) -> [UInt8] {
        let reader: any IMAPMessageReader
        do throws(StoreError) {
            reader = try await access.openMessage(in: request.mailbox, uid: uid)
        } catch {
            if case .noSuchMessage = error { return [] }
            if case .messageVanished = error { return [] }
            throw error
        }
        let bytes = try await reader.read(offset: 0, count: min(reader.size, 65536))
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A, index + 1 < bytes.count {
                if bytes[index + 1] == 0x0A { return Array(bytes[...index]) }
                if bytes[index + 1] == 0x0D, index + 2 < bytes.count, bytes[index + 2] == 0x0A { return Array(bytes[...index]) }
            }
            index += 1
        }
        return bytes
    }

    // MARK: - Matching

    private func matches(_ key: IMAPSearchKey, _ message: MessageSummary, _ facts: Facts) -> Bool {
        let flags = message.flags
        let recent = request.recent.contains(message.uid)
        switch key {
        case .all: return true
        case .answered: return flags.contains(.answered)
        case .deleted: return flags.contains(.deleted)
        case .draft: return flags.contains(.draft)
        case .flagged: return flags.contains(.flagged)
        case .seen: return flags.contains(.seen)
        case .unanswered: return !flags.contains(.answered)
        case .undeleted: return !flags.contains(.deleted)
        case .undraft: return !flags.contains(.draft)
        case .unflagged: return !flags.contains(.flagged)
        case .unseen: return !flags.contains(.seen)
        case .recent: return recent
        case .old: return !recent
        case .new: return recent && !flags.contains(.seen)
        case .keyword(let flag): return hasKeyword(flag, message)
        case .unkeyword(let flag): return !hasKeyword(flag, message)
        case .larger(let size): return UInt64(message.wireSize) > size
        case .smaller(let size): return UInt64(message.wireSize) < size
        case .before(let date): return Self.day(message.internalDate) < date.daysSince1970
        case .on(let date): return Self.day(message.internalDate) == date.daysSince1970
        case .since(let date): return Self.day(message.internalDate) >= date.daysSince1970
        case .sentBefore(let date): return facts.sentDays[message.uid].map { $0 < date.daysSince1970 } ?? false
        case .sentOn(let date): return facts.sentDays[message.uid] == date.daysSince1970
        case .sentSince(let date): return facts.sentDays[message.uid].map { $0 >= date.daysSince1970 } ?? false
        case .body(let text): return facts.textMatches[.text(text, body: true)]?.contains(message.uid) ?? false
        case .text(let text): return facts.textMatches[.text(text, body: false)]?.contains(message.uid) ?? false
        case .from(let text): return facts.textMatches[.field(.from, text)]?.contains(message.uid) ?? false
        case .to(let text): return facts.textMatches[.field(.to, text)]?.contains(message.uid) ?? false
        case .cc(let text): return facts.textMatches[.field(.cc, text)]?.contains(message.uid) ?? false
        case .bcc(let text): return facts.textMatches[.field(.bcc, text)]?.contains(message.uid) ?? false
        case .subject(let text): return facts.textMatches[.field(.subject, text)]?.contains(message.uid) ?? false
        case .header(let name, let text):
            if let field = Self.indexedField(name), !text.isEmpty {
                return facts.textMatches[.field(field, text)]?.contains(message.uid) ?? false
            }
            return Self.header(facts.headers[message.uid] ?? [], has: name, containing: text)
        case .uid(let set):
            if case .lastCommand = set { return facts.saved.contains(message.uid) }
            return set.contains(message.uid, last: facts.lastUID)
        case .sequenceSet(let set):
            if case .lastCommand = set { return facts.saved.contains(message.uid) }
            guard let position = facts.position[message.uid] else { return false }
            return set.contains(position, last: UInt32(request.view.count))
        case .not(let inner): return !matches(inner, message, facts)
        case .or(let a, let b): return matches(a, message, facts) || matches(b, message, facts)
        case .and(let keys): return keys.allSatisfy { matches($0, message, facts) }
        case .modSeq(let value, _): return message.modSeq >= value
        }
    }

    private func hasKeyword(_ flag: IMAPFlag, _ message: MessageSummary) -> Bool {
        if flag.isSystemFlag, let system = MessageFlags(imapName: flag.rawValue) { return message.flags.contains(system) }
        return message.keywords.contains { IMAPFlag($0) == flag }
    }

    static func day(_ date: Date) -> Int {
        Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// HEADER name string: a field `name` whose unfolded value contains
    /// `text`, ignoring ASCII case; an empty `text` matches any such field.
    static func header(_ header: [UInt8], has name: String, containing text: String) -> Bool {
        let wanted = name.lowercased()
        let needle = text.lowercased()
        var fields: [(String, String)] = []
        for line in String(decoding: header, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if let first = line.first, first == " " || first == "\t", !fields.isEmpty {
                fields[fields.count - 1].1 += " " + line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                fields.append((line[..<colon].trimmingCharacters(in: .whitespaces).lowercased(), String(line[line.index(after: colon)...])))
            }
        }
        return fields.contains { $0.0 == wanted && (needle.isEmpty || $0.1.lowercased().contains(needle)) }
    }
}
