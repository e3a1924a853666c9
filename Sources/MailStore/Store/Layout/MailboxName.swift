// Mailbox names and their Maildir++ folders.
//
// A mailbox name uses "." as hierarchy separator ("Lists.swift"). INBOX is the Maildir
// root; every other mailbox is the folder "." + name directly under it (Maildir++:
// "Lists.swift" is ".Lists.swift"; its parent ".Lists" may or may not exist — a missing
// parent is a \Noselect name for IMAP LIST). Names are stored in UTF-8 as IMAP4rev2 sends
// them (RFC 9051 §5.1); IMAP4rev1 clients' modified UTF-7 is the IMAP module's business.
//
// Refused: empty names and empty components ("a..b", ".a", "a."), "/" (it would leave the
// Maildir), control characters, the LIST wildcards "%" and "*" (RFC 9051 §5.1), and names
// whose folder would be longer than a file name may be.

import Foundation

public enum MailboxName {
    /// "INBOX", in the case IMAP uses for it (RFC 9051 §5.1: INBOX is case-insensitive).
    public static let inbox = "INBOX"
    /// The hierarchy separator (Maildir++).
    public static let separator: Character = "."
    /// Longest name in bytes: a folder name ("." + name) must fit NAME_MAX (255).
    public static let maxLength = 250

    /// The canonical form of a valid name ("inbox" and "Inbox.x" become "INBOX", "INBOX.x"),
    /// or a `.invalidMailboxName` error.
    public static func validated(_ name: String) throws(StoreError) -> String {
        let canonical = canonicalized(name)
        func fail(_ reason: String) -> StoreError { .invalidMailboxName(name, reason: reason) }
        if canonical.isEmpty { throw fail("the name is empty") }
        if canonical.utf8.count > maxLength { throw fail("longer than \(maxLength) bytes") }
        for byte in canonical.utf8 {
            if byte < 0x20 || byte == 0x7F { throw fail("control characters are not allowed") }
            if byte == UInt8(ascii: "/") { throw fail("\"/\" is not allowed") }
            if byte == UInt8(ascii: "%") || byte == UInt8(ascii: "*") { throw fail("the LIST wildcards % and * are not allowed") }
        }
        if canonical.split(separator: separator, omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw fail("a name cannot start or end with \".\" or contain \"..\"")
        }
        return canonical
    }

    /// "INBOX" for any case of "inbox", and the same for an "INBOX." prefix.
    public static func canonicalized(_ name: String) -> String {
        if name.caseInsensitiveCompare(inbox) == .orderedSame { return inbox }
        let prefix = inbox + "."
        if name.utf8.count > prefix.utf8.count, name.prefix(prefix.count).caseInsensitiveCompare(prefix) == .orderedSame {
            return prefix + name.dropFirst(prefix.count)
        }
        return name
    }

    /// The folder of a (canonical) mailbox under the Maildir root: "" for INBOX.
    static func folder(for name: String) -> String {
        name == inbox ? "" : "." + name
    }

    /// The mailbox a folder entry of the Maildir root stands for, or nil when the entry
    /// is not a Maildir++ folder name ("tmp", "..", ".", a name that fails validation).
    static func mailbox(forFolder entry: String) -> String? {
        guard entry.hasPrefix("."), entry != ".", entry != ".." else { return nil }
        let name = String(entry.dropFirst())
        guard let valid = try? validated(name), valid != inbox else { return nil }
        return valid
    }

    /// Whether `name` lies below `parent` in the hierarchy.
    static func isDescendant(_ name: String, of parent: String) -> Bool {
        name.hasPrefix(parent + ".")
    }

    /// The mailboxes created in every new account, with their RFC 6154 attributes.
    public static let defaults: [(name: String, specialUse: SpecialUse?)] = [
        (inbox, nil), ("Sent", .sent), ("Drafts", .drafts), ("Trash", .trash), ("Junk", .junk), ("Archive", .archive),
    ]
}
