import Testing

@testable import Journeys

/// Journeys written compactly: `customer: [first, last] outcome value`, event indices inclusive.
private func describe(_ journeys: [Journey], _ store: EventStore) -> [String] {
    journeys.map { j in
        let channels = j.events.map(store.channelName).joined(separator: ">")
        return "\(store.customerIDs[j.customer]) \(channels) \(j.outcome)\(j.conversionValue != 0 ? " \(j.conversionValue)" : "")"
    }
}

private let hour: Int64 = 3_600_000_000

@Suite struct JourneyAssemblyTests {
    /// Times are hours after 2024-01-01T00:00:00Z, as epoch seconds.
    private func store(_ rows: [(customer: String, hours: Int64, channel: String, event: String, value: String)]) throws -> EventStore {
        var text = "customer_id,timestamp,channel,event,value\n"
        for r in rows { text += "\(r.customer),\(1_704_067_200 + r.hours * 3600),\(r.channel),\(r.event),\(r.value)\n" }
        return try read(text).store
    }

    @Test func conversionByEvent() throws {
        let s = try store([
            ("a", 0, "web", "view", ""), ("a", 1, "email", "click", ""), ("a", 2, "web", "purchase", "30"),
            ("a", 3, "app", "view", ""), ("b", 0, "store", "purchase", "5.5"), ("b", 1, "web", "purchase", ""),
        ])
        var o = JourneyOptions()
        o.inactivityTimeout = nil
        let journeys = s.journeys(o)
        #expect(describe(journeys, s) == ["a web>email>web converted 30.0", "a app censored", "b store converted 5.5", "b web converted"])
        #expect(journeys.map(\.events) == [0..<3, 3..<4, 4..<5, 5..<6])
        #expect(journeys.map(\.customer) == [0, 0, 1, 1])
    }

    @Test func conversionByChannel() throws {
        let s = try store([("a", 0, "web", "view", ""), ("a", 1, "store", "visit", "12"), ("a", 2, "web", "purchase", "")])
        var o = JourneyOptions()
        o.conversion = ConversionRule(events: nil, channels: ["store"])
        #expect(describe(s.journeys(o), s) == ["a web>store converted 12.0", "a web censored"])
    }

    @Test func conversionByEventAndChannel() throws {
        let s = try store([
            ("a", 0, "web", "purchase", "1"), ("a", 1, "store", "view", ""), ("a", 2, "store", "purchase", "2"), ("a", 3, "web", "view", ""),
        ])
        var o = JourneyOptions()
        o.conversion = ConversionRule(events: ["purchase"], channels: ["store", "call_center"])
        #expect(describe(s.journeys(o), s) == ["a web>store>store converted 2.0", "a web censored"])
        // A rule naming nothing in the data converts nothing.
        o.conversion = ConversionRule(events: ["refund"], channels: nil)
        #expect(describe(s.journeys(o), s) == ["a web>store>store>web censored"])
        // A rule matching everything makes every event a journey.
        o.conversion = ConversionRule(events: nil, channels: nil)
        #expect(s.journeys(o).count == 4)
    }

    @Test func inactivityTimeoutSplitsOnlyLongerGaps() throws {
        // Gaps: 24 h (equal to the timeout: no split), 25 h (split), then 1 h.
        let s = try store([("a", 0, "w1", "view", ""), ("a", 24, "w2", "view", ""), ("a", 49, "w3", "view", ""), ("a", 50, "w4", "purchase", "9")])
        var o = JourneyOptions()
        o.inactivityTimeout = 24 * hour
        let journeys = s.journeys(o)
        #expect(describe(journeys, s) == ["a w1>w2 lapsed", "a w3>w4 converted 9.0"])
    }

    @Test func gapBeforeAConversionEndsTheOpenJourneyFirst() throws {
        let s = try store([("a", 0, "w1", "view", ""), ("a", 100, "w2", "purchase", "3")])
        var o = JourneyOptions()
        o.inactivityTimeout = 24 * hour
        #expect(describe(s.journeys(o), s) == ["a w1 lapsed", "a w2 converted 3.0"])
    }

