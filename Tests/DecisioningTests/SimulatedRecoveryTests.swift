import Decisioning
import Foundation
import Journeys
import Linalg
import Simulation
import Testing

/// The decision points of a simulated log: one per journey (its first touch, where the logging policy
/// drew an action with a recorded propensity), with the journey's outcome and simple customer features.
struct SimulatedDecisions {
    /// Segment and region indicators (reference coding: the first segment and the first region are the
    /// baseline, so the columns are not collinear with the intercept), tenure in years, ln(customer_value / 100).
    static func featureNames(_ segments: [String], _ regions: [String]) -> [String] {
        segments.dropFirst().map { "segment=\($0)" } + regions.dropFirst().map { "region=\($0)" }
            + ["tenure_years", "log_value_100"]
    }

    var featureNames: [String]
    var features: Matrix
    var segments: [Int]
    var actions: [String]
    var propensities: [Double]
    var outcomes: [Double]
    var truth: SimulationTruth
    var count: Int { outcomes.count }

    /// Simulates `customers` customers with `seed` (the default planted world otherwise) and reads the CSV.
    ///
    /// The CSV is parsed here, by hand, rather than by `Journeys`: the simulator writes no quotes, and the
    /// `journey` column says which rows form one journey, so the outcome is "a purchase row in the same
    /// customer's same journey".
    static func simulate(customers: Int, seed: UInt64) throws -> SimulatedDecisions {
        var configuration = SimulationConfiguration()
        configuration.customers = customers
        configuration.seed = seed
        let (csv, truth) = try Simulator.csv(configuration, threads: 2)
        let segmentNames = configuration.segments.map(\.name)
        let regionNames = configuration.regions.map(\.name)
        let names = featureNames(segmentNames, regionNames)
        var rowMajor: [Double] = []
        var segments: [Int] = [], actions: [String] = [], propensities: [Double] = [], outcomes: [Double] = []
        var currentKey: (customer: ArraySlice<UInt8>, journey: ArraySlice<UInt8>)?

        // Byte-level split: the simulator writes no quotes, so fields are the bytes between commas.
        var lines: [Range<Int>] = []
        var lineStart = 0
        for k in csv.indices where csv[k] == UInt8(ascii: "\n") {
            if k > lineStart { lines.append(lineStart..<k) }
            lineStart = k + 1
        }
        func fields(_ line: Range<Int>) -> [ArraySlice<UInt8>] {
            csv[line].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        }
        func string(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
        let header = fields(lines[0]).map(string)
        func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name), "column \(name)") }
        let (customerColumn, eventColumn, actionColumn, propensityColumn) = (
            try column("customer_id"), try column("event"), try column("action"), try column("propensity")
        )
        let (segmentColumn, regionColumn, tenureColumn, valueColumn, journeyColumn) = (
            try column("segment"), try column("region"), try column("tenure_days"), try column("customer_value"),
            try column("journey")
        )
        let segmentBytes = segmentNames.map { Array($0.utf8) }
        let regionBytes = regionNames.map { Array($0.utf8) }
        let purchase = Array("purchase".utf8)
        for line in lines.dropFirst() {
            let fields = fields(line)
            let key = (fields[customerColumn], fields[journeyColumn])
            if !fields[propensityColumn].isEmpty {
                // A decision point: the first touch of a journey.
                currentKey = key
                let segment = try #require(segmentBytes.firstIndex { $0.elementsEqual(fields[segmentColumn]) })
                let region = try #require(regionBytes.firstIndex { $0.elementsEqual(fields[regionColumn]) })
                var row = [Double](repeating: 0, count: names.count)
                if segment > 0 { row[segment - 1] = 1 }
                if region > 0 { row[segmentNames.count - 1 + region - 1] = 1 }
                row[names.count - 2] = try #require(Double(string(fields[tenureColumn]))) / 365
                row[names.count - 1] = log(try #require(Double(string(fields[valueColumn]))) / 100)
                rowMajor += row
                segments.append(segment)
                actions.append(string(fields[actionColumn]))
                propensities.append(try #require(Double(string(fields[propensityColumn]))))
                outcomes.append(0)
            } else {
                let current = try #require(currentKey)
                #expect(current.customer == key.0 && current.journey == key.1, "a journey's rows are contiguous")
            }
            if fields[eventColumn].elementsEqual(purchase) { outcomes[outcomes.count - 1] = 1 }
        }
        #expect(outcomes.count == truth.decisionPoints)
        #expect(Int(outcomes.reduce(0, +)) == truth.conversions)
        return SimulatedDecisions(
            featureNames: names, features: try Matrix(rows: outcomes.count, columns: names.count, rowMajor: rowMajor),
            segments: segments, actions: actions, propensities: propensities, outcomes: outcomes, truth: truth)
    }

    /// The exact value (expected conversions per decision point, in the contexts of this run) of the policy
    /// that takes decision `policy[s]` (index into `truth.decisions`) at every decision point of segment `s`.
    ///
    /// From the truth: Σ over segment s of P(convert | none) summed over its points (noActionValue × customers)
    /// plus averageEffects[a] × decisionPoints, over all decision points. See `SimulationTruth.valueDefinition`.
    func trueValue(segmentPolicy policy: [Int]) -> Double {
        var total = 0.0
        for (s, segment) in truth.segments.enumerated() {
            total += segment.noActionValue * Double(segment.customers)
                + segment.averageEffects[policy[s]] * Double(segment.decisionPoints)
        }
        return total / Double(truth.decisionPoints)
    }

    /// The logging policy's exact value per decision point.
    var loggingValue: Double { truth.loggingValue * Double(truth.customers) / Double(truth.decisionPoints) }
}

