// The aliases file parser and the alias expansion (loops, depth, includes,
// plus-addressing, postmaster), and the resolver over them.
import MailStore
import Testing

@testable import SMTP

private func mailbox(_ text: String) -> SMTPMailbox {
    (try? SMTPMailbox(text)) ?? SMTPMailbox.placeholder
}

private func table(
    _ text: String, includes: [String: [AliasTarget]?] = [:], postmaster: String? = nil, maxDepth: Int = AliasTable.defaultMaxDepth
) -> AliasTable {
    let entries: [AliasEntry]
    switch AliasFile.parse(text) {
    case .success(let parsed): entries = parsed
    case .failure(let error):
        Issue.record("fixture does not parse: \(error)")
        entries = []
    }
    return AliasTable(
        entries: entries, includes: includes, localDomains: ["example.test", "Other.Example.test"],
        postmaster: postmaster.map(mailbox), maxDepth: maxDepth)
}

private func delivered(_ result: ExpansionResult) -> [String] {
    result.mailboxes.map(\.description)
}

@Suite("Aliases file")
struct AliasFileTests {
    @Test func parsesEntriesCommentsAndContinuations() throws {
        let text = """
            # The aliases of example.test
            postmaster: root

            team:   alice, bob@example.test,
                    "carol smith"@example.test
            \t# a comment inside does not continue
            lists:  :include:/etc/lists/all, ":include:lists/more"
            Abuse@Example.Test: <alice@example.test>
            archive: /var/mail/archive, "|/usr/bin/procmail -a x", |simple
            quoted: "a, b"@example.test
            "odd name": alice
            """
        let entries = try AliasFile.parse(text).get()
        #expect(entries.map(\.name) == ["postmaster", "team", "lists", "abuse@example.test", "archive", "quoted", "odd name"])
        #expect(entries[0].targets == [.address("root")])
        #expect(entries[0].line == 2)
        #expect(entries[1].targets == [.address("alice"), .address("bob@example.test"), .address("\"carol smith\"@example.test")])
        #expect(entries[1].line == 4)
        #expect(entries[2].targets == [.include("/etc/lists/all"), .include("lists/more")])
        #expect(entries[3].targets == [.address("alice@example.test")])
        #expect(entries[4].targets == [.file("/var/mail/archive"), .command("/usr/bin/procmail -a x"), .command("simple")])
        #expect(entries[5].targets == [.address("\"a, b\"@example.test")])
        #expect(entries[6].targets == [.address("alice")])
    }

    @Test func acceptsCRLFLineEndings() throws {
        let entries = try AliasFile.parse("a: b\r\n  , c\r\n# x\r\nd: e\r\n").get()
        #expect(entries.map(\.name) == ["a", "d"])
        #expect(entries[0].targets == [.address("b"), .address("c")])
    }

    @Test(arguments: [
        ("  indented: first", AliasFileError(line: 1, reason: "a continuation line with nothing to continue")),
        ("no colon here", AliasFileError(line: 1, reason: "expected \"name: target, …\"")),
        ("a: b\nA: c", AliasFileError(line: 2, reason: "alias \"a\" is already defined on line 1")),
        ("a: , ,", AliasFileError(line: 1, reason: "alias \"a\" has no targets")),
        ("a: \"unterminated", AliasFileError(line: 1, reason: "unterminated quoted target")),
        (": b", AliasFileError(line: 1, reason: "empty alias name")),
        ("\"a:b", AliasFileError(line: 1, reason: "expected \"name: target, …\"")),
    ])
    func refusesMalformedFiles(_ text: String, _ error: AliasFileError) {
        #expect(AliasFile.parse(text) == .failure(error))
    }

    @Test func parsesIncludedLists() throws {
        let list = try AliasFile.parseList("# members\nalice, bob\n\n  carol@remote.example\n:include:nested\n").get()
        #expect(list == [.address("alice"), .address("bob"), .address("carol@remote.example"), .include("nested")])
        #expect(AliasFile.parseList("\"open") == .failure(AliasFileError(line: 1, reason: "unterminated quoted target")))
    }

    @Test func errorDescriptionNamesTheLine() {
        #expect(AliasFileError(line: 7, reason: "x").description == "line 7: x")
    }
}

@Suite("Alias expansion")
struct AliasExpansionTests {
    @Test func anAddressWithoutAliasIsItsOwnMailbox() {
        let result = table("info: alice").expand(mailbox("bob@example.test"))
        #expect(delivered(result) == ["bob@example.test"])
        #expect(!result.isAlias)
        #expect(result.errors.isEmpty)
    }

    @Test func simpleAndListAliases() {
        let aliases = table("info: alice\nteam: alice, bob, carol@remote.example, Dave@Other.example.test")
        #expect(delivered(aliases.expand(mailbox("info@example.test"))) == ["alice@example.test"])
        let team = aliases.expand(mailbox("team@example.test"))
        #expect(team.isAlias)
        #expect(delivered(team) == ["alice@example.test", "bob@example.test", "Dave@other.example.test"])
        #expect(team.remote.map(\.description) == ["carol@remote.example"])
    }

