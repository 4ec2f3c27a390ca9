import Dispatch
import Journeys

/// Weighted transition counts between chain states, with conversion and null as absorbing targets.
///
/// Counts are additive: fitting two disjoint data sets and merging the counts gives the counts of
/// their union, whatever the order, so fitting can be sharded. Only states actually observed are
/// stored (memory grows with the data, not with channels^order).
public struct TransitionCounts: Sendable {
    /// Order and state semantics of the states; `merge(_:)` needs equal ones.
    public let configuration: MarkovConfiguration
    /// Channel names; channel `c` is symbol `c + 1` in states.
    public private(set) var channelNames: [String] = []
    private var channelIndex: [String: Int] = [:]
    private(set) var states: [ChainState] = []
    private var stateIndex: [ChainState: Int] = [:]
    /// `successors[s]`: the states reached from state `s`, with their weights. A short list searched
    /// in order (states have a few successors each): counting a step then needs no hashing.
    private(set) var successors: [[Successor]] = []
    /// Weight of converting, and of ending without conversion, right after each state.
    private(set) var conversionWeights: [Double] = []
    private(set) var nullWeights: [Double] = []
    /// Value of the conversions that happened right after each state.
    private(set) var conversionValues: [Double] = []
    /// Conversions over all paths added (a sum of weights, so possibly fractional).
    public private(set) var totalConversions = 0.0
    /// Total value of those conversions.
    public private(set) var totalConversionValue = 0.0
    /// Paths added that ended without a conversion (a sum of weights).
    public private(set) var totalNulls = 0.0

    /// A transition out of a state: to `target`, by touching `symbol` (0 when the step is not one
    /// touch, as from ChannelAttribution's start state to a whole first window).
    struct Successor: Sendable {
        var symbol: UInt16
        var target: Int32
        var weight: Double
    }

    /// Empty counts: only the start state, no channels.
    ///
    /// - Throws: `MarkovError` `.invalidConfiguration` if `order` is not in 1...6.
    public init(configuration: MarkovConfiguration = MarkovConfiguration()) throws(MarkovError) {
        try configuration.validate()
        self.configuration = configuration
        _ = stateID(configuration.semantics.states(of: [UInt16](), order: configuration.order)[0])
    }

    /// Rebuilds counts from their saved columns (`MarkovModelV1`).
    init(
        configuration: MarkovConfiguration, channelNames: [String], states: [ChainState], successors: [[Successor]],
        conversionWeights: [Double], conversionValues: [Double], nullWeights: [Double],
        totals: (conversions: Double, value: Double, nulls: Double)
    ) throws(MarkovError) {
        try configuration.validate()
        self.configuration = configuration
        for name in channelNames { _ = channelID(name) }
        guard self.channelNames.count == channelNames.count else {
            throw MarkovError(.incompatible, "model file names a channel twice")
        }
        self.states = states
        for (i, state) in states.enumerated() { stateIndex[state] = i }
        guard stateIndex.count == states.count else { throw MarkovError(.incompatible, "model file lists a state twice") }
        self.successors = successors
        self.conversionWeights = conversionWeights
        self.conversionValues = conversionValues
        self.nullWeights = nullWeights
        (totalConversions, totalConversionValue, totalNulls) = totals
    }

    /// Number of distinct states observed, the start state included.
    public var stateCount: Int { states.count }

    mutating func channelID(_ name: String) -> Int {
        if let id = channelIndex[name] { return id }
        channelNames.append(name)
        channelIndex[name] = channelNames.count - 1
        return channelNames.count - 1
    }

    private mutating func stateID(_ state: ChainState) -> Int {
        if let id = stateIndex[state] { return id }
        states.append(state)
        successors.append([])
        conversionWeights.append(0)
        nullWeights.append(0)
        conversionValues.append(0)
        stateIndex[state] = states.count - 1
        return states.count - 1
    }

