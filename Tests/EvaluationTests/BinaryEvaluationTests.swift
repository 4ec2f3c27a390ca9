#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Evaluation
import Testing

/// `|a − b| ≤ tolerance · max(|a|, |b|)`, or both exactly equal.
func isClose(_ a: Double, _ b: Double, relativeTolerance tolerance: Double = 1e-12) -> Bool {
    a == b || abs(a - b) <= tolerance * max(abs(a), abs(b))
}

/// Small seeded generator (SplitMix64) so test data is reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct ReferenceTests {
    @Test(arguments: Reference.cases)
    func matchesScikitLearn(reference: ReferenceCase) throws {
        let eval = try BinaryEvaluation(scores: reference.scores, labels: reference.labels, weights: reference.weights)
        let roc = try #require(eval.rocAUC)
        let ap = try #require(eval.prAUC)
        #expect(isClose(roc, reference.rocAUC), "rocAUC \(roc) vs sklearn \(reference.rocAUC)")
        #expect(isClose(ap, reference.averagePrecision), "prAUC \(ap) vs sklearn \(reference.averagePrecision)")
        let logLoss = try eval.logLoss()
        #expect(isClose(logLoss, reference.logLoss), "logLoss \(logLoss) vs sklearn \(reference.logLoss)")
        let brier = try eval.brierScore()
        #expect(isClose(brier, reference.brierScore), "brier \(brier) vs sklearn \(reference.brierScore)")
        if let calibration = reference.calibration {
            let bins = eval.calibration()
            try #require(bins.count == calibration.observedRate.count)
            for (k, bin) in bins.enumerated() {
                #expect(bin.count == reference.scores.count / 10)
                #expect(isClose(bin.observedRate, calibration.observedRate[k]), "bin \(k) observed rate")
                #expect(isClose(bin.meanPredicted, calibration.meanPredicted[k]), "bin \(k) mean predicted")
            }
        }
    }
}

@Suite struct RankingTests {
    @Test func perfectRanking() throws {
        let eval = try BinaryEvaluation(scores: [0.1, 0.2, 0.8, 0.9], labels: [false, false, true, true])
        #expect(eval.rocAUC == 1)
        #expect(eval.prAUC == 1)
    }

    @Test func invertedRanking() throws {
        let eval = try BinaryEvaluation(scores: [0.9, 0.8, 0.2, 0.1], labels: [false, false, true, true])
        #expect(eval.rocAUC == 0)
        // Thresholds 0.9, 0.8 add no recall; 0.2: P = 1/3, ΔR = 1/2; 0.1: P = 1/2, ΔR = 1/2.
        #expect(isClose(try #require(eval.prAUC), 5.0 / 12))
    }

    @Test func allTiedIsChance() throws {
        let eval = try BinaryEvaluation(scores: [0.3, 0.3, 0.3, 0.3, 0.3], labels: [true, false, false, true, false])
        #expect(eval.rocAUC == 0.5)
        #expect(isClose(try #require(eval.prAUC), 0.4))  // one threshold: precision = base rate
    }

    @Test func threePointTie() throws {
        let eval = try BinaryEvaluation(scores: [0.8, 0.2, 0.8], labels: [true, false, false])
        #expect(eval.rocAUC == 0.75)
        #expect(eval.prAUC == 0.5)
    }

    @Test func rawScoresNeedNotBeProbabilities() throws {
        let eval = try BinaryEvaluation(scores: [-3, 2.5, 7, -1], labels: [false, true, true, false])
        #expect(eval.rocAUC == 1)
        #expect(throws: EvaluationError.self) { try eval.logLoss() }
        do {
            _ = try eval.brierScore()
            Issue.record("expected notProbability")
        } catch let error as EvaluationError {
            #expect(error.code == .notProbability)
            #expect(error.message.contains("[0, 1]"))
        }
    }

    @Test func missingClassGivesNil() throws {
        let onlyNegatives = try BinaryEvaluation(scores: [0.1, 0.5], labels: [false, false])
        #expect(onlyNegatives.rocAUC == nil)
        #expect(onlyNegatives.prAUC == nil)
        #expect(onlyNegatives.lift() == nil)
        let onlyPositives = try BinaryEvaluation(scores: [0.1, 0.5], labels: [true, true])
        #expect(onlyPositives.rocAUC == nil)
        #expect(onlyPositives.prAUC == 1)
        // A class present only with weight 0 counts as missing.
        let zeroWeighted = try BinaryEvaluation(scores: [0.1, 0.5], labels: [true, false], weights: [0, 1])
        #expect(zeroWeighted.rocAUC == nil)
    }

