// Reads a password: from standard input (--password-stdin, for scripts) or
// from the terminal with echo off, asked twice.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

enum PasswordInput {
    static func read(fromStdin: Bool, confirm: Bool) throws -> String {
        if fromStdin {
            guard let line = Swift.readLine(strippingNewline: true) else {
                throw CommandFailure.usage("--password-stdin: standard input is empty")
            }
            return line.hasSuffix("\r") ? String(line.dropLast()) : line
        }
        guard isatty(STDIN_FILENO) == 1 else {
            throw CommandFailure.usage("no terminal to ask for a password; use --password-stdin")
        }
        let first = try prompt("Password: ")
        if confirm {
            let second = try prompt("Again: ")
            guard first == second else {
                throw CommandFailure.usage("the two passwords differ; nothing changed")
            }
        }
        return first
    }

    private static func prompt(_ text: String) throws -> String {
        FileHandle.standardError.write(Data(text.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = Swift.readLine(strippingNewline: true) else {
            throw CommandFailure.usage("no password given")
        }
        return line
    }
}
