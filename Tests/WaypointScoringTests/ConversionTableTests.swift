import Foundation
import Journeys
import Markov
import Testing

/// The Markov model's scoring view, on a chain solved by hand.
@Suite struct ConversionTableTests {
    /// Journeys (order 1, history semantics): email > web (purchase); email (lapses); web (lapses);
    /// web (purchase). S→email 2, S→web 2; email→web 1, email→null 1; web→conv 2, web→null 1.
    /// x_web = 2/3, x_email = ½·x_web = 1/3, x_S = ½·1/3 + ½·2/3 = 1/2.
    static func table() throws -> MarkovConversionTable {
        let day: Int64 = 86_400
        let t0: Int64 = 1_700_000_000
        let csv = """
            customer_id,timestamp,channel,event
            c1,\(t0),email,view
            c1,\(t0 + 3600),web,purchase
            c2,\(t0),email,view
            c3,\(t0),web,view
            c4,\(t0),web,purchase
            c5,\(t0 + 100 * day),store,view

            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("table-\(UUID().uuidString).csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        let store = try EventReader.read(path: path).store
        let journeys = store.journeys()  // c5's journey is censored: not counted
        var chain = try TransitionCounts(configuration: MarkovConfiguration(order: 1))
        chain.add(journeys, from: store)
        let next = try NextChannelModel.fit(journeys, in: store, configuration: NextChannelConfiguration(order: .fixed(1))).model
        return try MarkovModel(chain: chain, nextChannel: next).conversionTable()
    }

    @Test func probabilitiesMatchTheHandSolution() throws {
        let table = try Self.table()
        #expect(abs(table.startProbability - 0.5) < 1e-14)
        let email = table.probability(after: ["email"])
        #expect(email.known && abs(email.probability - 1.0 / 3) < 1e-14)
        let web = table.probability(after: ["store", "email", "web"])  // order 1: only the last touch matters
        #expect(web.known && abs(web.probability - 2.0 / 3) < 1e-14)
        let empty = table.probability(after: [String]())
        #expect(empty.known && empty.probability == table.startProbability)
    }

    @Test func unknownChannelsFallBackToTheStartState() throws {
        let table = try Self.table()
        let unknown = table.probability(after: ["email", "carrier_pigeon"])
        #expect(!unknown.known)
        #expect(unknown.probability == table.startProbability)
        #expect(table.channelAdvice(after: ["carrier_pigeon"]).isEmpty)
    }

    /// Advice appends the next channel to the journey's state; the reference looks up the whole
    /// extended path instead, for every path up to 4 touches over the channels and an unknown one, under
    /// both state semantics and orders 1 to 3.
    @Test(arguments: [StateSemantics.history, .channelAttribution], [1, 2, 3])
    func adviceEqualsLookingUpEveryExtendedPath(semantics: StateSemantics, order: Int) throws {
        let t0: Int64 = 1_700_000_000
        var csv = "customer_id,timestamp,channel,event\n"
        let channels = ["email", "web", "app"]
        var rng = SplitMix64(seed: UInt64(order))
        for c in 0..<300 {
            let touches = 1 + Int(rng.next() % 5)
            for k in 0..<touches {
                let last = k == touches - 1
                let event = last && rng.next() % 3 == 0 ? "purchase" : "view"
                csv += "c\(c),\(t0 + Int64(c) * 1_000_000 + Int64(k) * 60),\(channels[Int(rng.next() % 3)]),\(event)\n"
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("advice-\(UUID().uuidString).csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        let store = try EventReader.read(path: path).store
        let journeys = store.journeys()
        var chain = try TransitionCounts(configuration: MarkovConfiguration(order: order, semantics: semantics))
        chain.add(journeys, from: store)
        let next = try NextChannelModel.fit(journeys, in: store, configuration: NextChannelConfiguration(order: .fixed(1))).model
        let table = try MarkovModel(chain: chain, nextChannel: next).conversionTable()
        var paths: [[String]] = [[]]
        var frontier: [[String]] = [[]]
        for _ in 0..<4 {
            frontier = frontier.flatMap { p in (channels + ["fax"]).map { p + [$0] } }
            paths += frontier
        }
        for p in paths {
            let now = table.probability(after: p)
            var expected: [(channel: String, probability: Double, gain: Double)] = []
            if now.known {
                for name in table.channelNames {
                    let then = table.probability(after: p + [name])
                    if then.known { expected.append((name, then.probability, then.probability - now.probability)) }
                }
            }
            let ranked = expected.enumerated().sorted { $0.element.gain != $1.element.gain ? $0.element.gain > $1.element.gain : $0.offset < $1.offset }
            let advice = table.channelAdvice(after: p)
            #expect(advice.map(\.channel) == ranked.map(\.element.channel), "path \(p)")
            #expect(advice.map(\.probability) == ranked.map(\.element.probability))
            #expect(advice.map(\.gain) == ranked.map(\.element.gain))
            // The scorer's path: the best advice made once per state when the table was built.
            #expect(table.bestAdvice(from: table.position(after: table.channelIDs(of: p))) == advice.first, "path \(p)")
        }
    }

    @Test func adviceRanksNextTouchesByGain() throws {
        let table = try Self.table()
        let advice = table.channelAdvice(after: ["email"])
        // From email: web → 2/3 (gain 1/3); email → email is the same order-1 state (gain 0). The store
        // state exists only in a censored journey, so it is unseen and not advised.
        #expect(advice.map(\.channel) == ["web", "email"])
        #expect(abs(advice[0].gain - 1.0 / 3) < 1e-14)
        #expect(abs(advice[1].gain) < 1e-14)
    }
}