    @Test func weightsActLikeReplicatedRows() throws {
        var rng = SeededGenerator(seed: 20_240_601)
        let n = 150
        let scores = (0..<n).map { _ in Double(Int.random(in: 1...30, using: &rng)) / 31 }  // many ties
        let labels = scores.map { Double.random(in: 0..<1, using: &rng) < $0 }
        let weights = (0..<n).map { _ in Double(Int.random(in: 0...3, using: &rng)) }
        var repScores: [Double] = []
        var repLabels: [Bool] = []
        for i in 0..<n {
            for _ in 0..<Int(weights[i]) {
                repScores.append(scores[i])
                repLabels.append(labels[i])
            }
        }
        let weighted = try BinaryEvaluation(scores: scores, labels: labels, weights: weights)
        let replicated = try BinaryEvaluation(scores: repScores, labels: repLabels)
        #expect(isClose(try #require(weighted.rocAUC), try #require(replicated.rocAUC)))
        #expect(isClose(try #require(weighted.prAUC), try #require(replicated.prAUC)))
        #expect(isClose(try weighted.logLoss(), try replicated.logLoss()))
        #expect(isClose(try weighted.brierScore(), try replicated.brierScore()))
        let (wc, rc) = (weighted.calibration(), replicated.calibration())
        try #require(wc.count == rc.count)
        for (a, b) in zip(wc, rc) {
            #expect(a.weight == b.weight && a.lowestScore == b.lowestScore && a.highestScore == b.highestScore)
            #expect(isClose(a.meanPredicted, b.meanPredicted) && isClose(a.observedRate, b.observedRate))
        }
        let (wl, rl) = (try #require(weighted.lift()), try #require(replicated.lift()))
        try #require(wl.count == rl.count)
        for (a, b) in zip(wl, rl) {
            #expect(a.weight == b.weight && a.positives == b.positives)
            #expect(a.lowestScore == b.lowestScore && a.highestScore == b.highestScore)
            #expect(isClose(a.gains, b.gains) && isClose(a.lift, b.lift))
        }
    }

    @Test func rowOrderIsIrrelevant() throws {
        var rng = SeededGenerator(seed: 7)
        let scores = (0..<100).map { _ in Double(Int.random(in: 0...20, using: &rng)) / 20 }
        let labels = scores.map { _ in Bool.random(using: &rng) }
        let permutation = Array(0..<100).shuffled(using: &rng)
        let a = try BinaryEvaluation(scores: scores, labels: labels)
        let b = try BinaryEvaluation(scores: permutation.map { scores[$0] }, labels: permutation.map { labels[$0] })
        #expect(a.rocAUC == b.rocAUC && a.prAUC == b.prAUC)
        #expect(a.calibration() == b.calibration())
        #expect(a.lift() == b.lift())
    }

    /// Mann–Whitney by brute force over all pairs, O(n²).
    @Test func matchesPairCounting() throws {
        var rng = SeededGenerator(seed: 99)
        let scores = (0..<80).map { _ in Double(Int.random(in: 0...9, using: &rng)) }
        let labels = (0..<80).map { _ in Bool.random(using: &rng) }
        var wins = 0.0
        var pairs = 0.0
        for i in 0..<80 where labels[i] {
            for j in 0..<80 where !labels[j] {
                pairs += 1
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0
            }
        }
        let eval = try BinaryEvaluation(scores: scores, labels: labels)
        #expect(isClose(try #require(eval.rocAUC), wins / pairs))
    }
}

@Suite struct ProbabilityTests {
    @Test func logLossByHand() throws {
        let eval = try BinaryEvaluation(scores: [0.5, 0.8, 0.8], labels: [true, true, false])
        let expected = -(log(0.5) + log(0.8) + log(0.2)) / 3
        #expect(isClose(try eval.logLoss(), expected))
    }

    @Test func logLossClipsCertainMistakes() throws {
        let eval = try BinaryEvaluation(scores: [0, 1], labels: [true, false])
        #expect(isClose(try eval.logLoss(), -log(Double.ulpOfOne)))  // 52·ln 2 ≈ 36.04
        let clipped = 1 - 1e-15  // not exactly 1 − 1e-15, so compute the clipped value as the library does
        #expect(isClose(try eval.logLoss(epsilon: 1e-15), -(log(1e-15) + log(1 - clipped)) / 2))
        let certainAndRight = try BinaryEvaluation(scores: [1, 0], labels: [true, false])
        #expect(try certainAndRight.logLoss() < 1e-15)
    }

    @Test func weightedLogLossAndBrier() throws {
        let eval = try BinaryEvaluation(scores: [0.9, 0.2, 0.6], labels: [true, false, false], weights: [1, 3, 0])
        #expect(isClose(try eval.logLoss(), -(log(0.9) + 3 * log(0.8)) / 4))
        #expect(isClose(try eval.brierScore(), (0.01 + 3 * 0.04) / 4))
    }

    @Test func brierByHand() throws {
        let eval = try BinaryEvaluation(scores: [0.9, 0.2], labels: [true, false])
        #expect(isClose(try eval.brierScore(), 0.025))
    }
}

@Suite struct TableTests {
    @Test func calibrationDecilesWithoutTies() throws {
        let scores = (1...20).map { Double($0) / 21 }
        let labels = (1...20).map { $0 % 2 == 0 }
        let bins = try BinaryEvaluation(scores: scores, labels: labels).calibration()
        #expect(bins.count == 10)
        for (k, bin) in bins.enumerated() {
            #expect(bin.count == 2 && bin.weight == 2)
            #expect(bin.lowestScore == scores[2 * k] && bin.highestScore == scores[2 * k + 1])
            #expect(isClose(bin.meanPredicted, (scores[2 * k] + scores[2 * k + 1]) / 2))
            #expect(bin.observedRate == 0.5)
        }
    }

