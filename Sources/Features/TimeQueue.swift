/// Timestamps in increasing order, appended at the back and dropped from the front once older than the
/// longest window. Dropping is lazy (only when the queue is appended to) and storage is compacted when
/// more than half of it is dead, so `append` is amortized O(1).
struct TimeQueue: Sendable, Equatable {
    private(set) var times: [Int64] = []
    private(set) var head = 0

    var isEmpty: Bool { head == times.count }

    mutating func append(_ time: Int64, droppingBefore limit: Int64) {
        while head < times.count && times[head] < limit { head += 1 }
        if head >= 32 && head * 2 >= times.count {
            times.removeFirst(head)
            head = 0
        }
        times.append(time)
    }

    /// Index of the first live entry with time ≥ `limit` (binary search).
    func firstIndex(atOrAfter limit: Int64) -> Int { firstTimeIndex(times, from: head, atOrAfter: limit) }

    /// Entries with time ≥ `limit`.
    func count(since limit: Int64) -> Int {
        // Most queues hold a handful of entries: counting them all, without a branch, beats a search.
        guard times.count - head <= 16 else { return times.count - firstIndex(atOrAfter: limit) }
        return times.withUnsafeBufferPointer { t in
            var n = 0
            for k in head..<t.count { n &+= t[k] >= limit ? 1 : 0 }
            return n
        }
    }

    mutating func removeAll() {
        times.removeAll(keepingCapacity: true)
        head = 0
    }
}

/// A `TimeQueue` with a value per entry, for the windowed sums of event values.
struct ValueQueue: Sendable, Equatable {
    private(set) var times: [Int64] = []
    private(set) var values: [Double] = []
    private var head = 0

    mutating func append(_ time: Int64, _ value: Double, droppingBefore limit: Int64) {
        while head < times.count && times[head] < limit { head += 1 }
        if head >= 32 && head * 2 >= times.count {
            times.removeFirst(head)
            values.removeFirst(head)
            head = 0
        }
        times.append(time)
        values.append(value)
    }

    /// Sum of the values of entries with time ≥ `limit`, added oldest first.
    func sum(since limit: Int64) -> Double {
        var total = 0.0
        for k in firstTimeIndex(times, from: head, atOrAfter: limit)..<times.count { total += values[k] }
        return total
    }

    mutating func removeAll() {
        times.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        head = 0
    }
}

/// The first index `≥ start` of ascending `times` whose time is `≥ limit` (`times.count` if none).
///
/// A branch-free binary search: each step halves the range with a conditional move, not a jump, so the
/// few dozen searches of every feature vector do not pay a mispredicted branch each (they did: this was
/// the hottest line of scoring).
@inline(__always)
func firstTimeIndex(_ times: [Int64], from start: Int, atOrAfter limit: Int64) -> Int {
    times.withUnsafeBufferPointer { t in
        var n = t.count - start
        guard n > 0 else { return t.count }
        var base = start
        while n > 1 {
            let half = n / 2
            base = t[base + half - 1] < limit ? base + half : base
            n -= half
        }
        return t[base] < limit ? base + 1 : base
    }
}
