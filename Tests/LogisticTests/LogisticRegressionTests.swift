import Foundation
import Linalg
import Logistic
import Testing

@Suite struct ReferenceTests {
    @Test(arguments: [1.0, 0.1])
    func matchesSklearn(c: Double) throws {
        let (reference, x, y) = try Reference.load()
        let expected = try #require(reference.sklearn.first { $0.C == c })
        let fit = try LogisticRegression.fit(
            x, labels: y, configuration: .init(l2Penalty: 1 / c, tolerance: 1e-10, maxIterations: 100))
        #expect(fit.report.converged)
        #expect(!fit.report.separationDetected)
        #expect(fit.report.iterations < 20)
        #expect(fit.report.inference == nil)
        let worst = expectClose(
            [fit.model.intercept] + fit.model.coefficients, [expected.intercept] + expected.coefficients,
            absoluteTolerance: 1e-6)
        print("sklearn C=\(c) (seed \(reference.seed)): max |Δ| = \(worst)")
    }

    @Test func matchesStatsmodels() throws {
        let (reference, x, y) = try Reference.load()
        let expected = reference.statsmodels
        let fit = try LogisticRegression.fit(x, labels: y, configuration: .init(l2Penalty: 0))
        #expect(fit.report.converged)
        #expect(fit.report.hessianRidge == 0)
        let inference = try #require(fit.report.inference)
        let intercept = try #require(inference.intercept)
        let params = expectClose(
            [fit.model.intercept] + fit.model.coefficients, [expected.intercept] + expected.coefficients,
            absoluteTolerance: 1e-6)
        let se = expectClose(
            [intercept.standardError] + inference.coefficients.map(\.standardError),
            [expected.interceptStandardError] + expected.standardErrors, absoluteTolerance: 1e-6)
        let z = expectClose(
            [intercept.z] + inference.coefficients.map(\.z), [expected.interceptZ] + expected.zScores,
            absoluteTolerance: 1e-6)
        let p = expectClose(
            [intercept.pValue] + inference.coefficients.map(\.pValue),
            [expected.interceptPValue] + expected.pValues, absoluteTolerance: 1e-6)
        #expect(abs(fit.report.logLikelihood - expected.logLikelihood) < 1e-8)
        #expect(inference.coefficients.map(\.estimate) == fit.model.coefficients)
        print("statsmodels: max |Δ| params \(params), se \(se), z \(z), p \(p)")
    }
}

@Suite struct ExactCaseTests {
    /// A binary feature: the MLE reproduces each group's rate, so β₀ = logit(1/3), β₁ = logit(2/3) − logit(1/3),
    /// Var β₀ = 1/(n₀p₀q₀) = 3/2, Var β₁ = 1/(n₀p₀q₀) + 1/(n₁p₁q₁) = 3.
    @Test func binaryFeatureClosedForm() throws {
        let x = try matrix([[0], [0], [0], [1], [1], [1]])
        let fit = try LogisticRegression.fit(x, labels: [1, 0, 0, 1, 1, 0], configuration: .init(l2Penalty: 0))
        #expect(fit.report.converged)
        #expect(abs(fit.model.intercept - -log(2)) < 1e-12)
        #expect(abs(fit.model.coefficients[0] - 2 * log(2)) < 1e-12)
        let inference = try #require(fit.report.inference)
        #expect(abs(try #require(inference.intercept).standardError - 1.5.squareRoot()) < 1e-12)
        #expect(abs(inference.coefficients[0].standardError - 3.0.squareRoot()) < 1e-12)
        #expect(abs(fit.model.probability([1]) - 2.0 / 3) < 1e-12)
    }

    /// Two points per class, mirrored: (x, y) and (−x, 1 − y), with labels alternating along x (not even
    /// quasi-separable) ⇒ intercept 0 for any penalty. (The 2-D mirrored set [[1, .5], [-1, -.5], [-.5, 1],
    /// [.5, -1], [2, 1], [-2, -1]] looks similar but is quasi-separated, and the fit rightly flags it.)
    @Test(arguments: [0.0, 1.0]) func symmetricDataHasZeroIntercept(penalty: Double) throws {
        let x = try matrix([[-2], [-1], [1], [2]])
        let fit = try LogisticRegression.fit(x, labels: [0, 1, 0, 1], configuration: .init(l2Penalty: penalty))
        #expect(!fit.report.separationDetected)
        #expect(fit.report.converged)
        #expect(abs(fit.model.intercept) < 1e-12)
        #expect(fit.model.coefficients.allSatisfy { $0.isFinite })
        #expect(abs(fit.model.probability([0]) - 0.5) < 1e-12)
    }

    @Test func quasiSeparationIsFlagged() throws {
        let x = try matrix([[1, 0.5], [-1, -0.5], [-0.5, 1], [0.5, -1], [2, 1], [-2, -1]])
        let fit = try LogisticRegression.fit(x, labels: [0, 1, 0, 1, 1, 0], configuration: .init(l2Penalty: 0))
        #expect(fit.report.separationDetected)
        #expect(fit.report.separationMessage?.hasPrefix("2 of 6") == true)
    }