    @Test func unevenCountsDifferByAtMostOne() throws {
        let scores = (0..<23).map { Double($0) / 23 }
        let bins = try BinaryEvaluation(scores: scores, labels: scores.map { $0 > 0.5 }).calibration()
        #expect(bins.count == 10)
        #expect(bins.map(\.count).reduce(0, +) == 23)
        #expect(Set(bins.map(\.count)).isSubset(of: [2, 3]))
    }

    @Test func calibrationKeepsTiesTogether() throws {
        // Two tied groups of 5: midpoints 2.5 and 7.5 of 10 → bins 2 and 7; the rest are empty and left out.
        let scores = [Double](repeating: 0.1, count: 5) + [Double](repeating: 0.9, count: 5)
        let labels = [true, false, false, false, false, true, true, true, true, false]
        let bins = try BinaryEvaluation(scores: scores, labels: labels).calibration()
        #expect(bins.count == 2)
        #expect(bins[0].count == 5 && bins[0].meanPredicted == 0.1 && bins[0].observedRate == 0.2)
        #expect(bins[1].count == 5 && bins[1].meanPredicted == 0.9 && bins[1].observedRate == 0.8)
        let allTied = try BinaryEvaluation(scores: [0.4, 0.4, 0.4], labels: [true, false, false]).calibration()
        #expect(allTied.count == 1 && allTied[0].count == 3)
    }

    @Test func liftTableByHand() throws {
        let scores = (1...10).map(Double.init)
        let labels = (1...10).map { $0 >= 9 }  // the two highest are positive; base rate 0.2
        let table = try #require(try BinaryEvaluation(scores: scores, labels: labels).lift())
        #expect(table.count == 10)
        #expect(table[0].highestScore == 10 && table[0].positives == 1)
        #expect(table[0].lift == 5 && table[0].gains == 0.5)
        #expect(table[1].lift == 5 && table[1].gains == 1)
        for bin in table[2...] {
            #expect(bin.lift == 0 && bin.gains == 1 && bin.count == 1)
        }
    }

    @Test func liftOfFortyRowsHasFourPerDecile() throws {
        var rng = SeededGenerator(seed: 3)
        let scores = (0..<40).map { _ in Double.random(in: 0..<1, using: &rng) }
        let labels = scores.map { Double.random(in: 0..<1, using: &rng) < $0 }
        let eval = try BinaryEvaluation(scores: scores, labels: labels)
        let table = try #require(eval.lift())
        #expect(table.map(\.count) == Array(repeating: 4, count: 10))
        #expect(zip(table, table.dropFirst()).allSatisfy { $0.lowestScore > $1.highestScore })
        #expect(isClose(try #require(table.last).gains, 1))
        // Lift averages to 1 over equal-weight bins.
        #expect(isClose(table.map(\.lift).reduce(0, +) / 10, 1))
    }
}

@Suite struct ValidationTests {
    @Test func emptyInput() {
        #expect { try BinaryEvaluation(scores: [], labels: []) } throws: { error in
            (error as? EvaluationError)?.code == .emptyInput
        }
    }

    @Test func lengthMismatch() {
        #expect { try BinaryEvaluation(scores: [0.1, 0.2], labels: [true]) } throws: { error in
            guard let error = error as? EvaluationError else { return false }
            return error.code == .lengthMismatch && error.message.contains("2 scores, 1 labels")
        }
        #expect { try BinaryEvaluation(scores: [0.1], labels: [true], weights: [1, 2]) } throws: { error in
            (error as? EvaluationError)?.code == .lengthMismatch
        }
    }

    @Test func nanScore() {
        #expect { try BinaryEvaluation(scores: [0.1, .nan, .infinity], labels: [true, false, true]) } throws: { error in
            guard let error = error as? EvaluationError else { return false }
            return error.code == .invalidScore && error.index == 1 && error.message.contains("2 score(s)")
        }
    }

    @Test func badWeights() {
        #expect { try BinaryEvaluation(scores: [0.1, 0.2], labels: [true, false], weights: [1, -1]) } throws: { e in
            guard let error = e as? EvaluationError else { return false }
            return error.code == .invalidWeight && error.index == 1 && error.message.contains(">= 0")
        }
        #expect { try BinaryEvaluation(scores: [0.1], labels: [true], weights: [.nan]) } throws: { e in
            (e as? EvaluationError)?.code == .invalidWeight
        }
        #expect { try BinaryEvaluation(scores: [0.1, 0.2], labels: [true, false], weights: [0, 0]) } throws: { e in
            (e as? EvaluationError)?.code == .zeroTotalWeight
        }
    }

    @Test func reportsEveryProblemAtOnce() {
        #expect { try BinaryEvaluation(scores: [.nan, 0.2], labels: [true], weights: [-1, 1]) } throws: { e in
            guard let error = e as? EvaluationError else { return false }
            return error.code == .lengthMismatch && error.message.contains("NaN")
                && error.message.contains("negative")
        }
    }
}
