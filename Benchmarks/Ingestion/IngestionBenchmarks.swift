// Reading a touchpoint log into the EventStore: parse, intern, order by customer and time.
// The input is generated in setup (same shape as Benchmarks/compare/generate_events.py: customers
// interleaved in global time order, all seven columns) and written to a temporary file once.
import Benchmark
import Foundation
import Journeys

/// Writes `events` rows for `events / 20` customers over 2024 and returns the path.
func makeLog(events: Int) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("waypoint-bench-\(events).csv").path
    if FileManager.default.fileExists(atPath: path) { return path }
    let channels = ["web", "app", "email", "push", "social", "sms", "store", "call_center"]
    let eventTypes = ["view", "view", "view", "click", "add_to_cart", "purchase"]
    var state: UInt64 = 7
    func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }
    var text = "customer_id,timestamp,channel,event,value,action,propensity\n"
    text.reserveCapacity(events * 50)
    let start = 1_704_067_200  // 2024-01-01T00:00:00Z
    let formatter = ISO8601DateFormatter()
    for i in 0..<events {
        let second = start + i * (31_536_000 / events)
        let event = eventTypes[next(eventTypes.count)]
        let value = event == "purchase" ? "\(next(200)).\(next(90) + 10)" : ""
        let action = next(10) == 0 ? "action\(next(10))" : ""
        let propensity = action.isEmpty ? "" : "0.\(next(9000) + 1000)"
        let timestamp = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(second)))
        text += "c\(1_000_000 + next(events / 20)),\(timestamp),\(channels[next(channels.count)]),\(event),\(value),\(action),\(propensity)\n"
    }
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident, .mallocCountTotal],
        maxDuration: .seconds(10), maxIterations: 10)

    for threads in [1, 2] {
        Benchmark("read 1M events into the store, threads=\(threads)", configuration: .init(scalingFactor: .one)) { benchmark, path in
            var options = EventReaderOptions()
            options.threads = threads
            for _ in benchmark.scaledIterations {
                let (store, _) = try EventReader.read(path: path, options: options)
                blackHole(store.count)
            }
        } setup: {
            makeLog(events: 1_000_000)
        }
    }

    Benchmark("assemble journeys, 1M events", configuration: .init(scalingFactor: .one)) { benchmark, store in
        for _ in benchmark.scaledIterations {
            blackHole(store.journeys().count)
        }
    } setup: {
        try EventReader.read(path: makeLog(events: 1_000_000)).store
    }
}
