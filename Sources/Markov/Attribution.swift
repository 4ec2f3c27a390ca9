/// Credit for conversions, per channel, by the Markov removal effect.
public struct RemovalAttribution: Sendable {
    /// One channel's credit.
    public struct Channel: Sendable, Codable, Hashable {
        public var channel: String
        /// `1 − P(conversion | channel removed) / P(conversion)`: the share of conversions lost
        /// without the channel.
        public var removalEffect: Double
        /// Total conversions × this channel's share of the summed removal effects.
        public var conversions: Double
        /// Total conversion value × the same share.
        public var conversionValue: Double
    }

    /// P(conversion) from the start state of the full chain.
    public var conversionProbability: Double
    public var totalConversions: Double
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
    /// removed (a journey that would reach them ends without conversion).
    ///
    /// - Parameter method: dense LU, iterative, or automatic (dense up to 1,500 states).
    /// - Throws: `MarkovError.noData` without any conversion or null; `.solverFailed` if a solve fails.
    /// - Complexity: dense O(channels · states³); iterative O(channels · sweeps · transitions).
    public func removalAttribution(method: SolveMethod = .automatic) throws(MarkovError) -> RemovalAttribution {
        guard totalConversions + totalNulls > 0 else {
            throw MarkovError(.noData, "no completed journeys or paths to fit: every path needs conversions or nulls")
        }
        let chain = AbsorbingChain(self)
        let full = try chain.conversionProbabilities(method: method.chainMethod)[0]
        var effects: [Double] = []
        for channel in channelNames.indices {
            let removed = states.map { $0.contains(channel: channel) }
            let without = try chain.conversionProbabilities(removing: removed, method: method.chainMethod)[0]
            effects.append(full > 0 ? max(0, 1 - without / full) : 0)
        }
        let sum = effects.reduce(0, +)
        let channels = channelNames.indices.map { c in
            let share = sum > 0 ? effects[c] / sum : 0
            return RemovalAttribution.Channel(
                channel: channelNames[c], removalEffect: effects[c], conversions: share * totalConversions,
                conversionValue: share * totalConversionValue)
        }
        return RemovalAttribution(
            conversionProbability: full, totalConversions: totalConversions, totalConversionValue: totalConversionValue,
            channels: channels, stateCount: states.count)
    }
}

/// How the absorbing chain is solved.
public enum SolveMethod: String, Sendable, Codable, CaseIterable {
    /// Dense LU up to 1,500 transient states, iterative above.
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
