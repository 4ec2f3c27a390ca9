import Decisioning
import Foundation
import Journeys
import Linalg
import Logistic
import Testing

private func logit(_ p: Double) -> Double { log(p / (1 - p)) }

@Suite struct UpliftTests {
    /// One binary feature, unpenalized: each arm's logistic model is saturated, so its probabilities are
    /// exactly the cell means of its rows (hand-counted below).
    static func saturatedData(propensities: Bool) -> UpliftTrainingData {
        // (x, action, outcome): none x=0 → 1 of 4; none x=1 → 2 of 4; A x=0 → 3 of 4; A x=1 → 1 of 4;
        // B: every outcome 0 (fallback); "ghost" is not in the catalog (skipped).
        var rows: [(Double, String, Double)] = []
        for (x, action, outcomes) in [
            (0.0, "none", [1.0, 0, 0, 0]), (1, "", [1, 1, 0, 0]), (0, "A", [1, 1, 1, 0]), (1, "A", [1, 0, 0, 0]),
            (0, "B", [0, 0]), (1, "B", [0, 0]), (1, "ghost", [1, 1, 1]),
        ] {
            for y in outcomes { rows.append((x, action, y)) }
        }
        // Propensities constant within each (arm, x) cell leave the saturated cell means unchanged.
        let mu = rows.map { row -> Double in
            switch (row.1, row.0) {
            case ("A", 0): 0.2
            case ("A", _): 0.6
            default: 0.4
            }
        }
        return UpliftTrainingData(
            features: try! Matrix(rows: rows.count, columns: 1, columnMajor: rows.map(\.0)), featureNames: ["x"],
            actionIDs: ["A", "B"], loggedActions: rows.map(\.1), outcomes: rows.map(\.2),
            propensities: propensities ? mu : nil)
    }

    @Test(arguments: [false, true])
    func tLearnerRecoversCellMeansExactly(weighted: Bool) throws {
        let fit = try UpliftLearner.fit(
            Self.saturatedData(propensities: weighted),
            configuration: .init(l2Penalty: 0, minimumRowsPerArm: 4, tolerance: 1e-12))
        let model = fit.model
        let at0 = model.probabilities([0]), at1 = model.probabilities([1])
        #expect(abs(at0[0] - 0.25) < 1e-9 && abs(at1[0] - 0.5) < 1e-9)
        #expect(abs(at0[1] - 0.75) < 1e-9 && abs(at1[1] - 0.25) < 1e-9)
        let uplift0 = model.uplift([0]), uplift1 = model.uplift([1])
        #expect(abs(uplift0[0] - 0.5) < 1e-9 && abs(uplift1[0] + 0.25) < 1e-9)

        // Reasons: the contributions of every feature and the intercept add up to the log-odds uplift.
        let reasons = model.reasons(arm: 1, row: [1], limit: 10)
        #expect(reasons.count == 2)
        let total = reasons.map(\.contribution).reduce(0, +)
        #expect(abs(total - (logit(0.25) - logit(0.5))) < 1e-8)
        #expect(abs(reasons.first { $0.feature == "(intercept)" }!.contribution - (logit(0.75) - logit(0.25))) < 1e-8)
        #expect(abs(reasons[0].contribution) >= abs(reasons[1].contribution))

        // The report: rows per arm, B fell back, ghost rows skipped and counted.
        let report = fit.report
        #expect(report.arms.map(\.rows) == [8, 8, 4])
        #expect(report.arms.map(\.positives) == [3, 4, 0])
        #expect(report.arms.map(\.kind) == [.separate, .separate, .pooledFallback])
        #expect(report.arms[2].fallbackReason == "all 4 rows have outcome 0")
        #expect(report.skippedRows == ["ghost": 3])
        #expect(report.weighted == weighted)
        #expect(model.arms[2].kind == .pooledFallback)
        // The fallback is the pooled model shifted by B's indicator: same coefficient for x as the pooled fit.
        #expect(model.arms[2].model.coefficients.count == 1)
        #expect(model.uplift([0])[1] < 0)

        // Batch scoring equals row by row; Codable round trip is exact.
        let batch = try model.probabilities(Matrix(rows: 2, columns: 1, columnMajor: [0, 1]))
        #expect(batch[0, 1] == at0[1] && batch[1, 2] == at1[2])
        let batchUplift = try model.uplift(Matrix(rows: 2, columns: 1, columnMajor: [0, 1]))
        #expect(batchUplift[0, 0] == uplift0[0] && batchUplift[1, 1] == uplift1[1])
        #expect(throws: DecisioningError.self) { try model.probabilities(Matrix(rows: 1, columns: 2, repeating: 0)) }
        let decoded = try JSONDecoder().decode(UpliftModel.self, from: JSONEncoder().encode(model))
        #expect(decoded == model)
    }

