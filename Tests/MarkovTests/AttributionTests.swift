import Foundation
import Journeys
import Testing

@testable import Markov

/// Builds counts from `(path, conversions, value, nulls)` rows, channels named by the path's letters.
func counts(_ rows: [(String, Double, Double, Double)], order: Int = 1, semantics: StateSemantics = .history) throws -> TransitionCounts {
    var counts = try TransitionCounts(configuration: MarkovConfiguration(order: order, semantics: semantics))
    for (path, conversions, value, nulls) in rows {
        let ids = path.split(separator: ">").map { UInt16(counts.channelID($0.trimmingCharacters(in: .whitespaces))) }
        counts.add(path: ids, conversions: conversions, value: value, nulls: nulls)
    }
    return counts
}

func credit(_ attribution: RemovalAttribution, _ channel: String) throws -> RemovalAttribution.Channel {
    try #require(attribution.channels.first { $0.channel == channel })
}

/// Exact cases solved by hand (the working is in the comments), for both solvers.
@Suite struct RemovalEffectTests {
    /// Order 1. Paths: a>b (1 conversion, value 10), a (1 null), b (1 conversion, value 5, 1 null).
    /// P(S→A) = P(S→B) = 1/2; P(A→B) = P(A→null) = 1/2; P(B→conv) = 2/3, P(B→null) = 1/3.
    /// x_B = 2/3, x_A = 1/3, x_S = 1/2. Without a: x_S = 1/3, RE = 1/3. Without b: x_S = 0, RE = 1.
    /// Shares 1/4 and 3/4 of 2 conversions and of value 15.
    @Test(arguments: [SolveMethod.dense, .iterative])
    func twoChannelsOrderOne(method: SolveMethod) throws {
        let c = try counts([("a > b", 1, 10, 0), ("a", 0, 0, 1), ("b", 1, 5, 1)])
        let result = try c.removalAttribution(method: method)
        #expect(abs(result.conversionProbability - 0.5) < 1e-14)
        let a = try credit(result, "a")
        let b = try credit(result, "b")
        #expect(abs(a.removalEffect - 1.0 / 3) < 1e-14)
        #expect(abs(b.removalEffect - 1) < 1e-14)
        #expect(abs(a.conversions - 0.5) < 1e-13)
        #expect(abs(b.conversions - 1.5) < 1e-13)
        #expect(abs(a.conversionValue - 3.75) < 1e-12)
        #expect(abs(b.conversionValue - 11.25) < 1e-12)
        // Value: 15 of value leaves B over 3 transitions, r_v(B) = 5; V_S = 3.75 = 15 / 4 journeys.
        #expect(abs(result.expectedValue - 3.75) < 1e-13)
        #expect(abs(a.valueRemovalEffect - 1.0 / 3) < 1e-14)
        #expect(abs(b.valueRemovalEffect - 1) < 1e-14)
    }

    /// Value follows the channel that leads to valuable conversions. Paths: a (1 conversion worth 100,
    /// 1 null), b (1 conversion worth 1, 1 null). Both channels have removal effect 1/2 and one
    /// conversion each; r_v(a) = 100/2, r_v(b) = 1/2, V = 25.25; without a V = 0.25, without b V = 25:
    /// value removal effects 25/25.25 and 0.25/25.25, so the 101 of value splits 100 and 1.
    @Test(arguments: [SolveMethod.dense, .iterative])
    func valueFollowsValuableConversions(method: SolveMethod) throws {
        let c = try counts([("a", 1, 100, 1), ("b", 1, 1, 1)])
        let result = try c.removalAttribution(method: method)
        #expect(abs(result.expectedValue - 25.25) < 1e-12)
        #expect(abs(try credit(result, "a").removalEffect - 0.5) < 1e-14)
        #expect(abs(try credit(result, "a").conversions - 1) < 1e-13)
        #expect(abs(try credit(result, "a").valueRemovalEffect - 25 / 25.25) < 1e-14)
        #expect(abs(try credit(result, "a").conversionValue - 100) < 1e-11)
        #expect(abs(try credit(result, "b").conversionValue - 1) < 1e-11)
    }

    /// Order 2 history states keep repeats: a>a converts (1), a lapses (1).
    /// S=[·,·] → [·,a] (1); [·,a] → [a,a] 1/2, null 1/2; [a,a] → conv. x_S = 1/2; removing a gives 0.
    @Test func orderTwoKeepsRepeats() throws {
        let c = try counts([("a > a", 1, 0, 0), ("a", 0, 0, 1)], order: 2)
        #expect(c.stateCount == 3)
        let result = try c.removalAttribution()
        #expect(abs(result.conversionProbability - 0.5) < 1e-14)
        #expect(try credit(result, "a").removalEffect == 1)
        #expect(try credit(result, "a").conversions == 1)
    }

