import Foundation
import Journeys
import Testing

@testable import Markov

// MARK: - Support

/// Helpers of the next-channel tests, namespaced so they cannot clash with other test files.
enum NextChannelSupport {
    typealias SplitMix64 = Journeys.SplitMix64

    /// One input row: customer id, Unix seconds, channel, event type.
    struct Row {
        var customer: String
        var seconds: Int64
        var channel: String
        var event = "touch"
    }

    static let jan1: Int64 = 1_704_067_200  // 2024-01-01T00:00:00Z, Unix seconds
    static let day: Int64 = 86_400

    /// Writes the rows as CSV to a new temporary file and reads them back (one thread).
    static func store(_ rows: [Row]) throws -> EventStore {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("next-\(UUID().uuidString).csv").path
        var text = "customer_id,timestamp,channel,event\n"
        for row in rows { text += "\(row.customer),\(row.seconds),\(row.channel),\(row.event)\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = EventReaderOptions()
        options.threads = 1
        return try EventReader.read(path: path, options: options).store
    }

    /// Journeys with the data ending at `endSeconds` (so the same customer gets the same journeys in any store).
    static func journeys(_ store: EventStore, endSeconds: Int64) -> [Journey] {
        var options = JourneyOptions()
        options.endOfData = endSeconds * 1_000_000
        return store.journeys(options)
    }

    /// Random customers over `channels`: 1...12 touches each, gaps of 1 s to 5 days; some journeys
    /// convert (purchase on the last touch), some lapse, some are still open when the data end at
    /// `end` (`jan1 + 400 days`).
    static func randomRows(seed: UInt64, customers: Range<Int>, channels: [String]) -> [Row] {
        var rng = SplitMix64(seed: seed)
        var rows: [Row] = []
        for c in customers {
            let censored = rng.below(4) == 0
            let length = 1 + rng.below(12)
            var t = censored ? end - 70 * day : jan1 + Int64(rng.below(100)) * day
            // Skewed channel choice with a dependence on the previous touch.
            var previous = rng.below(channels.count)
            for i in 0..<length {
                let channel =
                    rng.below(3) == 0 ? rng.below(channels.count) : (previous + 1 + rng.below(2)) % channels.count
                let last = i == length - 1
                rows.append(
                    Row(
                        customer: "c\(c)", seconds: t, channel: channels[channel],
                        event: last && rng.below(2) == 0 ? "purchase" : "touch"))
                t += 1 + Int64(rng.below(Int(5 * day)))
                previous = channel
            }
        }
        return rows
    }

    static let end = jan1 + 400 * day

    /// A channel name → probability table of `probabilities(after:)`.
    static func table(_ model: NextChannelModel, _ history: [String]) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: model.probabilities(after: history).map { ($0.channel, $0.probability) })
    }
}

// MARK: - Exact cases

/// A tiny journey set worked by hand. Channels a, b (V = 3 symbols with END), κ = 1:
///
///     u1: a (0 s), b purchase (+3600 s)  → converted:  S a b END
///     u2: a (0 s), a (+7200 s)           → lapsed:     S a a END   (data end 100 days later)
///     u3: b (+100 days)                  → censored:   S b         (no END)
///
/// Order-1 counts (history → next): ∅ → a 3, b 2, END 2 (c 7, t 3); S → a 2, b 1 (c 3, t 2);
/// a → a 1, b 1, END 1 (c 3, t 3); b → END 1 (c 1, t 1).
/// Witten–Bell, P(w | h) = (c(h, w) + κ t(h) P(w | h′)) / (c(h) + κ t(h)):
///
///     P(· | ∅) = (c + 3·⅓) / 10:          a 0.4,  b 0.3,  END 0.3
///     P(· | S) = (c + 2·P∅) / 5:          a 0.56, b 0.32, END 0.12  → given a next touch a 7/11, b 4/11
///     P(· | a) = (c + 3·P∅) / 6:          a 11/30, b 19/60, END 19/60 → a 22/41, b 19/41
///     P(· | b) = (c + 1·P∅) / 2:          a 0.2,  b 0.15, END 0.65  → a 4/7, b 3/7
///
/// Order 2 adds S a → a 1, b 1 (c 2, t 2), a a → END, a b → END (7 histories):
///
///     P(· | S a) = (c + 2·P(· | a)) / 4:  a 13/30, b 49/120, END 19/120 → a 52/101, b 49/101
@Suite struct NextChannelExactTests {
    typealias Support = NextChannelSupport