    @Test func bareNamesStayInTheDomainBeingExpanded() {
        let aliases = table("info: alice")
        #expect(delivered(aliases.expand(mailbox("info@other.example.test"))) == ["alice@other.example.test"])
    }

    @Test func namesAreCaseInsensitive() {
        let aliases = table("Info: alice")
        #expect(delivered(aliases.expand(mailbox("INFO@Example.Test"))) == ["alice@example.test"])
    }

    @Test func fullAddressKeysApplyToOneDomain() {
        let aliases = table("abuse@example.test: alice\nabuse: bob")
        #expect(delivered(aliases.expand(mailbox("abuse@example.test"))) == ["alice@example.test"])
        #expect(delivered(aliases.expand(mailbox("abuse@other.example.test"))) == ["bob@other.example.test"])
    }

    @Test func nestedAliasesExpandRecursively() {
        let aliases = table("all: staff, board\nstaff: alice, bob\nboard: carol, staff\ncarol: carol@remote.example")
        let result = aliases.expand(mailbox("all@example.test"))
        #expect(delivered(result) == ["alice@example.test", "bob@example.test"])
        #expect(result.remote.map(\.description) == ["carol@remote.example"])
        #expect(result.errors.isEmpty, "a name reached twice by two paths is not a loop")
    }

    @Test func anAliasNamingItselfDeliversToItsMailbox() {
        let result = table("alice: alice, archive@remote.example").expand(mailbox("alice@example.test"))
        #expect(delivered(result) == ["alice@example.test"])
        #expect(result.remote.map(\.description) == ["archive@remote.example"])
        #expect(result.errors.isEmpty)
    }

    @Test func loopsAreReportedAndNotDelivered() {
        let result = table("a: b, alice\nb: c\nc: a").expand(mailbox("a@example.test"))
        #expect(result.errors == [.loop(["a", "b", "c", "a"])])
        #expect(delivered(result) == ["alice@example.test"])
        #expect(result.errors.first?.description == "alias loop: a -> b -> c -> a")
    }

    @Test func depthIsLimited() {
        let text = (0..<30).map { "n\($0): n\($0 + 1)" }.joined(separator: "\n")
        let result = table(text, maxDepth: 20).expand(mailbox("n0@example.test"))
        #expect(result.mailboxes.isEmpty)
        #expect(result.errors == [.tooDeep("n20")])
        let shallow = table(text, maxDepth: 40).expand(mailbox("n0@example.test"))
        #expect(delivered(shallow) == ["n30@example.test"])
    }

    @Test func plusAddressing() {
        let aliases = table("info: alice\nalice+special: bob")
        #expect(delivered(aliases.expand(mailbox("alice+news@example.test"))) == ["alice@example.test"])
        #expect(delivered(aliases.expand(mailbox("info+x@example.test"))) == ["alice@example.test"])
        #expect(delivered(aliases.expand(mailbox("alice+special@example.test"))) == ["bob@example.test"])
        #expect(delivered(aliases.expand(mailbox("+only@example.test"))) == ["+only@example.test"])
        let none = AliasTable(entries: [], localDomains: ["example.test"], recipientDelimiter: nil)
        #expect(delivered(none.expand(mailbox("alice+news@example.test"))) == ["alice+news@example.test"])
    }

    @Test func postmasterAlwaysExists() {
        #expect(delivered(table("info: alice").expand(mailbox("postmaster@example.test"))) == ["postmaster@example.test"])
        let fallback = table("info: alice", postmaster: "alice@example.test")
        #expect(delivered(fallback.expand(mailbox("Postmaster@other.example.test"))) == ["alice@example.test"])
        let explicit = table("postmaster: bob", postmaster: "alice@example.test")
        #expect(delivered(explicit.expand(mailbox("postmaster@example.test"))) == ["bob@example.test"])
        let selfFallback = table("", postmaster: "postmaster@example.test")
        #expect(delivered(selfFallback.expand(mailbox("postmaster@example.test"))) == ["postmaster@example.test"])
    }

    @Test func includesExpand() {
        let includes: [String: [AliasTarget]?] = [
            "lists/all": [.address("alice"), .include("lists/more")],
            "lists/more": [.address("bob"), .address("carol@remote.example")],
            "lists/loop": [.include("lists/loop")],
            "lists/self": [.address("selfish")],
            "lists/broken": nil,
        ]
        let aliases = table(
            "all: :include:lists/all\nloop: :include:lists/loop\nbroken: :include:lists/broken, alice\nselfish: :include:lists/self\nunknown: :include:nowhere",
            includes: includes)
        let all = aliases.expand(mailbox("all@example.test"))
        #expect(delivered(all) == ["alice@example.test", "bob@example.test"])
        #expect(all.remote.map(\.description) == ["carol@remote.example"])
        #expect(aliases.expand(mailbox("loop@example.test")).errors == [.loop(["loop", ":include:lists/loop", ":include:lists/loop"])])
        let broken = aliases.expand(mailbox("broken@example.test"))
        #expect(broken.errors == [.missingInclude("lists/broken")])
        #expect(delivered(broken) == ["alice@example.test"])
        #expect(delivered(aliases.expand(mailbox("selfish@example.test"))) == ["selfish@example.test"])
        #expect(aliases.expand(mailbox("unknown@example.test")).errors == [.missingInclude("nowhere")])
    }

