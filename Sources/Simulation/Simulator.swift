import Foundation
import Journeys

#if canImport(Glibc)
import Glibc
#endif

/// Counts so far, reported after each batch of customers.
public struct SimulationProgress: Sendable {
    /// Customers generated so far.
    public var customers = 0
    /// Event rows generated so far.
    public var events = 0
    /// CSV bytes handed to the writer so far, the header included.
    public var bytes = 0
}

/// Generates an omnichannel event log from planted ground truth.
///
/// ```swift
/// var configuration = SimulationConfiguration()
/// configuration.customers = 100_000
/// let truth = try Simulator.write(configuration, to: "out")   // out/events.csv, out/truth.json
/// ```
///
/// Rows are grouped by customer (customers in order `c000001`, `c000002`, …), each customer's rows in
/// time order. Customer `i` draws from its own generator, seeded from (`seed`, `i`), and blocks of
/// customers are generated in parallel and written in order: the bytes depend on the configuration only,
/// never on the thread count. Columns: ``header``.
public enum Simulator {
    /// The CSV header line, without its line feed: the reader's event columns, then the customer
    /// attributes `segment`, `region`, `tenure_days`, `customer_value` and the customer's
    /// journey number `journey` (1, 2, …).
    public static let header =
        "customer_id,timestamp,channel,event,value,action,propensity,segment,region,tenure_days,customer_value,journey"

    static let blockCustomers = 1024