    static func tiny() throws -> (EventStore, [Journey]) {
        let t0 = Support.jan1
        let store = try Support.store([
            .init(customer: "u1", seconds: t0, channel: "a"),
            .init(customer: "u1", seconds: t0 + 3600, channel: "b", event: "purchase"),
            .init(customer: "u2", seconds: t0, channel: "a"),
            .init(customer: "u2", seconds: t0 + 7200, channel: "a"),
            .init(customer: "u3", seconds: t0 + 100 * Support.day, channel: "b"),
        ])
        let journeys = store.journeys()
        #expect(journeys.map(\.outcome) == [.converted, .lapsed, .censored])
        return (store, journeys)
    }

    static func fit(order: Int, minimumGapCount: Int = 20) throws -> NextChannelFit {
        let (store, journeys) = try tiny()
        return try NextChannelModel.fit(
            journeys, in: store, configuration: .init(order: .fixed(order), minimumGapCount: minimumGapCount))
    }

    /// `(count of history, [successor symbol: count])`; symbols 0 = start/END, 1 = a, 2 = b.
    static func row(_ model: NextChannelModel, _ history: [UInt16]) -> (Int, [UInt16: Int])? {
        guard let h = model.historyIndex[ChainState(symbols: history)].map(Int.init) else { return nil }
        var successors: [UInt16: Int] = [:]
        for e in model.successorStarts[h]..<model.successorStarts[h + 1] {
            successors[model.successorSymbols[e]] = model.successorCounts[e]
        }
        return (model.historyTotals[h], successors)
    }

