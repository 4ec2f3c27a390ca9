#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Journeys

/// Transition counts (and, on request, heuristic credit) of one part of the paths, in flat
/// open-addressing tables: counting a step is one probe keyed by (state, symbol), no hashing of whole
/// states and no per-state arrays. The fast path behind `TransitionCounts.add(_: PathTable)` and
/// `add(pathsFile:)`; `TransitionCounts.merge(_:channelNames:)` turns it into counts.
///
/// Channel ids are the part's own (`c` is symbol `c + 1` in states). One counter is used by one
/// thread at a time (hence `@unchecked Sendable`): it is filled on a worker, then handed back.
final class PathCounter: PathRowSink, @unchecked Sendable {
    // Stored properties are `@exclusivity(unchecked)`: one thread at a time counts, no access overlaps
    // another, and the dynamic checks cost about 5% of counting.
    let order: Int
    let semantics: StateSemantics
    /// States by id, the start state first, and what happened right after each.
    @exclusivity(unchecked) private(set) var states = RawColumn<ChainState>()
    @exclusivity(unchecked) private(set) var endings = RawColumn<Endings>()
    /// Edges by id, in order of first use: from, symbol (0 for the start-to-window steps of
    /// `channelAttribution`), target. Weights live in the hash slots (`edgeWeights()` gathers them).
    @exclusivity(unchecked) private(set) var edgeFrom = RawColumn<Int32>()
    @exclusivity(unchecked) private(set) var edgeSymbol = RawColumn<UInt16>()
    @exclusivity(unchecked) private(set) var edgeTarget = RawColumn<Int32>()
    /// Open addressing over (state, symbol) edges: one probe finds the target and the weight.
    @exclusivity(unchecked) private var edgeSlots: UnsafeMutablePointer<EdgeSlot>
    @exclusivity(unchecked) private var edgeMask: Int
    /// Open addressing over states; a slot also holds the state's start-to-window edge, if any.
    @exclusivity(unchecked) private var stateSlots: UnsafeMutablePointer<StateSlot>
    @exclusivity(unchecked) private var stateMask: Int
    @exclusivity(unchecked) private(set) var totalConversions = 0.0
    @exclusivity(unchecked) private(set) var totalConversionValue = 0.0
    @exclusivity(unchecked) private(set) var totalNulls = 0.0

    /// Conversion weight, conversion value and null weight right after a state.
    struct Endings {
        var conversions = 0.0
        var value = 0.0
        var nulls = 0.0
    }

    struct EdgeSlot {
        /// `from << 32 | symbol`.
        var key: UInt64 = 0
        var weight = 0.0
        var target: Int32 = 0
        /// Edge id + 1; 0 empty.
        var edge: Int32 = 0
    }

    struct StateSlot {
        var state = ChainState()
        /// State id + 1; 0 empty.
        var id: Int32 = 0
        /// Id + 1 of the edge from the start state to this whole window (`channelAttribution`); 0 none.
        var entry: Int32 = 0
        var entryWeight = 0.0
    }

    /// Heuristic credit, when asked for: `credit[channel * 5 + rule]` as in `HeuristicAttribution`.
    let halfLife: Double?
    @exclusivity(unchecked) private(set) var credit: [Double] = []
    @exclusivity(unchecked) private(set) var valueCredit: [Double] = []
    /// `decayByAge[a]`: time-decay weight of a touch `a` steps before the last.
    @exclusivity(unchecked) private var decayByAge: [Double] = []

    init(configuration: MarkovConfiguration, halfLife: Double? = nil) {
        order = configuration.order
        semantics = configuration.semantics
        self.halfLife = halfLife
        edgeMask = 255
        edgeSlots = .allocate(capacity: edgeMask + 1)
        edgeSlots.initialize(repeating: EdgeSlot(), count: edgeMask + 1)
        stateMask = 255
        stateSlots = .allocate(capacity: stateMask + 1)
        stateSlots.initialize(repeating: StateSlot(), count: stateMask + 1)
        _ = stateSlot(semantics.states(of: [UInt16](), order: order)[0])
    }

