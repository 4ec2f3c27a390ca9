#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Journeys

/// Paths with their outcomes: the unit a bootstrap resamples.
public struct WeightedPaths: Sendable {
    /// Channel names, numbered in order of first appearance.
    public private(set) var channelNames: [String] = []
    private var channelIndex: [String: Int] = [:]
    var paths: [[UInt16]] = []
    var conversions: [Double] = []
    var values: [Double] = []
    var nulls: [Double] = []

    /// No paths.
    public init() {}

    /// Every row of an aggregated-path table, with its conversions, conversion value and nulls.
    public init(_ table: PathTable) {
        let ids = table.channelNames.map { channelID($0) }
        for row in 0..<table.count {
            append(table.path(row).map { ids[Int($0)] }, table.conversions[row], table.conversionValues[row], table.nulls[row])
        }
    }

    /// The completed journeys (censored ones have no outcome yet).
    public init(_ journeys: [Journey], from store: EventStore) {
        let ids = store.channelNames.map { channelID($0) }
        for journey in journeys where journey.outcome != .censored {
            let converted = journey.outcome == .converted
            append(journey.events.map { ids[Int(store.channels[$0])] }, converted ? 1 : 0, journey.conversionValue, converted ? 0 : 1)
        }
    }

    private mutating func channelID(_ name: String) -> UInt16 {
        if let id = channelIndex[name] { return UInt16(id) }
        channelIndex[name] = channelNames.count
        channelNames.append(name)
        return UInt16(channelNames.count - 1)
    }

    mutating func appendForTesting(_ path: [UInt16], conversions: Double, value: Double, nulls: Double) {
        if channelNames.count <= Int(path.max() ?? 0) {
            for c in channelNames.count...Int(path.max()!) { _ = channelID("c\(c)") }
        }
        append(path, conversions, value, nulls)
    }

    private mutating func append(_ path: [UInt16], _ conversions: Double, _ value: Double, _ nulls: Double) {
        paths.append(path)
        self.conversions.append(conversions)
        values.append(value)
        self.nulls.append(nulls)
    }

    /// Transition counts of these paths; `weights`, when given, scales conversions and nulls per path.
    func counts(_ configuration: MarkovConfiguration, conversionWeights: [Double]? = nil, nullWeights: [Double]? = nil) throws(MarkovError) -> TransitionCounts {
        var counts = try TransitionCounts(configuration: configuration)
        let ids = channelNames.map { UInt16(counts.channelID($0)) }
        for i in paths.indices {
            let c = conversionWeights?[i] ?? conversions[i]
            let n = nullWeights?[i] ?? nulls[i]
            let value = conversions[i] > 0 ? values[i] * c / conversions[i] : 0
            counts.add(path: paths[i].map { ids[Int($0)] }, conversions: c, value: value, nulls: n)
        }
        return counts
    }
}

/// Percentile intervals of each channel's removal effect and credited conversions.
public struct AttributionIntervals: Sendable {
    /// A percentile interval of the replicates, `lower ≤ upper`.
    public struct Interval: Sendable, Codable, Hashable {
        /// The `(1 − level)/2` percentile (linear interpolation between order statistics).
        public var lower: Double
        /// The `(1 + level)/2` percentile (linear interpolation between order statistics).
        public var upper: Double
    }
    /// By channel name.
    public var removalEffect: [String: Interval]
    /// By channel name: interval of the credited conversions (`RemovalAttribution.Channel.conversions`).
    public var conversions: [String: Interval]
    /// Bootstrap replicates behind the intervals.
    public var replicates: Int
    /// Nominal coverage of each interval, in (0, 1); 0.95 by default.
    public var level: Double
}

