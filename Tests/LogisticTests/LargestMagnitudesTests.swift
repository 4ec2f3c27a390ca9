import Testing

@testable import Logistic

/// `largestMagnitudes` (the reasons of every scored customer) against sorting every value.
@Suite struct LargestMagnitudesTests {
    /// The reference: every nonzero, non-NaN value, sorted by |value| descending, ties in position order.
    static func bySorting(_ values: [Double], limit: Int) -> [(position: Int, value: Double)] {
        let kept = values.enumerated().filter { abs($0.element) > 0 }  // drops 0 and NaN
        let sorted = kept.sorted { abs($0.element) != abs($1.element) ? abs($0.element) > abs($1.element) : $0.offset < $1.offset }
        return sorted.prefix(max(0, limit)).map { ($0.offset, $0.element) }
    }

    @Test func byHand() {
        let values = [0.5, -2, 0, .nan, 2, 1, -0.5]
        let top = largestMagnitudes(among: values.count, limit: 3) { values[$0] }
        #expect(top.map(\.position) == [1, 4, 5])  // −2 and 2 tie: the earlier first
        #expect(top.map(\.value) == [-2, 2, 1])
        #expect(largestMagnitudes(among: values.count, limit: 0) { values[$0] }.isEmpty)
        #expect(largestMagnitudes(among: 3, limit: 3) { _ in 0 }.isEmpty)  // zeros are no reasons
    }

    @Test(arguments: [1, 7, 20260101])
    func matchesSortingEverything(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<500 {
            let count = Int(rng.next() % 40)
            // Few distinct magnitudes, so ties are common; some zeros and NaNs.
            let values = (0..<count).map { _ -> Double in
                switch rng.next() % 10 {
                case 0: return 0
                case 1: return .nan
                default: return Double(Int(rng.next() % 9) - 4) / 2
                }
            }
            for limit in 0...5 {
                let fast = largestMagnitudes(among: count, limit: limit) { values[$0] }
                let slow = Self.bySorting(values, limit: limit)
                #expect(fast.map(\.position) == slow.map(\.position), "values \(values), limit \(limit)")
                #expect(fast.map(\.value) == slow.map(\.value))
            }
        }
    }
}