@Suite struct SimulatedRecoveryTests {
    /// The issue's must-show: learn a policy from one simulated log (biased logging, planted heterogeneous
    /// effects), then on an independent log of the same world (another sampling seed) check its true value
    /// against the oracle, every single-action policy and the logging policy, and check that the off-policy
    /// estimates' 95% intervals cover the true values.
    ///
    /// Sizes: 20,000 training customers (~135k decision points). With 6,000 the T-learner's region
    /// coefficients (region is not an effect modifier in the simulator) are noisy enough to pick another
    /// action in some regions of a segment on some seeds, which this test's exact true value (one action
    /// per segment) cannot score.
    @Test func learnedPolicyRecoversThePlantedEffects() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let training = try SimulatedDecisions.simulate(customers: 20_000, seed: 11)
        let evaluation = try SimulatedDecisions.simulate(customers: 6_000, seed: 1_000_011)
        let simulated = clock.now
        let decisions = training.truth.decisions  // "none", then the action ids
        let actionIDs = Array(decisions.dropFirst())

        let fit = try UpliftLearner.fit(
            UpliftTrainingData(
                features: training.features, featureNames: training.featureNames, actionIDs: actionIDs,
                loggedActions: training.actions, outcomes: training.outcomes, propensities: training.propensities))
        for arm in fit.report.arms {
            #expect(arm.kind == .separate && arm.converged, "\(arm)")
        }
        #expect(fit.report.skippedRows.isEmpty)
        let fitted = clock.now

        // The learned policy on the evaluation log: the arm with the largest predicted conversion probability.
        let probabilities = try fit.model.probabilities(evaluation.features)
        let armCount = decisions.count
        var learned = [Int](repeating: 0, count: evaluation.count)
        for i in 0..<evaluation.count {
            var best = 0
            for a in 1..<armCount where probabilities[i, a] > probabilities[i, best] { best = a }
            learned[i] = best
        }
        // Planted effects are logit shifts per segment, so the best action is the same for every customer of a
        // segment; the learned policy must be too (that is also what makes its true value exactly computable).
        var segmentPolicy: [Int] = []
        for s in evaluation.truth.segments.indices {
            let chosen = Set(evaluation.segments.indices.filter { evaluation.segments[$0] == s }.map { learned[$0] })
            #expect(chosen.count == 1, "segment \(s) gets several actions: \(chosen.sorted().map { decisions[$0] })")
            segmentPolicy.append(chosen.min()!)
        }
        let oracle = evaluation.truth.segments.map { decisions.firstIndex(of: $0.bestAction)! }
        let learnedValue = evaluation.trueValue(segmentPolicy: segmentPolicy)
        let oracleValue = evaluation.trueValue(segmentPolicy: oracle)
        let noneValue = evaluation.trueValue(segmentPolicy: [0, 0, 0])
        // Cross-check the value arithmetic against the truth's own oracle value.
        let truthOracle = evaluation.truth.oracleValue * Double(evaluation.truth.customers) / Double(evaluation.truth.decisionPoints)
        #expect(abs(oracleValue - truthOracle) < 1e-12)

