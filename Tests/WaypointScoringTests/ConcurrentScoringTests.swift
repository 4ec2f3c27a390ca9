import Dispatch
import Foundation
import Journeys
import Testing
import WaypointScoring

/// One `Scorer` shared by many threads at once, as a service uses it. CI also runs this suite under the
/// thread sanitizer (`.ci/run`), which reports any data race. Uses the committed demo bundle and the
/// shipped sample, so nothing here trains (no BLAS threads in the picture).
@Suite struct ConcurrentScoringTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func manyThreadsScoreWhatOneThreadScores() throws {
        let scorer = try Scorer(bundle: Self.root.appendingPathComponent("models/demo").path)
        let store = try EventReader.read(path: Self.root.appendingPathComponent("datasets/sample/events.csv").path).store
        let customers = min(store.customerCount, 400)
        let end = store.timeRange!.upperBound + 1
        var states: [CustomerState] = []
        for c in 0..<customers {
            var state = scorer.newCustomer(store.customerIDs[c])
            for e in store.events(of: c) {
                try scorer.record(Trained.touchEvent(store, e), into: &state)
            }
            states.append(state)
        }
        let sequential = states.map { scorer.score($0, at: end) }
        let threads = 8
        let results = Results(count: threads)
        let shared = states
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            // Each thread scores every customer, starting at a different place.
            var out = [CustomerScore?](repeating: nil, count: shared.count)
            for k in 0..<shared.count {
                let i = (k + t * 37) % shared.count
                out[i] = scorer.score(shared[i], at: end)
            }
            results.set(t, out.map { $0! })
        }
        for t in 0..<threads { #expect(results.get(t) == sequential, "thread \(t) differs") }
    }
}

/// Per-thread results behind a lock.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [[CustomerScore]]
    init(count: Int) { values = Array(repeating: [], count: count) }
    func set(_ i: Int, _ v: [CustomerScore]) { lock.withLock { values[i] = v } }
    func get(_ i: Int) -> [CustomerScore] { lock.withLock { values[i] } }
}