    @Test func countsOfATinyJourneySet() throws {
        let fit1 = try Self.fit(order: 1)
        let m1 = fit1.model
        #expect(m1.channelNames == ["a", "b"])
        #expect(m1.historyCount == 4)
        #expect(fit1.report.journeys == 3)
        #expect(fit1.report.observations == 7)
        #expect(Self.row(m1, [])! == (7, [0: 2, 1: 3, 2: 2]))
        #expect(Self.row(m1, [0])! == (3, [1: 2, 2: 1]))
        #expect(Self.row(m1, [1])! == (3, [0: 1, 1: 1, 2: 1]))
        #expect(Self.row(m1, [2])! == (1, [0: 1]))

        let m2 = try Self.fit(order: 2).model
        #expect(m2.historyCount == 7)
        #expect(Self.row(m2, [0, 1])! == (2, [1: 1, 2: 1]))
        #expect(Self.row(m2, [1, 1])! == (1, [0: 1]))
        #expect(Self.row(m2, [1, 2])! == (1, [0: 1]))
        #expect(Self.row(m2, [0, 2]) == nil)  // u3's b is never followed: censored
        // Histories up to length 1 count the same whatever the order.
        for h: [UInt16] in [[], [0], [1], [2]] { #expect(Self.row(m1, h)! == Self.row(m2, h)!) }
    }

    static func expectDistribution(
        _ model: NextChannelModel, _ history: [String], a: Double, b: Double, end: Double,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let p = Support.table(model, history)
        #expect(abs(p["a"]! - a) < 1e-15, "a after \(history): \(p["a"]!) vs \(a)", sourceLocation: sourceLocation)
        #expect(abs(p["b"]! - b) < 1e-15, "b after \(history): \(p["b"]!) vs \(b)", sourceLocation: sourceLocation)
        let e = model.endProbability(after: history)
        #expect(abs(e - end) < 1e-15, "END after \(history): \(e) vs \(end)", sourceLocation: sourceLocation)
    }

    @Test func wittenBellByHand() throws {
        let m1 = try Self.fit(order: 1).model
        Self.expectDistribution(m1, [], a: 7.0 / 11, b: 4.0 / 11, end: 0.12)
        Self.expectDistribution(m1, ["a"], a: 22.0 / 41, b: 19.0 / 41, end: 19.0 / 60)
        Self.expectDistribution(m1, ["b"], a: 4.0 / 7, b: 3.0 / 7, end: 0.65)
        // Longer than the order: only the last channel counts.
        Self.expectDistribution(m1, ["b", "b", "a"], a: 22.0 / 41, b: 19.0 / 41, end: 19.0 / 60)
        #expect(m1.probabilities(after: ["a"]).map(\.channel) == ["a", "b"])
        #expect(m1.probabilities(after: ["b"]).map(\.channel) == ["a", "b"])

        let m2 = try Self.fit(order: 2).model
        Self.expectDistribution(m2, ["a"], a: 52.0 / 101, b: 49.0 / 101, end: 19.0 / 120)
        Self.expectDistribution(m2, [], a: 7.0 / 11, b: 4.0 / 11, end: 0.12)
        // a a was seen (→ END, c 1, t 1): (c + P(· | a)) / 2 = a 11/60, b 19/120, END (1 + 19/60)/2 = 79/120.
        Self.expectDistribution(m2, ["a", "a"], a: 22.0 / 41, b: 19.0 / 41, end: 79.0 / 120)
        // b a never seen: backs off to a.
        Self.expectDistribution(m2, ["b", "a"], a: 22.0 / 41, b: 19.0 / 41, end: 19.0 / 60)
    }

    @Test func unknownChannelsShortenTheContext() throws {
        let m1 = try Self.fit(order: 1).model
        Self.expectDistribution(m1, ["zzz"], a: 4.0 / 7, b: 3.0 / 7, end: 0.3)
        Self.expectDistribution(m1, ["a", "zzz"], a: 4.0 / 7, b: 3.0 / 7, end: 0.3)
        Self.expectDistribution(m1, ["zzz", "a"], a: 22.0 / 41, b: 19.0 / 41, end: 19.0 / 60)
        let m2 = try Self.fit(order: 2).model
        // Without the start marker "zzz a" is just "a", not "S a".
        Self.expectDistribution(m2, ["zzz", "a"], a: 22.0 / 41, b: 19.0 / 41, end: 19.0 / 60)
        Self.expectDistribution(m2, ["a", "zzz"], a: 4.0 / 7, b: 3.0 / 7, end: 0.3)
        Self.expectDistribution(m2, ["zzz", "zzz", "yyy"], a: 4.0 / 7, b: 3.0 / 7, end: 0.3)
        #expect(m2.gapQuantiles(after: ["zzz"])?.historyLength == 0)
    }

    /// Gaps: 3600 s and 7200 s, both after a (and S a at order 2); none after b.
    @Test func gapQuantilesBackOff() throws {
        let m = try Self.fit(order: 2, minimumGapCount: 2).model
        let afterA = try #require(m.gapQuantiles(after: ["a"]))
        #expect(afterA.historyLength == 2)  // S a
        #expect(afterA.count == 2)
        #expect(abs(afterA.p25 - 3.6e9) <= 3.6e9 / 16)
        #expect(abs(afterA.p90 - 7.2e9) <= 7.2e9 / 16)
        #expect(
            afterA.p10 <= afterA.p25 && afterA.p25 <= afterA.p50 && afterA.p50 <= afterA.p75 && afterA.p75 <= afterA.p90
        )
        #expect(m.gapQuantiles(after: ["b", "a"])?.historyLength == 1)  // b a unseen → a
        #expect(m.gapQuantiles(after: ["b"])?.historyLength == 0)  // b has no gaps → pooled
        #expect(m.gapQuantiles(after: ["b"])?.count == 2)
        let strict = try Self.fit(order: 2, minimumGapCount: 3).model
        #expect(strict.gapQuantiles(after: ["a"])?.historyLength == 0)  // 2 < 3 everywhere: pooled
        #expect(strict.gapQuantiles(after: ["a"])?.count == 2)

        // One-touch journeys only: no gap at all.
        let single = try Support.store([.init(customer: "x", seconds: Support.jan1, channel: "a")])
        let none = try NextChannelModel.fit(single.journeys(), in: single, configuration: .init(order: 1)).model
        #expect(none.gapQuantiles(after: ["a"]) == nil)
    }