    @Test func fileAndCommandTargetsAreRefused() {
        let result = table("archive: /var/mail/x, |prog, alice").expand(mailbox("archive@example.test"))
        #expect(result.errors == [.unsupportedTarget("/var/mail/x"), .unsupportedTarget("|prog")])
        #expect(delivered(result) == ["alice@example.test"])
    }

    @Test func invalidTargetsAreReported() {
        let result = table("bad: x@@y, alice").expand(mailbox("bad@example.test"))
        #expect(result.errors == [.invalidTarget("x@@y")])
        #expect(delivered(result) == ["alice@example.test"])
    }

    @Test func outputsAppearOnce() {
        let result = table("dup: alice, Alice, info, carol@remote.example, CAROL@remote.example\ninfo: alice")
            .expand(mailbox("dup@example.test"))
        #expect(delivered(result) == ["alice@example.test"])
        #expect(result.remote.count == 1)
    }

    @Test func loadReadsIncludesRelativeToTheFile() throws {
        let files = [
            "/etc/chappe/aliases": "team: :include:lists/team\nall: :include:/abs/all, :include:missing\n",
            "/etc/chappe/lists/team": "alice, bob\n:include:../deeper\n",
            "/etc/chappe/../deeper": "carol@remote.example\n",
            "/abs/all": "dave\n",
        ]
        let aliases = try AliasTable.load(path: "/etc/chappe/aliases", localDomains: ["example.test"]) { path in
            guard let text = files[path] else { throw TwinError.injected(path) }
            return text
        }
        let team = aliases.expand(mailbox("team@example.test"))
        #expect(delivered(team) == ["alice@example.test", "bob@example.test"])
        #expect(team.remote.map(\.description) == ["carol@remote.example"])
        let all = aliases.expand(mailbox("all@example.test"))
        #expect(delivered(all) == ["dave@example.test"])
        #expect(all.errors == [.missingInclude("missing")])
        #expect(throws: AliasFileError.self) {
            try AliasTable.load(path: "aliases", localDomains: []) { _ in "broken line" }
        }
    }
}

@Suite("Recipient resolver")
struct ResolverTests {
    let resolver = AliasingRecipientResolver(
        aliases: table("info: alice\nghost: nobody\nforward: carol@remote.example\nshaky: flaky"),
        directory: MemoryDirectory(
            mailboxes: ["alice@example.test", "bob@example.test"], failing: ["flaky@example.test"],
            oldest: "bob@example.test"))

    private func address(_ text: String) -> MailAddress {
        (try? MailAddress(text)) ?? MailStoreFixture.address
    }

    @Test func lookups() async {
        #expect(await resolver.lookup(address("alice@example.test")) == .exists)
        #expect(await resolver.lookup(address("alice+tag@example.test")) == .exists)
        #expect(await resolver.lookup(address("info@example.test")) == .exists)
        #expect(await resolver.lookup(address("forward@example.test")) == .exists)
        #expect(await resolver.lookup(address("postmaster@example.test")) == .exists)
        #expect(await resolver.lookup(address("ghost@example.test")) == .unknown)
        #expect(await resolver.lookup(address("nobody@example.test")) == .unknown)
        guard case .temporaryFailure = await resolver.lookup(address("shaky@example.test")) else {
            Issue.record("a failing directory must give a temporary failure")
            return
        }
    }

    @Test func expansions() async {
        #expect(await resolver.expand(address("info@example.test")) == .members(["alice@example.test"]))
        #expect(await resolver.expand(address("bob@example.test")) == .members(["bob@example.test"]))
        #expect(await resolver.expand(address("nobody@example.test")) == .unknown)
    }

    @Test func deliveryMapsPostmasterToTheOldestAccount() async throws {
        let postmaster = try await resolver.deliveryMailboxes(for: mailbox("postmaster@example.test"))
        #expect(delivered(postmaster.expansion) == ["bob@example.test"])
        #expect(postmaster.missing.isEmpty)
        let ghost = try await resolver.deliveryMailboxes(for: mailbox("ghost@example.test"))
        #expect(ghost.expansion.mailboxes.isEmpty)
        #expect(ghost.missing.map(\.description) == ["nobody@example.test"])
    }
}

enum MailStoreFixture {
    static let address: MailAddress = {
        guard let value = try? MailAddress("fixture@invalid.test") else { preconditionFailure("fixture") }
        return value
    }()
}
