/// Chooses the next best action for one customer: the eligible, allowed action with the largest expected
/// incremental value `uplift × value − cost`, or "no action" when none is positive.
///
/// ```swift
/// let arbitrator = try Arbitrator(catalog: catalog, model: fit.model, outputNames: ["churn_probability"])
/// let recommendation = arbitrator.recommend(
///     features: row, outputs: [0.42], history: contacts, suppressedChannels: ["sms"], now: now)
/// recommendation.best.actionID   // "email_discount10", or "none"
/// ```
///
/// An immutable `Sendable` value: rules are compiled once, at initialization.
public struct Arbitrator: Sendable {
    /// The catalog it chooses from.
    public let catalog: ActionCatalog
    /// The uplift model scoring the catalog's actions.
    public let model: UpliftModel
    /// Names of the model outputs rules may read besides the features (`churn_probability`, …).
    public let outputNames: [String]
    /// Per catalog action: its compiled eligibility rule, or `nil`.
    let rules: [CompiledRule?]
    /// Per catalog action: its arm in the model (1-based).
    let arms: [Int]
    /// How many feature values rules read (before the outputs).
    let ruleFeatureCount: Int
    /// Per catalog action: ``RankedAction/appliedRules`` (its rule's source, or nothing), made once.
    let appliedRules: [[String]]
    /// Per catalog action: its arm's ``UpliftModel/reasonWeights(arm:)``, made once.
    let reasonWeights: [[Double]]

    /// Binds a catalog to a model.
    ///
    /// Rules read the model's features (``UpliftModel/featureNames``), or `ruleFeatureNames` when given,
    /// followed by `outputNames`. Give `ruleFeatureNames` when rules are written on other values than
    /// the model reads: raw values (`recency_days_email >= 7`) for a model fitted on standardized ones, or
    /// every feature for a model fitted on a few.
    ///
    /// - Throws: ``DecisioningError`` `.invalidCatalog` if an action of the catalog has no arm in the model,
    ///   or a rule names something that is neither a feature nor an output (with action id and column).
    public init(catalog: ActionCatalog, model: UpliftModel, outputNames: [String] = [], ruleFeatureNames: [String]? = nil) throws {
        var problems: [DecisioningError.Problem] = []
        var armOf: [String: Int] = [:]
        for (k, id) in model.actionIDs.enumerated() { armOf[id] = k + 1 }
        var arms: [Int] = []
        var rules: [CompiledRule?] = []
        let names = (ruleFeatureNames ?? model.featureNames) + outputNames
        for action in catalog.actions {
            if let arm = armOf[action.id] {
                arms.append(arm)
            } else {
                arms.append(0)
                problems.append(
                    .init(actionID: action.id, field: "id", message: "the uplift model has no arm for this action; refit it with the catalog"))
            }
            do {
                rules.append(try action.eligibility?.compile(names: names))
            } catch let error as DecisioningError {
                rules.append(nil)
                problems.append(.init(actionID: action.id, field: "eligibility", column: error.column, message: ActionCatalog.withoutColumn(error)))
            }
        }
        if !problems.isEmpty { throw ActionCatalog.error(problems) }
        self.catalog = catalog
        self.model = model
        self.outputNames = outputNames
        self.ruleFeatureCount = ruleFeatureNames?.count ?? model.featureNames.count
        self.rules = rules
        self.arms = arms
        self.appliedRules = rules.map { $0.map { [$0.source] } ?? [] }
        self.reasonWeights = arms.map { model.reasonWeights(arm: $0) }
    }

    /// Ranks the actions for one customer.
    ///
    /// An action is a candidate when its eligibility rule holds on `features + outputs` and the contact
    /// policy and suppressions allow it (``ContactPolicy/allows(_:history:now:suppressedChannels:)``);
    /// the others are listed in ``Recommendation/blocked`` with the reason. Candidates are ranked by
    /// expected incremental value `(P(y | action) − P(y | none)) × value − cost`, largest first; ties go to
    /// the larger ``CatalogAction/value``, then to the earlier action in the catalog. "No action" (value 0)
    /// ranks above every candidate whose expected incremental value is not positive (or is NaN), so it is
    /// ``Recommendation/best`` exactly when no candidate pays.
    ///
    /// - Parameters:
    ///   - features: the customer's features, aligned with ``UpliftModel/featureNames``.
    ///   - outputs: model outputs aligned with ``outputNames``.
    ///   - history: the customer's past contacts.
    ///   - suppressedChannels: channels the customer unsubscribed from; never offered.
    ///   - now: Unix time of the decision, seconds.
    ///   - reasonLimit: how many uplift reasons to attach to each ranked action (default 3).
    ///   - ruleFeatures: the values of the `ruleFeatureNames` given at initialization; default `features`.
    /// - Precondition: `features.count == model.featureNames.count`, `outputs.count == outputNames.count`,
    ///   and the rule features have as many values as the rules were compiled for.
    public func recommend(
        features: [Double], outputs: [Double] = [], history: [ContactRecord] = [],
        suppressedChannels: Set<String> = [], now: Int64, reasonLimit: Int = 3, ruleFeatures: [Double]? = nil
    ) -> Recommendation {
        var recommendation = Recommendation()
        var scratch = Scratch()
        recommend(
            features: features, outputs: outputs, history: history, suppressedChannels: suppressedChannels, now: now,
            reasonLimit: reasonLimit, ruleFeatures: ruleFeatures ?? features, into: &recommendation, scratch: &scratch)
        return recommendation
    }

