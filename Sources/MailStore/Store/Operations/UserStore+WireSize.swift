// Wire sizes of rows indexed before the store kept them (the "v2-wire-size" migration
// left them NULL; see WireSize.swift for what the number counts). `check()` fills every
// such row of a mailbox, and `messages(in:)` / `messageDetails(in:)` fill the rows they
// return, so a session is never handed the file size in place of the wire size.
//
// One fill, in three steps like reconciliation: the rows (a read transaction); their
// numbers outside any transaction — from the file name's W= when its S= matches the
// indexed size (Dovecot and this store write both), else by reading the file in chunks;
// then one write transaction that stores each number where the row still has NULL. A
// message's bytes never change under its base name, so a number counted from any of its
// names is right; a row expunged meanwhile matches nothing; no MODSEQ is taken (the
// size of a message is not a change, it was only unknown).

import Foundation
import GRDB

extension UserStore {
    /// Fills the wire size of every row of `mailbox` that lacks one; returns how many
    /// were filled (a row whose file cannot be read stays NULL until the next time).
    func fillWireSizes(in mailbox: String) async throws(StoreError) -> Int {
        let rows = try await read { db -> [MessageRow] in
            guard let row = try IndexDatabase.mailbox(db, named: mailbox) else { return [] }
            return try Row.fetchAll(
                db, sql: "SELECT \(MessageRow.columns) FROM message WHERE mailbox_id = ? AND wire_size IS NULL",
                arguments: [row.id]
            ).map(MessageRow.init)
        }
        return try await storeWireSizes(of: rows, mailbox: mailbox).count
    }

    /// `rows` with their missing wire sizes filled in (and stored).
    func completingWireSizes(_ rows: [MessageRow], mailbox: String) async throws(StoreError) -> [MessageRow] {
        guard rows.contains(where: { $0.wireSize == nil }) else { return rows }
        let found = try await storeWireSizes(of: rows.filter { $0.wireSize == nil }, mailbox: mailbox)
        return rows.map { row in
            var row = row
            if row.wireSize == nil { row.wireSize = found[row.id] }
            return row
        }
    }

    /// Counts the wire sizes of `rows` and stores them; returns them by row id.
    private func storeWireSizes(of rows: [MessageRow], mailbox: String) async throws(StoreError) -> [Int64: Int] {
        guard !rows.isEmpty else { return [:] }
        let folder = folderPath(mailbox)
        let fileSystem = self.fileSystem
        let sizes = try await blocking { () -> [Int64: Int] in
            var sizes: [Int64: Int] = [:]
            for row in rows {
                // An unreadable file is left for the next fill (and for check() to expunge if gone).
                if let size = try? Self.wireSize(of: row, folder: folder, fileSystem) { sizes[row.id] = size }
            }
            return sizes
        }
        guard !sizes.isEmpty else { return [:] }
        try await write { db in
            for (id, size) in sizes {
                try db.execute(
                    sql: "UPDATE message SET wire_size = ? WHERE id = ? AND wire_size IS NULL", arguments: [size, id])
            }
        }
        return sizes
    }

    /// The wire size of an indexed message: from its name's hints when they can be
    /// believed, else counted from its file (found by base name if it was renamed); nil
    /// when the file is gone.
    static func wireSize(of row: MessageRow, folder: String, _ fileSystem: any MaildirFileSystem) throws -> Int? {
        if let hinted = MaildirFileName(parsing: row.fileName).trustedWireSize(forFileSize: row.size) { return hinted }
        let file: any ReadableFile
        do {
            file = try fileSystem.openFile(folder + "/" + row.relativePath)
        } catch let error as FileSystemError where error.isNotFound {
            guard let found = try findFile(base: row.baseName, in: folder, fileSystem) else { return nil }
            do {
                file = try fileSystem.openFile(folder + "/" + found.subdir + "/" + found.name.fileName)
            } catch let error as FileSystemError where error.isNotFound {
                return nil
            }
        }
        defer { file.close() }
        return try WireSize.ofFile(file)
    }
}
