import Journeys

/// Weighted transition counts between chain states, with conversion and null as absorbing targets.
///
/// Counts are additive: fitting two disjoint data sets and merging the counts gives the counts of
/// their union, whatever the order, so fitting can be sharded. Only states actually observed are
/// stored (memory grows with the data, not with channels^order).
public struct TransitionCounts: Sendable {
    public let configuration: MarkovConfiguration
    /// Channel names; channel `c` is symbol `c + 1` in states.
    public private(set) var channelNames: [String] = []
    private var channelIndex: [String: Int] = [:]
    private(set) var states: [ChainState] = []
    private var stateIndex: [ChainState: Int] = [:]
    /// `transitions[s][target]`: weight of moving from state `s` to state `target`, or to
    /// `Self.conversion` / `Self.null`.
    private(set) var transitions: [[Int32: Double]] = []
    /// Value of the conversions that happened right after each state.
    private(set) var conversionValues: [Double] = []
    /// Conversions, their total value and nulls over all paths added.
    public private(set) var totalConversions = 0.0
    public private(set) var totalConversionValue = 0.0
    public private(set) var totalNulls = 0.0

    static let conversion: Int32 = -1
    static let null: Int32 = -2

    public init(configuration: MarkovConfiguration = MarkovConfiguration()) throws(MarkovError) {
        try configuration.validate()
        self.configuration = configuration
        _ = stateID(configuration.semantics.states(of: [UInt16](), order: configuration.order)[0])
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
        transitions.append([:])
        conversionValues.append(0)
        stateIndex[state] = states.count - 1
        return states.count - 1
    }

    /// Adds a path of channel ids (this table's) seen `conversions + nulls` times.
    mutating func add(path: [UInt16], conversions: Double, value: Double, nulls: Double) {
        let weight = conversions + nulls
        guard weight > 0, !path.isEmpty else { return }
        let chain = configuration.semantics.states(of: path, order: configuration.order)
        var from = stateID(chain[0])
        for state in chain.dropFirst() {
            let to = stateID(state)
            transitions[from][Int32(to), default: 0] += weight
            from = to
        }
        if conversions > 0 {
            transitions[from][Self.conversion, default: 0] += conversions
            conversionValues[from] += value
        }
        if nulls > 0 { transitions[from][Self.null, default: 0] += nulls }
        totalConversions += conversions
        totalConversionValue += value
        totalNulls += nulls
    }

    /// Adds every path of an aggregated-path table.
    public mutating func add(_ paths: PathTable) {
        let ids = paths.channelNames.map { UInt16(channelID($0)) }
        for row in 0..<paths.count {
            add(
                path: paths.path(row).map { ids[Int($0)] }, conversions: paths.conversions[row],
                value: paths.conversionValues[row], nulls: paths.nulls[row])
        }
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
    public mutating func merge(_ other: TransitionCounts) throws(MarkovError) {
        guard other.configuration == configuration else {
            throw MarkovError(.incompatible, "cannot merge counts of \(other.configuration) into \(configuration)")
        }
        let channelMap = other.channelNames.map { UInt16(channelID($0) + 1) }
        let stateMap = other.states.map { state in
            stateID(ChainState(symbols: state.symbols.map { $0 == 0 ? 0 : channelMap[Int($0) - 1] }))
        }
        for (from, value) in other.conversionValues.enumerated() { conversionValues[stateMap[from]] += value }
        for (from, row) in other.transitions.enumerated() {
            for (target, weight) in row {
                let mapped = target < 0 ? target : Int32(stateMap[Int(target)])
                transitions[stateMap[from]][mapped, default: 0] += weight
            }
        }
        totalConversions += other.totalConversions
        totalConversionValue += other.totalConversionValue
        totalNulls += other.totalNulls
    }
}