    /// Adds a path of channel ids (this table's) seen `conversions + nulls` times.
    mutating func add(path: some Collection<UInt16>, conversions: Double, value: Double, nulls: Double) {
        let weight = conversions + nulls
        guard weight > 0, !path.isEmpty else { return }
        var from = -1
        configuration.semantics.forEachState(of: path, order: configuration.order) { state in
            if from < 0 {
                from = stateID(state)
                return
            }
            // The step's symbol is the new state's last one, except out of a start state whose
            // successors are whole windows (ChannelAttribution), which are told apart by target.
            let symbol = states[from].count == 0 ? 0 : state[state.count - 1]
            if symbol != 0, let k = successors[from].firstIndex(where: { $0.symbol == symbol }) {
                successors[from][k].weight += weight
                from = Int(successors[from][k].target)
                return
            }
            let to = Int32(stateID(state))
            if let k = successors[from].firstIndex(where: { $0.target == to }) {
                successors[from][k].weight += weight
            } else {
                successors[from].append(Successor(symbol: symbol, target: to, weight: weight))
            }
            from = Int(to)
        }
        conversionWeights[from] += conversions
        conversionValues[from] += value
        nullWeights[from] += nulls
        totalConversions += conversions
        totalConversionValue += value
        totalNulls += nulls
    }

    /// The state a path of this table's channel ids ends in, or nil when it was never observed.
    func finalState(of path: some Collection<UInt16>) -> Int? {
        stateIndex[finalChainState(of: path)]
    }

    /// The last state of `path`, whether observed or not.
    func finalChainState(of path: some Collection<UInt16>) -> ChainState {
        var last = ChainState()
        configuration.semantics.forEachState(of: path, order: configuration.order) { last = $0 }
        return last
    }

    /// The number of `state`, or nil when it was never observed.
    func index(of state: ChainState) -> Int? { stateIndex[state] }

    /// Adds every path of an aggregated-path table, counting `threads` shards of rows in parallel
    /// and merging them (counts are additive).
    public mutating func add(_ paths: PathTable, threads: Int = systemCoreCount()) {
        let shards = paths.count < 50_000 ? 1 : max(1, threads)
        let parts = Slots<PathCounter>(count: shards)
        let configuration = self.configuration
        let count = { @Sendable (k: Int) in
            let counter = PathCounter(configuration: configuration)
            paths.steps.withUnsafeBufferPointer { steps in
                for row in (paths.count * k / shards)..<(paths.count * (k + 1) / shards) {
                    counter.add(
                        steps: UnsafeBufferPointer(rebasing: steps[paths.pathOffsets[row]..<paths.pathOffsets[row + 1]]),
                        conversions: paths.conversions[row], value: paths.conversionValues[row], nulls: paths.nulls[row])
                }
            }
            parts.set(k, counter)
        }
        if shards == 1 { count(0) } else { DispatchQueue.concurrentPerform(iterations: shards, execute: count) }
        let counters = parts.values.map { $0! }  // every slot is set
        let identity = (0..<paths.channelNames.count).map { UInt16($0) }
        for counter in counters.dropFirst() { counters[0].absorb(counter, channelMap: identity) }
        merge(counters[0], channelNames: Array(paths.channelNames))
    }

    /// Adds every path of an aggregated-path file (`PathTable`'s format), counted while it is parsed,
    /// on `threads` parts of the file in parallel, without building a `PathTable`.
    ///
    /// - Throws: `JourneyError` for unreadable or bad input, as `PathTable.read(path:options:)`.
    public mutating func add(pathsFile path: String, options: PathTableOptions = PathTableOptions(), threads: Int = systemCoreCount()) throws(JourneyError) {
        let (counter, names) = try Self.count(pathsFile: path, options: options, threads: threads, configuration: configuration, halfLife: nil)
        merge(counter, channelNames: names)
    }

    /// `add(pathsFile:options:threads:)` that credits the same rows to `heuristics` in the same pass
    /// (ages in steps), as `heuristics.add(_: PathTable)` would.
    ///
    /// - Throws: `JourneyError` for unreadable or bad input, as `PathTable.read(path:options:)`.
    public mutating func add(
        pathsFile path: String, options: PathTableOptions = PathTableOptions(), heuristics: inout HeuristicAttribution,
        threads: Int = systemCoreCount()
    ) throws(JourneyError) {
        let (counter, names) = try Self.count(
            pathsFile: path, options: options, threads: threads, configuration: configuration, halfLife: heuristics.halfLife)
        merge(counter, channelNames: names)
        heuristics.add(credit: counter.credit, valueCredit: counter.valueCredit, channelNames: names)
    }

    /// The parts of a scanned file counted, added into the first part's counter; channel names by id.
    private static func count(
        pathsFile path: String, options: PathTableOptions, threads: Int, configuration: MarkovConfiguration, halfLife: Double?
    ) throws(JourneyError) -> (PathCounter, [String]) {
        let parts = try PathTable.scan(path: path, options: options, threads: threads) {
            PathCounter(configuration: configuration, halfLife: halfLife)
        }
        var names = parts[0].channelNames
        var index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        for part in parts.dropFirst() {
            let map = part.channelNames.map { name in
                if let id = index[name] { return UInt16(id) }
                index[name] = names.count
                names.append(name)
                return UInt16(names.count - 1)
            }
            parts[0].sink.absorb(part.sink, channelMap: map)
        }
        return (parts[0].sink, names)
    }

