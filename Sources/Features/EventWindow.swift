/// One recorded event as the windowed features need it.
struct WindowEvent: Sendable, Equatable {
    var time: Int64
    var value: Double
    /// Schema channel index ("other" = the channel count).
    var channel: Int32
    /// Schema event-type index ("other" = the event-type count).
    var eventType: Int32
    /// Whether an action was taken at this touch (a contact).
    var hasAction: Bool
}

/// A customer's events inside the longest feature window, oldest first, in one contiguous array: every
/// windowed count and sum is one scan of it, which for a customer's handful of recent events costs
/// less than a binary search in each of two dozen per-channel queues (and touches one block of memory,
/// not two dozen). Events older than the window are dropped when a newer one is appended; storage is
/// compacted when more than half of it is dead, so `append` is amortized O(1).
struct EventWindow: Sendable, Equatable {
    private(set) var events: [WindowEvent] = []
    private(set) var head = 0

    /// Appends `event` (no earlier than the last one) and drops the events before `limit`.
    mutating func append(_ event: WindowEvent, droppingBefore limit: Int64) {
        while head < events.count && events[head].time < limit { head += 1 }
        if head >= 32 && head * 2 >= events.count {
            events.removeFirst(head)
            head = 0
        }
        events.append(event)
    }

    /// The kept events, oldest first.
    func withEvents<R>(_ body: (UnsafeBufferPointer<WindowEvent>) -> R) -> R {
        events.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[head...])) }
    }

    /// Kept events with time ≥ `since` that satisfy `matches`.
    func count(since: Int64, where matches: (WindowEvent) -> Bool) -> Int {
        withEvents { events in
            var n = 0
            for event in events where event.time >= since && matches(event) { n += 1 }
            return n
        }
    }

    mutating func removeAll() {
        events.removeAll(keepingCapacity: true)
        head = 0
    }
}