    /// Order 1 on the tiny set: u1 predicts b after a (P 19/41, ranked second), u2 predicts a after a
    /// (P 22/41, first); u3 has one touch. Top-1 1/2, top-3 1, log-loss (−ln 19/41 − ln 22/41) / 2.
    @Test func evaluationByHand() throws {
        let (store, journeys) = try Self.tiny()
        let m = try Self.fit(order: 1).model
        let e = m.evaluate(journeys, in: store, customers: 0..<store.customerCount)
        #expect(e.predictions == 2)
        #expect(e.unknownChannels == 0)
        #expect(e.top1Accuracy == 0.5)
        #expect(e.top3Accuracy == 1)
        #expect(abs(e.logLoss - (-log(19.0 / 41) - log(22.0 / 41)) / 2) < 1e-15)
        let onlyU2 = m.evaluate(journeys, in: store, customers: [1])
        #expect(onlyU2.predictions == 1)
        #expect(abs(onlyU2.logLoss + log(22.0 / 41)) < 1e-15)
        let nobody = m.evaluate(journeys, in: store, customers: [])
        #expect(nobody.predictions == 0 && nobody.logLoss.isNaN)
    }

    @Test func unknownTargetsAreCountedNotScored() throws {
        let m = try Self.fit(order: 1).model
        let other = try Support.store([
            .init(customer: "v", seconds: Support.jan1, channel: "a"),
            .init(customer: "v", seconds: Support.jan1 + 60, channel: "new"),
            .init(customer: "v", seconds: Support.jan1 + 120, channel: "a"),
        ])
        let e = m.evaluate(other.journeys(), in: other, customers: [0])
        // "new" cannot be scored; a after new is the unigram: a 4/7.
        #expect(e.unknownChannels == 1)
        #expect(e.predictions == 1)
        #expect(abs(e.logLoss + log(4.0 / 7)) < 1e-15)
    }

    @Test func invalidConfigurationsReportEveryProblem() throws {
        let (store, journeys) = try Self.tiny()
        let bad = NextChannelConfiguration(
            order: .auto(maxOrder: 7), smoothingStrength: 0, minimumGapCount: 0, heldOutFraction: 1)
        let error = #expect(throws: MarkovError.self) {
            try NextChannelModel.fit(journeys, in: store, configuration: bad)
        }
        #expect(error?.code == .invalidConfiguration)
        for fragment in ["maxOrder", "smoothingStrength", "minimumGapCount", "heldOutFraction"] {
            #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
        }
        for order in [0, 7] {
            #expect(throws: MarkovError.self) {
                try NextChannelModel.fit(journeys, in: store, configuration: .init(order: .fixed(order)))
            }
        }
        #expect(throws: MarkovError.self) {
            try NextChannelModel.fit(journeys, in: store, configuration: .init(order: .auto(), heldOutFraction: 0))
        }
    }

    @Test func autoOrderWithoutHeldOutTouchesIsAnError() throws {
        let rows = (0..<50).map {
            NextChannelSupport.Row(customer: "c\($0)", seconds: Support.jan1 + Int64($0), channel: "a")
        }
        let store = try Support.store(rows)
        let error = #expect(throws: MarkovError.self) { try NextChannelModel.fit(store.journeys(), in: store) }
        #expect(error?.code == .noData)
    }

    @Test func mergingDifferentOrdersIsAnError() throws {
        var one = try Self.fit(order: 1).model
        #expect(throws: MarkovError.self) { try one.merge(Self.fit(order: 2).model) }
    }

    @Test func configurationRoundTripsThroughJSON() throws {
        for order: NextChannelConfiguration.Order in [3, .auto(), .auto(maxOrder: 6)] {
            let c = NextChannelConfiguration(order: order, smoothingStrength: 0.5, seed: 9)
            #expect(try JSONDecoder().decode(NextChannelConfiguration.self, from: JSONEncoder().encode(c)) == c)
        }
    }
}

// MARK: - Gap histogram