extension WeightedPaths {
    /// Bootstrap intervals for removal-effect attribution.
    ///
    /// Each replicate redraws every path's conversions and nulls as Poisson counts with the observed
    /// counts as means (the Poisson bootstrap: each journey appears Poisson(1) times), refits the chain
    /// and solves it exactly. Intervals are the `(1 − level)/2` and `(1 + level)/2` percentiles.
    /// Replicates run on `threads` threads; the result depends only on `seed`.
    ///
    /// - Throws: `MarkovError` `.invalidConfiguration` for fewer than 2 replicates, a `level` outside
    ///   (0, 1) or an invalid `configuration`; otherwise the first replicate's error in replicate order,
    ///   such as `.noData` when a replicate draws no conversion and no null at all, or `.solverFailed`.
    public func bootstrapRemovalAttribution(
        configuration: MarkovConfiguration, replicates: Int, level: Double = 0.95, seed: UInt64 = 1,
        method: SolveMethod = .automatic, threads: Int = systemCoreCount()
    ) throws(MarkovError) -> AttributionIntervals {
        guard replicates >= 2, level > 0, level < 1 else {
            throw MarkovError(.invalidConfiguration, "bootstrap needs at least 2 replicates and a level in (0, 1)")
        }
        let results = Slots<Result<RemovalAttribution, MarkovError>>(count: replicates)
        let box = UncheckedPaths(paths: self)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, replicates))) { worker in
            let stride = max(1, min(threads, replicates))
            for r in Swift.stride(from: worker, to: replicates, by: stride) {
                var rng = SplitMix64.replicate(r, of: seed)
                let paths = box.paths
                let conversionWeights = paths.conversions.map { Double(rng.poisson($0)) }
                let nullWeights = paths.nulls.map { Double(rng.poisson($0)) }
                do throws(MarkovError) {
                    let counts = try paths.counts(configuration, conversionWeights: conversionWeights, nullWeights: nullWeights)
                    results.set(r, .success(try counts.removalAttribution(method: method)))
                } catch {
                    results.set(r, .failure(error))
                }
            }
        }
        var replicas: [RemovalAttribution] = []
        for result in results.values {
            switch result {
            case .success(let a): replicas.append(a)
            case .failure(let e) where e.code == .noData:
                throw MarkovError(.noData, "a bootstrap replicate drew no journeys at all: the data are too small for a bootstrap (\(paths.count) paths)")
            case .failure(let e): throw e
            case nil: throw MarkovError(.solverFailed, "a bootstrap replicate did not run")
            }
        }
        func interval(_ values: [Double]) -> AttributionIntervals.Interval {
            let sorted = values.sorted()
            func quantile(_ q: Double) -> Double {
                let position = q * Double(sorted.count - 1)
                let low = Int(position.rounded(.down))
                let high = min(low + 1, sorted.count - 1)
                return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
            }
            return .init(lower: quantile((1 - level) / 2), upper: quantile((1 + level) / 2))
        }
        var effects: [String: AttributionIntervals.Interval] = [:]
        var conversions: [String: AttributionIntervals.Interval] = [:]
        for name in channelNames {
            let rows = replicas.map { r in r.channels.first { $0.channel == name } }
            effects[name] = interval(rows.map { $0?.removalEffect ?? 0 })
            conversions[name] = interval(rows.map { $0?.conversions ?? 0 })
        }
        return AttributionIntervals(removalEffect: effects, conversions: conversions, replicates: replicates, level: level)
    }
}

private struct UncheckedPaths: @unchecked Sendable { let paths: WeightedPaths }

extension SplitMix64 {
    /// A Poisson(mean) draw: multiplication of uniforms below mean 30, Hörmann's PTRS
    /// transformed rejection above (W. Hörmann, "The transformed rejection method for generating
    /// Poisson random variables", 1993). Fractional means are fine.
    mutating func poisson(_ mean: Double) -> Int {
        guard mean > 0 else { return 0 }
        if mean < 30 {
            let limit = exp(-mean)
            var k = 0
            var product = uniform()
            while product > limit {
                k += 1
                product *= uniform()
            }
            return k
        }
        let sq = mean.squareRoot()
        let logMean = log(mean)
        let b = 0.931 + 2.53 * sq
        let a = -0.059 + 0.02483 * b
        let inverseAlpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = uniform() - 0.5
            let v = uniform()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + mean + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if log(v) + log(inverseAlpha) - log(a / (us * us) + b) <= -mean + k * logMean - lgamma(k + 1) {
                return Int(k)
            }
        }
    }
}
