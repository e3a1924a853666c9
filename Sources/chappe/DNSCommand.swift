// dns: a dig-like query; the reading of the words and the query are DNS.DigTool's.
import ArgumentParser
import DNS
import Foundation

struct DNSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Ask a DNS server and print the answer as dig does; exit 0 for NOERROR, 1 otherwise.",
        discussion: "Words as dig reads them: NAME [TYPE] [@SERVER[:PORT]] [+tcp]. The server defaults to "
            + "the first nameserver of /etc/resolv.conf; TYPE to A.")

    @Argument(help: ArgumentHelp("NAME, then TYPE, @SERVER[:PORT] and +tcp in any order.", valueName: "words"))
    var words: [String]

    @Flag(help: "Ask over TCP from the start (as +tcp).")
    var tcp = false

    func run() async throws {
        let request: DigRequest
        do {
            request = try DigRequest(words: words, overTCP: tcp)
        } catch {
            throw CommandFailure.usage(error.description)
        }
        let output = await DigTool.run(request)
        print(output.standardOutput, terminator: "")
        if !output.standardError.isEmpty {
            FileHandle.standardError.write(Data((output.standardError + "\n").utf8))
        }
        if output.status != 0 {
            throw ExitCode(output.status)
        }
    }
}