    @Test(arguments: [false, true])
    func interactionModelRecoversCellMeansExactly(weighted: Bool) throws {
        // Without B (whose all-zero outcomes would be separated at λ = 0), intercept + x + 1[A] + 1[A]·x is
        // saturated over the four (arm, x) cells, so the one model reproduces the T-learner's cell means.
        var data = Self.saturatedData(propensities: weighted)
        let keep = data.loggedActions.indices.filter { data.loggedActions[$0] != "B" }
        data = UpliftTrainingData(
            features: try Matrix(rows: keep.count, columns: 1, columnMajor: keep.map { data.features[$0, 0] }),
            featureNames: ["x"], actionIDs: ["A"], loggedActions: keep.map { data.loggedActions[$0] },
            outcomes: keep.map { data.outcomes[$0] }, propensities: data.propensities.map { p in keep.map { p[$0] } })
        let fit = try UpliftLearner.fit(data, configuration: .init(learner: .interactions, l2Penalty: 0, tolerance: 1e-12))
        let at0 = fit.model.probabilities([0]), at1 = fit.model.probabilities([1])
        #expect(abs(at0[0] - 0.25) < 1e-9 && abs(at1[0] - 0.5) < 1e-9)
        #expect(abs(at0[1] - 0.75) < 1e-9 && abs(at1[1] - 0.25) < 1e-9)
        #expect(fit.report.arms.map(\.kind) == [.interaction, .interaction])
        #expect(fit.report.arms.map(\.rows) == [8, 8] && fit.report.skippedRows == ["ghost": 3])

        // With a penalty, B (all outcomes 0) needs no fallback: its deviation from the shared model is negative.
        let penalized = try UpliftLearner.fit(Self.saturatedData(propensities: weighted), configuration: .init(learner: .interactions))
        #expect(penalized.model.arms.map(\.kind) == [.interaction, .interaction, .interaction])
        #expect(penalized.model.uplift([0])[1] < 0 && penalized.model.uplift([1])[1] < 0)
        #expect(penalized.report.arms.allSatisfy { $0.converged })
    }

    @Test func propensityWeightingCorrectsAMisspecifiedArm() throws {
        // Truth: P(y | x, A) is 0.2 at x = 0 and 0.8 at x = 1 (and x is half 0, half 1 in the population).
        // The logging policy takes A with probability 0.9 at x = 1 and 0.1 at x = 0, so A's rows are mostly
        // x = 1. An intercept-only model of A (no features: misspecified) then estimates P(y | A) ≈ 0.74
        // unweighted, but 0.5 (the population mean) with 1/propensity weights.
        var actions: [String] = [], outcomes: [Double] = [], mu: [Double] = []
        for (x, count, pA) in [(0, 100, 0.1), (1, 100, 0.9)] {
            let taken = Int(Double(count) * pA)
            for k in 0..<count {
                let isA = k < taken
                actions.append(isA ? "A" : "none")
                mu.append(isA ? pA : 1 - pA)
                // Exact proportions: of each cell, 20% (x = 0) or 80% (x = 1) have y = 1.
                let fraction = x == 0 ? 0.2 : 0.8
                let cellIndex = isA ? k : k - taken
                let cellSize = isA ? taken : count - taken
                outcomes.append(Double(cellIndex) < fraction * Double(cellSize) ? 1 : 0)
            }
        }
        let n = actions.count
        let x = try Matrix(rows: n, columns: 0, columnMajor: [])
        let data = UpliftTrainingData(features: x, featureNames: [], actionIDs: ["A"], loggedActions: actions, outcomes: outcomes, propensities: mu)
        let weighted = try UpliftLearner.fit(data, configuration: .init(l2Penalty: 0, minimumRowsPerArm: 1, tolerance: 1e-12))
        let unweighted = try UpliftLearner.fit(
            data, configuration: .init(l2Penalty: 0, minimumRowsPerArm: 1, weightByInversePropensity: false, tolerance: 1e-12))
        // Unweighted: A's rows are 10 at x=0 (2 positive) and 90 at x=1 (72 positive): 74/100.
        #expect(abs(unweighted.model.probabilities([])[1] - 0.74) < 1e-9)
        #expect(abs(weighted.model.probabilities([])[1] - 0.5) < 1e-9)
        #expect(abs(weighted.model.probabilities([])[0] - 0.5) < 1e-9)
    }

