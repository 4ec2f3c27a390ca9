/// Which events count as a conversion. A field left nil matches any event; when both are set an event
/// must match both (a purchase in the store: `events: ["purchase"], channels: ["store"]`).
public struct ConversionRule: Sendable, Codable, Hashable {
    /// Event types that convert; nil matches every event type.
    public var events: Set<String>?
    /// Channels on which an event converts; nil matches every channel.
    public var channels: Set<String>?

    /// A rule; the default converts at any event of type `purchase`, on any channel.
    public init(events: Set<String>? = ["purchase"], channels: Set<String>? = nil) {
        self.events = events
        self.channels = channels
    }
}

/// How events are cut into journeys.
public struct JourneyOptions: Sendable, Codable, Hashable {
    /// Default: `event == purchase`.
    public var conversion = ConversionRule()
    /// A gap longer than this (microseconds) ends a journey without conversion. Default 30 days.
    /// Nil: journeys end only at conversions.
    public var inactivityTimeout: Int64? = 30 * 86_400 * 1_000_000
    /// When the data ends (microseconds since the epoch); default: the store's latest timestamp.
    public var endOfData: Int64? = nil

    /// The defaults: conversion at `event == purchase`, a 30-day inactivity timeout, and the data
    /// ending at the store's latest timestamp.
    public init() {}
}

/// How a journey ended.
public enum JourneyOutcome: UInt8, Sendable, Codable {
    /// Its last event is a conversion.
    case converted
    /// The customer was inactive longer than the timeout: a journey without conversion.
    case lapsed
    /// Still open when the data ends: its outcome is unknown, so it is neither a conversion nor a failure.
    case censored
}

/// One customer journey: a run of a customer's events in the store.
public struct Journey: Sendable, Hashable {
    /// The customer's number in the store.
    public var customer: Int
    /// Indices into the store; for a converted journey, the last one is the conversion.
    public var events: Range<Int>
    /// How the journey ended: converted, lapsed or censored.
    public var outcome: JourneyOutcome
    /// The conversion event's value (0 for journeys that did not convert, or a store without values).
    public var conversionValue: Double
}

extension EventStore {
    /// Cuts each customer's events into journeys.
    ///
    /// A journey starts at a customer's first event, or at the first event after a conversion or after
    /// a gap longer than `inactivityTimeout`. It ends converted at an event matching the rule (that event
    /// included), lapsed at a gap longer than the timeout, or, for the last journey of a customer, censored
    /// when the data ends less than the timeout after its last event.
    ///
    /// - Complexity: O(events).
    public func journeys(_ options: JourneyOptions = JourneyOptions()) -> [Journey] {
        let converting = conversionMask(options.conversion)
        let end = options.endOfData ?? timeRange?.upperBound ?? 0
        let timeout = options.inactivityTimeout
        var journeys: [Journey] = []
        journeys.reserveCapacity(customerCount)
        for c in 0..<customerCount {
            let range = events(of: c)
            guard !range.isEmpty else { continue }
            var start = range.lowerBound
            for i in range {
                if i > start, let timeout, timestamps[i] - timestamps[i - 1] > timeout {
                    journeys.append(Journey(customer: c, events: start..<i, outcome: .lapsed, conversionValue: 0))
                    start = i
                }
                if converting[Int(channels[i]) * eventTypeNames.count + Int(eventTypes[i])] {
                    journeys.append(Journey(customer: c, events: start..<(i + 1), outcome: .converted, conversionValue: values?[i] ?? 0))
                    start = i + 1
                }
            }
            if start < range.upperBound {
                let last = timestamps[range.upperBound - 1]
                let lapsed = timeout.map { end - last > $0 } ?? false
                journeys.append(Journey(customer: c, events: start..<range.upperBound, outcome: lapsed ? .lapsed : .censored, conversionValue: 0))
            }
        }
        return journeys
    }

    /// Which (channel, event type) pairs of this store convert under `rule`:
    /// `mask[channel * eventTypeNames.count + eventType]`. One lookup per event instead of two set probes.
    public func conversionMask(_ rule: ConversionRule) -> [Bool] {
        let eventMatch = eventTypeNames.map { rule.events?.contains($0) ?? true }
        let channelMatch = channelNames.map { rule.channels?.contains($0) ?? true }
        var mask = [Bool](repeating: false, count: channelNames.count * eventTypeNames.count)
        for c in channelMatch.indices where channelMatch[c] {
            for e in eventMatch.indices where eventMatch[e] { mask[c * eventTypeNames.count + e] = true }
        }
        return mask
    }
}
