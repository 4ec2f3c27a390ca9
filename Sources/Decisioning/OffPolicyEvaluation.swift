import Foundation
import Linalg

/// Decisions logged by a (stochastic) logging policy: per row, the action taken, the probability the
/// logging policy gave it, and the reward observed.
public struct LoggedDecisions: Sendable {
    /// Per row, the action taken: an index in `0..<actionCount` (by convention 0 = no action).
    public var actions: [Int]
    /// Per row, the logging policy's probability of the logged action, in (0, 1].
    public var propensities: [Double]
    /// Per row, the reward observed (for example 1 if the journey converted), finite.
    public var rewards: [Double]
    /// The number of actions (columns of target-policy and reward-model matrices).
    public var actionCount: Int

    /// Logged decisions with every field given; see the properties.
    public init(actions: [Int], propensities: [Double], rewards: [Double], actionCount: Int) {
        self.actions = actions
        self.propensities = propensities
        self.rewards = rewards
        self.actionCount = actionCount
    }
}

/// A point estimate with a bootstrap percentile interval.
public struct IntervalEstimate: Sendable, Hashable, Codable {
    /// The estimate on the full sample.
    public let value: Double
    /// The lower end of the percentile interval.
    public let lower: Double
    /// The upper end of the percentile interval.
    public let upper: Double
    /// The standard deviation of the bootstrap replicates.
    public let standardError: Double
}

/// IPS, self-normalised IPS and (with a reward model) doubly robust estimates of one policy's value.
public struct PolicyValueEstimates: Sendable, Hashable, Codable {
    /// Inverse propensity scoring: `(1/n) Σ wᵢ rᵢ`, `wᵢ = π(aᵢ | xᵢ) / μᵢ`. Unbiased when every action the
    /// target takes has a positive logging propensity; its variance grows with the weights.
    public let inversePropensity: IntervalEstimate
    /// Self-normalised IPS: `Σ wᵢ rᵢ / Σ wᵢ`. Slightly biased, usually much less variable; NaN when no
    /// logged action has positive target probability (`Σ wᵢ = 0`).
    public let selfNormalizedInversePropensity: IntervalEstimate
    /// Doubly robust: `(1/n) Σ [Σₐ π(a | xᵢ) q̂(xᵢ, a) + wᵢ (rᵢ − q̂(xᵢ, aᵢ))]`; unbiased if either the
    /// propensities or the reward model `q̂` are right. `nil` without a reward model.
    public let doublyRobust: IntervalEstimate?
    /// `(Σ wᵢ)² / Σ wᵢ²`: how many logged rows the estimate is effectively worth.
    public let effectiveSampleSize: Double
    /// Rows evaluated.
    public let rows: Int
}

/// Off-policy evaluation: the value a target policy would have had, estimated from decisions logged by
/// another policy with known propensities.
///
/// ```swift
/// let logged = LoggedDecisions(actions: a, propensities: mu, rewards: r, actionCount: 6)
/// let estimates = try OffPolicyEvaluation.estimate(logged, targetActions: learnedPolicy, rewardModel: q)
/// estimates.doublyRobust?.lower
/// ```
public enum OffPolicyEvaluation {
    /// Bootstrap settings. Every field has a default.
    public struct Configuration: Sendable, Codable, Hashable {
        /// Bootstrap replicates (rows resampled with replacement). Default 500; 0 gives intervals equal to
        /// the point estimate.
        public var replicates: Int
        /// Coverage of the percentile interval. Default 0.95.
        public var confidence: Double
        /// Seed of the resampling: the same seed gives the same intervals.
        public var seed: UInt64

        /// A configuration; see the properties for the defaults.
        public init(replicates: Int = 500, confidence: Double = 0.95, seed: UInt64 = 1) {
            self.replicates = replicates
            self.confidence = confidence
            self.seed = seed
        }
    }

