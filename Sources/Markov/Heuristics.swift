import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Journeys

/// Rule-based attribution: first touch, last touch, linear, position-based and time-decay.
///
/// Every converting path hands out its conversions (and their value) to its touches by a rule;
/// a channel's credit is the sum over the touches on it.
public struct HeuristicAttribution: Sendable {
    /// The rules, in the order of the table.
    public enum Rule: String, Sendable, Codable, CaseIterable {
        /// All credit to the first touch.
        case firstTouch = "first_touch"
        /// All credit to the last touch (the converting one).
        case lastTouch = "last_touch"
        /// Equal credit to every touch.
        case linear
        /// 40% to the first touch, 40% to the last, 20% shared by the touches between (one touch: all
        /// of it; two: half each).
        case positionBased = "position_based"
        /// Weight `2^(−age / halfLife)` per touch, age measured back from the last touch, normalized.
        case timeDecay = "time_decay"

        /// Position in `allCases`.
        var index: Int {
            switch self {
            case .firstTouch: 0
            case .lastTouch: 1
            case .linear: 2
            case .positionBased: 3
            case .timeDecay: 4
            }
        }
    }

    /// Credit per rule (`Rule.allCases` order), per channel (`channelNames` order).
    public var conversions: [[Double]] { byRule(credit) }
    /// Conversion value credited per rule (`Rule.allCases` order), per channel (`channelNames` order).
    public var conversionValues: [[Double]] { byRule(valueCredit) }
    /// Channels in order of first appearance; every channel of a table or store added has a row,
    /// credited or not.
    public private(set) var channelNames: [String]
    private var channelIndex: [String: Int] = [:]
    /// Half-life of `timeDecay`: in steps for aggregated paths, in microseconds for journeys.
    public let halfLife: Double
    /// `credit[channel * ruleCount + rule]`: one flat array, so crediting a touch is one store.
    private var credit: [Double] = []
    private var valueCredit: [Double] = []
    private var decays: [Double] = []
    private static let ruleCount = Rule.allCases.count

    /// Empty credit tables.
    ///
    /// - Parameter halfLife: for `timeDecay`, in the unit of the ages added: steps for `add(_: PathTable)`,
    ///   microseconds for `add(_:from:)`, so add one kind only. At most 0, time-decay credit goes
    ///   to the touches at age 0 (the last touch, and any at the same instant).
    public init(halfLife: Double) {
        self.halfLife = halfLife
        channelNames = []
    }

    private func byRule(_ flat: [Double]) -> [[Double]] {
        (0..<Self.ruleCount).map { r in channelNames.indices.map { flat[$0 * Self.ruleCount + r] } }
    }

    private mutating func channelID(_ name: String) -> Int {
        if let id = channelIndex[name] { return id }
        channelIndex[name] = channelNames.count
        channelNames.append(name)
        credit.append(contentsOf: repeatElement(0, count: Self.ruleCount))
        valueCredit.append(contentsOf: repeatElement(0, count: Self.ruleCount))
        return channelNames.count - 1
    }

    /// Credits one path: `ages[i]` is how long before the last touch touch `i` happened.
    mutating func add(channels path: [Int], ages: [Double], conversions count: Double, value: Double) {
        let m = path.count
        guard m > 0, count > 0 else { return }
        let rules = Self.ruleCount
        decays.removeAll(keepingCapacity: true)
        var decaySum = 0.0
        for age in ages {
            let decay = halfLife > 0 ? exp2(-age / halfLife) : (age == 0 ? 1 : 0)
            decays.append(decay)
            decaySum += decay
        }
        for i in 0..<m {
            var weights = (first: 0.0, last: 0.0, linear: 1 / Double(m), position: 0.0, decay: 0.0)
            if i == 0 { weights.first = 1 }
            if i == m - 1 { weights.last = 1 }
            switch m {
            case 1: weights.position = 1
            case 2: weights.position = 0.5
            default: weights.position = i == 0 || i == m - 1 ? 0.4 : 0.2 / Double(m - 2)
            }
            weights.decay = decaySum > 0 ? decays[i] / decaySum : (i == m - 1 ? 1 : 0)
            let base = path[i] * rules
            credit[base + Rule.firstTouch.index] += weights.first * count
            credit[base + Rule.lastTouch.index] += weights.last * count
            credit[base + Rule.linear.index] += weights.linear * count
            credit[base + Rule.positionBased.index] += weights.position * count
            credit[base + Rule.timeDecay.index] += weights.decay * count
            valueCredit[base + Rule.firstTouch.index] += weights.first * value
            valueCredit[base + Rule.lastTouch.index] += weights.last * value
            valueCredit[base + Rule.linear.index] += weights.linear * value
            valueCredit[base + Rule.positionBased.index] += weights.position * value
            valueCredit[base + Rule.timeDecay.index] += weights.decay * value
        }
    }

    /// Credits every converting row of an aggregated-path table (ages in steps), in `threads` shards of
    /// rows added up at the end.
    public mutating func add(_ paths: PathTable, threads: Int = systemCoreCount()) {
        let ids = paths.channelNames.map { channelID($0) }
        let shards = paths.count < 50_000 ? 1 : max(1, threads)
        guard shards > 1 else {
            add(paths, rows: 0..<paths.count, ids: ids)
            return
        }
        var empty = self
        empty.credit = Array(repeating: 0, count: credit.count)
        empty.valueCredit = empty.credit
        let parts = Slots<HeuristicAttribution>(count: shards)
        DispatchQueue.concurrentPerform(iterations: shards) { [empty] k in
            var part = empty
            part.add(paths, rows: (paths.count * k / shards)..<(paths.count * (k + 1) / shards), ids: ids)
            parts.set(k, part)
        }
        for part in parts.values {
            for i in credit.indices {
                credit[i] += part!.credit[i]
                valueCredit[i] += part!.valueCredit[i]
            }
        }
    }

    private mutating func add(_ paths: PathTable, rows: Range<Int>, ids: [Int]) {
        var path: [Int] = []
        var ages: [Double] = []
        for row in rows where paths.conversions[row] > 0 {
            path.removeAll(keepingCapacity: true)
            ages.removeAll(keepingCapacity: true)
            for step in paths.path(row) { path.append(ids[Int(step)]) }
            for i in 0..<path.count { ages.append(Double(path.count - 1 - i)) }
            add(channels: path, ages: ages, conversions: paths.conversions[row], value: paths.conversionValues[row])
        }
    }

    /// Adds flat credit tables (`[channel * ruleCount + rule]`) whose channel `c` is `channelNames[c]`.
    mutating func add(credit other: [Double], valueCredit otherValue: [Double], channelNames names: [String]) {
        let ids = names.map { channelID($0) }
        for c in 0..<(other.count / Self.ruleCount) {
            for r in 0..<Self.ruleCount {
                credit[ids[c] * Self.ruleCount + r] += other[c * Self.ruleCount + r]
                valueCredit[ids[c] * Self.ruleCount + r] += otherValue[c * Self.ruleCount + r]
            }
        }
    }

    /// Credits every converted journey (ages in microseconds before the conversion).
    public mutating func add(_ journeys: [Journey], from store: EventStore) {
        let ids = store.channelNames.map { channelID($0) }
        for journey in journeys where journey.outcome == .converted {
            let last = store.timestamps[journey.events.upperBound - 1]
            let path = journey.events.map { ids[Int(store.channels[$0])] }
            let ages = journey.events.map { Double(last - store.timestamps[$0]) }
            add(channels: path, ages: ages, conversions: 1, value: journey.conversionValue)
        }
    }
}
