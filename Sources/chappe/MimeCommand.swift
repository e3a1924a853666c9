// `chappe mime`: inspect and convert messages. A thin layer over MIME's MimeTool: it reads
// files or standard input, calls the tool, and writes results. Exit status: 0 success,
// 1 runtime failure (one line on stderr), 2 bad usage (ValidationError, mapped by the root
// command).

import ArgumentParser
import Foundation
import MIME

struct MimeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mime",
        abstract: "Inspect and convert MIME messages.",
        subcommands: [Tree.self, Decode.self, Extract.self, Encode.self, Headers.self]
    )

    struct Tree: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tree", abstract: "Print the MIME structure: part number, type, parameters, encoding, size, file name.")
        @Argument(help: "The message file (\"-\" for standard input).") var file: String

        func run() throws {
            let message = try MimeIO.readInput(file)
            try MimeIO.write(Array(MimeIO.tool { try MimeTool.tree(message) }.utf8))
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "decode", abstract: "Write a part's decoded body to standard output.")
        @Argument(help: "The message file (\"-\" for standard input).") var file: String
        @Option(help: "The part number as IMAP numbers it (default 1).") var part: String?

        func run() throws {
            let message = try MimeIO.readInput(file)
            try MimeIO.write(MimeIO.tool { try MimeTool.decode(message, part: part) })
        }
    }

    struct Extract: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "extract", abstract: "Save every attachment into a directory under a safe file name.")
        @Argument(help: "The message file (\"-\" for standard input).") var file: String
        @Argument(help: "The directory to write into (created if missing).") var directory: String

        func run() throws {
            let message = try MimeIO.readInput(file)
            let files = try MimeIO.tool { try MimeTool.extract(message) }
            let base = URL(fileURLWithPath: directory, isDirectory: true)
            do {
                try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
                for extracted in files {
                    let url = base.appendingPathComponent(extracted.name)
                    // Never overwrite: an existing file is a failure, not a silent replacement.
                    guard !FileManager.default.fileExists(atPath: url.path) else {
                        throw MimeIO.Failure("\(url.path) already exists")
                    }
                    try Data(extracted.data).write(to: url, options: .withoutOverwriting)
                    print("\(extracted.section)\t\(extracted.data.count)\t\(url.path)")
                }
            } catch let failure as MimeIO.Failure {
                throw MimeIO.fail(failure.message)
            } catch {
                throw MimeIO.fail("cannot write into \(directory): \(error.localizedDescription)")
            }
        }
    }

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "encode", abstract: "Filter standard input to standard output through base64 or quoted-printable.")

        enum Kind: String, EnumerableFlag {
            case base64, qp
            static func help(for value: Kind) -> ArgumentHelp? {
                value == .base64 ? "Base64 (RFC 2045 §6.8), like coreutils base64." : "Quoted-printable (RFC 2045 §6.7)."
            }
        }

        @Flag(exclusivity: .exclusive) var kind: Kind
        @Flag(name: [.short, .long], help: "Decode instead of encoding.") var decode = false
        @Option(name: [.short, .long], help: "Wrap base64 lines after this many characters (0: no wrapping).") var wrap = 76

        func validate() throws {
            guard wrap >= 0 else { throw ValidationError("--wrap must be 0 or more") }
        }

        func run() throws {
            let mode: MimeTool.Filter.Mode = switch (kind, decode) {
            case (.base64, false): .base64Encode(wrap: wrap)
            case (.base64, true): .base64Decode
            case (.qp, false): .quotedPrintableEncode
            case (.qp, true): .quotedPrintableDecode
            }
            var filter = MimeTool.Filter(mode)
            let output = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: filter.maxOutputCount(forInputCount: MimeIO.chunkSize))
            defer { output.deallocate() }
            try MimeIO.stream(from: 0) { chunk in
                guard let base = output.baseAddress else { return }
                let count = filter.process(chunk, into: base)
                try MimeIO.write(UnsafeRawBufferPointer(start: base, count: count))
            }
            try MimeIO.write(filter.finish())
        }
    }

    struct Headers: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "headers", abstract: "Print the header fields, unfolded and decoded.")
        @Argument(help: "The message file (\"-\" for standard input).") var file: String

        func run() throws {
            let message = try MimeIO.readInput(file)
            try MimeIO.write(Array(MimeIO.tool { try MimeTool.headers(message) }.utf8))
        }
    }
}

/// File and stream handling for `chappe mime`, with errors as one line on stderr.
enum MimeIO {
    struct Failure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// Prints "chappe mime: MESSAGE" on stderr and returns the runtime-failure exit code.
    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("chappe mime: \(message)\n".utf8))
        return ExitCode(1)
    }

    /// Runs a MimeTool call, turning its error into a one-line failure.
    static func tool<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as MIMEError {
            throw fail(error.description)
        }
    }

    static func readInput(_ path: String) throws -> [UInt8] {
        if path == "-" {
            var bytes: [UInt8] = []
            try stream(from: 0) { bytes += $0 }
            return bytes
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw fail("cannot read \(path)")
        }
        return [UInt8](data)
    }

    /// How much `stream` reads at a time.
    static let chunkSize = 256 * 1024

    /// Reads a file descriptor to its end in `chunkSize` chunks.
    static func stream(from descriptor: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        let size = chunkSize
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: size)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, size)
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR { continue }
                throw fail("cannot read standard input: \(String(cString: strerror(errno)))")
            }
            try body(UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Writes all of `bytes` to standard output.
    static func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes all of `raw` to standard output.
    static func write(_ raw: UnsafeRawBufferPointer) throws {
        do {
            var offset = 0
            while offset < raw.count {
                guard let base = raw.baseAddress else { return }
                let written = Foundation.write(1, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw fail("cannot write standard output: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }
}