    /// The model conformance checks of STYLE.md §7: refit gives the same model, batch scores equal
    /// one-by-one scores, row order does not matter (to rounding), and JSON save → load scores bit-identically.
    @Test(arguments: [UpliftLearner.Learner.tLearner, .interactions])
    func conformance(learner: UpliftLearner.Learner) throws {
        var generator = SplitMix64(seed: 314)
        let n = 3_000, d = 3
        var rows: [[Double]] = [], actions: [String] = [], outcomes: [Double] = [], mu: [Double] = []
        let ids = ["A", "B"]
        for _ in 0..<n {
            let row = (0..<d).map { _ in generator.uniform() * 2 - 1 }
            let p: [Double] = row[0] > 0 ? [0.5, 0.3, 0.2] : [0.2, 0.3, 0.5]
            let u = generator.uniform()
            let arm = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2
            let eta = -0.5 + row[0] - 0.5 * row[1] + (arm == 1 ? 0.8 * row[2] : arm == 2 ? -0.4 : 0)
            rows.append(row)
            actions.append(arm == 0 ? "none" : ids[arm - 1])
            mu.append(p[arm])
            outcomes.append(generator.uniform() < 1 / (1 + exp(-eta)) ? 1 : 0)
        }
        func data(_ order: [Int]) throws -> UpliftTrainingData {
            UpliftTrainingData(
                features: try Matrix(rows: n, columns: d, rowMajor: order.flatMap { rows[$0] }), featureNames: ["x0", "x1", "x2"],
                actionIDs: ids, loggedActions: order.map { actions[$0] }, outcomes: order.map { outcomes[$0] },
                propensities: order.map { mu[$0] })
        }
        let configuration = UpliftLearner.Configuration(learner: learner, tolerance: 1e-10)
        let fit = try UpliftLearner.fit(data(Array(0..<n)), configuration: configuration)
        let refit = try UpliftLearner.fit(data(Array(0..<n)), configuration: configuration)
        #expect(fit.model == refit.model)
        var shuffled = Array(0..<n)
        shuffled.shuffle(using: &generator)
        let permuted = try UpliftLearner.fit(data(shuffled), configuration: configuration)
        for (a, b) in zip(fit.model.arms, permuted.model.arms) {
            #expect(abs(a.model.intercept - b.model.intercept) < 1e-8)
            #expect(zip(a.model.coefficients, b.model.coefficients).allSatisfy { abs($0 - $1) < 1e-8 })
        }
        let x = try Matrix(rows: n, columns: d, rowMajor: rows.flatMap { $0 })
        let batch = try fit.model.probabilities(x)
        let decoded = try JSONDecoder().decode(UpliftModel.self, from: JSONEncoder().encode(fit.model))
        let decodedBatch = try decoded.probabilities(x)
        #expect(batch == decodedBatch)
        for i in stride(from: 0, to: n, by: 97) {
            let one = fit.model.probabilities(rows[i])
            #expect((0..<3).allSatisfy { abs(one[$0] - batch[i, $0]) < 1e-14 })
        }
        // The planted effects' signs: B's uplift is negative everywhere, A's follows x2.
        #expect(fit.model.uplift([0, 0, 0.9])[0] > 0 && fit.model.uplift([0, 0, -0.9])[0] < 0)
        #expect(fit.model.uplift([0, 0, 0])[1] < 0)
    }