    @Test func noInterceptAndNoFeaturesIsOneHalf() throws {
        let x = Matrix(rows: 3, columns: 0, repeating: 0)
        let fit = try LogisticRegression.fit(x, labels: [0, 1, 1], configuration: .init(l2Penalty: 0))
        // Intercept only: logit of the mean.
        #expect(abs(fit.model.intercept - log(2)) < 1e-12)
        let none = try LogisticRegression.fit(x, labels: [0, 1, 1], configuration: .init(fitIntercept: false))
        #expect(none.model.intercept == 0 && none.report.converged && none.report.iterations == 0)
    }
}

@Suite struct DegenerateDataTests {
    let separable = try! matrix([[-2, 1], [-1, 0.3], [-0.5, -1], [0.5, 2], [1, 0], [3, -0.7]])
    let separableLabels: [Double] = [0, 0, 0, 1, 1, 1]

    @Test func separableUnpenalizedIsFlagged() throws {
        let fit = try LogisticRegression.fit(separable, labels: separableLabels, configuration: .init(l2Penalty: 0))
        #expect(fit.report.separationDetected)
        #expect(!fit.report.converged)
        #expect(fit.report.separationMessage?.contains("separated") == true)
        #expect(fit.report.inference == nil)
        #expect(fit.model.coefficients.allSatisfy { $0.isFinite })
    }

    @Test func separablePenalizedConverges() throws {
        let fit = try LogisticRegression.fit(separable, labels: separableLabels, configuration: .init(l2Penalty: 1))
        #expect(fit.report.converged)
        #expect(!fit.report.separationDetected)
        #expect(fit.report.gradientNorm <= 1e-10)
    }

    @Test func allZeroLabels() throws {
        let labels = [Double](repeating: 0, count: 6)
        let unpenalized = try LogisticRegression.fit(separable, labels: labels, configuration: .init(l2Penalty: 0))
        #expect(unpenalized.report.separationDetected)
        #expect(unpenalized.report.separationMessage?.contains("one class") == true)
        // The intercept is unpenalized, so it still diverges.
        let penalized = try LogisticRegression.fit(separable, labels: labels, configuration: .init(l2Penalty: 1))
        #expect(penalized.report.separationDetected)
        #expect(penalized.model.intercept < -10)
        // Without an intercept, the penalty keeps everything finite.
        let noIntercept = try LogisticRegression.fit(
            separable, labels: labels, configuration: .init(l2Penalty: 1, fitIntercept: false))
        #expect(noIntercept.report.converged)
        #expect(!noIntercept.report.separationDetected)
    }

    /// Appends columns to the first 80 rows of the reference data.
    func augmented(_ extra: (Int, [Double]) -> [Double]) throws -> (Matrix, Matrix, [Double]) {
        let (_, x, y) = try Reference.load()
        let n = 80
        var base: [[Double]] = []
        for i in 0..<n {
            base.append((0..<x.columns).map { x[i, $0] })
        }
        let wide = try matrix(base.enumerated().map { $0.element + extra($0.offset, $0.element) })
        return (try matrix(base), wide, Array(y[0..<n]))
    }

    @Test(arguments: ["constant", "collinear"])
    func redundantColumns(kind: String) throws {
        let (x, wide, y) = try augmented { _, row in
            kind == "constant" ? [3.0] : [row[0] + 2 * row[1]]
        }
        let penalized = try LogisticRegression.fit(wide, labels: y, configuration: .init(l2Penalty: 1))
        #expect(penalized.report.converged)
        #expect(penalized.report.hessianRidge == 0)

        let fit = try LogisticRegression.fit(wide, labels: y, configuration: .init(l2Penalty: 0))
        #expect(fit.report.converged)
        #expect(fit.report.hessianRidge > 0)
        #expect(fit.report.notes.contains { $0.contains("ridge") })
        #expect(fit.report.inference == nil)
        #expect(fit.report.notes.contains { $0.contains("no standard errors") })
        // The fitted probabilities are those of the full-rank fit.
        let reduced = try LogisticRegression.fit(x, labels: y, configuration: .init(l2Penalty: 0))
        expectClose(try fit.model.probabilities(wide), try reduced.model.probabilities(x), absoluteTolerance: 1e-7)
        #expect(abs(fit.report.logLikelihood - reduced.report.logLikelihood) < 1e-9)
    }
}

