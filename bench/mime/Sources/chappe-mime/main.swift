// chappe-mime: runs the real `chappe mime` command (MimeCommand) on its own, so the
// benchmark can time it without building the whole suite. Bad usage exits 2.

import ArgumentParser
import Foundation

struct BenchRoot: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "chappe-mime", subcommands: [MimeCommand.self])
}

do {
    var command = try BenchRoot.parseAsRoot()
    try command.run()
} catch {
    let code = BenchRoot.exitCode(for: error)
    if code == .validationFailure {
        FileHandle.standardError.write(Data((BenchRoot.fullMessage(for: error) + "\n").utf8))
        exit(2)
    }
    BenchRoot.exit(withError: error)
}