    @Test func badInputIsATypedError() throws {
        var data = Self.saturatedData(propensities: true)
        data.propensities![5] = 0
        let error = try #require(throws: DecisioningError.self) { try UpliftLearner.fit(data) }
        #expect(error.code == .invalidPropensity && error.row == 5)
        #expect(error.message.contains("propensities[5] is 0.0"))
        var short = Self.saturatedData(propensities: false)
        short.outcomes.removeLast()
        short.outcomes[0] = 2
        let shape = try #require(throws: DecisioningError.self) { try UpliftLearner.fit(short) }
        #expect(shape.code == .invalidInput)
        #expect(shape.message.contains("outcomes has 22 elements but features has 23 rows"))
        #expect(shape.message.contains("outcomes[0] is 2.0"))
        var ghosts = Self.saturatedData(propensities: false)
        ghosts.loggedActions = ghosts.loggedActions.map { _ in "ghost" }
        #expect(throws: DecisioningError.self) { try UpliftLearner.fit(ghosts) }
        let bad = #"{"featureNames":["x"],"actionIDs":["A"],"arms":[{"id":"none","kind":"separate","model":{"intercept":0,"coefficients":[1,2]}}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(UpliftModel.self, from: Data(bad.utf8)) }
    }
}

@Suite struct ArbitrationTests {
    /// Arms whose probabilities are exact in floating point: σ(0) = 0.5, σ(−40) ≈ 4e-18, so an uplift of
    /// σ(0) − σ(−40) rounds to exactly 0.5 and one of σ(−40) − σ(−40) is exactly 0.
    static func model(_ intercepts: [String: Double]) throws -> UpliftModel {
        let ids = ["D", "B", "C", "E", "F", "G", "H"]
        let arms = (["none"] + ids).map { id in
            UpliftModel.Arm(id: id, model: LogisticModel(intercept: intercepts[id] ?? -40, coefficients: [0.7, 0]))
        }
        return try UpliftModel(featureNames: ["x", "`odd` name"], actionIDs: ids, arms: arms)
    }

    static func catalog() throws -> ActionCatalog {
        try ActionCatalog(
            actions: [
                CatalogAction(id: "B", channel: "email", cost: 1, value: 10),  // 0.5·10 − 1 = 4
                CatalogAction(id: "C", channel: "sms", cost: 1, value: 10),  // 4, same value: catalog order after B
                CatalogAction(id: "D", channel: "app", cost: 6, value: 20),  // 0.5·20 − 6 = 4, larger value: first
                CatalogAction(id: "E", channel: "web", cost: 0, value: 10),  // uplift 0: EIV 0, below none
                CatalogAction(id: "F", channel: "web", cost: 0, value: 10, eligibility: try RuleExpression(parsing: "churn > 0.5")),
                CatalogAction(id: "G", channel: "push", cost: 0, value: 10),  // suppressed
                CatalogAction(id: "H", channel: "store", cost: 0, value: 10, limit: .init(maxContacts: 1, windowDays: 7)),
            ],
            contactPolicy: .init())
    }