        let singleValues = (0..<armCount).map { a in evaluation.trueValue(segmentPolicy: [a, a, a]) }
        print("""
            recovery: learned per segment \(segmentPolicy.map { decisions[$0] }), oracle \(oracle.map { decisions[$0] })
            recovery: true value per decision point: learned \(learnedValue), oracle \(oracleValue), logging \(evaluation.loggingValue), \
            none \(noneValue), single actions \(zip(decisions, singleValues).map { "\($0)=\($1)" })
            recovery: learned/oracle = \(learnedValue / oracleValue), incremental (learned − none)/(oracle − none) = \
            \((learnedValue - noneValue) / (oracleValue - noneValue))
            recovery: \(training.count) training and \(evaluation.count) evaluation decision points; simulate+parse \
            \(simulated - start), fit \(fitted - simulated)
            """)
        // The interaction learner (one model, action-by-feature interactions) must find the same policy.
        let interactions = try UpliftLearner.fit(
            UpliftTrainingData(
                features: training.features, featureNames: training.featureNames, actionIDs: actionIDs,
                loggedActions: training.actions, outcomes: training.outcomes, propensities: training.propensities),
            configuration: .init(learner: .interactions))
        let interactionProbabilities = try interactions.model.probabilities(evaluation.features)
        var disagreements = 0
        for i in 0..<evaluation.count {
            var best = 0
            for a in 1..<armCount where interactionProbabilities[i, a] > interactionProbabilities[i, best] { best = a }
            if best != oracle[evaluation.segments[i]] { disagreements += 1 }
        }
        #expect(disagreements == 0, "the interaction learner departs from the oracle at \(disagreements) decision points")

        #expect(learnedValue >= 0.9 * oracleValue)
        #expect(learnedValue - noneValue >= 0.9 * (oracleValue - noneValue))
        for (a, value) in singleValues.enumerated() {
            #expect(learnedValue > value, "learned \(learnedValue) vs always \(decisions[a]) \(value)")
        }
        #expect(learnedValue > evaluation.loggingValue)

        // Off-policy estimates on the evaluation log, with the T-learner as the DR reward model.
        let logged = LoggedDecisions(
            actions: evaluation.actions.map { decisions.firstIndex(of: $0.isEmpty ? "none" : $0)! },
            propensities: evaluation.propensities, rewards: evaluation.outcomes, actionCount: armCount)
        let configuration = OffPolicyEvaluation.Configuration(replicates: 200, seed: 5)
        var policies: [(name: String, trueValue: Double, estimates: PolicyValueEstimates)] = []
        policies.append(("learned", learnedValue,
            try OffPolicyEvaluation.estimate(logged, targetActions: learned, rewardModel: probabilities, configuration: configuration)))
        var loggingProbabilities = [Double](repeating: 0, count: evaluation.count * armCount)
        for i in 0..<evaluation.count {
            for a in 0..<armCount {
                loggingProbabilities[i + a * evaluation.count] = evaluation.truth.segments[evaluation.segments[i]].propensities[a]
            }
        }
        policies.append(("logging", evaluation.loggingValue,
            try OffPolicyEvaluation.estimate(
                logged, targetProbabilities: Matrix(rows: evaluation.count, columns: armCount, columnMajor: loggingProbabilities),
                rewardModel: probabilities, configuration: configuration)))
        for a in 0..<armCount {
            policies.append(("always \(decisions[a])", singleValues[a],
                try OffPolicyEvaluation.estimate(
                    logged, targetActions: Array(repeating: a, count: evaluation.count), rewardModel: probabilities,
                    configuration: configuration)))
        }
        var misses: [String] = []
        for policy in policies {
            let e = policy.estimates
            for (name, estimate) in [("IPS", e.inversePropensity), ("SNIPS", e.selfNormalizedInversePropensity), ("DR", e.doublyRobust!)] {
                let covers = estimate.lower <= policy.trueValue && policy.trueValue <= estimate.upper
                print("recovery OPE: \(policy.name) \(name) \(estimate.value) [\(estimate.lower), \(estimate.upper)] true \(policy.trueValue) \(covers ? "covered" : "MISSED")")
                if !covers { misses.append("\(policy.name) \(name)") }
            }
        }
        #expect(misses.isEmpty, "intervals missing the true value: \(misses)")
        print("recovery: total \(clock.now - start)")
    }
}
