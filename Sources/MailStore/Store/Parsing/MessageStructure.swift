// MessageStructure: a message's envelope and body structure as the store computes
// them at delivery, public for the in-memory twins of the store that protocol
// modules test their sessions against (STYLE.md rule 10); the value types they
// build have public initializers in StoreTypes.swift for the same reason.

import Foundation

/// A message's envelope and body structure as the store computes them at delivery, for
/// twins that keep messages in memory.
public enum MessageStructure {
    public static func analyze(_ bytes: [UInt8]) -> (envelope: StoredEnvelope, bodyStructure: StoredBodyPart, headerSize: Int) {
        let analyzed = MessageAnalysis.analyze(bytes, maxTextBytes: 0)
        return (analyzed.envelope, analyzed.bodyStructure, analyzed.headerSize)
    }
}