    @Test func ranksByExpectedIncrementalValueWithDeterministicTies() throws {
        let model = try Self.model(["B": 0, "C": 0, "D": 0, "F": 0, "G": 0, "H": 0])
        let arbitrator = try Arbitrator(catalog: Self.catalog(), model: model, outputNames: ["churn"])
        let now: Int64 = 1_000_000
        let history = [ContactRecord(time: now - 3600, channel: "store", actionID: "H")]
        let recommendation = arbitrator.recommend(
            features: [0, 0], outputs: [0.3], history: history, suppressedChannels: ["push"], now: now)
        #expect(recommendation.ranked.map(\.actionID) == ["D", "B", "C", "none", "E"])
        #expect(recommendation.ranked.map(\.expectedIncrementalValue) == [4, 4, 4, 0, 0])
        #expect(recommendation.best.actionID == "D")
        #expect(recommendation.best.uplift == 0.5 && recommendation.best.probabilityWithAction == 0.5)
        #expect(recommendation.blocked == [
            BlockedAction(actionID: "F", reason: .ineligible(rule: "churn > 0.5")),
            BlockedAction(actionID: "G", reason: .contact(.suppressed(channel: "push"))),
            BlockedAction(actionID: "H", reason: .contact(.actionLimit(actionID: "H", contacts: 1, limit: .init(maxContacts: 1, windowDays: 7)))),
        ])
        // With churn above 0.5, F's rule applies and F (EIV 5) wins.
        let eligible = arbitrator.recommend(features: [0, 0], outputs: [0.8], suppressedChannels: ["push"], now: now)
        #expect(eligible.best.actionID == "F" && eligible.best.expectedIncrementalValue == 5)
        #expect(eligible.best.appliedRules == ["churn > 0.5"])
        // Reasons name features: the intercept difference (40) is the largest contribution.
        #expect(eligible.best.reasons.first == UpliftReason(feature: "(intercept)", contribution: 40))
        // Both features are 0 here: zero contributions are no reasons, so the intercept is the only one.
        #expect(eligible.best.reasons.count == 1)
    }

    @Test func noActionWinsWhenNothingPays() throws {
        let model = try Self.model(["B": 0, "C": 0, "D": 0])
        let expensive = try ActionCatalog(actions: [
            CatalogAction(id: "B", channel: "email", cost: 5, value: 10),  // 0.5·10 − 5 = 0: not positive
            CatalogAction(id: "C", channel: "sms", cost: 6, value: 10),  // −1
            CatalogAction(id: "D", channel: "app", cost: 11, value: 20),  // −1
            CatalogAction(id: "E", channel: "web", cost: 0, value: 10),
            CatalogAction(id: "F", channel: "web", cost: 1, value: 10),
            CatalogAction(id: "G", channel: "push", cost: 1, value: 10),
            CatalogAction(id: "H", channel: "store", cost: 1, value: 10),
        ])
        let recommendation = try Arbitrator(catalog: expensive, model: model).recommend(features: [0, 2], now: 0)
        #expect(recommendation.best.actionID == "none")
        #expect(recommendation.best.channel == nil && recommendation.best.expectedIncrementalValue == 0)
        // Below none: EIV 0 (B, E: same value, catalog order), then EIV −1 (D has the larger value, then C, F, G, H).
        #expect(recommendation.ranked.map(\.actionID) == ["none", "B", "E", "D", "C", "F", "G", "H"])
    }

    @Test func catalogAndModelMustAgree() throws {
        let model = try Self.model([:])
        let catalog = try ActionCatalog(actions: [
            CatalogAction(id: "Z", channel: "email", cost: 1, value: 1),
            CatalogAction(id: "B", channel: "email", cost: 1, value: 1, eligibility: try RuleExpression(parsing: "x > 0 and y > 1")),
        ])
        let error = try #require(throws: DecisioningError.self) { try Arbitrator(catalog: catalog, model: model) }
        #expect(error.problems.map(\.actionID) == ["Z", "B"])
        #expect(error.problems[1].column == 11)
    }
}

@Suite struct ExplorationTests {
    @Test func probabilitiesAreExact() throws {
        #expect(try ExplorationPolicy.greedy.probabilities(scores: [3, 1, 0]) == [1, 0, 0])
        let epsilon = try ExplorationPolicy.epsilonGreedy(epsilon: 0.3).probabilities(scores: [3, 1, 0])
        #expect(zip(epsilon, [0.8, 0.1, 0.1]).allSatisfy { abs($0 - $1) < 1e-15 })
        let softmax = try ExplorationPolicy.softmax(temperature: 2).probabilities(scores: [2 * log(2.0), 0])
        #expect(abs(softmax[0] - 2.0 / 3) < 1e-15 && abs(softmax[1] - 1.0 / 3) < 1e-15)
        #expect(throws: DecisioningError.self) { try ExplorationPolicy.epsilonGreedy(epsilon: 1.5).probabilities(scores: [1]) }
        #expect(throws: DecisioningError.self) { try ExplorationPolicy.softmax(temperature: 0).probabilities(scores: [1]) }
        #expect(throws: DecisioningError.self) { try ExplorationPolicy.softmax(temperature: 1).probabilities(scores: [.nan, 1]) }
    }

