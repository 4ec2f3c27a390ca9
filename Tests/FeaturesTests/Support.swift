import Foundation
import Journeys
import Simulation
import Testing

@testable import Features

let day: Int64 = 86_400_000_000

/// Microseconds of an ISO 8601 UTC time `YYYY-MM-DDTHH:MM:SSZ` (or a date).
func micros(_ text: String) -> Int64 {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = text.count == 10 ? [.withFullDate] : [.withInternetDateTime]
    let date = formatter.date(from: text)!
    return Int64(date.timeIntervalSince1970.rounded()) * 1_000_000
}

func temporaryFile(_ bytes: [UInt8], suffix: String = ".csv") throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("features-\(UUID().uuidString)\(suffix)").path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// Reads a CSV event log given as text into a store (one thread, so it is quick for tiny inputs).
func store(_ csv: String) throws -> EventStore {
    try store(bytes: Array(csv.utf8))
}

func store(bytes: [UInt8]) throws -> EventStore {
    let path = try temporaryFile(bytes)
    defer { try? FileManager.default.removeItem(atPath: path) }
    var options = EventReaderOptions()
    options.threads = 1
    return try EventReader.read(path: path, options: options).store
}

/// A simulated log (seeded) as CSV lines, header first, and its store.
enum SimulatedLog {
    static let seed: UInt64 = 7
    static let lines: [String] = {
        var configuration = SimulationConfiguration()
        configuration.customers = 400
        configuration.seed = seed
        let csv = try! Simulator.csv(configuration, threads: 1).csv
        return String(decoding: csv, as: UTF8.self).split(separator: "\n").map(String.init)
    }()

    static func text(_ lines: [String]) -> String { lines.joined(separator: "\n") + "\n" }
}

/// Row ids (customer id, cutoff) of a snapshot, for comparing snapshots of different stores.
func rowIDs(_ snapshot: Snapshot, _ store: EventStore) -> [String] {
    snapshot.rows.map { "\(store.customerIDs[$0.customer])@\($0.cutoff)" }
}

/// The first index where two arrays differ bit for bit (or where one ends), nil when bit-identical.
/// Used instead of `==` inside `#expect` so a failure names one spot instead of printing both arrays.
func firstBitDifference(_ a: [Double], _ b: [Double]) -> Int? {
    for k in 0..<min(a.count, b.count) where a[k].bitPattern != b[k].bitPattern { return k }
    return a.count == b.count ? nil : min(a.count, b.count)
}
