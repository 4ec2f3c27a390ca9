import Decisioning
import Features
import Journeys
import Linalg

/// Off-policy estimates of what the bundle's next-best-action policy, and simple alternatives, would
/// have achieved on a log of decisions made by another (stochastic) policy with recorded propensities.
public struct PolicyEvaluationReport: Sendable {
    /// One policy's estimates.
    public struct Row: Sendable {
        /// `waypoint` (the bundle's policy, with its rules and contact limits), `always <action>`, or `none`.
        public var policy: String
        /// IPS, self-normalised IPS and doubly robust estimates of the outcome rate per decision point.
        public var estimates: PolicyValueEstimates
    }

    /// Decision points evaluated (logged with a propensity, outcome window inside the data).
    public var decisionPoints: Int
    /// Decision points whose outcome window passes the end of the data: left out.
    public var censored: Int
    /// Decision points whose logged action the catalog lacks: left out.
    public var unknownActions: Int
    /// The logging policy's observed outcome rate on the evaluated decision points (on-policy).
    public var loggedOutcomeRate: Double
    /// The bundle's policy first, then `none`, then each action always.
    public var rows: [Row]
}

extension Scorer {
    /// Evaluates the bundle's next-best-action policy off-policy on a log with propensities.
    ///
    /// Every logged event with a propensity is a decision point: the customer's state is replayed up to
    /// just before it (features, model outputs, contacts, unsubscribes), the bundle's policy picks its best
    /// action there exactly as `score` would, and the outcome is a conversion within the bundle's NBA
    /// horizon (the decision's own event included). The uplift model's probabilities serve as the reward
    /// model of the doubly robust estimate. Use a log the models were not trained on.
    ///
    /// - Throws: ``ScoringError`` when the bundle has no action catalog or the log no propensities;
    ///   `FeatureError` for attributes lacking a declared column; `DecisioningError` from the estimators.
    public func evaluatePolicy(
        _ store: EventStore, attributes: CustomerAttributes?, configuration: OffPolicyEvaluation.Configuration = .init()
    ) throws -> PolicyEvaluationReport {
        guard let arbitrator, let uplift = models.uplift, let catalog = models.catalog, let section = models.configuration.nba else {
            throw ScoringError("the bundle has no next-best-action model (train with an \"nba\" section)")
        }
        guard let propensities = store.propensities else {
            throw ScoringError("the log has no propensity column: off-policy evaluation needs the logging policy's probabilities")
        }
        _ = arbitrator
        guard let range = store.timeRange else { throw ScoringError("the log is empty") }
        let horizon = microseconds(days: section.horizonDays)
        let converts = store.conversionMask(models.configuration.conversion)
        let actionIDs = [ActionCatalog.noActionID] + catalog.actions.map(\.id)
        var armOf: [String: Int] = [:]
        for (k, id) in actionIDs.enumerated() { armOf[id] = k }

        var logged: [Int] = []
        var chosenPropensity: [Double] = []
        var rewards: [Double] = []
        var target: [Int] = []
        var rewardModel: [[Double]] = []
        var censored = 0
        var unknown = 0
        var scratch = Scratch()
        var result = CustomerScore()
        let names = (Array(store.channelNames), Array(store.eventTypeNames), Array(store.actionNames))
        for c in 0..<store.customerCount {
            let events = store.events(of: c)
            guard events.contains(where: { !propensities[$0].isNaN }) else { continue }
            var state = newCustomer(store.customerIDs[c])
            if let attributes { state.attributes = try attributes.values(of: c, for: schema.configuration) }
            for e in events {
                let t = store.timestamps[e]
                let code = store.actions.map { Int($0[e]) } ?? 0
                let actionName = code == 0 ? nil : names.2[code - 1]
                if !propensities[e].isNaN {
                    if t + horizon > range.upperBound {
                        censored += 1
                    } else if let arm = armOf[actionName ?? ActionCatalog.noActionID] {
                        score(state, at: t, topChannels: 0, scratch: &scratch, into: &result)
                        logged.append(arm)
                        chosenPropensity.append(Double(propensities[e]))
                        rewards.append(store.converts(events, from: e, before: t + horizon, mask: converts) ? 1 : 0)
                        target.append(armOf[result.recommendation!.best.actionID]!)
                        rewardModel.append(uplift.probabilities(scratch.upliftRow))  // the row the arbitrator just ranked by
                    } else {
                        unknown += 1
                    }
                }
                try record(
                    TouchEvent(
                        time: t, channel: names.0[Int(store.channels[e])], event: names.1[Int(store.eventTypes[e])],
                        value: store.values?[e] ?? 0, action: actionName),
                    into: &state)
            }
        }
        let n = rewards.count
        guard n > 0 else { throw ScoringError("no decision point of the log has its outcome window inside the data") }
        let decisions = LoggedDecisions(actions: logged, propensities: chosenPropensity, rewards: rewards, actionCount: actionIDs.count)
        var q = [Double](repeating: 0, count: n * actionIDs.count)
        for i in 0..<n { for a in 0..<actionIDs.count { q[i + a * n] = rewardModel[i][a] } }
        let qMatrix = try Matrix(rows: n, columns: actionIDs.count, columnMajor: q)
        var rows: [PolicyEvaluationReport.Row] = []
        rows.append(.init(policy: "waypoint", estimates: try OffPolicyEvaluation.estimate(decisions, targetActions: target, rewardModel: qMatrix, configuration: configuration)))
        for (a, id) in actionIDs.enumerated() {
            let name = a == 0 ? "none" : "always \(id)"
            rows.append(.init(
                policy: name,
                estimates: try OffPolicyEvaluation.estimate(
                    decisions, targetActions: Array(repeating: a, count: n), rewardModel: qMatrix, configuration: configuration)))
        }
        return PolicyEvaluationReport(
            decisionPoints: n, censored: censored, unknownActions: unknown, loggedOutcomeRate: rewards.reduce(0, +) / Double(n), rows: rows)
    }
}