    @Test(arguments: [ExplorationPolicy.epsilonGreedy(epsilon: 0.3), .softmax(temperature: 1.5)])
    func choicesFollowTheirPropensities(policy: ExplorationPolicy) throws {
        let model = try ArbitrationTests.model(["B": 0, "C": 0, "D": 0])
        let recommendation = try Arbitrator(catalog: ArbitrationTests.catalog(), model: model, outputNames: ["churn"])
            .recommend(features: [0, 0], outputs: [0], suppressedChannels: ["push"], now: 0)
        var generator = SplitMix64(seed: 42)
        let draws = 40_000
        var counts = [String: Int]()
        var expected = [String: Double]()
        for _ in 0..<draws {
            let choice = try recommendation.choose(policy, using: &generator)
            counts[choice.action.actionID, default: 0] += 1
            expected[choice.action.actionID] = choice.propensity
            let index = recommendation.ranked.firstIndex(of: choice.action)!
            #expect(choice.probabilities[index] == choice.propensity)
        }
        for (id, p) in expected {
            let sd = (p * (1 - p) / Double(draws)).squareRoot()
            let frequency = Double(counts[id]!) / Double(draws)
            #expect(abs(frequency - p) < 5 * sd, "\(id): frequency \(frequency), propensity \(p) (seed 42)")
        }
    }
}

@Suite struct OffPolicyEvaluationTests {
    static let logged = LoggedDecisions(actions: [0, 1, 1, 0], propensities: [0.5, 0.25, 0.75, 0.5], rewards: [1, 0, 1, 0], actionCount: 2)
    static let rewardModel = try! Matrix(rows: 4, columns: 2, rowMajor: [0.2, 0.6, 0.1, 0.3, 0.5, 0.5, 0.4, 0.9])

    @Test func deterministicTargetByHand() throws {
        // Always action 1: weights 0, 4, 4/3, 0.
        // IPS = (4/3 · 1)/4 = 1/3; SNIPS = (4/3)/(16/3) = 1/4;
        // DR = (0.6 + (0.3 + 4·(0 − 0.3)) + (0.5 + 4/3·(1 − 0.5)) + 0.9)/4 = 53/120; ESS = (16/3)²/(16 + 16/9) = 1.6.
        let e = try OffPolicyEvaluation.estimate(
            Self.logged, targetActions: [1, 1, 1, 1], rewardModel: Self.rewardModel, configuration: .init(replicates: 0))
        #expect(abs(e.inversePropensity.value - 1.0 / 3) < 1e-15)
        #expect(abs(e.selfNormalizedInversePropensity.value - 0.25) < 1e-15)
        #expect(abs(e.doublyRobust!.value - 53.0 / 120) < 1e-15)
        #expect(abs(e.effectiveSampleSize - 1.6) < 1e-12)
        #expect(e.inversePropensity.lower == e.inversePropensity.value && e.rows == 4)
    }

    @Test func stochasticTargetByHand() throws {
        // π = (1/2, 1/2) everywhere: weights 1, 2, 2/3, 1. IPS = (1 + 2/3)/4 = 5/12; SNIPS = (5/3)/(14/3) = 5/14;
        // DR: direct terms 0.4, 0.2, 0.5, 0.65; corrections 1·(1−0.2), 2·(0−0.3), 2/3·(1−0.5), 1·(0−0.4):
        // (1.2 − 0.4 + 5/6 + 0.25)/4 = 113/240.
        let half = Matrix(rows: 4, columns: 2, repeating: 0.5)
        let e = try OffPolicyEvaluation.estimate(
            Self.logged, targetProbabilities: half, rewardModel: Self.rewardModel, configuration: .init(replicates: 0))
        #expect(abs(e.inversePropensity.value - 5.0 / 12) < 1e-15)
        #expect(abs(e.selfNormalizedInversePropensity.value - 5.0 / 14) < 1e-15)
        #expect(abs(e.doublyRobust!.value - 113.0 / 240) < 1e-15)
    }