    /// ChannelAttribution semantics, order 2. Paths: a>b>c (1 conversion), a>c (1 null), b (1 conversion).
    /// States: start, (a,b), (b,c), (a,c), (b). start → each of (a,b), (a,c), (b) with 1/3; (a,b) → (b,c)
    /// → conversion; (a,c) → null; (b) → conversion. x_S = 2/3.
    /// Without a: (a,b), (a,c) gone, x_S = 1/3, RE = 1/2. Without b: all but (a,c) gone, RE = 1.
    /// Without c: (b,c), (a,c) gone, x_S = 1/3, RE = 1/2. Shares 1/4, 1/2, 1/4 of 2 conversions.
    @Test(arguments: [SolveMethod.dense, .iterative])
    func threeChannelsChannelAttributionOrderTwo(method: SolveMethod) throws {
        let c = try counts([("a > b > c", 1, 0, 0), ("a > c", 0, 0, 1), ("b", 1, 0, 0)], order: 2, semantics: .channelAttribution)
        #expect(c.stateCount == 5)
        let result = try c.removalAttribution(method: method)
        #expect(abs(result.conversionProbability - 2.0 / 3) < 1e-14)
        #expect(abs(try credit(result, "a").removalEffect - 0.5) < 1e-14)
        #expect(abs(try credit(result, "b").removalEffect - 1) < 1e-14)
        #expect(abs(try credit(result, "c").removalEffect - 0.5) < 1e-14)
        #expect(abs(try credit(result, "a").conversions - 0.5) < 1e-13)
        #expect(abs(try credit(result, "b").conversions - 1) < 1e-13)
    }

    /// ChannelAttribution collapses repeated states, not channels: at order 2, a>a>b is (a,a), (a,b).
    @Test func channelAttributionCollapsesRepeatedStates() throws {
        let c = try counts([("a > a > b", 1, 0, 0), ("a > a > a > b", 1, 0, 0), ("b > b", 0, 0, 1)], order: 2, semantics: .channelAttribution)
        // start, (a,a), (a,b), (b,b): a>a>a>b passes (a,a) once.
        #expect(c.stateCount == 4)
        let states = c.states.map { StateSemantics.channelAttribution.describe($0, channelNames: c.channelNames) }
        #expect(states == ["(start)", "a > a", "a > b", "b > b"])
    }

    /// ChannelAttribution collapses repeats: at order 1, a>a>b is a>b.
    @Test func channelAttributionCollapsesRepeats() throws {
        let repeated = try counts([("a > a > b", 1, 0, 0), ("b > b", 0, 0, 1)], semantics: .channelAttribution)
        let plain = try counts([("a > b", 1, 0, 0), ("b", 0, 0, 1)], semantics: .channelAttribution)
        #expect(try repeated.removalAttribution().channels == plain.removalAttribution().channels)
    }

    /// A three-channel order-1 chain with a loop (a ⇄ b), solved by hand:
    /// paths a>b>a>c (1 conversion), b>c (1 null), c (1 conversion).
    /// Counts: S→a 1, S→b 1, S→c 1; a→b 1, a→c 1; b→a 1, b→c 1; c→conv 2, c→null 1.
    /// x_c = 2/3; x_a = (x_b + x_c)/2, x_b = (x_a + x_c)/2 ⇒ x_a = x_b = 2/3; x_S = 2/3.
    /// Without c: everything 0 (RE 1). Without a: x_b = x_c/2 = 1/3, x_S = (1/3 + 2/3)/3 = 1/3, RE 1/2.
    /// Without b: x_a = 1/3, x_S = 1/3, RE 1/2.
    @Test(arguments: [SolveMethod.dense, .iterative])
    func loopOrderOne(method: SolveMethod) throws {
        let c = try counts([("a > b > a > c", 1, 0, 0), ("b > c", 0, 0, 1), ("c", 1, 0, 0)])
        let result = try c.removalAttribution(method: method)
        #expect(abs(result.conversionProbability - 2.0 / 3) < 1e-13)
        #expect(abs(try credit(result, "a").removalEffect - 0.5) < 1e-13)
        #expect(abs(try credit(result, "b").removalEffect - 0.5) < 1e-13)
        #expect(abs(try credit(result, "c").removalEffect - 1) < 1e-13)
    }

    @Test func noDataIsAnError() throws {
        let empty = try TransitionCounts()
        #expect(throws: MarkovError.self) { try empty.removalAttribution() }
    }

    @Test func orderOutOfRangeIsAnError() {
        #expect(throws: MarkovError.self) { try TransitionCounts(configuration: MarkovConfiguration(order: 7)) }
        #expect(throws: MarkovError.self) { try TransitionCounts(configuration: MarkovConfiguration(order: 0)) }
    }
}

