// Profiling aid (not a benchmark): loops one phase of scoring for SECONDS so `perf record` sees it alone.
//   ScoringProfile score|into|hot|replay|replay2|e2e CUSTOMERS SECONDS   (replay: one thread; replay2: two)
import BenchmarkFixtures
import Dispatch
import Features
import Foundation
import Journeys
import WaypointScoring

let arguments = CommandLine.arguments
let mode = arguments[1]
let fixture = try ScoringFixture.make(customers: Int(arguments[2])!)
let seconds = Double(arguments[3])!
let scorer = fixture.scorer
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
FileHandle.standardError.write(Data("ready\n".utf8))
let start = now()
var rounds = 0
var units = 0
while now() - start < seconds {
    switch mode {
    case "hot":  // one customer again and again: scoring with every cache warm
        let state = fixture.states[fixture.states.count / 2]
        for _ in 0..<fixture.states.count { withExtendedLifetime(scorer.score(state, at: fixture.time)) {} }
        units += fixture.states.count
    case "into":  // the service path: one score refilled customer after customer
        var score = scorer.score(fixture.states[0], at: fixture.time)
        for k in fixture.states.indices { scorer.score(fixture.states[k], at: fixture.time, into: &score) }
        withExtendedLifetime(score) {}
        units += fixture.states.count
    case "score":
        for k in fixture.states.indices { withExtendedLifetime(scorer.score(fixture.states[k], at: fixture.time)) {} }
        units += fixture.states.count
    case "replay", "replay2":
        let threads = mode == "replay" ? 1 : 2
        let (scores, _) = try scorer.scoreAll(fixture.store, attributes: fixture.attributes, at: fixture.time, threads: threads)
        units += scores.count
    default:
        var options = EventReaderOptions()
        options.attributeColumns = scorer.attributeNames.numeric.map { AttributeColumn(name: $0, isNumeric: true) }
            + scorer.attributeNames.categorical.map { AttributeColumn(name: $0, isNumeric: false) }
        let t0 = now()
        let store = try EventReader.read(path: fixture.path, options: options).store
        let t1 = now()
        let table = CustomerAttributes(store.attributes!, customerCount: store.customerCount)
        let t2 = now()
        units += try scorer.scoreAll(store, attributes: table, at: fixture.time).scores.count
        let t3 = now()
        if rounds < 3 {
            FileHandle.standardError.write(Data(String(format: "read %.3f s, attributes %.3f s, scoreAll %.3f s\n", t1 - t0, t2 - t1, t3 - t2).utf8))
        }
    }
    rounds += 1
}
let elapsed = now() - start
print("\(mode): \(units) customers in \(String(format: "%.2f", elapsed)) s = \(String(format: "%.3f", elapsed / Double(units) * 1e6)) µs/customer")
