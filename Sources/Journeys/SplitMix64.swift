/// SplitMix64 (Steele, Lea & Flood 2014): a small, fast, seedable generator, so every random
/// computation (bootstrap replicates, tests) replays from its seed.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    package mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

    /// Uniform in `0 ..< bound` (modulo; the bias is below 2⁻⁴⁰ for the bounds used here).
    package mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// The generator of replicate `r`. Seeds that differ by multiples of the increment would give
    /// shifted copies of one stream (replicate r+1 = replicate r one draw later); passing the
    /// replicate number through the generator's output first gives unrelated streams.
    package static func replicate(_ r: Int, of seed: UInt64) -> SplitMix64 {
        var seeder = SplitMix64(seed: seed &+ UInt64(r))
        return SplitMix64(seed: seeder.next())
    }
}
