/// A chain state: up to six symbols, oldest first. Symbol `0` is the start padding of `history`
/// semantics; channel `c` is symbol `c + 1`.
package struct ChainState: Hashable, Sendable {
    /// Symbols 0...3 in 16-bit lanes, oldest in the lowest lane.
    private(set) var low: UInt64 = 0
    /// Symbols 4...5 in the two lowest lanes; the length in bits 48...55.
    private(set) var high: UInt64 = 0

    var count: Int { Int(high >> 48) }

    /// One pre-mixed word for the hasher instead of two (states are hashed for every step counted).
    package func hash(into hasher: inout Hasher) {
        hasher.combine(low ^ (high &* 0x9E37_79B9_7F4A_7C15))
    }

    init() {}

    init(symbols: some Collection<UInt16>) {
        precondition(symbols.count <= MarkovConfiguration.maxOrder, "a state holds at most \(MarkovConfiguration.maxOrder) symbols")
        for (i, s) in symbols.enumerated() { setSymbol(i, s) }
        high |= UInt64(symbols.count) << 48
    }

    subscript(i: Int) -> UInt16 {
        i < 4 ? UInt16(truncatingIfNeeded: low >> (16 * UInt64(i))) : UInt16(truncatingIfNeeded: high >> (16 * UInt64(i - 4)))
    }

    private mutating func setSymbol(_ i: Int, _ s: UInt16) {
        if i < 4 {
            low = low & ~(0xFFFF << (16 * UInt64(i))) | UInt64(s) << (16 * UInt64(i))
        } else {
            high = high & ~(0xFFFF << (16 * UInt64(i - 4))) | UInt64(s) << (16 * UInt64(i - 4))
        }
    }

    var symbols: [UInt16] { (0..<count).map { self[$0] } }

    /// The state after touching `symbol`, keeping at most `order` symbols (the oldest drops out).
    func appending(_ symbol: UInt16, order: Int) -> ChainState {
        var next = self
        let n = count
        if n < order {
            next.setSymbol(n, symbol)
            next.high = next.high & ~(0xFF << 48) | UInt64(n + 1) << 48
        } else {
            for i in 0..<(n - 1) { next.setSymbol(i, self[i + 1]) }
            next.setSymbol(n - 1, symbol)
        }
        return next
    }

    /// Whether channel `channel` is one of the symbols.
    func contains(channel: Int) -> Bool {
        let symbol = UInt16(channel + 1)
        for i in 0..<count where self[i] == symbol { return true }
        return false
    }
}

extension StateSemantics {
    /// The chain states a path of channels passes through, the start state first.
    ///
    /// `history`: `[start…start]`, then the last `order` channels after each touch.
    /// `channelAttribution`: the empty start state, then the sliding windows of `order` channels over
    /// the path (the whole path when it is shorter than `order`), with consecutive identical windows
    /// collapsed into one: `a > a > b` is `(a,a), (a,b)` at order 2 and `a, b` at order 1.
    func states(of path: some Collection<UInt16>, order: Int) -> [ChainState] {
        var states: [ChainState] = []
        forEachState(of: path, order: order) { states.append($0) }
        return states
    }

    /// Calls `body` with each state of `states(of:order:)`, in order, without building the array.
    @inline(__always)
    func forEachState(of path: some Collection<UInt16>, order: Int, _ body: (ChainState) -> Void) {
        switch self {
        case .history:
            var current = ChainState(symbols: repeatElement(UInt16(0), count: order))
            body(current)
            for channel in path {
                current = current.appending(channel + 1, order: order)
                body(current)
            }
        case .channelAttribution:
            body(ChainState())
            if path.count <= order {
                body(ChainState(symbols: path.lazy.map { $0 + 1 }))
            } else {
                var window = ChainState(symbols: path.prefix(order).lazy.map { $0 + 1 })
                body(window)
                for channel in path.dropFirst(order) {
                    let next = window.appending(channel + 1, order: order)
                    if next != window { body(next) }
                    window = next
                }
            }
        }
    }

    /// The name of a state for people: `(start)`, `email`, `email > web`.
    func describe(_ state: ChainState, channelNames: [String]) -> String {
        let names = state.symbols.filter { $0 != 0 }.map { channelNames[Int($0) - 1] }
        return names.isEmpty ? "(start)" : names.joined(separator: " > ")
    }
}
