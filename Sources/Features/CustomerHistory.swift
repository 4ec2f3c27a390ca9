import Journeys

/// The shape a `CustomerHistory` needs from a schema: vocabulary sizes, windows, journey rules.
struct HistoryLayout: Sendable, Equatable {
    var channelCount: Int
    var eventTypeCount: Int
    var actionCount: Int
    var longestWindow: Int64
    var lastK: Int
    var includeTransitions: Bool
    var journeyTimeout: Int64
    /// `converts[channel * (eventTypeCount + 1) + eventType]`, "other" indices included.
    var converts: [Bool]
    /// The schema's channel vocabulary, for `currentJourneyChannelNames(at:)`.
    var channelNames: [String] = []
}

/// The running state of one customer, updated event by event in time order, from which a
/// `FeatureSchema` computes the customer's feature vector at any time after the last event.
///
/// The same type serves training (the snapshot builder replays the events before each cutoff) and
/// scoring (a service records events as they arrive), so features are the same by construction.
/// Channels, event types and actions are indices in the schema's vocabularies (`FeatureSchema.channels`,
/// …); the index equal to the vocabulary's count means "other": a name not seen in training.
/// Look indices up with `FeatureSchema.channelIndex(of:)`, `eventTypeIndex(of:)`, `actionIndex(of:)`.
///
/// It keeps only what features need: the events inside the longest window (time, value, channel, event
/// type, whether an action was taken; older ones are dropped lazily), last touch per channel,
/// first and last touch, totals, the last k channels of the current journey, channel-to-channel
/// transition counts and the last time each action was taken.
///
/// - Complexity: `record` is amortized O(1) (O(lastK) for the last-k channels); memory is
///   O(channels + event types + actions + transitions + events in the longest window).
public struct CustomerHistory: Sendable, Equatable {
    let layout: HistoryLayout
    var window = EventWindow()
    var channelLastTouch: [Int64]
    var actionLastTime: [Int64]
    /// Channels of the current journey, oldest first, at most `lastK`.
    var recent: [Int] = []
    var previousChannel: Int? = nil
    var transitions: [Int]
    var lastWasConversion = false

    /// Time of the customer's first recorded event, or nil before any.
    public private(set) var firstTouch: Int64?
    /// Time of the latest recorded event, or nil before any.
    public private(set) var lastTouch: Int64?
    /// Number of events recorded.
    public private(set) var eventCount = 0
    /// Sum of the recorded events' values.
    public private(set) var totalValue = 0.0

    static let never = Int64.min

    /// An empty history for customers scored with `schema`.
    public init(schema: FeatureSchema) {
        self.init(layout: schema.historyLayout)
    }

    init(layout: HistoryLayout) {
        self.layout = layout
        channelLastTouch = Array(repeating: Self.never, count: layout.channelCount + 1)
        actionLastTime = Array(repeating: Self.never, count: layout.actionCount + 1)
        transitions = layout.includeTransitions ? Array(repeating: 0, count: layout.channelCount * layout.channelCount) : []
        recent.reserveCapacity(layout.lastK)
    }

    /// Records one event. Events must come in time order (equal times are fine).
    ///
    /// - Parameters:
    ///   - time: microseconds since 1970-01-01T00:00:00Z.
    ///   - channel: index in the schema's channels; the channel count (or any index out of range) means "other".
    ///   - event: index in the schema's event types; out of range means "other".
    ///   - value: the event's value (0 when none).
    ///   - action: index in the schema's actions, nil when no action was taken; out of range means "other".
    /// - Throws: `FeatureError.eventOutOfOrder` when `time` is earlier than the last recorded event (the
    ///   history is left unchanged; sort the customer's events first).
    public mutating func record(time: Int64, channel: Int, event: Int, value: Double, action: Int?) throws(FeatureError) {
        if let last = lastTouch, time < last {
            throw FeatureError(
                .eventOutOfOrder,
                "an event at \(TimestampFormat.iso8601(time)) arrived after one at \(TimestampFormat.iso8601(last)); record each customer's events in time order")
        }
        let c = (0..<layout.channelCount).contains(channel) ? channel : layout.channelCount
        let e = (0..<layout.eventTypeCount).contains(event) ? event : layout.eventTypeCount
        let limit = time &- layout.longestWindow

        // Journey boundary: after a conversion, or after a gap longer than the timeout.
        if let last = lastTouch, lastWasConversion || time &- last > layout.journeyTimeout {
            recent.removeAll(keepingCapacity: true)
            previousChannel = nil
        }
        if layout.includeTransitions, let previous = previousChannel, previous < layout.channelCount, c < layout.channelCount {
            transitions[previous * layout.channelCount + c] += 1
        }
        previousChannel = c
        if layout.lastK > 0 {
            if recent.count == layout.lastK { recent.removeFirst() }
            recent.append(c)
        }
        lastWasConversion = layout.converts[c * (layout.eventTypeCount + 1) + e]

        window.append(
            WindowEvent(time: time, value: value, channel: Int32(c), eventType: Int32(e), hasAction: action != nil), droppingBefore: limit)
        channelLastTouch[c] = time
        if let action {
            let a = (0..<layout.actionCount).contains(action) ? action : layout.actionCount
            actionLastTime[a] = time
        }
        if firstTouch == nil { firstTouch = time }
        lastTouch = time
        eventCount += 1
        totalValue += value
    }