    /// Buffers a caller reuses from customer to customer with `recommend(...into:scratch:)`.
    package struct Scratch: Sendable {
        var probabilities: [Double] = []
        /// 1, then the features: what the reason weights multiply.
        var oneThenFeatures: [Double] = []
        var candidates: [(group: Int, gain: Double, value: Double, order: Int)] = []
        /// Reason arrays of ranked actions that were dropped, kept for their capacity.
        var spareReasons: [[UpliftReason]] = []

        package init() {}
    }

    /// `recommend(...)` refilling `recommendation` in place: once its arrays and `scratch` have grown to
    /// the catalog's size, nothing is allocated (a service scoring one customer after another).
    package func recommend(
        features: [Double], outputs: [Double], history: [ContactRecord], suppressedChannels: Set<String>, now: Int64,
        reasonLimit: Int, ruleFeatures ruleValues: [Double], into recommendation: inout Recommendation, scratch: inout Scratch
    ) {
        precondition(
            features.count == model.featureNames.count,
            "got \(features.count) features but the model has \(model.featureNames.count)")
        precondition(outputs.count == outputNames.count, "got \(outputs.count) outputs but \(outputNames.count) output names")
        precondition(ruleValues.count == ruleFeatureCount, "got \(ruleValues.count) rule features, expected \(ruleFeatureCount)")
        model.probabilities(features, into: &scratch.probabilities)
        scratch.oneThenFeatures.removeAll(keepingCapacity: true)
        scratch.oneThenFeatures.append(1)
        scratch.oneThenFeatures.append(contentsOf: features)
        let probabilities = scratch.probabilities
        let base = probabilities[0]
        // Candidates as catalog positions with their sort keys; `none` is position `actions.count`.
        scratch.candidates.removeAll(keepingCapacity: true)
        recommendation.blocked.removeAll(keepingCapacity: true)
        // Through buffer pointers: no copy (and retain) of each action and rule.
        catalog.actions.withUnsafeBufferPointer { actions in
            rules.withUnsafeBufferPointer { rules in
                for k in actions.indices {
                    if rules[k] != nil && !rules[k]!.evaluate(ruleValues, then: outputs) {
                        recommendation.blocked.append(BlockedAction(actionID: actions[k].id, reason: .ineligible(rule: rules[k]!.source)))
                        continue
                    }
                    if case .blocked(let reason) = catalog.contactPolicy.allows(
                        actions[k], history: history, now: now, suppressedChannels: suppressedChannels)
                    {
                        recommendation.blocked.append(BlockedAction(actionID: actions[k].id, reason: .contact(reason)))
                        continue
                    }
                    let gain = (probabilities[arms[k]] - base) * actions[k].value - actions[k].cost
                    scratch.candidates.append((gain > 0 ? 0 : 2, gain, actions[k].value, k))
                }
            }
        }
        scratch.candidates.append((1, 0, 0, catalog.actions.count))
        recommendation.ranked.reserveCapacity(scratch.candidates.count)  // no-op once grown
        scratch.candidates.sort { a, b in
            if a.group != b.group { return a.group < b.group }
            let (x, y) = (a.gain, b.gain)
            if x != y && !x.isNaN && !y.isNaN { return x > y }
            if x.isNaN != y.isNaN { return y.isNaN }
            if a.value != b.value { return a.value > b.value }
            return a.order < b.order
        }
        // Ranked actions are overwritten in place, their reason arrays refilled: no allocation once grown.
        while recommendation.ranked.count > scratch.candidates.count {
            scratch.spareReasons.append(recommendation.ranked.removeLast().reasons)
        }
        for (i, candidate) in scratch.candidates.enumerated() {
            let k = candidate.order
            let blank = i == recommendation.ranked.count
            if blank { recommendation.ranked.append(RankedAction(reasons: scratch.spareReasons.popLast() ?? [])) }
            catalog.actions.withUnsafeBufferPointer { actions in  // no copy (and retain) of each action
                recommendation.ranked.withUnsafeMutableBufferPointer { ranked in
                    // A reused rank's strings are compared before they are written (equal strings of one
                    // catalog share storage: a pointer check), so a rank that keeps its action costs no
                    // retain; a blank's are written outright (comparing unequal strings costs more).
                    if k < actions.count {
                        let p = probabilities[arms[k]]
                        if blank || ranked[i].actionID != actions[k].id { ranked[i].actionID = actions[k].id }
                        if blank || ranked[i].channel != actions[k].channel { ranked[i].channel = actions[k].channel }
                        if blank || ranked[i].appliedRules != appliedRules[k] { ranked[i].appliedRules = appliedRules[k] }
                        ranked[i].set(probability: p, base: base, uplift: p - base, gain: candidate.gain, cost: actions[k].cost, value: actions[k].value)
                        model.reasons(weights: reasonWeights[k], oneThenRow: scratch.oneThenFeatures, limit: reasonLimit, into: &ranked[i].reasons)
                    } else {
                        if blank || ranked[i].actionID != ActionCatalog.noActionID { ranked[i].actionID = ActionCatalog.noActionID }
                        ranked[i].channel = nil
                        if !ranked[i].appliedRules.isEmpty { ranked[i].appliedRules = [] }
                        ranked[i].set(probability: base, base: base, uplift: 0, gain: 0, cost: 0, value: 0)
                        ranked[i].reasons.removeAll(keepingCapacity: true)
                    }
                }
            }
        }
    }
}