    /// Estimates the value of a deterministic target policy that takes `targetActions[i]` at row `i`.
    ///
    /// - Throws: as ``estimate(_:targetProbabilities:rewardModel:configuration:)``.
    public static func estimate(
        _ logged: LoggedDecisions, targetActions: [Int], rewardModel: Matrix? = nil,
        configuration: Configuration = .init()
    ) throws -> PolicyValueEstimates {
        guard targetActions.count == logged.actions.count else {
            throw DecisioningError(
                .invalidInput, "targetActions has \(targetActions.count) rows but the log has \(logged.actions.count)")
        }
        if let i = targetActions.firstIndex(where: { !(0..<logged.actionCount).contains($0) }) {
            throw DecisioningError(
                .invalidInput, "targetActions[\(i)] is \(targetActions[i]); actions are 0..<\(logged.actionCount)", row: i)
        }
        let n = targetActions.count, a = logged.actionCount
        var columns = [Double](repeating: 0, count: n * a)
        for i in 0..<n { columns[i + targetActions[i] * n] = 1 }
        let target = try Matrix(rows: n, columns: a, columnMajor: columns)
        return try estimate(logged, targetProbabilities: target, rewardModel: rewardModel, configuration: configuration)
    }

    /// Estimates the value (mean reward per decision) of a stochastic target policy.
    ///
    /// Intervals are bootstrap percentile intervals: rows are resampled with replacement
    /// ``Configuration/replicates`` times (seeded), each estimator recomputed, and the
    /// `(1 ± confidence)/2` quantiles (linear interpolation) taken; replicates where self-normalised IPS is
    /// undefined are left out of its interval.
    ///
    /// - Parameters:
    ///   - logged: the logged actions, propensities and rewards.
    ///   - targetProbabilities: n×A, row `i` the target policy's probabilities of each action at row `i`.
    ///   - rewardModel: n×A predicted rewards `q̂(xᵢ, a)` for the doubly robust estimate, or `nil`.
    /// - Throws: ``DecisioningError``: `.invalidInput` for mismatched shapes, actions out of range,
    ///   non-finite rewards or predictions, target rows that are not probabilities (negative, or not summing
    ///   to 1 within 1e-9), no rows, or a bad configuration; `.invalidPropensity` (with the row) for a
    ///   propensity outside (0, 1].
    /// - Complexity: O(n·A + replicates·n).
    public static func estimate(
        _ logged: LoggedDecisions, targetProbabilities: Matrix, rewardModel: Matrix? = nil,
        configuration: Configuration = .init()
    ) throws -> PolicyValueEstimates {
        try validate(logged, targetProbabilities, rewardModel, configuration)
        let n = logged.actions.count
        // Per-row terms: weight, weighted reward, doubly robust term.
        var weights = [Double](repeating: 0, count: n)
        var weightedRewards = weights
        var doublyRobust = weights
        targetProbabilities.withUnsafeBufferPointer { pi in
            for i in 0..<n {
                let a = logged.actions[i]
                let w = pi[i + a * n] / logged.propensities[i]
                weights[i] = w
                weightedRewards[i] = w * logged.rewards[i]
            }
            if let q = rewardModel {
                q.withUnsafeBufferPointer { q in
                    for i in 0..<n {
                        var direct = 0.0
                        for a in 0..<logged.actionCount { direct += pi[i + a * n] * q[i + a * n] }
                        let a = logged.actions[i]
                        doublyRobust[i] = direct + weights[i] * (logged.rewards[i] - q[i + a * n])
                    }
                }
            }
        }
        func statistics(_ indices: UnsafeBufferPointer<Int>?) -> (ips: Double, snips: Double, dr: Double) {
            var sw = 0.0, swr = 0.0, sdr = 0.0
            weights.withUnsafeBufferPointer { w in
                weightedRewards.withUnsafeBufferPointer { wr in
                    doublyRobust.withUnsafeBufferPointer { d in
                        for k in 0..<n {
                            let i = indices?[k] ?? k
                            sw += w[i]
                            swr += wr[i]
                            sdr += d[i]
                        }
                    }
                }
            }
            return (swr / Double(n), sw > 0 ? swr / sw : .nan, sdr / Double(n))
        }
        let full = statistics(nil)
        var generator = BootstrapGenerator(seed: configuration.seed)
        var replicates: [(ips: Double, snips: Double, dr: Double)] = []
        replicates.reserveCapacity(configuration.replicates)
        var indices = [Int](repeating: 0, count: n)
        for _ in 0..<configuration.replicates {
            indices.withUnsafeMutableBufferPointer { buffer in
                for k in 0..<n { buffer[k] = generator.below(n) }
            }
            replicates.append(indices.withUnsafeBufferPointer { statistics($0) })
        }
        let sumWeights = weights.reduce(0, +)
        let sumSquares = weights.reduce(0) { $0 + $1 * $1 }
        func interval(_ value: Double, _ values: [Double]) -> IntervalEstimate {
            let finite = values.filter { !$0.isNaN }.sorted()
            guard !finite.isEmpty else { return IntervalEstimate(value: value, lower: value, upper: value, standardError: 0) }
            let alpha = (1 - configuration.confidence) / 2
            let mean = finite.reduce(0, +) / Double(finite.count)
            let variance = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(finite.count - 1, 1))
            return IntervalEstimate(
                value: value, lower: quantile(finite, alpha), upper: quantile(finite, 1 - alpha),
                standardError: variance.squareRoot())
        }
        return PolicyValueEstimates(
            inversePropensity: interval(full.ips, replicates.map(\.ips)),
            selfNormalizedInversePropensity: interval(full.snips, replicates.map(\.snips)),
            doublyRobust: rewardModel == nil ? nil : interval(full.dr, replicates.map(\.dr)),
            effectiveSampleSize: sumSquares > 0 ? sumWeights * sumWeights / sumSquares : 0, rows: n)
    }

    /// The `p` quantile of sorted `values`, interpolating linearly between order statistics (type 7).
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        let h = Double(sorted.count - 1) * p
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    static func validate(
        _ logged: LoggedDecisions, _ target: Matrix, _ rewardModel: Matrix?, _ configuration: Configuration
    ) throws {
        let n = logged.actions.count, a = logged.actionCount
        var problems: [String] = []
        if n == 0 { problems.append("the log has no rows") }
        if a < 1 { problems.append("actionCount must be ≥ 1, got \(a)") }
        if logged.propensities.count != n { problems.append("propensities has \(logged.propensities.count) rows, actions \(n)") }
        if logged.rewards.count != n { problems.append("rewards has \(logged.rewards.count) rows, actions \(n)") }
        if target.rows != n || target.columns != a {
            problems.append("targetProbabilities is \(target.rows)×\(target.columns), expected \(n)×\(a)")
        }
        if let q = rewardModel, q.rows != n || q.columns != a {
            problems.append("rewardModel is \(q.rows)×\(q.columns), expected \(n)×\(a)")
        }
        if configuration.replicates < 0 { problems.append("replicates must be ≥ 0, got \(configuration.replicates)") }
        if !(configuration.confidence > 0 && configuration.confidence < 1) {
            problems.append("confidence must be in (0, 1), got \(configuration.confidence)")
        }
        if !problems.isEmpty { throw DecisioningError(.invalidInput, problems.joined(separator: "; ")) }
        if let i = logged.actions.firstIndex(where: { !(0..<a).contains($0) }) {
            throw DecisioningError(.invalidInput, "actions[\(i)] is \(logged.actions[i]); actions are 0..<\(a)", row: i)
        }
        if let i = logged.propensities.firstIndex(where: { !($0 > 0 && $0 <= 1) }) {
            throw DecisioningError(
                .invalidPropensity, "propensities[\(i)] is \(logged.propensities[i]); it must be in (0, 1]", row: i)
        }
        if let i = logged.rewards.firstIndex(where: { !$0.isFinite }) {
            throw DecisioningError(.invalidInput, "rewards[\(i)] is \(logged.rewards[i]); rewards must be finite", row: i)
        }
        for i in 0..<n {
            var sum = 0.0
            for k in 0..<a {
                let p = target[i, k]
                if !(p >= 0 && p <= 1) {
                    throw DecisioningError(
                        .invalidInput, "targetProbabilities[\(i), \(k)] is \(p); probabilities must be in [0, 1]", row: i)
                }
                sum += p
            }
            if abs(sum - 1) > 1e-9 {
                throw DecisioningError(.invalidInput, "targetProbabilities row \(i) sums to \(sum), not 1", row: i)
            }
        }
        if let q = rewardModel, let index = q.columnMajor.firstIndex(where: { !$0.isFinite }) {
            throw DecisioningError(
                .invalidInput, "rewardModel[\(index % n), \(index / n)] is \(q.columnMajor[index]); predictions must be finite",
                row: index % n)
        }
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014) for seeded bootstrap resampling. Decisioning does not depend on
/// Journeys, whose `SplitMix64` is the same algorithm.
struct BootstrapGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in `0..<bound` (multiply-shift; bias below 2⁻³² for the bounds used).
    mutating func below(_ bound: Int) -> Int {
        Int((UInt64(bound).multipliedFullWidth(by: next())).high)
    }
}
