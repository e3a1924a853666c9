// Tests of MailAddress: RFC 5321 §4.1.2 syntax, §4.1.3 literals, §4.5.3.1 limits.

import Testing
@testable import MailStore

@Suite struct MailAddressTests {
    // MARK: - Valid

    @Test(arguments: [
        // (input, localPart, domain)
        ("alice@example.test", "alice", "example.test"),
        ("Alice@Example.TEST", "Alice", "example.test"),
        ("a@b", "a", "b"),
        ("first.last@sub.example.test", "first.last", "sub.example.test"),
        ("user+tag@example.test", "user+tag", "example.test"),
        ("!#$%&'*+-/=?^_`{|}~@example.test", "!#$%&'*+-/=?^_`{|}~", "example.test"),
        ("x@a-b.c-d.test", "x", "a-b.c-d.test"),
        ("x@123.example", "x", "123.example"),
        ("x@1a", "x", "1a"),
        ("postmaster@localhost", "postmaster", "localhost"),
        ("\"john doe\"@example.test", "\"john doe\"", "example.test"),
        ("\"john\"@example.test", "john", "example.test"),
        ("\"a.b\"@example.test", "a.b", "example.test"),
        ("\"a..b\"@example.test", "\"a..b\"", "example.test"),
        ("\"a@b\"@example.test", "\"a@b\"", "example.test"),
        ("\"a\\\"b\"@example.test", "\"a\\\"b\"", "example.test"),
        ("\"a\\\\b\"@example.test", "\"a\\\\b\"", "example.test"),
        ("\"\\a\"@example.test", "a", "example.test"),
        ("x@[192.0.2.1]", "x", "[192.0.2.1]"),
        ("x@[0.0.0.0]", "x", "[0.0.0.0]"),
        ("x@[255.255.255.255]", "x", "[255.255.255.255]"),
        ("x@[IPv6:2001:DB8::1]", "x", "[IPv6:2001:db8::1]"),
        ("x@[ipv6:::1]", "x", "[IPv6:::1]"),
        ("x@[IPv6:::ffff:192.0.2.1]", "x", "[IPv6:::ffff:192.0.2.1]"),
    ])
    func valid(input: String, localPart: String, domain: String) throws {
        let address = try MailAddress(input)
        #expect(address.localPart == localPart)
        #expect(address.domain == domain)
        #expect(address.description == localPart + "@" + domain)
        #expect(address.normalized == (localPart + "@" + domain).lowercased())
        // The canonical form parses back to itself.
        #expect(try MailAddress(address.description) == address)
    }

    @Test func normalizedIgnoresCaseButEqualityKeepsLocalCase() throws {
        let upper = try MailAddress("Alice@EXAMPLE.test")
        let lower = try MailAddress("alice@example.test")
        #expect(upper.normalized == lower.normalized)
        #expect(upper.domain == lower.domain)
        #expect(upper != lower)
        #expect(upper.description == "Alice@example.test")
    }

    @Test func buildsFromParts() throws {
        let address = try MailAddress(localPart: "bob", domain: "Example.Test")
        #expect(address.description == "bob@example.test")
        #expect(throws: MailAddressError.self) { try MailAddress(localPart: "bo b", domain: "example.test") }
    }

    // MARK: - Invalid

