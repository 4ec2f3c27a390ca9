import Foundation
import Journeys

/// The planted parameters in the form the generator uses: cumulative tables and preformatted bytes.
struct PlantedWorld: Sendable {
    let configuration: SimulationConfiguration
    /// The base of every customer's generator: `seed` scrambled, so customer i of seed s and customer
    /// i + 1 of seed s + 1 do not share a stream (as they would from `seed + i`).
    let customerSeed: UInt64
    let channelCount: Int
    let segmentCount: Int
    let decisionCount: Int
    /// Per segment, P(next | p2, p1) at `((p2 * (C + 1)) + p1) * (C + 1) + next`; START and END are `C`.
    let chains: [[Double]]
    /// Same layout, cumulative over `next`.
    let chainCumulative: [[Double]]
    let segmentCumulative: [Double]
    let regionCumulative: [Double]
    let eventCumulative: [Double]
    let propensityCumulative: [[Double]]
    /// Per segment, aligned with decisions (`none` first, 0).
    let shifts: [[Double]]
    let best: [Int]
    let channelCoefficients: [Double]
    let regionCoefficients: [Double]

    let channelBytes: [[UInt8]]
    let segmentBytes: [[UInt8]]
    let regionBytes: [[UInt8]]
    let actionBytes: [[UInt8]]
    /// Per segment and decision: the propensity as written.
    let propensityBytes: [[[UInt8]]]
    let eventBytes: [[UInt8]]
    /// `YYYY-MM-DDT` for each day from the start day.
    let datePrefixes: [[UInt8]]
    let startDay: Int64
    let end: Int64
    let idWidth: Int

    init(_ c: SimulationConfiguration) {
        configuration = c
        var scramble = SplitMix64(seed: c.seed)
        customerSeed = scramble.next()
        let n = c.channels.count
        channelCount = n
        segmentCount = c.segments.count
        decisionCount = c.actions.count + 1
        var rng = SplitMix64.replicate(0, of: c.parameterSeed)
        var chains: [[Double]] = []
        for _ in c.segments {
            chains.append(Self.plantChain(channels: n, rng: &rng))
        }
        self.chains = chains
        chainCumulative = chains.map { table in
            var out = table
            for row in stride(from: 0, to: table.count, by: n + 1) {
                var sum = 0.0
                for k in row..<(row + n + 1) {
                    sum += table[k]
                    out[k] = sum
                }
            }
            return out
        }
        segmentCumulative = Self.cumulative(c.segments.map(\.share))
        regionCumulative = Self.cumulative(c.regions.map(\.share))
        eventCumulative = Self.cumulative(c.touchEventShares)
        propensityCumulative = c.segments.map { Self.cumulative($0.propensities) }
        shifts = c.segments.map { [0] + $0.actionLogitShifts }
        best = shifts.map { s in s.indices.max(by: { s[$0] < s[$1] || (s[$0] == s[$1] && $0 > $1) }) ?? 0 }
        channelCoefficients = c.channelConversionCoefficients
        regionCoefficients = c.regions.map(\.conversionCoefficient)

        channelBytes = c.channels.map { Array($0.utf8) }
        segmentBytes = c.segments.map { Array($0.name.utf8) }
        regionBytes = c.regions.map { Array($0.name.utf8) }
        actionBytes = [[]] + c.actions.map { Array($0.id.utf8) }
        propensityBytes = c.segments.map { $0.propensities.map { Array("\($0)".utf8) } }
        eventBytes = ["view", "click", "add_to_cart", "purchase"].map { Array($0.utf8) }
        let firstDay = c.start - c.start % 86_400
        let last = c.start + Int64(c.days) * 86_400
        startDay = firstDay
        end = last
        datePrefixes = (0...(Int((last - firstDay) / 86_400) + 1)).map { day in
            Array((Self.civilDate(days: firstDay / 86_400 + Int64(day)) + "T").utf8)
        }
        idWidth = max(6, String(c.customers).count)
    }

    /// One segment's order-2 chain. Channel popularity differs by segment; a repeat of the last channel
    /// and a return to the one before it are favoured; every history gets its own noise, so the next
    /// touch depends on both previous touches. END: 0 after START START, about 0.13 after one touch,
    /// about 0.21 later.
    static func plantChain(channels n: Int, rng: inout SplitMix64) -> [Double] {
        let popularity = (0..<n).map { _ in 0.9 * normal(&rng) }
        var table = [Double](repeating: 0, count: (n + 1) * (n + 1) * (n + 1))
        for p2 in 0...n {
            for p1 in 0...n where p1 < n || p2 == n {
                var logits = [Double](repeating: 0, count: n)
                for c in 0..<n {
                    logits[c] = popularity[c] + 0.7 * normal(&rng)
                    if c == p1 { logits[c] += 0.8 }
                    if c == p2 { logits[c] += 0.5 }
                }
                let top = logits.max()!
                let weights = logits.map { exp($0 - top) }
                let total = weights.reduce(0, +)
                let endProbability: Double
                if p1 == n {
                    endProbability = 0
                } else {
                    endProbability = logistic((p2 == n ? -1.9 : -1.3) + 0.3 * normal(&rng))
                }
                let row = (p2 * (n + 1) + p1) * (n + 1)
                for c in 0..<n { table[row + c] = (1 - endProbability) * weights[c] / total }
                table[row + n] = endProbability
            }
        }
        return table
    }

    static func cumulative(_ weights: [Double]) -> [Double] {
        let total = weights.reduce(0, +)
        var sum = 0.0
        var out = weights.map { w -> Double in
            sum += w
            return sum / total
        }
        if !out.isEmpty { out[out.count - 1] = 1 }
        return out
    }

    /// `YYYY-MM-DD` of a day number since 1970-01-01 (Hinnant's civil_from_days).
    static func civilDate(days: Int64) -> String {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// The planted chain of segment `s` as a truth table.
    func transitionTable(segment s: Int) -> SimulationTruth.TransitionTable {
        let n = channelCount
        let names = configuration.channels
        var histories: [[String]] = [["START", "START"]]
        var rows: [Int] = [(n * (n + 1) + n) * (n + 1)]
        for p1 in 0..<n {
            histories.append(["START", names[p1]])
            rows.append((n * (n + 1) + p1) * (n + 1))
        }
        for p2 in 0..<n {
            for p1 in 0..<n {
                histories.append([names[p2], names[p1]])
                rows.append((p2 * (n + 1) + p1) * (n + 1))
            }
        }
        return SimulationTruth.TransitionTable(
            histories: histories, next: names + ["END"],
            probabilities: rows.map { Array(chains[s][$0..<($0 + n + 1)]) })
    }
}

@inline(__always) func logistic(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

/// A standard normal draw (Box–Muller, one of the pair).
@inline(__always) func normal(_ rng: inout SplitMix64) -> Double {
    let u = rng.uniform()
    let v = rng.uniform()
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
}

/// Index of the first cumulative weight above a uniform draw.
@inline(__always) func draw(_ cumulative: [Double], _ rng: inout SplitMix64) -> Int {
    let u = rng.uniform()
    for i in cumulative.indices where u < cumulative[i] { return i }
    return cumulative.count - 1
}
