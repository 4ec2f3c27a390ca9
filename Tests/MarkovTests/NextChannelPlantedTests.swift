import Foundation
import Journeys
import Testing

@testable import Markov

/// Journeys drawn from a known order-2 chain over four channels; the fit must find it.
///
/// After the history `x y` (`x` the start marker or a channel, `y` a channel) the next symbol is
/// END with probability `0.05 + 0.05·y`, the favourite channel `(x + y) mod 4` (start counts as 4)
/// with 0.6, and each other channel with the rest / 3. For a fixed `y` the favourite runs through all
/// four channels as `x` varies, so order 1 cannot see it. The first touch is a, b, c, d with
/// 0.4, 0.3, 0.2, 0.1. A quarter of the customers are observed for at most 1...12 touches (censored,
/// a stopping rule that does not look ahead, so their transitions stay unbiased); the others run to
/// END, half of them converting on their last touch. Gaps after a touch on `y` are exponential with
/// mean 10 min, 1 h, 1 day, 2 h.
@Suite struct NextChannelPlantedTests {
    typealias Support = NextChannelSupport
    static let channels = ["a", "b", "c", "d"]
    static let seed: UInt64 = 2024
    static let customers = 6000

    /// Planted P(next | x, y): index 0 is END, `c + 1` channel `c`. `x` 4 is the start marker.
    static func planted(_ x: Int, _ y: Int) -> [Double] {
        let end = 0.05 + 0.05 * Double(y)
        let favourite = (x + y) % 4
        var p = [Double](repeating: (1 - end - 0.6) / 3, count: 5)
        p[0] = end
        p[favourite + 1] = 0.6
        return p
    }

    struct Sample {
        var store: EventStore
        var journeys: [Journey]
        /// Exact gaps (µs) after each order-2 history `x y`, keyed `x * 4 + y`.
        var gaps: [Int: [Int64]]
    }

    static func draw(_ p: [Double], _ rng: inout Support.SplitMix64) -> Int {
        var u = rng.uniform()
        for (i, q) in p.enumerated() {
            u -= q
            if u < 0 { return i }
        }
        return p.count - 1
    }

    /// Generates the sample once; the tests share it.
    static let sample: Result<Sample, any Error> = Result {
        var rng = Support.SplitMix64(seed: seed)
        let meanGap: [Double] = [600, 3600, 86_400, 7200]
        var complete: [[Support.Row]] = []
        var censored: [[Support.Row]] = []
        var gaps: [Int: [Int64]] = [:]
        for c in 0..<customers {
            let horizon = rng.below(4) == 0 ? 1 + rng.below(12) : Int.max
            var touches = [draw([0, 0.4, 0.3, 0.2, 0.1], &rng) - 1]
            var times: [Int64] = [0]
            var ended = false
            while touches.count < horizon {
                let y = touches[touches.count - 1]
                let x = touches.count >= 2 ? touches[touches.count - 2] : 4
                let next = draw(planted(x, y), &rng)
                if next == 0 {
                    ended = true
                    break
                }
                let gap = min(Int64(-meanGap[y] * log(1 - rng.uniform())) + 1, 20 * Support.day)
                gaps[x * 4 + y, default: []].append(gap * 1_000_000)
                touches.append(next - 1)
                times.append(times[times.count - 1] + gap)
            }
            let converts = ended && rng.below(2) == 0
            let rows = touches.indices.map { i in
                Support.Row(
                    customer: "p\(c)", seconds: times[i], channel: channels[touches[i]],
                    event: converts && i == touches.count - 1 ? "purchase" : "touch")
            }
            if ended { complete.append(rows) } else { censored.append(rows) }
        }
        // Complete journeys start within 200 days and end long before the data do (lapsed or converted);
        // open ones end a day before the data end (censored).
        var rows: [Support.Row] = []
        var latest = Support.jan1
        for journey in complete {
            let start = Support.jan1 + Int64(rng.below(200)) * Support.day
            for var row in journey {
                row.seconds += start
                latest = max(latest, row.seconds)
                rows.append(row)
            }
        }
        let end = latest + 60 * Support.day
        for journey in censored {
            let shift = end - Support.day - journey[journey.count - 1].seconds
            rows += journey.map {
                var r = $0
                r.seconds += shift
                return r
            }
        }
        let store = try Support.store(rows)
        let journeys = Support.journeys(store, endSeconds: end)
        return Sample(store: store, journeys: journeys, gaps: gaps)
    }