    @Test(arguments: [
        ("", MailAddressError.Reason.empty),
        ("alice", .missingAt),
        ("alice.example.test", .missingAt),
        ("@example.test", .emptyLocalPart),
        ("alice@", .emptyDomain),
        ("\"\"@example.test", .emptyLocalPart),
        ("alicé@example.test", .nonASCII),
        ("alice@exämple.test", .nonASCII),
        ("ali\nce@example.test", .controlCharacter(0x0A)),
        ("alice@example.test\r", .controlCharacter(0x0D)),
        ("ali\u{7F}ce@example.test", .controlCharacter(0x7F)),
        ("a lice@example.test", .invalidLocalPartCharacter(0x20)),
        ("a,b@example.test", .invalidLocalPartCharacter(UInt8(ascii: ","))),
        ("a(b)@example.test", .invalidLocalPartCharacter(UInt8(ascii: "("))),
        ("<alice@example.test>", .invalidLocalPartCharacter(UInt8(ascii: "<"))),
        ("a@b@example.test", .invalidLocalPartCharacter(UInt8(ascii: "@"))),
        (".alice@example.test", .dotAtEdgeOfLocalPart),
        ("alice.@example.test", .dotAtEdgeOfLocalPart),
        ("al..ice@example.test", .consecutiveDots),
        ("\"alice@example.test", .unterminatedQuotedString),
        ("\"alice\\\"@example.test", .unterminatedQuotedString),
        ("\"al\"ice@example.test", .textAfterQuotedString),
        ("alice@example..test", .emptyLabel),
        ("alice@.example.test", .emptyLabel),
        ("alice@example.test.", .emptyLabel),
        ("alice@-example.test", .hyphenAtEdgeOfLabel(label: "-example")),
        ("alice@example-.test", .hyphenAtEdgeOfLabel(label: "example-")),
        ("alice@exa_mple.test", .invalidDomainCharacter(UInt8(ascii: "_"))),
        ("alice@exa mple.test", .invalidDomainCharacter(0x20)),
        ("alice@[192.0.2.256]", .invalidAddressLiteral("[192.0.2.256]")),
        ("alice@[192.0.2]", .invalidAddressLiteral("[192.0.2]")),
        ("alice@[192.0.2.1", .invalidAddressLiteral("[192.0.2.1")),
        ("alice@[1234.0.2.1]", .invalidAddressLiteral("[1234.0.2.1]")),
        ("alice@[]", .invalidAddressLiteral("[]")),
        ("alice@[IPv6:2001:db8::g]", .invalidAddressLiteral("[IPv6:2001:db8::g]")),
        ("alice@[IPv6:1:2:3:4:5:6:7:8:9]", .invalidAddressLiteral("[IPv6:1:2:3:4:5:6:7:8:9]")),
        ("alice@[IPv6:1::2::3]", .invalidAddressLiteral("[IPv6:1::2::3]")),
        ("alice@[x400:something]", .unsupportedAddressLiteral("[x400:something]")),
    ])
    func invalid(input: String, reason: MailAddressError.Reason) {
        #expect(throws: MailAddressError(input: input, reason: reason)) { try MailAddress(input) }
    }

    // MARK: - Limits (RFC 5321 §4.5.3.1)

    @Test func localPartOf64OctetsIsAcceptedAnd65IsNot() throws {
        let local64 = String(repeating: "a", count: 64)
        #expect(try MailAddress(local64 + "@example.test").localPart == local64)
        let local65 = String(repeating: "a", count: 65)
        #expect(throws: MailAddressError(input: local65 + "@example.test", reason: .localPartTooLong(octets: 65))) {
            try MailAddress(local65 + "@example.test")
        }
        // The limit counts the quoted form as sent.
        let quoted = "\"" + String(repeating: "a", count: 63) + "\""
        #expect(throws: MailAddressError.self) { try MailAddress(quoted + "@example.test") }
    }

    @Test func labelOf63OctetsIsAcceptedAnd64IsNot() throws {
        let label63 = String(repeating: "b", count: 63)
        #expect(try MailAddress("x@" + label63 + ".test").domain == label63 + ".test")
        let label64 = String(repeating: "b", count: 64)
        #expect(throws: MailAddressError(input: "x@" + label64 + ".test",
                                         reason: .labelTooLong(label: label64, octets: 64))) {
            try MailAddress("x@" + label64 + ".test")
        }
    }

    @Test func domainOver255OctetsIsRefused() {
        // 4 labels of 63 + 3 dots = 255; one more label makes 258.
        let label = String(repeating: "c", count: 63)
        let domain257 = Array(repeating: label, count: 4).joined(separator: ".") + ".d"
        #expect(domain257.utf8.count == 257)
        #expect(throws: MailAddressError(input: "x@" + domain257, reason: .domainTooLong(octets: 257))) {
            try MailAddress("x@" + domain257)
        }
        let huge = String(repeating: "e.", count: 1000) + "test"
        #expect(throws: MailAddressError.self) { try MailAddress("x@" + huge) }
    }

    @Test func addressOf254OctetsIsAcceptedAnd255IsNot() throws {
        let local = String(repeating: "a", count: 64)
        // 64 + 1 + 189 = 254
        let domain189 = [String(repeating: "b", count: 63), String(repeating: "c", count: 63),
                         String(repeating: "d", count: 61)].joined(separator: ".")
        #expect(domain189.utf8.count == 189)
        #expect(try MailAddress(local + "@" + domain189).description.utf8.count == 254)
        let domain190 = domain189 + "e"
        #expect(throws: MailAddressError(input: local + "@" + domain190, reason: .addressTooLong(octets: 255))) {
            try MailAddress(local + "@" + domain190)
        }
    }

    // MARK: - Error text

    @Test func errorNamesTheInputAndTheProblem() {
        #expect(MailAddressError(input: "foo", reason: .missingAt).description == "invalid address \"foo\": missing @")
        let error = MailAddressError(input: "a\"b\u{1}", reason: .controlCharacter(1))
        #expect(error.description == "invalid address \"a\\\"b\\u{1}\": control character 0x01")
        let long = MailAddressError(input: String(repeating: "z", count: 500), reason: .missingAt)
        #expect(long.description.count < 140)
        #expect(MailAddressError.Reason.localPartTooLong(octets: 65).description.contains("64"))
    }
}