    @Test func gapAfterAConversionMakesNoEmptyJourney() throws {
        let s = try store([("a", 0, "w1", "purchase", "1"), ("a", 100, "w2", "view", "")])
        var o = JourneyOptions()
        o.inactivityTimeout = 24 * hour
        o.endOfData = Instant.jan1 + 100 * hour
        #expect(describe(s.journeys(o), s) == ["a w1 converted 1.0", "a w2 censored"])
    }

    @Test func censoredOrLapsedAtTheEndOfData() throws {
        let s = try store([("a", 0, "web", "view", ""), ("b", 10, "app", "view", "")])
        var o = JourneyOptions()
        o.inactivityTimeout = 24 * hour
        // Default end of data: the latest timestamp (hour 10): both open journeys are censored.
        #expect(s.journeys(o).map(\.outcome) == [.censored, .censored])
        // a's last event is exactly the timeout before the end: still censored; b's too.
        o.endOfData = Instant.jan1 + 24 * hour
        #expect(s.journeys(o).map(\.outcome) == [.censored, .censored])
        // One microsecond later, a has lapsed; b (10 h later) has not.
        o.endOfData = Instant.jan1 + 24 * hour + 1
        #expect(s.journeys(o).map(\.outcome) == [.lapsed, .censored])
        o.endOfData = Instant.jan1 + 34 * hour + 1
        #expect(s.journeys(o).map(\.outcome) == [.lapsed, .lapsed])
    }

    @Test func noTimeoutNeverLapses() throws {
        let s = try store([("a", 0, "w1", "view", ""), ("a", 10_000, "w2", "view", ""), ("a", 20_000, "w3", "purchase", "2"), ("a", 30_000, "w4", "view", "")])
        var o = JourneyOptions()
        o.inactivityTimeout = nil
        o.endOfData = Instant.jan1 + 1_000_000 * hour
        #expect(describe(s.journeys(o), s) == ["a w1>w2>w3 converted 2.0", "a w4 censored"])
    }

    @Test func defaultOptions() throws {
        let o = JourneyOptions()
        #expect(o.conversion.events == ["purchase"])
        #expect(o.conversion.channels == nil)
        #expect(o.inactivityTimeout == 30 * 24 * hour)
        #expect(o.endOfData == nil)
        let s = try store([("a", 0, "web", "view", ""), ("a", 31 * 24, "web", "purchase", "4")])
        #expect(describe(s.journeys(), s) == ["a web lapsed", "a web converted 4.0"])
    }

    @Test func conversionValueIsZeroWithoutAValueColumn() throws {
        let s = try read("customer_id,timestamp,channel,event\na,2024-01-01,web,purchase\n").store
        let journeys = s.journeys()
        #expect(journeys.map(\.outcome) == [.converted])
        #expect(journeys.map(\.conversionValue) == [0])
    }

    @Test func emptyStoreHasNoJourneys() throws {
        #expect(try read("customer_id,timestamp,channel\n").store.journeys().isEmpty)
    }

    @Test func journeysCoverEveryEventOnceInOrder() throws {
        let log = GeneratedLog(rows: 1500, seed: 5, blockBytes: 4096)
        let s = try EventReader.read(path: try writeInput(log.bytes), options: options()).store
        var o = JourneyOptions()
        o.inactivityTimeout = 24 * hour
        let journeys = s.journeys(o)
        var next = 0
        var ok = true
        for j in journeys {
            ok = ok && j.events.lowerBound == next && !j.events.isEmpty && s.events(of: j.customer).contains(j.events.lowerBound)
                && s.events(of: j.customer).contains(j.events.upperBound - 1)
            if j.outcome == .converted { ok = ok && s.eventTypeName(j.events.upperBound - 1) == "purchase" }
            next = j.events.upperBound
        }
        #expect(ok)
        #expect(next == s.count)
    }
}
