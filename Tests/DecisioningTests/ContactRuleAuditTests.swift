import Decisioning
import Foundation
import Journeys
import Linalg
import Logistic
import Testing

/// Runs the arbitrator (greedy and exploring) for a population of simulated customers every day for two
/// months, appending each contact it makes to the customer's history, and audits every contact with an
/// independent re-implementation of the rules. Every action pays (positive uplift, small cost), so the
/// arbitrator always wants to contact and only the rules hold it back.
@Suite struct ContactRuleAuditTests {
    @Test func noRecommendationBreaksAContactRuleOrSuppression() throws {
        let audit = try Self.run(customers: 1_200, enforce: true)
        #expect(audit.violations.isEmpty, "\(audit.violations.count) violations, first: \(audit.violations.prefix(5))")
        // The rules were exercised: every kind of block happened, and contacts were made.
        #expect(audit.blockedKinds == ["ineligible", "suppressed", "actionLimit", "channelLimit", "cooldown", "weeklyCap"])
        #expect(audit.contacts > audit.decisions / 4)
    }

    /// The audit can fail: the same run with the rules left out of the catalog (and no suppressions passed)
    /// makes contacts the audit flags.
    @Test func theAuditCatchesAnArbitratorWithoutRules() throws {
        let audit = try Self.run(customers: 200, enforce: false)
        #expect(audit.violations.count > 100)
        for kind in ["suppressed", "channel limit", "cooldown", "weekly cap", "email limit", "ineligible call"] {
            #expect(audit.violations.contains { $0.hasSuffix(kind) || $0.contains(": \(kind)") }, "\(kind)")
        }
    }

    static func run(customers: Int, enforce: Bool) throws -> (violations: [String], contacts: Int, decisions: Int, blockedKinds: Set<String>) {
        let channels = ["email", "sms", "push", "app", "call_center"]
        let ids = ["email_discount10", "sms_offer", "push_reminder", "app_coupon", "call_retention"]
        let catalog = try ActionCatalog(
            actions: [
                CatalogAction(id: ids[0], channel: "email", cost: 1, value: 50, limit: .init(maxContacts: 1, windowDays: 30)),
                CatalogAction(id: ids[1], channel: "sms", cost: 1, value: 50),
                CatalogAction(id: ids[2], channel: "push", cost: 0.5, value: 50),
                CatalogAction(id: ids[3], channel: "app", cost: 1, value: 50),
                CatalogAction(id: ids[4], channel: "call_center", cost: 3, value: 50,
                    eligibility: try RuleExpression(parsing: "tenure_years > 1 and churn_probability >= 0.2")),
            ],
            contactPolicy: .init(channelLimit: .init(maxContacts: 2, windowDays: 7), cooldownDays: 1.5, weeklyCap: 3),
            knownChannels: channels, ruleNames: ["loyalist", "tenure_years", "churn_probability"])
        // Every action lifts conversion from σ(−2) by 0.4 to 1.2 logits, more for loyalists.
        let arms = [UpliftModel.Arm(id: "none", model: LogisticModel(intercept: -2, coefficients: [0.3, -0.1]))]
            + ids.enumerated().map { k, id in
                UpliftModel.Arm(id: id, model: LogisticModel(intercept: -1.6 + 0.2 * Double(k), coefficients: [0.3 + 0.1 * Double(k), -0.1]))
            }
        let model = try UpliftModel(featureNames: ["loyalist", "tenure_years"], actionIDs: ids, arms: arms)
        let unruled = try ActionCatalog(actions: catalog.actions.map {
            CatalogAction(id: $0.id, channel: $0.channel, cost: $0.cost, value: $0.value)
        })
        let arbitrator = try Arbitrator(catalog: enforce ? catalog : unruled, model: model, outputNames: ["churn_probability"])

        let seed: UInt64 = 20_261_124
        var generator = SplitMix64(seed: seed)
        let start: Int64 = 1_704_067_200
        let day: Int64 = 86_400
        var violations: [String] = []
        var contacts = 0, decisions = 0
        var arbitration = Duration.zero
        let clock = ContinuousClock()
        var blockedKinds: Set<String> = []
        for customer in 0..<customers {
            let features = [generator.uniform() < 0.3 ? 1.0 : 0, 3 * generator.uniform()]
            let churn = generator.uniform() * 0.5
            let suppressed = Set(channels.filter { _ in generator.uniform() < 0.2 })
            // A few contacts in the month before the run, made by someone else and possibly breaking the
            // rules themselves (they are history, not recommendations, so they are not audited).
            var history: [ContactRecord] = (0..<generator.below(4)).map { _ in
                let k = generator.below(ids.count)
                return ContactRecord(time: start - Int64(generator.below(30 * 86_400)), channel: catalog.actions[k].channel, actionID: ids[k])
            }
            let policy: ExplorationPolicy = customer % 3 == 0 ? .greedy : customer % 3 == 1 ? .epsilonGreedy(epsilon: 0.5) : .softmax(temperature: 5)
            for d in 0..<60 {
                let now = start + Int64(d) * day + Int64(generator.below(Int(day)))
                let before = clock.now
                let recommendation = arbitrator.recommend(
                    features: features, outputs: [churn], history: history, suppressedChannels: enforce ? suppressed : [],
                    now: now)
                arbitration += clock.now - before
                decisions += 1
                for blocked in recommendation.blocked {
                    switch blocked.reason {
                    case .ineligible: blockedKinds.insert("ineligible")
                    case .contact(.suppressed): blockedKinds.insert("suppressed")
                    case .contact(.actionLimit): blockedKinds.insert("actionLimit")
                    case .contact(.channelLimit): blockedKinds.insert("channelLimit")
                    case .contact(.cooldown): blockedKinds.insert("cooldown")
                    case .contact(.weeklyCap): blockedKinds.insert("weeklyCap")
                    }
                }
                let choice = try recommendation.choose(policy, using: &generator)
                guard let channel = choice.action.channel else { continue }
                let id = choice.action.actionID
                // The audit: every rule, recomputed from the raw history.
                func count(_ days: Double, _ matches: (ContactRecord) -> Bool) -> Int {
                    history.count { $0.time > now - Int64(days * 86_400) && $0.time <= now && matches($0) }
                }
                if suppressed.contains(channel) { violations.append("customer \(customer) day \(d): suppressed") }
                if count(7, { $0.channel == channel }) >= 2 { violations.append("customer \(customer) day \(d): channel limit on \(channel)") }
                if count(1.5, { _ in true }) >= 1 { violations.append("customer \(customer) day \(d): cooldown") }
                if count(7, { _ in true }) >= 3 { violations.append("customer \(customer) day \(d): weekly cap") }
                if id == ids[0] && count(30, { $0.actionID == id }) >= 1 { violations.append("customer \(customer) day \(d): email limit") }
                if id == ids[4] && !(features[1] > 1 && churn >= 0.2) { violations.append("customer \(customer) day \(d): ineligible call") }
                if choice.action.expectedIncrementalValue <= 0 && policy == .greedy { violations.append("customer \(customer) day \(d): greedy paid nothing") }
                history.append(ContactRecord(time: now, channel: channel, actionID: id))
                contacts += 1
            }
        }
        print("contact audit (rules \(enforce ? "enforced" : "left out")): \(decisions) decisions, \(contacts) contacts, "
            + "blocked kinds \(blockedKinds.sorted()), violations \(violations.count) (seed \(seed)); "
            + "recommend took \(arbitration / decisions) per call (this build)")
        return (violations, contacts, decisions, blockedKinds)
    }
}