@Suite struct TouchGapBinTests {
    @Test func binsAreExactBelowSixteenAndLogLinearAbove() {
        for g in Int64(0)..<16 { #expect(TouchGapBins.bin(g) == UInt16(g)) }
        #expect(TouchGapBins.bin(16) == 16)
        #expect(TouchGapBins.bin(31) == 31)
        #expect(TouchGapBins.bin(32) == 32)  // octave 5, sub-bin 0: [32, 34)
        #expect(TouchGapBins.bin(33) == 32)
        #expect(TouchGapBins.bin(34) == 33)
        #expect(TouchGapBins.bin(.max) == 959)
        #expect(TouchGapBins.bin(-5) == 0)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func everyGapLiesInItsBinAndBinsAreNarrow(seed: UInt64) {
        var rng = NextChannelSupport.SplitMix64(seed: seed)
        for _ in 0..<20_000 {
            let g = Int64(bitPattern: rng.next() >> (1 + UInt64(rng.below(63))))
            let bin = TouchGapBins.bin(g)
            let (lower, upper) = TouchGapBins.bounds(bin)
            #expect(lower <= Double(g) && Double(g) < upper || g > 1 << 53, "gap \(g), seed \(seed)")
            #expect(upper - lower <= max(1, lower / 16), "bin \(bin), seed \(seed)")
        }
        // Bins are monotone: the upper edge of a bin is the lower edge of the next.
        for b in UInt16(0)..<959 { #expect(TouchGapBins.bounds(b).upper == TouchGapBins.bounds(b + 1).lower) }
    }

    /// Log-normal gaps (median 1 hour): every histogram quantile is within 1/16 of the exact order statistic.
    @Test(arguments: [UInt64(4), 5])
    func quantilesAreWithinOneSixteenthOfTheSample(seed: UInt64) {
        var rng = NextChannelSupport.SplitMix64(seed: seed)
        for n in [1, 2, 7, 20, 1000] {
            var gaps: [Int64] = []
            for _ in 0..<n {
                let normal = sqrt(-2 * log(1 - rng.uniform())) * cos(2 * .pi * rng.uniform())
                gaps.append(Int64(3.6e9 * exp(2 * normal)))
            }
            var histogram: [UInt16: Int] = [:]
            for g in gaps { histogram[TouchGapBins.bin(g), default: 0] += 1 }
            let bins = histogram.keys.sorted()
            let q = TouchGapBins.quantiles(
                historyLength: 0, bins: bins[...], counts: bins.map { histogram[$0]! }[...], total: n)
            let sorted = gaps.sorted()
            for (level, value) in [(0.1, q.p10), (0.25, q.p25), (0.5, q.p50), (0.75, q.p75), (0.9, q.p90)] {
                let exact = Double(sorted[max(1, Int((level * Double(n)).rounded(.up))) - 1])
                #expect(abs(value - exact) <= max(1, exact / 16), "q\(level) n \(n) seed \(seed): \(value) vs \(exact)")
            }
        }
    }
}

// MARK: - Random data

@Suite struct NextChannelRandomTests {
    typealias Support = NextChannelSupport
    static let channels = ["email", "web", "app", "store", "sms", "push", "call", "print"]

    @Test(arguments: [1, 2, 3, 4, 5, 6])
    func probabilitiesSumToOne(order: Int) throws {
        let seed = UInt64(100 + order)
        let store = try Support.store(Support.randomRows(seed: seed, customers: 0..<300, channels: Self.channels))
        let model = try NextChannelModel.fit(
            Support.journeys(store, endSeconds: Support.end), in: store, configuration: .init(order: .fixed(order))
        ).model
        #expect(model.order == order)
        var rng = Support.SplitMix64(seed: seed)
        let names = Self.channels + ["zzz", "unknown"]
        for _ in 0..<300 {
            let history = (0..<rng.below(11)).map { _ in names[rng.below(names.count)] }
            let p = model.probabilities(after: history)
            #expect(p.count == Self.channels.count, "seed \(seed)")
            #expect(abs(p.reduce(0) { $0 + $1.probability } - 1) < 1e-12, "\(history), seed \(seed)")
            #expect(p.allSatisfy { $0.probability > 0 }, "\(history), seed \(seed)")
            #expect(zip(p, p.dropFirst()).allSatisfy { $0.probability >= $1.probability }, "sorted, seed \(seed)")
            let end = model.endProbability(after: history)
            #expect(end > 0 && end < 1, "\(history), seed \(seed)")
        }
    }

    /// Stores read from separate files (different channel sets and numbering) merge into the fit of
    /// the union file: every probability, end probability, gap quantile and score agrees to 1e-12.
    @Test(arguments: [1, 3, 6])
    func mergeIsAdditive(order: Int) throws {
        let seed: UInt64 = 77
        let aRows = Support.randomRows(seed: seed, customers: 0..<200, channels: Array(Self.channels[0..<6]))
        let bRows = Support.randomRows(
            seed: seed + 1, customers: 200..<450, channels: Array(Self.channels[2...].reversed()))
        let a = try Support.store(aRows)
        let b = try Support.store(bRows)
        let union = try Support.store(bRows + aRows)
        #expect(Array(a.channelNames) != Array(union.channelNames))
        let configuration = NextChannelConfiguration(order: .fixed(order))
        func fit(_ s: EventStore) throws -> NextChannelModel {
            try NextChannelModel.fit(Support.journeys(s, endSeconds: Support.end), in: s, configuration: configuration)
                .model
        }
        let whole = try fit(union)
        var ab = try fit(a)
        try ab.merge(fit(b))
        var ba = try fit(b)
        try ba.merge(fit(a))
        var rng = Support.SplitMix64(seed: seed)
        let names = Self.channels + ["zzz"]
        for merged in [ab, ba] {
            #expect(merged.historyCount == whole.historyCount, "seed \(seed)")
            #expect(Set(merged.channelNames) == Set(whole.channelNames))
            for _ in 0..<200 {
                let history = (0..<rng.below(9)).map { _ in names[rng.below(names.count)] }
                let p = Support.table(merged, history)
                for (channel, q) in Support.table(whole, history) {
                    #expect(abs(p[channel]! - q) <= 1e-12, "\(channel) after \(history), seed \(seed)")
                }
                #expect(abs(merged.endProbability(after: history) - whole.endProbability(after: history)) <= 1e-12)
                #expect(
                    merged.gapQuantiles(after: history) == whole.gapQuantiles(after: history),
                    "\(history), seed \(seed)")
            }
            let journeys = Support.journeys(union, endSeconds: Support.end)
            let x = merged.evaluate(journeys, in: union, customers: 0..<union.customerCount)
            let y = whole.evaluate(journeys, in: union, customers: 0..<union.customerCount)
            #expect(
                x.predictions == y.predictions && x.top1Accuracy == y.top1Accuracy && x.top3Accuracy == y.top3Accuracy)
            #expect(abs(x.logLoss - y.logLoss) <= 1e-12)
        }
    }