    /// Runs the simulation, handing the CSV (header first) to `write` in order, in chunks of about a
    /// megabyte or more.
    ///
    /// - Throws: `SimulationError` listing every problem of `configuration`; whatever `write` throws.
    /// - Complexity: O(events); about 2 blocks of 1,024 customers per thread in memory at once.
    public static func run(
        _ configuration: SimulationConfiguration, threads: Int = systemCoreCount(),
        onProgress: ((SimulationProgress) -> Void)? = nil,
        write: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws -> SimulationTruth {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw SimulationError(problems.joined(separator: "; ")) }
        let world = PlantedWorld(configuration)
        let threads = max(1, threads)
        let blocks = (configuration.customers + blockCustomers - 1) / blockCustomers
        var total = BlockStats(world)
        var progress = SimulationProgress()
        let head = Array((header + "\n").utf8)
        try head.withUnsafeBufferPointer { try write($0) }
        progress.bytes = head.count
        let wave = threads * 2
        var first = 0
        while first < blocks {
            let count = min(wave, blocks - first)
            let outputs = UnsafeMutableBufferPointer<BlockOutput?>.allocate(capacity: count)
            outputs.initialize(repeating: nil)
            defer {
                outputs.deinitialize()
                outputs.deallocate()
            }
            let slots = SendablePointer(outputs)
            let start = first
            let work: @Sendable (Int) -> Void = { worker in
                for k in stride(from: worker, to: count, by: threads) {
                    slots.buffer[k] = generateBlock(start + k, world: world)
                }
            }
            if threads == 1 || count == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: min(threads, count), execute: work) }
            for k in 0..<count {
                let output = outputs[k]!
                try output.bytes.withUnsafeBufferPointer { try write($0) }
                total.add(output.stats)
                progress.events += output.stats.events
                progress.bytes += output.bytes.count
            }
            progress.customers = min(configuration.customers, (first + count) * blockCustomers)
            first += count
            onProgress?(progress)
        }
        return total.truth(world)
    }

    /// The whole CSV in memory, and the truth: for tests and small runs.
    ///
    /// - Throws: `SimulationError` listing every problem of `configuration`.
    public static func csv(
        _ configuration: SimulationConfiguration, threads: Int = systemCoreCount()
    ) throws -> (csv: [UInt8], truth: SimulationTruth) {
        var bytes: [UInt8] = []
        let truth = try run(configuration, threads: threads) { bytes.append(contentsOf: $0) }
        return (bytes, truth)
    }

    /// Writes `directory/events.csv` and `directory/truth.json`, each under a temporary name first and
    /// renamed when complete, creating `directory` if needed.
    ///
    /// - Throws: `SimulationError` listing every problem of `configuration`, or naming an output file
    ///   that cannot be created, written or renamed; Foundation's error if `directory` cannot be created
    ///   or the temporary `truth.json` cannot be written.
    public static func write(
        _ configuration: SimulationConfiguration, to directory: String, threads: Int = systemCoreCount(),
        onProgress: ((SimulationProgress) -> Void)? = nil
    ) throws -> SimulationTruth {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let events = directory + "/events.csv"
        let temporary = directory + "/.events.csv.partial-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw SimulationError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var closed = false
        defer {
            if !closed {
                close(fd)
                unlink(temporary)
            }
        }
        let truth = try run(configuration, threads: threads, onProgress: onProgress) { chunk in
            var offset = 0
            while offset < chunk.count {
                let n = Glibc.write(fd, chunk.baseAddress! + offset, chunk.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SimulationError("cannot write \(temporary): \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
        closed = true
        guard close(fd) == 0 else {
            unlink(temporary)
            throw SimulationError("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        // Both files are complete under temporary names before either is renamed into place.
        let truthPath = directory + "/truth.json"
        let truthTemporary = directory + "/.truth.json.partial-\(getpid())"
        do {
            try truth.jsonData().write(to: URL(fileURLWithPath: truthTemporary))
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, events) == 0 else {
            unlink(temporary)
            unlink(truthTemporary)
            throw SimulationError("cannot rename \(temporary) to \(events): \(String(cString: strerror(errno)))")
        }
        guard rename(truthTemporary, truthPath) == 0 else {
            unlink(truthTemporary)
            throw SimulationError("cannot rename \(truthTemporary) to \(truthPath): \(String(cString: strerror(errno)))")
        }
        return truth
    }
}

extension SimulationTruth {
    /// Pretty-printed JSON with sorted keys: the same truth gives the same bytes.
    ///
    /// - Throws: `EncodingError` if a number is not finite (JSON has no NaN or infinity).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Decodes a truth written by `jsonData()` (the contents of `truth.json`).
    ///
    /// - Throws: `DecodingError` if the data is not such a document.
    public init(jsonData: Data) throws {
        self = try JSONDecoder().decode(SimulationTruth.self, from: jsonData)
    }
}

private struct SendablePointer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}

struct BlockOutput {
    var bytes: [UInt8]
    var stats: BlockStats
}

/// Per-segment sums of one block; added in block order, so totals do not depend on threads.
struct BlockStats {
    let segments: Int
    let decisions: Int
    var customers: [Int]
    var decisionPoints: [Int]
    var conversions: [Int]
    var churned: [Int]
    var journeys = 0
    var events = 0
    /// Σ P(convert | a) over decision points, at `segment * decisions + a`.
    var valueSums: [Double]
    /// Σ Σ_a π(a) P(convert | a).
    var loggingSums: [Double]

    init(_ world: PlantedWorld) {
        segments = world.segmentCount
        decisions = world.decisionCount
        customers = Array(repeating: 0, count: segments)
        decisionPoints = customers
        conversions = customers
        churned = customers
        valueSums = Array(repeating: 0, count: segments * decisions)
        loggingSums = Array(repeating: 0, count: segments)
    }

    mutating func add(_ o: BlockStats) {
        for s in 0..<segments {
            customers[s] += o.customers[s]
            decisionPoints[s] += o.decisionPoints[s]
            conversions[s] += o.conversions[s]
            churned[s] += o.churned[s]
            loggingSums[s] += o.loggingSums[s]
        }
        for k in valueSums.indices { valueSums[k] += o.valueSums[k] }
        journeys += o.journeys
        events += o.events
    }

    func truth(_ world: PlantedWorld) -> SimulationTruth {
        let c = world.configuration
        let d = decisions
        var segmentTruths: [SimulationTruth.Segment] = []
        var logging = 0.0, oracle = 0.0, none = 0.0
        for (s, segment) in c.segments.enumerated() {
            let points = Double(max(1, decisionPoints[s]))
            let people = Double(max(1, customers[s]))
            let sums = Array(valueSums[(s * d)..<((s + 1) * d)])
            logging += loggingSums[s]
            oracle += sums[world.best[s]]
            none += sums[0]
            segmentTruths.append(
                SimulationTruth.Segment(
                    name: segment.name, share: segment.share, transitions: world.transitionTable(segment: s),
                    conversionIntercept: segment.conversionIntercept, churnIntercept: segment.churnIntercept,
                    meanJourneyGapDays: segment.meanJourneyGapDays, meanLogCustomerValue: segment.meanLogCustomerValue,
                    propensities: segment.propensities, actionLogitShifts: world.shifts[s],
                    averageEffects: sums.map { ($0 - sums[0]) / points },
                    bestAction: c.decisionNames[world.best[s]], customers: customers[s],
                    decisionPoints: decisionPoints[s], conversions: conversions[s], churned: churned[s],
                    loggingValue: loggingSums[s] / people, oracleValue: sums[world.best[s]] / people,
                    noActionValue: sums[0] / people))
        }
        let people = Double(max(1, c.customers))
        return SimulationTruth(
            configuration: c, channels: c.channels, decisions: c.decisionNames, segments: segmentTruths,
            customers: c.customers, events: events, journeys: journeys, decisionPoints: decisionPoints.reduce(0, +),
            conversions: conversions.reduce(0, +), churned: churned.reduce(0, +),
            loggingValue: logging / people, oracleValue: oracle / people, noActionValue: none / people,
            notes: SimulationTruth.modelNotes + [SimulationTruth.valueDefinition])
    }
}
