/// Quantiles of the time from a touch to the next touch of the same journey, for one history state.
///
/// Read from a log-linear histogram (see `NextChannelModel.gapQuantiles(after:)`): each value lies
/// in the same bin as the exact sample quantile (the order statistic `x₍⌈q·n⌉₎`), so it is within
/// 1/16 (6.25%) of it, or within 1 µs below 16 µs.
public struct TouchGapQuantiles: Sendable, Hashable, Codable {
    /// Symbols of history in the state the gaps come from, after backing off: 0 is every gap pooled;
    /// the journey-start marker counts as one symbol.
    public var historyLength: Int
    /// Gaps observed in that state.
    public var count: Int
    /// 10% quantile, in microseconds.
    public var p10: Double
    /// 25% quantile, in microseconds.
    public var p25: Double
    /// Median, in microseconds.
    public var p50: Double
    /// 75% quantile, in microseconds.
    public var p75: Double
    /// 90% quantile, in microseconds.
    public var p90: Double
}

/// The bins of the gap histograms: log-linear, like HdrHistogram with 4 sub-bucket bits.
///
/// Gaps of 0...15 µs have a bin each. A gap `g ≥ 16` with `2^e ≤ g < 2^(e+1)` falls in one of 16
/// equal sub-bins of that octave, `[(16 + s)·2^(e−4), (17 + s)·2^(e−4))`, so a bin is at most 1/16 of
/// its lower edge wide. All of `Int64` takes 16 + 59·16 = 960 bins. Chosen over exact quantiles
/// because bin counts add: merging two fits gives exactly the histogram of the union, which exact
/// quantiles cannot, and a state costs one (bin, count) pair per occupied bin, not one per gap.
enum TouchGapBins {
    static let subBits = 4
    static let subCount = 1 << subBits

    /// The bin of a gap in microseconds (negative gaps, which sorted journeys never have, count as 0).
    @inline(__always)
    static func bin(_ gap: Int64) -> UInt16 {
        guard gap >= Int64(subCount) else { return UInt16(max(0, gap)) }
        let e = 63 - gap.leadingZeroBitCount
        let sub = Int(gap >> (e - subBits)) - subCount
        return UInt16(subCount + (e - subBits) * subCount + sub)
    }

    /// `[lower, upper)` of a bin, in microseconds.
    static func bounds(_ bin: UInt16) -> (lower: Double, upper: Double) {
        let b = Int(bin)
        guard b >= subCount else { return (Double(b), Double(b + 1)) }
        let shift = (b - subCount) / subCount
        let sub = (b - subCount) % subCount
        let width = Double(sign: .plus, exponent: shift, significand: 1)
        return (Double(subCount + sub) * width, Double(subCount + sub + 1) * width)
    }

    /// Quantile `q` of a histogram given as ascending bins with their counts (`total` their sum > 0).
    ///
    /// The bin holding the order statistic of rank `⌈q·total⌉` (rank 1 for `q = 0`), interpolated
    /// linearly within it: `lower + (q·total − before) / count · (upper − lower)`.
    static func quantile(_ q: Double, bins: ArraySlice<UInt16>, counts: ArraySlice<Int>, total: Int) -> Double {
        precondition(total > 0 && bins.count == counts.count, "quantile of an empty histogram")
        let target = max(q * Double(total), Double.leastNonzeroMagnitude)
        var before = 0
        for (bin, count) in zip(bins, counts) {
            if Double(before + count) >= target {
                let (lower, upper) = bounds(bin)
                return lower + (target - Double(before)) / Double(count) * (upper - lower)
            }
            before += count
        }
        return bounds(bins[bins.endIndex - 1]).upper
    }

    static func quantiles(historyLength: Int, bins: ArraySlice<UInt16>, counts: ArraySlice<Int>, total: Int)
        -> TouchGapQuantiles
    {
        func q(_ level: Double) -> Double { quantile(level, bins: bins, counts: counts, total: total) }
        return TouchGapQuantiles(
            historyLength: historyLength, count: total, p10: q(0.1), p25: q(0.25), p50: q(0.5), p75: q(0.75),
            p90: q(0.9))
    }
}
