// The caps on outgoing connections: in total and per destination (a
// domain, or the smarthost), as Postfix's default_process_limit and
// default_destination_concurrency_limit. A connection waits, in arrival
// order, for a free slot.

actor ConnectionSlots {
    let total: Int
    let perDestination: Int
    private var open = 0
    private var openPerDestination: [String: Int] = [:]
    private var waiting: [(destination: String, resume: CheckedContinuation<Void, Never>)] = []

    init(total: Int, perDestination: Int) {
        self.total = max(1, total)
        self.perDestination = max(1, perDestination)
    }

    /// Returns when a connection to `destination` may be opened.
    func acquire(_ destination: String) async {
        if isFree(destination) {
            take(destination)
            return
        }
        await withCheckedContinuation { waiting.append((destination, $0)) }
    }

    /// The connection to `destination` is closed.
    func release(_ destination: String) {
        open -= 1
        openPerDestination[destination, default: 1] -= 1
        if openPerDestination[destination] == 0 { openPerDestination[destination] = nil }
        if let index = waiting.firstIndex(where: { isFree($0.destination) }) {
            let next = waiting.remove(at: index)
            take(next.destination)
            next.resume.resume()
        }
    }

    private func isFree(_ destination: String) -> Bool {
        open < total && openPerDestination[destination, default: 0] < perDestination
    }

    private func take(_ destination: String) {
        open += 1
        openPerDestination[destination, default: 0] += 1
    }
}