    @Test func splitIsDeterministicAndFollowsTheIds() throws {
        let rows = (0..<10_000).map {
            Support.Row(customer: "cust-\($0)", seconds: Support.jan1 + Int64($0), channel: "a")
        }
        let store = try Support.store(rows)
        let reversed = try Support.store(rows.reversed())
        let split = CustomerSplit(store, heldOutFraction: 0.2, seed: 1)
        #expect(split == CustomerSplit(store, heldOutFraction: 0.2, seed: 1))
        #expect(split != CustomerSplit(store, heldOutFraction: 0.2, seed: 2))
        #expect(Set(split.training).isDisjoint(with: split.heldOut))
        #expect(split.training.count + split.heldOut.count == store.customerCount)
        // Binomial: 0.2 ± 4·√(0.2·0.8/10 000) = 0.2 ± 0.016.
        let share = Double(split.heldOut.count) / Double(store.customerCount)
        #expect(abs(share - 0.2) < 0.016, "held out \(share), seed 1")
        // Customer numbers differ between the stores; the held-out ids do not.
        let other = CustomerSplit(reversed, heldOutFraction: 0.2, seed: 1)
        #expect(Set(split.heldOut.map { store.customerIDs[$0] }) == Set(other.heldOut.map { reversed.customerIDs[$0] }))
        #expect(CustomerSplit(store, heldOutFraction: 0, seed: 1).heldOut.isEmpty)
        #expect(CustomerSplit(store, heldOutFraction: 1, seed: 1).training.isEmpty)
    }
}
