// Started as root, `chappe serve` binds its ports and then runs as the
// configured user (DESIGN.md, command line), like Postfix's master and
// Dovecot: nothing that parses network input runs with root's rights.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public enum PrivilegeDrop {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Switches the process to `user` when running as root; gives the data
    /// folder to that user first so that it can write its spool and store.
    /// Returns a note for the log, or nil when nothing was to be done.
    public static func drop(to user: String, owning dataDirectory: String) throws -> String? {
        guard getuid() == 0 || geteuid() == 0 else {
            return user.isEmpty ? nil : "not started as root: running as the invoking user, not \(user)"
        }
        guard !user.isEmpty else {
            return "running as root: set `user` in the configuration to drop privileges after binding"
        }
        guard let entry = getpwnam(user) else {
            throw Failure(description: "user \"\(user)\" does not exist; create it or change `user` in the configuration")
        }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        try chownTree(dataDirectory, uid: uid, gid: gid)
        var groups = [gid]
        guard setgroups(1, &groups) == 0, setgid(gid) == 0, setuid(uid) == 0 else {
            throw Failure(description: "cannot switch to user \"\(user)\": \(String(cString: strerror(errno)))")
        }
        guard setuid(0) != 0 else {
            throw Failure(description: "switched to user \"\(user)\" but root could be regained; refusing to run")
        }
        return "running as \(user) (uid \(uid))"
    }

    private static func chownTree(_ path: String, uid: uid_t, gid: gid_t) throws {
        guard lchown(path, uid, gid) == 0 else {
            throw Failure(description: "cannot give \(path) to uid \(uid): \(String(cString: strerror(errno)))")
        }
        guard let walker = FileManager.default.enumerator(atPath: path) else { return }
        for case let relative as String in walker {
            let full = (path as NSString).appendingPathComponent(relative)
            guard lchown(full, uid, gid) == 0 else {
                throw Failure(description: "cannot give \(full) to uid \(uid): \(String(cString: strerror(errno)))")
            }
        }
    }
}
