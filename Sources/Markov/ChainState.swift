/// A chain state: up to six symbols, oldest first. Symbol `0` is the start padding of `history`
/// semantics; channel `c` is symbol `c + 1`.
struct ChainState: Hashable, Sendable {
    /// Symbols 0...3 in 16-bit lanes, oldest in the lowest lane.
    private(set) var low: UInt64 = 0
    /// Symbols 4...5 in the two lowest lanes; the length in bits 48...55.
    private(set) var high: UInt64 = 0

    var count: Int { Int(high >> 48) }

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

    /// The state after touching `symbol`, keeping at most `order` symbols.
    func appending(_ symbol: UInt16, order: Int) -> ChainState {
        var s = symbols
        s.append(symbol)
        if s.count > order { s.removeFirst(s.count - order) }
        return ChainState(symbols: s)
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
    /// the path with consecutive repeats collapsed (the whole path when it is shorter than `order`).
    func states(of path: some Collection<UInt16>, order: Int) -> [ChainState] {
        switch self {
        case .history:
            var states = [ChainState(symbols: [UInt16](repeating: 0, count: order))]
            states.reserveCapacity(path.count + 1)
            var current = states[0]
            for channel in path {
                current = current.appending(channel + 1, order: order)
                states.append(current)
            }
            return states
        case .channelAttribution:
            var collapsed: [UInt16] = []
            for channel in path where collapsed.last != channel + 1 { collapsed.append(channel + 1) }
            var states = [ChainState()]
            if collapsed.count <= order {
                states.append(ChainState(symbols: collapsed))
            } else {
                for start in 0...(collapsed.count - order) {
                    states.append(ChainState(symbols: collapsed[start..<(start + order)]))
                }
            }
            return states
        }
    }

    /// The name of a state for people: `(start)`, `email`, `email > web`.
    func describe(_ state: ChainState, channelNames: [String]) -> String {
        let names = state.symbols.filter { $0 != 0 }.map { channelNames[Int($0) - 1] }
        return names.isEmpty ? "(start)" : names.joined(separator: " > ")
    }
}