    deinit {
        edgeSlots.deallocate()
        stateSlots.deallocate()
        states.free()
        endings.free()
        edgeFrom.free()
        edgeTarget.free()
        edgeSymbol.free()
    }

    var stateCount: Int { states.count }
    var edgeCount: Int { edgeFrom.count }

    @inline(__always)
    private static func hash(_ x: UInt64) -> Int {
        Int(truncatingIfNeeded: (x &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }

    @inline(__always)
    private static func hash(_ state: ChainState) -> Int {
        hash(state.low ^ (state.high &* 0xBF58_476D_1CE4_E5B9))
    }

    /// The slot of `state`, the state added if new.
    @inline(__always)
    private func stateSlot(_ state: ChainState) -> UnsafeMutablePointer<StateSlot> {
        var slot = Self.hash(state) & stateMask
        while true {
            let p = stateSlots + slot
            if p.pointee.id == 0 { break }
            if p.pointee.state == state { return p }
            slot = (slot + 1) & stateMask
        }
        states.append(state)
        endings.append(Endings())
        stateSlots[slot] = StateSlot(state: state, id: Int32(states.count))
        if states.count * 2 > stateMask + 1 {
            growStates()
            return stateSlot(state)
        }
        return stateSlots + slot
    }

    /// The id of `state`, added if new.
    func stateID(_ state: ChainState) -> Int32 { stateSlot(state).pointee.id - 1 }

    private func growStates() {
        let old = stateSlots
        let oldSize = stateMask + 1
        stateMask = 2 * stateMask + 1
        stateSlots = .allocate(capacity: stateMask + 1)
        stateSlots.initialize(repeating: StateSlot(), count: stateMask + 1)
        for k in 0..<oldSize where old[k].id != 0 {
            var slot = Self.hash(old[k].state) & stateMask
            while stateSlots[slot].id != 0 { slot = (slot + 1) & stateMask }
            stateSlots[slot] = old[k]
        }
        old.deallocate()
    }

    private func newEdge(from: Int32, symbol: UInt16, target: Int32) -> Int32 {
        edgeFrom.append(from)
        edgeSymbol.append(symbol)
        edgeTarget.append(target)
        return Int32(edgeFrom.count)
    }

    /// Adds `weight` to the edge from `from` by `symbol` (not 0), created if new; returns its target.
    @inline(__always)
    private func step(_ from: Int32, _ symbol: UInt16, _ weight: Double, target known: Int32? = nil) -> Int32 {
        let key = UInt64(UInt32(from)) << 32 | UInt64(symbol)
        var slot = Self.hash(key) & edgeMask
        while true {
            let p = edgeSlots + slot
            if p.pointee.edge == 0 { break }
            if p.pointee.key == key {
                p.pointee.weight += weight
                return p.pointee.target
            }
            slot = (slot + 1) & edgeMask
        }
        let to = known ?? stateID(states[Int(from)].appending(symbol, order: order))  // adds no edge: `slot` stays free
        edgeSlots[slot] = EdgeSlot(key: key, weight: weight, target: to, edge: newEdge(from: from, symbol: symbol, target: to))
        if edgeFrom.count * 2 > edgeMask + 1 { growEdges() }
        return to
    }

    private func growEdges() {
        let old = edgeSlots
        let oldSize = edgeMask + 1
        edgeMask = 2 * edgeMask + 1
        edgeSlots = .allocate(capacity: edgeMask + 1)
        edgeSlots.initialize(repeating: EdgeSlot(), count: edgeMask + 1)
        for k in 0..<oldSize where old[k].edge != 0 {
            var slot = Self.hash(old[k].key) & edgeMask
            while edgeSlots[slot].edge != 0 { slot = (slot + 1) & edgeMask }
            edgeSlots[slot] = old[k]
        }
        old.deallocate()
    }

    /// Adds `weight` to the step from the start state to the whole window `window` (`channelAttribution`);
    /// returns the window's id.
    @inline(__always)
    private func enter(_ window: ChainState, _ weight: Double) -> Int32 {
        let p = stateSlot(window)
        if p.pointee.entry == 0 { p.pointee.entry = newEdge(from: 0, symbol: 0, target: p.pointee.id - 1) }
        p.pointee.entryWeight += weight
        return p.pointee.id - 1
    }

    /// Every edge's weight, by edge id.
    func edgeWeights() -> [Double] {
        var weights = [Double](repeating: 0, count: edgeCount)
        for k in 0...edgeMask where edgeSlots[k].edge != 0 { weights[Int(edgeSlots[k].edge) - 1] = edgeSlots[k].weight }
        for k in 0...stateMask where stateSlots[k].entry != 0 { weights[Int(stateSlots[k].entry) - 1] = stateSlots[k].entryWeight }
        return weights
    }

    /// Counts one path of the part's channel ids seen `conversions + nulls` times; the same chain as
    /// `TransitionCounts.add(path:conversions:value:nulls:)`.
    func add(steps path: UnsafeBufferPointer<UInt16>, conversions: Double, value: Double, nulls: Double) {
        let weight = conversions + nulls
        let m = path.count
        guard weight > 0, m > 0 else { return }
        var state: Int32 = 0
        switch semantics {
        case .history:
            for channel in path { state = step(state, channel &+ 1, weight) }
        case .channelAttribution:
            let prefix = min(m, order)
            var window = ChainState()
            for i in 0..<prefix { window = window.appending(path[i] &+ 1, order: order) }
            state = enter(window, weight)
            if m > order {
                // The window repeats itself (collapsed) when its `order` symbols all equal the new one:
                // `run` counts the equal symbols at the end of the path so far.
                var last = path[prefix - 1]
                var run = 1
                var i = prefix - 2
                while i >= 0 && path[i] == last {
                    run += 1
                    i -= 1
                }
                for k in prefix..<m {
                    let channel = path[k]
                    if channel == last {
                        run += 1
                        if run > order { continue }
                    } else {
                        last = channel
                        run = 1
                    }
                    state = step(state, channel &+ 1, weight)
                }
            }
        }
        let ending = endings.base + Int(state)
        ending.pointee.conversions += conversions
        ending.pointee.value += value
        ending.pointee.nulls += nulls
        totalConversions += conversions
        totalConversionValue += value
        totalNulls += nulls
        if let halfLife, conversions > 0 { addCredit(path, conversions: conversions, value: value, halfLife: halfLife) }
    }

    /// `HeuristicAttribution.add(channels:ages:conversions:value:)` for a path with ages in steps, the
    /// same arithmetic in the same order.
    private func addCredit(_ path: UnsafeBufferPointer<UInt16>, conversions count: Double, value: Double, halfLife: Double) {
        let m = path.count
        let rules = HeuristicAttribution.Rule.allCases.count
        while decayByAge.count < m {
            let age = Double(decayByAge.count)
            decayByAge.append(halfLife > 0 ? exp2(-age / halfLife) : (age == 0 ? 1 : 0))
        }
        var highest = 0
        for channel in path { highest = max(highest, Int(channel)) }
        if (highest + 1) * rules > credit.count {
            credit.append(contentsOf: repeatElement(0, count: (highest + 1) * rules - credit.count))
            valueCredit.append(contentsOf: repeatElement(0, count: credit.count - valueCredit.count))
        }
        var decaySum = 0.0
        for i in 0..<m { decaySum += decayByAge[m - 1 - i] }
        let linear = 1 / Double(m)
        let middle = m > 2 ? 0.2 / Double(m - 2) : 0
        credit.withUnsafeMutableBufferPointer { credit in
            valueCredit.withUnsafeMutableBufferPointer { valueCredit in
                for i in 0..<m {
                    let position: Double = m == 1 ? 1 : m == 2 ? 0.5 : (i == 0 || i == m - 1 ? 0.4 : middle)
                    let decay = decaySum > 0 ? decayByAge[m - 1 - i] / decaySum : (i == m - 1 ? 1 : 0)
                    let base = Int(path[i]) * rules
                    if i == 0 {
                        credit[base + HeuristicAttribution.Rule.firstTouch.index] += count
                        valueCredit[base + HeuristicAttribution.Rule.firstTouch.index] += value
                    }
                    if i == m - 1 {
                        credit[base + HeuristicAttribution.Rule.lastTouch.index] += count
                        valueCredit[base + HeuristicAttribution.Rule.lastTouch.index] += value
                    }
                    credit[base + HeuristicAttribution.Rule.linear.index] += linear * count
                    credit[base + HeuristicAttribution.Rule.positionBased.index] += position * count
                    credit[base + HeuristicAttribution.Rule.timeDecay.index] += decay * count
                    valueCredit[base + HeuristicAttribution.Rule.linear.index] += linear * value
                    valueCredit[base + HeuristicAttribution.Rule.positionBased.index] += position * value
                    valueCredit[base + HeuristicAttribution.Rule.timeDecay.index] += decay * value
                }
            }
        }
    }

    /// Adds `other`'s counts and credit; `channelMap[c]` is this counter's id of `other`'s channel `c`.
    func absorb(_ other: PathCounter, channelMap: [UInt16]) {
        precondition(other.order == order && other.semantics == semantics, "absorb needs counters of one configuration")
        var stateMap = [Int32](repeating: 0, count: other.stateCount)
        for s in 0..<other.stateCount {
            let state = other.states[s]
            let mapped = ChainState(symbols: (0..<state.count).map { state[$0] == 0 ? 0 : channelMap[Int(state[$0]) - 1] + 1 })
            let id = stateID(mapped)
            stateMap[s] = id
            endings[Int(id)].conversions += other.endings[s].conversions
            endings[Int(id)].value += other.endings[s].value
            endings[Int(id)].nulls += other.endings[s].nulls
        }
        let weights = other.edgeWeights()
        for e in 0..<other.edgeCount {
            let from = stateMap[Int(other.edgeFrom[e])]
            let to = stateMap[Int(other.edgeTarget[e])]
            if other.edgeSymbol[e] == 0 {
                _ = enter(states[Int(to)], weights[e])
            } else {
                _ = step(from, channelMap[Int(other.edgeSymbol[e]) - 1] + 1, weights[e], target: to)
            }
        }
        totalConversions += other.totalConversions
        totalConversionValue += other.totalConversionValue
        totalNulls += other.totalNulls
        let rules = HeuristicAttribution.Rule.allCases.count
        for c in 0..<(other.credit.count / rules) {
            let base = Int(channelMap[c]) * rules
            if base + rules > credit.count {
                credit.append(contentsOf: repeatElement(0, count: base + rules - credit.count))
                valueCredit.append(contentsOf: repeatElement(0, count: credit.count - valueCredit.count))
            }
            for r in 0..<rules {
                credit[base + r] += other.credit[c * rules + r]
                valueCredit[base + r] += other.valueCredit[c * rules + r]
            }
        }
    }
}

/// A growable column in manually managed memory: appends and element access without Swift
/// array uniqueness checks on the counting hot path. Freed by its owner.
struct RawColumn<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init() {
        capacity = 64
        base = .allocate(capacity: capacity)
    }

    subscript(i: Int) -> Element {
        @inline(__always) get { base[i] }
        @inline(__always) nonmutating _modify { yield &base[i] }
    }

    @inline(__always)
    mutating func append(_ x: Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: x)
        count += 1
    }

    private mutating func grow() {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: 2 * capacity)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }

    /// Frees the memory (the elements are trivial types).
    func free() { base.deallocate() }
}