/// The ranked candidates for one customer, and the actions that were not candidates, with why.
public struct Recommendation: Sendable, Hashable {
    /// Candidates best first: the allowed, eligible actions and "no action".
    public package(set) var ranked: [RankedAction]
    /// Actions of the catalog that were not candidates, in catalog order, each with its reason.
    public package(set) var blocked: [BlockedAction]

    /// The first of ``ranked``: the action to take ("no action" when nothing pays).
    public var best: RankedAction { ranked[0] }

    /// Nothing ranked or blocked yet: for ``Arbitrator`` to fill.
    package init() {
        ranked = []
        blocked = []
    }
}

/// One candidate action with its predicted effect, value and reasons.
public struct RankedAction: Sendable, Hashable {
    /// The action's id, or `none`.
    public package(set) var actionID: String
    /// Its channel; `nil` for "no action".
    public package(set) var channel: String?
    /// `P(outcome | features, action)`.
    public package(set) var probabilityWithAction: Double
    /// `P(outcome | features, no action)`.
    public package(set) var probabilityWithoutAction: Double
    /// `probabilityWithAction − probabilityWithoutAction`.
    public package(set) var uplift: Double
    /// `uplift × value − cost`: what taking it is expected to add over doing nothing.
    public package(set) var expectedIncrementalValue: Double
    /// The action's cost.
    public package(set) var cost: Double
    /// The value of the outcome it targets.
    public package(set) var value: Double
    /// The eligibility rules that held for it (its own rule, if it has one).
    public package(set) var appliedRules: [String]
    /// The largest contributions to its log-odds uplift (see ``UpliftModel/reasons(arm:row:limit:)``).
    public package(set) var reasons: [UpliftReason]

    /// Sets the numbers: `P(y | action)`, `P(y | none)`, uplift, expected incremental value, cost and value.
    mutating func set(probability p: Double, base: Double, uplift: Double, gain: Double, cost: Double, value: Double) {
        probabilityWithAction = p
        probabilityWithoutAction = base
        self.uplift = uplift
        expectedIncrementalValue = gain
        self.cost = cost
        self.value = value
    }

    /// A blank for ``Arbitrator`` to fill, holding `reasons`' storage.
    init(reasons: [UpliftReason]) {
        actionID = ""
        channel = nil
        probabilityWithAction = 0
        probabilityWithoutAction = 0
        uplift = 0
        expectedIncrementalValue = 0
        cost = 0
        value = 0
        appliedRules = []
        self.reasons = reasons
    }
}

/// An action that was not a candidate, and why.
public struct BlockedAction: Sendable, Hashable {
    /// Why an action was not a candidate.
    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        /// Its eligibility rule (given) did not hold.
        case ineligible(rule: String)
        /// The contact policy or a suppression forbids contacting the customer with it now.
        case contact(ContactBlockReason)

        /// One sentence.
        public var description: String {
            switch self {
            case .ineligible(let rule): "its eligibility rule '\(rule)' does not hold"
            case .contact(let reason): reason.description
            }
        }
    }
    /// The action's id.
    public let actionID: String
    /// Why it was not a candidate.
    public let reason: Reason

    /// A blocked action with its reason.
    public init(actionID: String, reason: Reason) {
        self.actionID = actionID
        self.reason = reason
    }
}
