import Foundation

/// How to choose among a recommendation's candidates: always the best, or exploring so the logs support
/// off-policy evaluation (every candidate has a known, positive probability).
public enum ExplorationPolicy: Sendable, Codable, Hashable {
    /// Always the best candidate (propensity 1).
    case greedy
    /// The best candidate with probability `1 − ε + ε/m`, every other of the `m` candidates with `ε/m`.
    /// `ε` in [0, 1].
    case epsilonGreedy(epsilon: Double)
    /// Candidate `k` with probability `exp(vₖ/T) / Σ exp(vⱼ/T)`, `vₖ` its expected incremental value and
    /// `T > 0` the temperature, in the unit of the values: small `T` is nearly greedy, large `T` uniform.
    case softmax(temperature: Double)

    /// The probability of choosing each candidate, given their scores (best first, as in
    /// ``Recommendation/ranked``). The greedy choice is index 0.
    ///
    /// - Throws: ``DecisioningError`` `.invalidInput` for `ε` outside [0, 1], a temperature that is not
    ///   finite and positive, no scores, or a NaN score under softmax.
    public func probabilities(scores: [Double]) throws -> [Double] {
        let m = scores.count
        guard m > 0 else { throw DecisioningError(.invalidInput, "there are no candidates to choose from") }
        switch self {
        case .greedy:
            return (0..<m).map { $0 == 0 ? 1 : 0 }
        case .epsilonGreedy(let epsilon):
            guard epsilon >= 0 && epsilon <= 1 else {
                throw DecisioningError(.invalidInput, "epsilon must be in [0, 1], got \(epsilon)")
            }
            let share = epsilon / Double(m)
            return (0..<m).map { $0 == 0 ? 1 - epsilon + share : share }
        case .softmax(let temperature):
            guard temperature > 0 && temperature.isFinite else {
                throw DecisioningError(.invalidInput, "temperature must be finite and > 0, got \(temperature)")
            }
            if let k = scores.firstIndex(where: { $0.isNaN }) {
                throw DecisioningError(.invalidInput, "candidate \(k) has a NaN score; softmax needs numbers")
            }
            let top = scores.max()!
            let weights = scores.map { top.isInfinite ? ($0 == top ? 1 : 0) : exp(($0 - top) / temperature) }
            let total = weights.reduce(0, +)
            return weights.map { $0 / total }
        }
    }
}

extension Recommendation {
    /// Draws one candidate under `policy` and returns it with the probability it had (its propensity),
    /// to log alongside the action.
    ///
    /// - Throws: ``DecisioningError`` `.invalidInput` for an invalid `ε` or temperature.
    public func choose<G: RandomNumberGenerator>(
        _ policy: ExplorationPolicy, using generator: inout G
    ) throws -> ExploredChoice {
        let probabilities = try policy.probabilities(scores: ranked.map(\.expectedIncrementalValue))
        let u = Double(generator.next() >> 11) * 0x1p-53  // uniform in [0, 1)
        var index = probabilities.lastIndex { $0 > 0 } ?? 0
        var cumulative = 0.0
        for k in probabilities.indices where probabilities[k] > 0 {
            cumulative += probabilities[k]
            if u < cumulative {
                index = k
                break
            }
        }
        return ExploredChoice(action: ranked[index], propensity: probabilities[index], probabilities: probabilities)
    }
}

/// A candidate drawn by an ``ExplorationPolicy``, with the probability it was drawn with.
public struct ExploredChoice: Sendable, Hashable {
    /// The chosen candidate.
    public let action: RankedAction
    /// The probability with which it was chosen: log it as the `propensity` column.
    public let propensity: Double
    /// Every candidate's probability, aligned with ``Recommendation/ranked``.
    public let probabilities: [Double]
}
