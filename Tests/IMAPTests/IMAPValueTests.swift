// Sequence sets (RFC 9051 §4.1.1, §9), modified UTF-7 (RFC 3501 §5.1.3)
// and the command table.
import Testing

@testable import IMAP

@Suite("IMAP sequence sets")
struct IMAPSequenceSetTests {
    @Test(arguments: [
        ("1", IMAPSequenceSet.single(1)),
        ("*", .ranges([IMAPSequenceRange(.last)])),
        ("2:4", .range(2...4)),
        ("4:2", .ranges([IMAPSequenceRange(.number(4), .number(2))])),
        ("12:*", .ranges([IMAPSequenceRange(.number(12), .last)])),
        ("*:4", .ranges([IMAPSequenceRange(.last, .number(4))])),
        ("2,4:7,9,12:*", .ranges([
            IMAPSequenceRange(.number(2)), IMAPSequenceRange(4...7), IMAPSequenceRange(.number(9)),
            IMAPSequenceRange(.number(12), .last),
        ])),
        ("$", .lastCommand),
        ("4294967295", .single(UInt32.max)),
    ])
    func parsesAndFormats(_ wire: String, _ expected: IMAPSequenceSet) {
        #expect(IMAPSequenceSet(wire) == expected)
        #expect(expected.description == wire)
    }

    @Test(arguments: ["", "0", "1:", ":1", ",", "1,,2", "1,", "$,1", "1:0", "4294967296", "a", "1 2", "-1", "**"])
    func refuses(_ wire: String) {
        #expect(IMAPSequenceSet(wire) == nil)
    }

    /// RFC 9051 §9: "2,4:7,9,12:*" for 15 messages is 2,4,5,6,7,9,12,13,14,15;
    /// "*:4,5:7" for 10 messages is 4 to 10.
    @Test func resolvesAgainstTheMailbox() throws {
        let set = try #require(IMAPSequenceSet("2,4:7,9,12:*"))
        #expect(set.resolved(last: 15) == [2...2, 4...7, 9...9, 12...15])
        #expect(try #require(IMAPSequenceSet("*:4,5:7")).resolved(last: 10) == [4...10])
        #expect(try #require(IMAPSequenceSet("3291:*")).resolved(last: 100) == [100...3291])
        #expect(try #require(IMAPSequenceSet("1,2,3,5")).resolved(last: 9) == [1...3, 5...5])
        #expect(try #require(IMAPSequenceSet("4294967295,1:4294967294")).resolved(last: 1) == [1...UInt32.max])
        #expect(set.contains(13, last: 15))
        #expect(!set.contains(8, last: 15))
        #expect(IMAPSequenceSet.lastCommand.resolved(last: 5, saved: [2...3]) == [2...3])
        #expect(IMAPSequenceSet.lastCommand.resolved(last: 5) == [])
    }

    @Test func sectionsDescribeTheirSpec() {
        #expect(IMAPSection.complete.description == "")
        #expect(IMAPSection(part: [1, 2], text: .headerFields(["A", "B C"])).description == #"1.2.HEADER.FIELDS (A "B C")"#)
        #expect(IMAPSection(part: [3], text: .mime).description == "3.MIME")
        #expect(IMAPSection(text: .headerFieldsNot(["X"])).description == "HEADER.FIELDS.NOT (X)")
    }
}

@Suite("Modified UTF-7")
struct ModifiedUTF7Tests {
    @Test(arguments: [
        ("&Jjo-!", "☺!"),
        ("Entw&APw-rfe", "Entwürfe"),
        ("&-", "&"),
        ("Tom &- Jerry", "Tom & Jerry"),
        ("INBOX", "INBOX"),
        ("", ""),
        // RFC 3501 §5.1.3 example.
        ("~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/台北/日本語"),
        ("&2D3eAA-", "😀"),
        ("&AAk-", "\t"),
        ("&AOQA9gD8-", "äöü"),
    ])
    func roundTrips(_ encoded: String, _ decoded: String) {
        #expect(ModifiedUTF7.decode(encoded) == decoded)
        #expect(ModifiedUTF7.encode(decoded) == encoded)
        #expect(IMAPMailboxName(encoded).decodingModifiedUTF7() == IMAPMailboxName(decoded))
        #expect(IMAPMailboxName(decoded).encodingModifiedUTF7() == IMAPMailboxName(encoded))
    }

    @Test(arguments: [
        "&Jjo",  // no "-"
        "&AGE-",  // "a" must stand for itself
        "&Jj-",  // 12 bits: padding too long
        "&Jjp-",  // non-zero padding bits
        "&2D0-",  // lone high surrogate
        "&3gA-",  // lone low surrogate
        "&Jjo!-",  // "!" is not modified base64
        "é",  // raw 8-bit
        "a\tb",  // raw control character
        "&Jjo/-",  // "/" is "," in modified base64
    ])
    func refuses(_ encoded: String) {
        #expect(ModifiedUTF7.decode(encoded) == nil)
    }
}

@Suite("IMAP command table")
struct IMAPCommandTableTests {
    @Test func everyCommandParsesUnderItsName() {
        for descriptor in IMAPCommandTable.commands {
            #expect(IMAPCommandTable.descriptor(named: descriptor.name.lowercased()) == descriptor)
            if case .failure(let error) = parse("A1 " + descriptor.name) {
                #expect(!error.description.hasPrefix("unknown command"), "\(descriptor.name)")
            }
        }
        #expect(IMAPCommandTable.descriptor(named: "FROB") == nil)
    }

    @Test func statesAndFlags() throws {
        let login = try #require(IMAPCommandTable.descriptor(named: "LOGIN"))
        #expect(login.states == [.notAuthenticated])
        #expect(login.flags.contains(.carriesCredentials))
        #expect(!login.flags.contains(.allowedBeforeTLS))
        let capability = try #require(IMAPCommandTable.descriptor(named: "CAPABILITY"))
        #expect(capability.states == [.notAuthenticated, .authenticated, .selected])
        #expect(capability.flags.contains(.allowedBeforeTLS))
        let uidMove = try #require(IMAPCommandTable.descriptor(named: "UID MOVE"))
        #expect(uidMove.states == [.selected])
        #expect(uidMove.flags.isSuperset(of: [.uidVariant, .needsAuthentication, .needsWritableMailbox]))
        #expect(IMAPCommandTable.descriptor(named: "ENABLE")?.states == [.authenticated])
        #expect(IMAPCommandTable.descriptor(named: "IDLE")?.flags.contains(.continues) == true)
        #expect(IMAPCommandTable.commands.allSatisfy { !$0.states.contains(.logout) })
        #expect(IMAPCommandTable.commandCapabilities == ["ID", "STARTTLS", "ENABLE", "NAMESPACE", "IDLE", "UNSELECT", "MOVE", "UIDPLUS"])
    }

    @Test func commandsKnowTheirEntry() {
        for fixture in allFixtures {
            #expect(fixture.kind.descriptor?.name == fixture.kind.name)
        }
        #expect(IMAPCommand.Kind.uidFetch(.single(1), [.uid], IMAPFetchModifiers()).descriptor?.flags.contains(.uidVariant) == true)
    }
}
