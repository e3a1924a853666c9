// The index schema (index.sqlite, one per user), as GRDB migrations. docs/SPOOL.md has the
// state table that says which rows and files exist at each step of each operation.
//
//   store_meta(key, value)                     last_uidvalidity: UIDVALIDITY values only grow
//   mailbox(id, name UNIQUE, uidvalidity, uidnext, highestmodseq, special_use,
//           message_count, total_size)         counters kept by triggers on message
//   subscription(name)                         IMAP subscriptions (may name no mailbox)
//   message(id, mailbox_id, uid, base_name, subdir, file_name, size, internal_date,
//           flags, keywords, recent, modseq, delivery_hash, header_size, sent_date,
//           subject, from_text, to_text, cc_text, bcc_text, message_id, in_reply_to,
//           envelope JSON, body_structure JSON, wire_size)
//           UNIQUE(mailbox_id, uid), UNIQUE(mailbox_id, base_name)
//           size is the file's size (quota, total_size); wire_size the octets POP3 and
//           IMAP send, CRLF line endings (WireSize.swift); NULL only for rows indexed
//           before "v2-wire-size", until `check()` or a listing fills it in
//   message_text FTS5(headers, body; trigram, detail=none)  lowercased text; rowid = message.id
//   delivery(hash, state pending|done, mailbox_id, base_name, uid, uidvalidity, size, created)
//   expunged(mailbox_id, uid, modseq)          the expunge log (CONDSTORE/QRESYNC, IDLE)
//   mailbox_keyword(mailbox_id, name)          keywords ever used in a mailbox (FLAGS)
//
// Invariants: uid < mailbox.uidnext for every message; uidnext never decreases; every
// change to a message or an expunge takes modseq = ++mailbox.highestmodseq in the same
// transaction; flags and keywords of a message in cur/ agree with its file name's info
// (the store renames the file in the transaction that changes the row).
//
// Migrations are only ever added, never edited: an index that ran one keeps it.

import GRDB

enum IndexSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-store") { db in
            try db.execute(sql: """
                CREATE TABLE store_meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                CREATE TABLE mailbox(
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    uidvalidity INTEGER NOT NULL,
                    uidnext INTEGER NOT NULL DEFAULT 1,
                    highestmodseq INTEGER NOT NULL DEFAULT 1,
                    special_use TEXT,
                    message_count INTEGER NOT NULL DEFAULT 0,
                    total_size INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE subscription(name TEXT PRIMARY KEY);
                CREATE TABLE message(
                    id INTEGER PRIMARY KEY,
                    mailbox_id INTEGER NOT NULL REFERENCES mailbox(id) ON DELETE CASCADE,
                    uid INTEGER NOT NULL,
                    base_name TEXT NOT NULL,
                    subdir TEXT NOT NULL CHECK (subdir IN ('new', 'cur')),
                    file_name TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    internal_date REAL NOT NULL,
                    flags INTEGER NOT NULL DEFAULT 0,
                    keywords TEXT NOT NULL DEFAULT '',
                    recent INTEGER NOT NULL DEFAULT 0,
                    modseq INTEGER NOT NULL,
                    delivery_hash TEXT,
                    header_size INTEGER NOT NULL,
                    sent_date REAL,
                    subject TEXT NOT NULL DEFAULT '',
                    from_text TEXT NOT NULL DEFAULT '',
                    to_text TEXT NOT NULL DEFAULT '',
                    cc_text TEXT NOT NULL DEFAULT '',
                    bcc_text TEXT NOT NULL DEFAULT '',
                    message_id TEXT NOT NULL DEFAULT '',
                    in_reply_to TEXT NOT NULL DEFAULT '',
                    envelope TEXT NOT NULL,
                    body_structure TEXT NOT NULL,
                    UNIQUE (mailbox_id, uid),
                    UNIQUE (mailbox_id, base_name));
                CREATE INDEX message_by_modseq ON message(mailbox_id, modseq);
                CREATE INDEX message_by_delivery ON message(delivery_hash) WHERE delivery_hash IS NOT NULL;
                CREATE VIRTUAL TABLE message_text USING fts5(headers, body, tokenize = 'trigram', detail = 'none');
                CREATE TABLE delivery(
                    hash TEXT PRIMARY KEY,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
                    mailbox_id INTEGER NOT NULL,
                    base_name TEXT NOT NULL,
                    uid INTEGER,
                    uidvalidity INTEGER,
                    size INTEGER NOT NULL,
                    created REAL NOT NULL);
                CREATE TABLE expunged(
                    mailbox_id INTEGER NOT NULL REFERENCES mailbox(id) ON DELETE CASCADE,
                    uid INTEGER NOT NULL,
                    modseq INTEGER NOT NULL);
                CREATE INDEX expunged_by_modseq ON expunged(mailbox_id, modseq);
                CREATE TABLE mailbox_keyword(
                    mailbox_id INTEGER NOT NULL REFERENCES mailbox(id) ON DELETE CASCADE,
                    name TEXT NOT NULL COLLATE NOCASE,
                    PRIMARY KEY (mailbox_id, name));
                CREATE TRIGGER message_added AFTER INSERT ON message BEGIN
                    UPDATE mailbox SET message_count = message_count + 1, total_size = total_size + NEW.size
                        WHERE id = NEW.mailbox_id;
                END;
                CREATE TRIGGER message_removed AFTER DELETE ON message BEGIN
                    UPDATE mailbox SET message_count = message_count - 1, total_size = total_size - OLD.size
                        WHERE id = OLD.mailbox_id;
                    DELETE FROM message_text WHERE rowid = OLD.id;
                END;
                """)
        }
        // The wire size of each message. Existing rows get NULL: filling them needs the
        // files (or their W= hints), which a migration does not read; `check()` fills
        // every NULL, and `messages(in:)` / `messageDetails(in:)` fill those they list.
        migrator.registerMigration("v2-wire-size") { db in
            try db.execute(sql: "ALTER TABLE message ADD COLUMN wire_size INTEGER")
        }
        return migrator
    }
}
