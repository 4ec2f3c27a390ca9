import Foundation
import Journeys
import Testing

@testable import Simulation

/// The rows of a simulated CSV, split into fields (the simulator never quotes).
struct ParsedLog {
    static let columns = Simulator.header.split(separator: ",").map(String.init)
    var header: String
    var rows: [[String]]

    init(_ csv: [UInt8]) {
        var lines = csv.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        header = String(decoding: lines[0], as: UTF8.self)
        rows = lines.dropFirst().map { line in
            line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Rows of each journey (customer, journey number), in file order.
    var journeys: [ArraySlice<[String]>] {
        var out: [ArraySlice<[String]>] = []
        var first = 0
        for i in 1...rows.count where i == rows.count || rows[i][0] != rows[first][0] || rows[i][11] != rows[first][11] {
            out.append(rows[first..<i])
            first = i
        }
        return rows.isEmpty ? [] : out
    }
}

/// A shared sample: 4,000 customers (about 110,000 events), seed 11, default planted world.
enum SharedSample {
    static let seed: UInt64 = 11
    static let customers = 4000
    static let result: Result<(log: ParsedLog, truth: SimulationTruth), any Error> = Result {
        var configuration = SimulationConfiguration()
        configuration.customers = customers
        configuration.seed = seed
        let (csv, truth) = try Simulator.csv(configuration, threads: 2)
        return (ParsedLog(csv), truth)
    }
    static func get() throws -> (log: ParsedLog, truth: SimulationTruth) { try result.get() }
}

@Suite struct SimulatorDeterminismTests {
    static func configuration(seed: UInt64) -> SimulationConfiguration {
        var c = SimulationConfiguration()
        c.customers = 2000  // two blocks of 1,024 and a partial one's worth of ordering to get wrong
        c.seed = seed
        return c
    }

    @Test func sameSeedSameBytesWhateverTheThreads() throws {
        let one = try Simulator.csv(Self.configuration(seed: 5), threads: 1)
        let two = try Simulator.csv(Self.configuration(seed: 5), threads: 2)
        let three = try Simulator.csv(Self.configuration(seed: 5), threads: 3)
        #expect(one.csv == two.csv)
        #expect(one.csv == three.csv)
        #expect(one.truth == two.truth)
        #expect(try one.truth.jsonData() == three.truth.jsonData())
    }

    @Test func differentSeedDifferentBytes() throws {
        let a = try Simulator.csv(Self.configuration(seed: 5), threads: 2)
        let b = try Simulator.csv(Self.configuration(seed: 6), threads: 2)
        #expect(a.csv != b.csv)
        // Same planted world: the chains are drawn from parameterSeed, not seed.
        #expect(a.truth.segments.map(\.transitions) == b.truth.segments.map(\.transitions))
    }
}

@Suite struct SimulatorOutputTests {
    @Test func writesFilesThatReadBackWithoutRejects() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("waypoint-sim-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = SimulationConfiguration()
        configuration.customers = 2000
        configuration.seed = 3
        let truth = try Simulator.write(configuration, to: directory, threads: 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["events.csv", "truth.json"])

        var options = EventReaderOptions()
        options.threads = 2
        let (store, report) = try EventReader.read(path: directory + "/events.csv", options: options)
        #expect(report.rowsRejected == 0)
        #expect(report.rowsKept == truth.events)
        let csv = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/events.csv")))
        let log = ParsedLog(csv)
        #expect(log.header == Simulator.header)
        #expect(store.customerCount == Set(log.rows.map { $0[0] }).count)
        // A customer whose first journey would start after the window has no rows: rare.
        #expect(store.customerCount <= truth.customers && store.customerCount >= truth.customers * 99 / 100)
        #expect(store.eventTypeNames.contains("purchase"))
        #expect(log.rows.filter { $0[3] == "purchase" }.count == truth.conversions)

        let decoded = try SimulationTruth(jsonData: Data(contentsOf: URL(fileURLWithPath: directory + "/truth.json")))
        #expect(decoded == truth)
    }

    @Test func rowsAreInTimeOrderInsideTheWindowWithFewerWeekendTouches() throws {
        let (log, truth) = try SharedSample.get()
        let formatter = ISO8601DateFormatter()
        let start = Date(timeIntervalSince1970: TimeInterval(truth.configuration.start))
        let end = start.addingTimeInterval(TimeInterval(truth.configuration.days * 86_400))
        var weekend = 0
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var previous: (String, String) = ("", "")
        var outOfOrder = 0
        for row in log.rows {
            if row[0] == previous.0 && row[1] < previous.1 { outOfOrder += 1 }  // ISO strings sort as times
            previous = (row[0], row[1])
        }
        #expect(outOfOrder == 0)
        for row in log.rows.prefix(20_000) {
            let date = try #require(formatter.date(from: row[1]))
            #expect(date >= start && date < end)
            if calendar.isDateInWeekend(date) { weekend += 1 }
        }
        // Without seasonality 2/7 = 0.286 of touches would fall on weekends.
        #expect(Double(weekend) / 20_000 < 0.25)
    }

    @Test func truthRoundTripsExactly() throws {
        let (_, truth) = try SharedSample.get()
        let data = try truth.jsonData()
        let decoded = try SimulationTruth(jsonData: data)
        #expect(decoded == truth)
        #expect(try decoded.jsonData() == data)
    }

    @Test func partialConfigurationKeepsDefaultsAndBadOnesListEveryProblem() throws {
        let c = try JSONDecoder().decode(SimulationConfiguration.self, from: Data(#"{"customers": 5, "days": 30}"#.utf8))
        var expected = SimulationConfiguration()
        expected.customers = 5
        expected.days = 30
        #expect(c == expected)

        var bad = SimulationConfiguration()
        bad.days = 0
        bad.segments[0].propensities = [0.5, 0.5]
        let error = try #require(throws: SimulationError.self) { try Simulator.csv(bad) }
        #expect(error.message.contains("days must be"))
        #expect(error.message.contains("deal_seeker"))
    }
}

@Suite struct SimulatorPlantedTests {
    /// P(next | history, the journey continues) from the log against the planted chain, per segment.
    /// Only continuations are counted: the END probability is not identifiable from a single journey
    /// row set (conversion and the window end also stop journeys), but neither stop depends on the
    /// next channel, so P(c | h) / (1 − P(END | h)) is estimated without bias.
    @Test func plantedOrder2TransitionsAreRecovered() throws {
        let (log, truth) = try SharedSample.get()
        let channels = truth.channels
        let index = Dictionary(uniqueKeysWithValues: channels.enumerated().map { ($1, $0) })
        var tested = 0
        var worst = 0.0
        for (s, segment) in truth.segments.enumerated() {
            // counts[history key][next]
            var counts: [String: [Int]] = [:]
            for journey in log.journeys where journey.first![7] == segment.name {
                let path = journey.map { $0[2] }
                for j in path.indices {
                    let p2 = j >= 2 ? path[j - 2] : "START"
                    let p1 = j >= 1 ? path[j - 1] : "START"
                    counts["\(p2)>\(p1)", default: Array(repeating: 0, count: channels.count)][index[path[j]]!] += 1
                }
            }
            let table = segment.transitions
            for (h, history) in table.histories.enumerated() {
                guard let row = counts["\(history[0])>\(history[1])"] else { continue }
                let n = row.reduce(0, +)
                guard n >= 100 else { continue }
                let end = table.probabilities[h][channels.count]
                for c in channels.indices {
                    let p = table.probabilities[h][c] / (1 - end)
                    let se = (p * (1 - p) / Double(n)).squareRoot()
                    let z = abs(Double(row[c]) / Double(n) - p) / max(se, 1e-3)
                    worst = max(worst, z)
                    #expect(z < 4.5, "segment \(s) history \(history) next \(channels[c]): \(row[c])/\(n) vs \(p)")
                    tested += 1
                }
            }
        }
        #expect(tested > 300, "only \(tested) cells had 100 visits")
        print("transitions: \(tested) cells tested, worst |z| \(worst) (seed \(SharedSample.seed))")
    }

    @Test func chainsDifferBySegment() throws {
        let (_, truth) = try SharedSample.get()
        let starts = truth.segments.map { $0.transitions.probabilities[0] }
        for a in starts.indices {
            for b in starts.indices where a < b {
                let distance = zip(starts[a], starts[b]).map { abs($0 - $1) }.reduce(0, +)
                #expect(distance > 0.2)
            }
        }
        for segment in truth.segments {
            #expect(segment.transitions.histories.count == 1 + 8 + 64)
            for row in segment.transitions.probabilities {
                #expect(abs(row.reduce(0, +) - 1) < 1e-12)
            }
            #expect(segment.transitions.probabilities[0].last == 0)
        }
    }

    /// Conversions per segment match the exact expectation under the logging policy, and the
    /// segments are ordered as planted.
    @Test func conversionRatesDifferBySegmentAsPlanted() throws {
        let (log, truth) = try SharedSample.get()
        var observed: [String: Int] = [:]
        for row in log.rows where row[3] == "purchase" { observed[row[7], default: 0] += 1 }
        for segment in truth.segments {
            let expected = segment.loggingValue * Double(segment.customers)
            let seen = Double(observed[segment.name] ?? 0)
            #expect(Int(seen) == segment.conversions)
            // A sum of independent journey outcomes: variance below the expected count.
            #expect(abs(seen - expected) < 4 * expected.squareRoot(), "\(segment.name): \(seen) vs \(expected)")
        }
        let rate = Dictionary(uniqueKeysWithValues: truth.segments.map { ($0.name, $0.loggingValue) })
        #expect(rate["loyalist"]! > rate["deal_seeker"]! && rate["deal_seeker"]! > rate["browser"]!)
        let seen = Dictionary(uniqueKeysWithValues: truth.segments.map { ($0.name, Double($0.conversions) / Double($0.customers)) })
        #expect(seen["loyalist"]! > seen["deal_seeker"]! && seen["deal_seeker"]! > seen["browser"]!)
    }

    @Test func loggingPolicyMatchesItsPropensities() throws {
        let (log, truth) = try SharedSample.get()
        for segment in truth.segments {
            var counts = [Int](repeating: 0, count: truth.decisions.count)
            for journey in log.journeys where journey.first![7] == segment.name {
                let first = journey.first!
                let propensity = try #require(Double(first[6]))
                #expect(propensity > 0 && propensity <= 1)
                let action = first[5].isEmpty ? 0 : try #require(truth.decisions.firstIndex(of: first[5]))
                #expect(propensity == segment.propensities[action])
                counts[action] += 1
                #expect(journey.dropFirst().allSatisfy { $0[5].isEmpty && $0[6].isEmpty })
            }
            let n = counts.reduce(0, +)
            #expect(n == segment.decisionPoints)
            for (a, p) in segment.propensities.enumerated() {
                let se = (p * (1 - p) / Double(n)).squareRoot()
                #expect(abs(Double(counts[a]) / Double(n) - p) < 4.5 * se, "\(segment.name) \(truth.decisions[a])")
            }
        }
    }

    /// Within a segment the logging policy is randomized, so the treated-minus-untreated difference in
    /// journey conversion estimates the planted average effect. Per segment, the action tested is the
    /// one whose planted effect is largest against its standard error (chosen from the planted effects
    /// and the numbers of journeys, not from the outcomes).
    @Test func mostDetectableActionEffectsHaveThePlantedSign() throws {
        let (log, truth) = try SharedSample.get()
        for segment in truth.segments {
            var journeys = [Int](repeating: 0, count: truth.decisions.count)
            var conversions = journeys
            for journey in log.journeys where journey.first![7] == segment.name {
                let name = journey.first![5]
                let action = name.isEmpty ? 0 : truth.decisions.firstIndex(of: name)!
                journeys[action] += 1
                if journey.contains(where: { $0[3] == "purchase" }) { conversions[action] += 1 }
            }
            let effects = segment.averageEffects
            func power(_ a: Int) -> Double {
                abs(effects[a]) / (1 / Double(max(1, journeys[a])) + 1 / Double(max(1, journeys[0]))).squareRoot()
            }
            let strongest = (1..<effects.count).max { power($0) < power($1) }!
            func rate(_ a: Int) -> Double { Double(conversions[a]) / Double(journeys[a]) }
            let difference = rate(strongest) - rate(0)
            let se = (rate(strongest) * (1 - rate(strongest)) / Double(journeys[strongest])
                + rate(0) * (1 - rate(0)) / Double(journeys[0])).squareRoot()
            #expect(abs(effects[strongest]) > 3 * se, "\(segment.name): the sample is too small to test")
            #expect((difference > 0) == (effects[strongest] > 0), "\(segment.name) \(truth.decisions[strongest])")
            #expect(abs(difference - effects[strongest]) < 4 * se)
            print("\(segment.name) \(truth.decisions[strongest]): planted \(effects[strongest]), seen \(difference) ± \(se)")
        }
        // Heterogeneity: the first action helps one segment and hurts another.
        let first = truth.segments.map { $0.averageEffects[1] }
        #expect(first.contains { $0 > 0.05 } && first.contains { $0 < -0.05 })
    }

    @Test func oracleBeatsLoggingWhichBeatsNoAction() throws {
        let (_, truth) = try SharedSample.get()
        #expect(truth.oracleValue > truth.loggingValue)
        for segment in truth.segments {
            let best = truth.decisions.firstIndex(of: segment.bestAction)!
            #expect(segment.averageEffects.allSatisfy { $0 <= segment.averageEffects[best] })
            #expect(segment.oracleValue >= segment.loggingValue)
        }
        let weighted = truth.segments.map { $0.oracleValue * Double($0.customers) }.reduce(0, +) / Double(truth.customers)
        #expect(abs(weighted - truth.oracleValue) < 1e-12)
    }
}
