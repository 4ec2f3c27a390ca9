import Journeys
import Testing

@testable import Features

/// The event window behind every windowed count and sum, against counting every event ever recorded.
@Suite struct EventWindowTests {
    @Test(arguments: [3, 16, 200])
    func countsAndSumsEqualCountingEverything(window: Int) throws {
        var rng = SplitMix64(seed: UInt64(window))
        let day: Int64 = 86_400_000_000
        let layout = HistoryLayout(
            channelCount: 3, eventTypeCount: 2, actionCount: 1, longestWindow: Int64(window) * day, lastK: 0,
            includeTransitions: false, journeyTimeout: 30 * day, converts: Array(repeating: false, count: 12))
        var h = CustomerHistory(layout: layout)
        var all: [(time: Int64, channel: Int, type: Int, value: Double, action: Bool)] = []
        var t: Int64 = 0
        for _ in 0..<(window * 4) {
            t += Int64(rng.next() % 3) * day / 2
            let event = (t, Int(rng.next() % 4), Int(rng.next() % 3), Double(rng.next() % 100) / 8, rng.next() % 3 == 0)
            try h.record(time: event.0, channel: event.1, event: event.2, value: event.3, action: event.4 ? 0 : nil)
            all.append(event)
            for since in [t - Int64(window) * day, t - Int64(window) * day / 2, t, t + 1] {
                let kept = all.filter { $0.time >= since }
                for c in 0...3 {
                    #expect(h.channelCount(c, since: since) == kept.filter { $0.channel == c }.count)
                    #expect(h.actionContacts(channel: c, since: since) == kept.filter { $0.channel == c && $0.action }.count)
                }
                for e in 0...2 { #expect(h.eventCount(e, since: since) == kept.filter { $0.type == e }.count) }
            }
        }
        // The window holds what the longest window needs, not the whole history.
        #expect(h.window.events.count <= 2 * (all.filter { $0.time >= t - Int64(window) * day }.count) + 32)
    }
}