/// Random paths: dense and iterative solves agree, and counts merge additively.
@Suite struct ChainConsistencyTests {
    static func randomRows(seed: UInt64, count: Int) -> [(String, Double, Double, Double)] {
        var rng = SplitMix64(seed: seed)
        let channels = ["email", "web", "app", "store", "sms"]
        return (0..<count).map { _ in
            let length = 1 + rng.below(6)
            let path = (0..<length).map { _ in channels[rng.below(channels.count)] }.joined(separator: " > ")
            let conversions = Double(rng.below(3))
            return (path, conversions, conversions * Double(rng.below(100)), Double(rng.below(4)) + (conversions == 0 ? 1 : 0))
        }
    }

    @Test(arguments: [(1, StateSemantics.history), (2, .history), (3, .history), (2, .channelAttribution), (4, .channelAttribution)])
    func denseAndIterativeAgree(order: Int, semantics: StateSemantics) throws {
        let c = try counts(Self.randomRows(seed: 7, count: 400), order: order, semantics: semantics)
        let dense = try c.removalAttribution(method: .dense)
        let iterative = try c.removalAttribution(method: .iterative)
        #expect(abs(dense.conversionProbability - iterative.conversionProbability) < 1e-11)
        for (d, i) in zip(dense.channels, iterative.channels) {
            #expect(d.channel == i.channel)
            #expect(abs(d.removalEffect - i.removalEffect) < 1e-10, "\(d.channel) seed 7")
        }
    }

    @Test(arguments: [1, 3])
    func mergedCountsEqualCountsOfTheUnion(order: Int) throws {
        let rows = Self.randomRows(seed: 11, count: 300)
        let union = try counts(rows, order: order)
        // Reversed halves: other channel and state numbering, same chain.
        var first = try counts(Array(rows[150...].reversed()), order: order)
        try first.merge(counts(Array(rows[..<150]), order: order))
        let a = try union.removalAttribution()
        let b = try first.removalAttribution()
        #expect(abs(a.conversionProbability - b.conversionProbability) < 1e-13)
        #expect(a.stateCount == b.stateCount)
        for channel in a.channels {
            let other = try credit(b, channel.channel)
            #expect(abs(channel.removalEffect - other.removalEffect) < 1e-12)
            #expect(abs(channel.conversions - other.conversions) < 1e-9)
        }
        #expect(first.totalConversions == union.totalConversions)
    }

    @Test func mergingDifferentOrdersIsAnError() throws {
        var a = try counts([("a", 1, 0, 0)], order: 1)
        let b = try counts([("a", 1, 0, 0)], order: 2)
        #expect(throws: MarkovError.self) { try a.merge(b) }
    }
}

@Suite struct HeuristicTests {
    /// Paths: a>b>c (1 conversion, value 30), b (2 conversions, value 10, 1 null), c>c (3 nulls).
    /// Half-life 1 step: on a>b>c the ages 2, 1, 0 weigh 1/4, 1/2, 1.
    @Test func rulesOnAPathTable() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("h-\(UUID().uuidString).csv").path
        try "path;total_conversions;total_conversion_value;total_null\na > b > c;1;30;0\nb;2;10;1\nc > c;0;0;3\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        var h = HeuristicAttribution(halfLife: 1)
        h.add(try PathTable.read(path: path))
        #expect(h.channelNames == ["a", "b", "c"])
        let rules = HeuristicAttribution.Rule.allCases
        func credit(_ rule: HeuristicAttribution.Rule) -> [Double] { h.conversions[rules.firstIndex(of: rule)!] }
        func value(_ rule: HeuristicAttribution.Rule) -> [Double] { h.conversionValues[rules.firstIndex(of: rule)!] }
        #expect(credit(.firstTouch) == [1, 2, 0])
        #expect(credit(.lastTouch) == [0, 2, 1])
        #expect(zip(credit(.linear), [1.0 / 3, 2 + 1.0 / 3, 1.0 / 3]).allSatisfy { abs($0 - $1) < 1e-15 })
        #expect(zip(credit(.positionBased), [0.4, 2.2, 0.4]).allSatisfy { abs($0 - $1) < 1e-15 })
        #expect(zip(credit(.timeDecay), [0.25 / 1.75, 2 + 0.5 / 1.75, 1 / 1.75]).allSatisfy { abs($0 - $1) < 1e-15 })
        #expect(zip(value(.positionBased), [12, 16, 12]).allSatisfy { abs($0 - $1) < 1e-12 })
        // Every rule hands out exactly the conversions there are.
        for rule in rules { #expect(abs(credit(rule).reduce(0, +) - 3) < 1e-12) }
    }
}