    @Test func bootstrapIsSeededAndBadInputThrows() throws {
        let a = try OffPolicyEvaluation.estimate(Self.logged, targetActions: [1, 0, 1, 0], configuration: .init(replicates: 200, seed: 7))
        let b = try OffPolicyEvaluation.estimate(Self.logged, targetActions: [1, 0, 1, 0], configuration: .init(replicates: 200, seed: 7))
        let c = try OffPolicyEvaluation.estimate(Self.logged, targetActions: [1, 0, 1, 0], configuration: .init(replicates: 200, seed: 8))
        #expect(a == b && a != c)
        #expect(a.inversePropensity.lower <= a.inversePropensity.value && a.inversePropensity.value <= a.inversePropensity.upper)
        #expect(a.doublyRobust == nil)
        var bad = Self.logged
        bad.propensities[2] = 1.5
        let error = try #require(throws: DecisioningError.self) { try OffPolicyEvaluation.estimate(bad, targetActions: [0, 0, 0, 0]) }
        #expect(error.code == .invalidPropensity && error.row == 2)
        let unnormalized = Matrix(rows: 4, columns: 2, repeating: 0.6)
        #expect(throws: DecisioningError.self) { try OffPolicyEvaluation.estimate(Self.logged, targetProbabilities: unnormalized) }
        #expect(throws: DecisioningError.self) { try OffPolicyEvaluation.estimate(Self.logged, targetActions: [0, 2, 0, 0]) }
    }

    /// A two-context, three-action bandit with known reward probabilities and a context-dependent logging
    /// policy. The target policy's true value is exact; the mean of many independent estimates must be
    /// within 4 standard errors of it, and the 95% intervals must cover it about 95% of the time.
    @Test func unbiasedOnASyntheticBandit() throws {
        let reward: [[Double]] = [[0.1, 0.3, 0.5], [0.6, 0.2, 0.4]]  // [context][action]
        let logging: [[Double]] = [[0.7, 0.2, 0.1], [0.2, 0.2, 0.6]]
        let target = [2, 0]  // best per context
        let trueValue = 0.5 * 0.5 + 0.5 * 0.6
        var generator = SplitMix64(seed: 2026)
        func draw(_ p: [Double]) -> Int {
            let u = generator.uniform()
            var sum = 0.0
            for (k, q) in p.enumerated() {
                sum += q
                if u < sum { return k }
            }
            return p.count - 1
        }
        let logs = 120, n = 1_000
        var ips: [Double] = [], snips: [Double] = [], dr: [Double] = []
        var covered = [0, 0, 0]
        for run in 0..<logs {
            var actions: [Int] = [], propensities: [Double] = [], rewards: [Double] = [], targets: [Int] = []
            var q: [Double] = []
            for _ in 0..<n {
                let x = generator.below(2)
                let a = draw(logging[x])
                actions.append(a)
                propensities.append(logging[x][a])
                rewards.append(generator.uniform() < reward[x][a] ? 1 : 0)
                targets.append(target[x])
                q += [0.5, 0.5, 0.5]  // a deliberately wrong reward model: DR stays unbiased
            }
            let e = try OffPolicyEvaluation.estimate(
                LoggedDecisions(actions: actions, propensities: propensities, rewards: rewards, actionCount: 3),
                targetActions: targets, rewardModel: Matrix(rows: n, columns: 3, rowMajor: q),
                configuration: .init(replicates: 200, seed: UInt64(run)))
            for (k, estimate) in [e.inversePropensity, e.selfNormalizedInversePropensity, e.doublyRobust!].enumerated()
            where estimate.lower <= trueValue && trueValue <= estimate.upper {
                covered[k] += 1
            }
            ips.append(e.inversePropensity.value)
            snips.append(e.selfNormalizedInversePropensity.value)
            dr.append(e.doublyRobust!.value)
        }
        for (name, values) in [("IPS", ips), ("SNIPS", snips), ("DR", dr)] {
            let mean = values.reduce(0, +) / Double(logs)
            let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(logs - 1)).squareRoot()
            #expect(abs(mean - trueValue) < 4 * sd / Double(logs).squareRoot(), "\(name): mean \(mean), true \(trueValue), sd \(sd)")
        }
        for (k, count) in covered.enumerated() {
            // 95% nominal; with 120 runs, 105...120 is the binomial's central 99.9%.
            #expect(count >= 105, "estimator \(k): covered \(count) of \(logs)")
        }
    }
}