    static func fit() throws -> NextChannelFit {
        let s = try sample.get()
        return try NextChannelModel.fit(
            s.journeys, in: s.store, configuration: .init(order: .auto(maxOrder: 4), seed: seed))
    }

    @Test func journeysAreAsPlanted() throws {
        let s = try Self.sample.get()
        #expect(s.journeys.count == Self.customers)
        let censored = s.journeys.filter { $0.outcome == .censored }.count
        let converted = s.journeys.filter { $0.outcome == .converted }.count
        #expect(censored > 0 && converted > 0 && censored + converted < Self.customers, "seed \(Self.seed)")
    }

    @Test func autoOrderChoosesTwo() throws {
        let fit = try Self.fit()
        let losses = fit.report.candidates.map { "\($0.order): \($0.heldOut.logLoss)" }.joined(separator: ", ")
        #expect(fit.report.order == 2, "held-out log-loss by order \(losses), seed \(Self.seed)")
        #expect(fit.model.order == 2)
        #expect(fit.report.candidates.map(\.order) == [1, 2, 3, 4])
        #expect(fit.report.heldOutCustomers > 0 && fit.report.trainingCustomers > fit.report.heldOutCustomers)
        #expect(fit.report.journeys == Self.customers)
    }

    @Test func orderTwoBeatsOrderOneOnHeldOutCustomers() throws {
        let fit = try Self.fit()
        let one = fit.report.candidates[0].heldOut
        let two = fit.report.candidates[1].heldOut
        #expect(two.predictions == one.predictions && two.predictions > 1000)
        #expect(
            two.top1Accuracy > one.top1Accuracy + 0.1,
            "top-1 order 1 \(one.top1Accuracy), order 2 \(two.top1Accuracy), seed \(Self.seed)")
        #expect(two.top3Accuracy >= one.top3Accuracy)
        #expect(two.logLoss < one.logLoss)
        // The planted favourite has 0.6 / (1 − END) ≥ 0.63 of the next touches.
        #expect(two.top1Accuracy > 0.55, "seed \(Self.seed)")
    }

    /// Every planted probability (END and the four channels after each of the 20 order-2 histories) is
    /// within 4 binomial standard errors `√(p(1 − p)/n)` of the estimate, `n` the history's count.
    @Test func recoversThePlantedTransitions() throws {
        let model = try Self.fit().model
        for x in 0...4 {
            for y in 0..<4 {
                let history = x == 4 ? [Self.channels[y]] : [Self.channels[x], Self.channels[y]]
                // The model numbers channels as the store does (first appearance), not as the table.
                let symbols = history.map { UInt16(model.channelIndex[$0]! + 1) }
                let key = ChainState(symbols: x == 4 ? [0] + symbols : symbols)
                let n = Double(model.historyTotals[Int(try #require(model.historyIndex[key]))])
                let end = model.endProbability(after: history)
                let channels = NextChannelSupport.table(model, history)
                let estimate = [end] + Self.channels.map { (1 - end) * channels[$0]! }
                for (w, p) in Self.planted(x, y).enumerated() {
                    let se = (p * (1 - p) / n).squareRoot()
                    #expect(
                        abs(estimate[w] - p) <= 4 * se,
                        "P(\(w == 0 ? "END" : Self.channels[w - 1]) | \(history)) = \(estimate[w]), planted \(p), n \(n), seed \(Self.seed)"
                    )
                }
            }
        }
    }

    /// Every order-2 history has ≥ 20 gaps, so its own histogram answers; each quantile is within 1/16
    /// of the exact order statistic of the gaps generated after that history.
    @Test func gapQuantilesMatchTheSample() throws {
        let model = try Self.fit().model
        let s = try Self.sample.get()
        for x in 0...4 {
            for y in 0..<4 {
                let history = x == 4 ? [Self.channels[y]] : [Self.channels[x], Self.channels[y]]
                let gaps = try #require(s.gaps[x * 4 + y]).sorted()
                let q = try #require(model.gapQuantiles(after: history))
                #expect(q.historyLength == 2 && q.count == gaps.count, "\(history): \(q), seed \(Self.seed)")
                for (level, value) in [(0.1, q.p10), (0.25, q.p25), (0.5, q.p50), (0.75, q.p75), (0.9, q.p90)] {
                    let exact = Double(gaps[max(1, Int((level * Double(gaps.count)).rounded(.up))) - 1])
                    #expect(
                        abs(value - exact) <= max(1, exact / 16),
                        "q\(level) after \(history): \(value) vs \(exact), seed \(Self.seed)")
                }
            }
        }
    }
}
