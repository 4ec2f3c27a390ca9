import Foundation
import Journeys
import Testing

@testable import Markov

@Suite struct MarkovModelTests {
    static func store() throws -> (EventStore, [Journey]) {
        var text = "customer_id,timestamp,channel,event,value\n"
        var rng = SplitMix64(seed: 5)
        let channels = ["email", "web", "app", "store"]
        for c in 0..<300 {
            var t = 1_700_000_000 + c * 977
            for _ in 0..<(1 + rng.poisson(4)) {
                t += 3600 * (1 + rng.poisson(20))
                let converts = rng.uniform() < 0.1
                text += "c\(c),\(t),\(channels[Int(rng.next() % 4)]),\(converts ? "purchase" : "view"),\(converts ? "12.5" : "")\n"
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("markov-model-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let store = try EventReader.read(path: path).store
        return (store, store.journeys())
    }

    static func model(order: Int = 2) throws -> MarkovModel {
        let (store, journeys) = try store()
        let next = try NextChannelModel.fit(journeys, in: store, configuration: NextChannelConfiguration(order: .fixed(order))).model
        var chain = try TransitionCounts(configuration: MarkovConfiguration(order: order))
        chain.add(journeys, from: store)
        return MarkovModel(chain: chain, nextChannel: next)
    }

    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString).json").path
    }

    /// Saved and loaded models give the same numbers bit for bit.
    @Test func roundTripIsExact() throws {
        let model = try Self.model()
        let path = temporaryPath()
        try model.save(to: path)
        let loaded = try MarkovModel.load(from: path)
        let a = try model.chain.removalAttribution()
        let b = try loaded.chain.removalAttribution()
        #expect(a.conversionProbability.bitPattern == b.conversionProbability.bitPattern)
        #expect(a.channels == b.channels)
        for history in [[], ["email"], ["web", "app"], ["store", "store", "email"], ["unknown", "web"]] {
            let p = model.nextChannel.probabilities(after: history)
            let q = loaded.nextChannel.probabilities(after: history)
            #expect(p.map(\.channel) == q.map(\.channel))
            #expect(p.map(\.probability.bitPattern) == q.map(\.probability.bitPattern))
            #expect(model.nextChannel.gapQuantiles(after: history) == loaded.nextChannel.gapQuantiles(after: history))
        }
    }

    @Test func refusesOtherFormatsNewerVersionsAndDamage() throws {
        let model = try Self.model(order: 1)
        let path = temporaryPath()
        try model.save(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)

        let newer = temporaryPath()
        try text.replacingOccurrences(of: "\"version\":1", with: "\"version\":2").write(toFile: newer, atomically: true, encoding: .utf8)
        let newerError = try #require(throws: MarkovError.self) { try MarkovModel.load(from: newer) }
        #expect(newerError.message.contains("format version 2"))
        #expect(newerError.message.contains("reads up to 1"))

        let other = temporaryPath()
        try text.replacingOccurrences(of: "\"format\":\"waypoint-markov\"", with: "\"format\":\"something-else\"").write(toFile: other, atomically: true, encoding: .utf8)
        let otherError = try #require(throws: MarkovError.self) { try MarkovModel.load(from: other) }
        #expect(otherError.message.contains("'something-else'"))

        let truncated = temporaryPath()
        try String(text.prefix(text.count / 2)).write(toFile: truncated, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try MarkovModel.load(from: truncated) }

        let empty = temporaryPath()
        try "".write(toFile: empty, atomically: true, encoding: .utf8)
        #expect(throws: MarkovError.self) { try MarkovModel.load(from: empty) }

        // An index out of range is refused, not trusted.
        let corrupt = temporaryPath()
        try text.replacingOccurrences(of: "\"successorTargets\":[[", with: "\"successorTargets\":[[9999,").write(toFile: corrupt, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try MarkovModel.load(from: corrupt) }
    }
}

@Suite struct JourneyMapTests {
    /// The hand-solved order-1 chain of RemovalEffectTests: S → a, b at 1/2; a → b, null at 1/2; b → conversion 2/3.
    @Test func edgesCarryTheTransitionProbabilities() throws {
        let c = try counts([("a > b", 1, 10, 0), ("a", 0, 0, 1), ("b", 1, 5, 1)])
        let dot = c.journeyMap(minimumProbability: 0)
        #expect(dot.hasPrefix("digraph journeys {"))
        #expect(dot.hasSuffix("}"))
        #expect(dot.contains("n0 [label=\"(start)\\nP(conversion) 0.500\", shape=oval];"))
        #expect(dot.contains("n0 -> n1 [label=\"0.50\""))
        #expect(dot.contains("-> conversion [label=\"0.67\""))
        #expect(dot.contains("-> null [label=\"0.33\""))
        #expect(dot.contains("style=dashed"))
        // State-to-state edges below the threshold are left out; conversion and null edges stay.
        let sparse = c.journeyMap(minimumProbability: 0.6)
        #expect(!sparse.contains("n0 -> n1"))
        #expect(sparse.contains("-> null [label=\"0.33\""))
    }
}
