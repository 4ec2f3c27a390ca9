import Evaluation
import Journeys

/// How well the chain's conversion probability separates converted from lapsed journeys.
public struct ConversionEvaluation: Sendable, Codable {
    /// Completed journeys scored (converted + lapsed).
    public var journeys: Int
    /// Of those, journeys that converted (the positives).
    public var converted: Int
    /// Journeys whose final state the chain never saw; scored with the start state's probability.
    public var unseenStates: Int
    /// Area under the ROC curve, ties counted as one half (Mann–Whitney with midranks); nil unless
    /// both converted and lapsed journeys are present.
    public var rocAUC: Double?
}

extension TransitionCounts {
    /// Scores each completed journey by P(conversion) from the chain state after its last touch and
    /// measures the ROC AUC against how it ended. Censored journeys are left out.
    ///
    /// - Throws: `MarkovError` `.solverFailed` if the absorbing chain cannot be solved.
    public func evaluateConversion(_ journeys: [Journey], in store: EventStore) throws(MarkovError) -> ConversionEvaluation {
        let x = try AbsorbingChain(self).conversionProbabilities()
        let ids = store.channelNames.map { channelIndexIfKnown($0) }
        var scores: [(score: Double, positive: Bool)] = []
        var unseen = 0
        for journey in journeys where journey.outcome != .censored {
            let path = journey.events.map { ids[Int(store.channels[$0])] }
            var score = x[0]
            if path.allSatisfy({ $0 != nil }), let state = finalState(of: path.map { $0! }) {
                score = x[state]
            } else {
                unseen += 1
            }
            scores.append((score, journey.outcome == .converted))
        }
        // Scores are probabilities in [0, 1] and labels two-valued: the metrics cannot reject them.
        let auc = scores.isEmpty ? nil : (try? BinaryEvaluation(scores: scores.map(\.score), labels: scores.map(\.positive)))?.rocAUC
        return ConversionEvaluation(
            journeys: scores.count, converted: scores.filter(\.positive).count, unseenStates: unseen, rocAUC: auc)
    }

    private func channelIndexIfKnown(_ name: String) -> UInt16? {
        channelNames.firstIndex(of: name).map { UInt16($0) }
    }
}