    /// Forgets everything, keeping storage, so one history can be reused for the next customer.
    public mutating func removeAll() {
        window.removeAll()
        for k in channelLastTouch.indices { channelLastTouch[k] = Self.never }
        for k in actionLastTime.indices { actionLastTime[k] = Self.never }
        for k in transitions.indices { transitions[k] = 0 }
        recent.removeAll(keepingCapacity: true)
        previousChannel = nil
        lastWasConversion = false
        firstTouch = nil
        lastTouch = nil
        eventCount = 0
        totalValue = 0
    }

    /// Time of the last touch on `channel` (the channel count means "other"), or nil if never.
    public func lastTouch(channel: Int) -> Int64? {
        guard channelLastTouch.indices.contains(channel) else { return nil }
        let t = channelLastTouch[channel]
        return t == Self.never ? nil : t
    }

    /// Time `action` was last taken (the action count means "other"), or nil if never.
    public func lastTime(action: Int) -> Int64? {
        guard actionLastTime.indices.contains(action) else { return nil }
        let t = actionLastTime[action]
        return t == Self.never ? nil : t
    }

    /// Number of actions taken at touches on `channel` at times ≥ `since`, for contact limits.
    ///
    /// Exact for `since` no earlier than the last recorded event minus the longest window; older
    /// contacts may already have been dropped.
    public func actionContacts(channel: Int, since: Int64) -> Int {
        guard (0...layout.channelCount).contains(channel) else { return 0 }
        return window.count(since: since) { $0.hasAction && $0.channel == channel }
    }

    /// Channels of the journey still open at time `time`, oldest first, at most `lastK` of them. Empty
    /// when the last event was a conversion or the last touch is more than the journey timeout before
    /// `time` (the journey has ended).
    public func currentJourneyChannels(at time: Int64) -> [Int] {
        guard let last = lastTouch, !lastWasConversion, time &- last <= layout.journeyTimeout else { return [] }
        return recent
    }

    /// `currentJourneyChannels(at:)` as channel names; a channel the schema never saw reads as
    /// `FeatureSchema.unseenLevel`. What a Markov model looks its state up by.
    public func currentJourneyChannelNames(at time: Int64) -> [String] {
        currentJourneyChannels(at: time).map { $0 < layout.channelNames.count ? layout.channelNames[$0] : FeatureSchema.unseenLevel }
    }

    /// How many times a touch on `from` was directly followed by one on `to` within a journey (0 when
    /// transitions are not kept or either index is "other").
    public func transitionCount(from: Int, to: Int) -> Int {
        let c = layout.channelCount
        guard layout.includeTransitions, (0..<c).contains(from), (0..<c).contains(to) else { return 0 }
        return transitions[from * c + to]
    }

    /// Events on `channel` at times ≥ `since` (exact within the longest window).
    func channelCount(_ channel: Int, since: Int64) -> Int { window.count(since: since) { $0.channel == channel } }
    /// Events of type `event` at times ≥ `since` (exact within the longest window).
    func eventCount(_ event: Int, since: Int64) -> Int { window.count(since: since) { $0.eventType == event } }
}