@Suite struct WeightTests {
    @Test(arguments: [0.0, 1.0])
    func integerWeightsEqualReplicatedRows(penalty: Double) throws {
        let (_, x, y) = try Reference.load()
        let n = 120
        var weights: [Double] = []
        var replicated: [[Double]] = []
        var replicatedLabels: [Double] = []
        var rows: [[Double]] = []
        for i in 0..<n {
            let w = Double(i % 4)  // 0, 1, 2, 3: a zero weight drops the row
            let row = (0..<x.columns).map { x[i, $0] }
            rows.append(row)
            weights.append(w)
            for _ in 0..<Int(w) {
                replicated.append(row)
                replicatedLabels.append(y[i])
            }
        }
        let weighted = try LogisticRegression.fit(
            try matrix(rows), labels: Array(y[0..<n]),
            configuration: .init(l2Penalty: penalty, sampleWeights: weights))
        let copies = try LogisticRegression.fit(
            try matrix(replicated), labels: replicatedLabels, configuration: .init(l2Penalty: penalty))
        #expect(weighted.report.converged && copies.report.converged)
        expectClose(
            [weighted.model.intercept] + weighted.model.coefficients,
            [copies.model.intercept] + copies.model.coefficients, absoluteTolerance: 1e-9)
        if penalty == 0 {
            let a = try #require(weighted.report.inference)
            let b = try #require(copies.report.inference)
            expectClose(
                a.coefficients.map(\.standardError), b.coefficients.map(\.standardError), absoluteTolerance: 1e-9)
        }
    }
}

@Suite struct ValidationTests {
    let x = try! matrix([[1, 2], [3, 4], [5, 6]])

    @Test func shapeMismatch() throws {
        #expect { try LogisticRegression.fit(x, labels: [0, 1]) } throws: { error in
            (error as? LogisticError)?.code == .dimensionMismatch
                && (error as? LogisticError)?.message.contains("labels has 2 elements but x has 3 rows") == true
        }
        #expect { try LogisticRegression.fit(x, labels: [0, 1, 0], configuration: .init(sampleWeights: [1])) }
            throws: { ($0 as? LogisticError)?.code == .dimensionMismatch }
    }

    @Test func invalidLabel() throws {
        #expect { try LogisticRegression.fit(x, labels: [0, 2, 1]) } throws: { error in
            let e = error as? LogisticError
            return e?.code == .invalidLabel && e?.position?.row == 1 && e?.message.contains("labels[1] is 2.0") == true
        }
    }

    @Test func nanInFeatures() throws {
        var bad = x
        bad[2, 1] = .nan
        #expect { try LogisticRegression.fit(bad, labels: [0, 1, 1]) } throws: { error in
            let e = error as? LogisticError
            return e?.code == .notFinite && e?.position == .init(row: 2, column: 1)
        }
    }

    @Test func reportsEveryProblemAtOnce() throws {
        #expect {
            try LogisticRegression.fit(x, labels: [0, 1], configuration: .init(l2Penalty: -1, tolerance: 0))
        } throws: { error in
            let message = (error as? LogisticError)?.message ?? ""
            return message.contains("labels has 2") && message.contains("l2Penalty must be finite and ≥ 0, got -1.0")
                && message.contains("tolerance")
        }
    }

    @Test func scoringWrongWidth() throws {
        let model = LogisticModel(intercept: 0, coefficients: [1, 2, 3])
        #expect(throws: LogisticError.self) { try model.probabilities(x) }
    }
}

@Suite struct ModelTests {
    @Test func batchEqualsOneByOneAndCodableRoundTrips() throws {
        let (_, x, y) = try Reference.load()
        let fit = try LogisticRegression.fit(x, labels: y)
        let batch = try fit.model.probabilities(x)
        for i in 0..<x.rows {
            let row = (0..<x.columns).map { x[i, $0] }
            #expect(abs(batch[i] - fit.model.probability(row)) < 1e-14)
        }
        let data = try JSONEncoder().encode(fit.model)
        let decoded = try JSONDecoder().decode(LogisticModel.self, from: data)
        #expect(decoded == fit.model)
        #expect(try decoded.probabilities(x) == batch)
        // Refit gives the same model.
        #expect(try LogisticRegression.fit(x, labels: y).model == fit.model)
    }

    @Test func objectiveNeverIncreases() throws {
        let (_, x, y) = try Reference.load()
        var previous = Double.infinity
        for steps in 0...8 {
            let fit = try LogisticRegression.fit(
                x, labels: y, configuration: .init(l2Penalty: 0, maxIterations: steps))
            #expect(fit.report.iterations <= steps)
            #expect(fit.report.objective <= previous)
            previous = fit.report.objective
        }
    }

    @Test func extremeLinearPredictorsStayFinite() {
        let model = LogisticModel(intercept: 0, coefficients: [1])
        #expect(model.probability([800]) == 1)
        #expect(model.probability([-800]) == 0)
        #expect(model.probability([0]) == 0.5)
    }

    @Test func configurationDefaults() throws {
        let c = LogisticRegression.Configuration()
        #expect(c.l2Penalty == 1 && c.fitIntercept && c.sampleWeights == nil)
        #expect(c.tolerance == 1e-10 && c.maxIterations == 100)
        let decoded = try JSONDecoder().decode(
            LogisticRegression.Configuration.self, from: JSONEncoder().encode(c))
        #expect(decoded == c)
    }
}