    /// Adds a counter's counts; its channel `c` is named `channelNames[c]`.
    mutating func merge(_ counter: PathCounter, channelNames names: [String]) {
        let channelMap = names.map { UInt16(channelID($0) + 1) }
        // Existing edges by (from, target); without any, every edge of the counter is new here.
        var existing: [UInt64: Int] = [:]
        for (from, row) in successors.enumerated() {
            for (k, successor) in row.enumerated() { existing[UInt64(from) << 32 | UInt64(UInt32(successor.target))] = k }
        }
        var stateMap = [Int](repeating: 0, count: counter.stateCount)
        for s in 0..<counter.stateCount {
            let state = counter.states[s]
            let id = stateID(ChainState(symbols: (0..<state.count).map { state[$0] == 0 ? 0 : channelMap[Int(state[$0]) - 1] }))
            stateMap[s] = id
            conversionWeights[id] += counter.endings[s].conversions
            conversionValues[id] += counter.endings[s].value
            nullWeights[id] += counter.endings[s].nulls
        }
        let weights = counter.edgeWeights()
        for e in 0..<counter.edgeCount {
            let from = stateMap[Int(counter.edgeFrom[e])]
            let target = Int32(stateMap[Int(counter.edgeTarget[e])])
            let symbol = counter.edgeSymbol[e] == 0 ? 0 : channelMap[Int(counter.edgeSymbol[e]) - 1]
            let weight = weights[e]
            if !existing.isEmpty, let k = existing[UInt64(from) << 32 | UInt64(UInt32(target))] {
                successors[from][k].weight += weight
            } else {
                successors[from].append(Successor(symbol: symbol, target: target, weight: weight))
            }
        }
        totalConversions += counter.totalConversions
        totalConversionValue += counter.totalConversionValue
        totalNulls += counter.totalNulls
    }

    /// Adds the completed journeys (converted or lapsed) of `journeys`; censored journeys are skipped,
    /// because how they end is not known yet.
    public mutating func add(_ journeys: [Journey], from store: EventStore) {
        let ids = store.channelNames.map { UInt16(channelID($0)) }
        for journey in journeys where journey.outcome != .censored {
            let path = journey.events.map { ids[Int(store.channels[$0])] }
            let converted = journey.outcome == .converted
            add(path: path, conversions: converted ? 1 : 0, value: journey.conversionValue, nulls: converted ? 0 : 1)
        }
    }

    /// Adds `other`'s counts (same order and semantics; channels matched by name).
    ///
    /// - Throws: `MarkovError` `.incompatible` if `other`'s configuration differs from this one.
    public mutating func merge(_ other: TransitionCounts) throws(MarkovError) {
        guard other.configuration == configuration else {
            throw MarkovError(.incompatible, "cannot merge counts of \(other.configuration) into \(configuration)")
        }
        mergeCounts(other)
    }

    /// `merge` after its configuration check.
    private mutating func mergeCounts(_ other: TransitionCounts) {
        let channelMap = other.channelNames.map { UInt16(channelID($0) + 1) }
        let stateMap = other.states.map { state in
            stateID(ChainState(symbols: state.symbols.map { $0 == 0 ? 0 : channelMap[Int($0) - 1] }))
        }
        for from in other.states.indices {
            let mappedFrom = stateMap[from]
            conversionValues[mappedFrom] += other.conversionValues[from]
            conversionWeights[mappedFrom] += other.conversionWeights[from]
            nullWeights[mappedFrom] += other.nullWeights[from]
            for successor in other.successors[from] {
                let target = Int32(stateMap[Int(successor.target)])
                let symbol = successor.symbol == 0 ? 0 : channelMap[Int(successor.symbol) - 1]
                if let k = successors[mappedFrom].firstIndex(where: { $0.target == target }) {
                    successors[mappedFrom][k].weight += successor.weight
                } else {
                    successors[mappedFrom].append(Successor(symbol: symbol, target: target, weight: successor.weight))
                }
            }
        }
        totalConversions += other.totalConversions
        totalConversionValue += other.totalConversionValue
        totalNulls += other.totalNulls
    }
}
