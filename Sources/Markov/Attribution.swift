import Dispatch
import Journeys

/// Credit for conversions, per channel, by the Markov removal effect.
public struct RemovalAttribution: Sendable {
    /// One channel's credit.
    public struct Channel: Sendable, Codable, Hashable {
        /// The channel's name.
        public var channel: String
        /// `1 − P(conversion | channel removed) / P(conversion)`: the share of conversions lost
        /// without the channel.
        public var removalEffect: Double
        /// Total conversions × this channel's share of the summed removal effects.
        public var conversions: Double
        /// `1 − V(channel removed) / V`, with `V` the expected conversion value of a journey: the share
        /// of conversion value lost without the channel. Channels on the way to valuable conversions
        /// weigh more here than in `removalEffect`.
        public var valueRemovalEffect: Double
        /// Total conversion value × this channel's share of the summed value removal effects.
        public var conversionValue: Double
    }

    /// P(conversion) from the start state of the full chain.
    public var conversionProbability: Double
    /// Expected conversion value of a journey from the start state of the full chain.
    public var expectedValue: Double
    /// Conversions in the fitted paths (a weighted sum): what `Channel.conversions` shares out.
    public var totalConversions: Double
    /// Total value of those conversions: what `Channel.conversionValue` shares out.
    public var totalConversionValue: Double
    /// In the order of `TransitionCounts.channelNames`.
    public var channels: [Channel]
    /// States in the chain, the start state included.
    public var stateCount: Int
}

extension TransitionCounts {
    /// Removal-effect attribution, computed exactly from the absorbing chain (no simulation).
    ///
    /// Solves the chain once in full and once per channel with the states containing that channel
    /// removed (a journey that would reach them ends without conversion), for the conversion
    /// probability and for the expected conversion value (each state's conversions carry the mean value
    /// of the conversions observed right after it), as ChannelAttribution defines them.
    ///
    /// - Parameter method: dense LU, iterative, or automatic (iterative, LU as the fallback).
    /// - Throws: `MarkovError.noData` without any conversion or null; `.solverFailed` if a solve fails.
    /// - Complexity: dense O(channels · states³); iterative O(channels · sweeps · transitions).
    public func removalAttribution(method: SolveMethod = .automatic) throws(MarkovError) -> RemovalAttribution {
        guard totalConversions + totalNulls > 0 else {
            throw MarkovError(.noData, "no completed journeys or paths to fit: every path needs conversions or nulls")
        }
        let chain = AbsorbingChain(self)
        let rhs = [chain.conversion, chain.conversionValue]
        let fullSolution = try chain.solve(rhs, method: method.chainMethod)
        let full = fullSolution.map { $0[0] }
        // One independent solve per channel: spread over the cores.
        let solves = Slots<Result<[Double], MarkovError>>(count: channelNames.count)
        let states = self.states
        let solve = { @Sendable (channel: Int) in
            let removed = states.map { $0.contains(channel: channel) }
            solves.set(channel, Result { () throws(MarkovError) in
                try chain.solve(rhs, removing: removed, startingFrom: fullSolution, method: method.chainMethod).map { $0[0] }
            })
        }
        // Small chains solve in well under a millisecond: waking worker threads would cost more.
        if chain.probabilities.count * channelNames.count < 100_000 {
            for channel in channelNames.indices { solve(channel) }
        } else {
            DispatchQueue.concurrentPerform(iterations: channelNames.count, execute: solve)
        }
        let results = solves.values
        var effects: [(conversion: Double, value: Double)] = []
        for channel in channelNames.indices {
            let without = try results[channel]!.get()
            effects.append((
                full[0] > 0 ? max(0, 1 - without[0] / full[0]) : 0,
                full[1] > 0 ? max(0, 1 - without[1] / full[1]) : 0))
        }
        let sum = effects.reduce(0) { $0 + $1.conversion }
        let valueSum = effects.reduce(0) { $0 + $1.value }
        let channels = channelNames.indices.map { c in
            RemovalAttribution.Channel(
                channel: channelNames[c], removalEffect: effects[c].conversion,
                conversions: sum > 0 ? effects[c].conversion / sum * totalConversions : 0,
                valueRemovalEffect: effects[c].value,
                conversionValue: valueSum > 0 ? effects[c].value / valueSum * totalConversionValue : 0)
        }
        return RemovalAttribution(
            conversionProbability: full[0], expectedValue: full[1], totalConversions: totalConversions,
            totalConversionValue: totalConversionValue, channels: channels, stateCount: states.count)
    }
}

/// How the absorbing chain is solved.
public enum SolveMethod: String, Sendable, Codable, CaseIterable {
    /// Gauss–Seidel; LU when the sweeps do not converge and there are at most 1,500 states.
    case automatic = "auto"
    /// LAPACK LU on the dense `I − Q`.
    case dense
    /// Gauss–Seidel on the sparse rows to a residual of 1e-13 (accepted up to 1e-12).
    case iterative

    var chainMethod: AbsorbingChain.Method {
        switch self {
        case .automatic: .automatic
        case .dense: .dense
        case .iterative: .iterative
        }
    }
}
