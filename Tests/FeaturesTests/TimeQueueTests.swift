import Journeys
import Testing

@testable import Features

/// The branch-free search behind every windowed count, against counting by hand.
@Suite struct TimeQueueTests {
    @Test func firstIndexEqualsALinearScan() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<2000 {
            let count = Int(rng.next() % 40)
            // Ascending with repeats, so equal times sit on both sides of a limit.
            var times: [Int64] = []
            var t: Int64 = 0
            for _ in 0..<count {
                t += Int64(rng.next() % 3)
                times.append(t)
            }
            let start = count == 0 ? 0 : Int(rng.next() % UInt64(count + 1))
            for limit in Int64(-1)...(t + 1) {
                let expected = (start..<count).first { times[$0] >= limit } ?? count
                #expect(firstTimeIndex(times, from: start, atOrAfter: limit) == expected, "times \(times), start \(start), limit \(limit)")
            }
        }
    }
}

extension TimeQueueTests {
    /// Counts through appends that drop old entries, small queues (counted) and large ones (searched).
    @Test func countsEqualCountingByHand() {
        var rng = SplitMix64(seed: 8)
        for size in [3, 16, 17, 200] {
            var queue = TimeQueue()
            var all: [Int64] = []
            var t: Int64 = 0
            for _ in 0..<(size * 3) {
                t += Int64(rng.next() % 4)
                let window: Int64 = Int64(size)
                queue.append(t, droppingBefore: t - window)
                all.append(t)
                for limit in [t - window, t - window / 2, t, t + 1] {
                    #expect(queue.count(since: limit) == all.filter { $0 >= limit }.count, "size \(size), t \(t), limit \(limit)")
                }
            }
        }
    }
}
