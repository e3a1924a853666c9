// ConfigValueTests: the duration syntax, spelling suggestions, TOML string
// quoting and path normalisation that the configuration is built on.

import Testing
@testable import Suite

@Suite("Durations")
struct DurationTests {
    @Test(arguments: [
        ("30s", Duration.seconds(30)), ("5m", .seconds(300)), ("2h", .seconds(7200)), ("5d", .seconds(432_000)),
        ("1h30m", .seconds(5400)), ("1d2h3m4s5ms", .milliseconds(93_784_005)), ("250ms", .milliseconds(250)),
        ("0s", .zero), ("90m", .seconds(5400)), ("007s", .seconds(7)),
    ])
    func parses(text: String, duration: Duration) {
        #expect(DurationText.parse(text) == duration)
    }

    @Test(arguments: [
        "", "5", "m", "5 minutes", "5M", "1m1h", "1h1h", "-5s", "+5s", "1.5h", " 5s", "5s ", "1w",
        "1000000000s", "5sec",
    ])
    func refuses(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test(arguments: [
        (Duration.zero, "0s"), (.seconds(300), "5m"), (.seconds(5400), "1h30m"), (.milliseconds(1500), "1s500ms"),
        (.seconds(86_400 * 5), "5d"), (.seconds(90_061), "1d1h1m1s"),
    ])
    func formatsCanonically(duration: Duration, text: String) {
        #expect(DurationText.format(duration) == text)
        #expect(DurationText.parse(text) == duration)
    }
}

@Suite("Spelling suggestions")
struct SpellingTests {
    @Test func distances() {
        #expect(Spelling.distance("listne", "listen") == 1)
        #expect(Spelling.distance("listen", "listen") == 0)
        #expect(Spelling.distance("", "abc") == 3)
        #expect(Spelling.distance("idle_timout", "idle_timeout") == 1)
    }

    @Test func suggestions() {
        let keys = ["listen", "tls_listen", "enabled", "max_connections", "max_connections_per_client"]
        #expect(Spelling.suggestion(for: "listne", among: keys) == "listen")
        #expect(Spelling.suggestion(for: "LISTEN", among: keys) == "listen")
        #expect(Spelling.suggestion(for: "enable", among: keys) == "enabled")
        #expect(Spelling.suggestion(for: "max_connection", among: keys) == "max_connections")
        #expect(Spelling.suggestion(for: "port", among: keys) == nil)
    }
}

@Suite("TOML text")
struct TOMLTextTests {
    @Test func quoting() {
        #expect(ConfigLiteral.quoted("plain") == "\"plain\"")
        #expect(ConfigLiteral.quoted("a\"b\\c\nd\te\u{1}") == "\"a\\\"b\\\\c\\nd\\te\\u0001\"")
        #expect(ConfigLiteral.key("max_line_length") == "max_line_length")
        #expect(ConfigLiteral.key("a key") == "\"a key\"")
    }

    @Test func literals() {
        let list: ConfigLiteral = ["a", 1, true, []]
        #expect(list.tomlText == "[\"a\", 1, true, []]")
    }

    @Test func pathNormalisation() {
        #expect(ConfigPath.normalized("/a/./b/../c//d/") == "/a/c/d")
        #expect(ConfigPath.normalized("/../..") == "/")
        #expect(ConfigPath("x", relativeTo: "/srv/etc") == ConfigPath("/srv/etc/x", relativeTo: "/elsewhere"))
    }
}
