import Foundation
import Testing
import WaypointScoring

/// The README's "In a service" example, as written there, against the committed demo bundle.
@Suite struct ServiceExampleTests {
    static let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models/demo").path

    @Test func readmeExampleRuns() throws {
        let t1: Int64 = 1_719_000_000_000_000
        let t2 = t1 + 600_000_000
        let now = t2 + 60_000_000
        // From README.md, "In a service" (only the bundle path differs):
        let scorer = try Scorer(bundle: Self.demo)
        var state = scorer.newCustomer("c42", attributes: ["segment": "loyalist", "region": "north",
                                                           "tenure_days": "420", "customer_value": "95"])
        try scorer.record(TouchEvent(time: t1, channel: "email", event: "click"), into: &state)
        try scorer.record(TouchEvent(time: t2, channel: "web", event: "view"), into: &state)
        let score = scorer.score(state, at: now)
        #expect(score.nextChannels.first != nil)
        #expect(score.churnProbability != nil && score.conversionProbability != nil)
        #expect(score.recommendation?.best.actionID != nil)
        // The open journey is email > web: the chain knows that state.
        #expect(score.journeyStateKnown)
        #expect(throws: ScoringError.self) { try scorer.record(TouchEvent(time: t1, channel: "sms"), into: &state) }
    }
}
