import Foundation
import Linalg
import Testing

@testable import Logistic

/// scikit-learn's elastic-net, balanced and multinomial fits written by `make_reference.py` (see its header
/// to regenerate): `Fixtures/logit-solvers-reference.json`, on `logit-data.csv` and `logit-multinomial.csv`.
struct SolverReference: Decodable {
    struct ElasticNet: Decodable {
        let C: Double
        let l2Penalty: Double
        let l1Ratio: Double
        let intercept: Double
        let coefficients: [Double]
        let objective: Double
        let kktViolation: Double
    }
    struct Balanced: Decodable {
        let C: Double
        let l2Penalty: Double
        let intercept: Double
        let coefficients: [Double]
    }
    struct MultinomialFit: Decodable {
        let intercepts: [Double]
        let coefficients: [[Double]]
        let probabilities: [[Double]]
        let objective: Double
    }
    struct Multinomial: Decodable {
        let C: Double
        let l2Penalty: Double
        let lbfgs: MultinomialFit
        let newtonCholesky: MultinomialFit
    }
    let multinomialN: Int
    let multinomialD: Int
    let elasticNet: [ElasticNet]
    let balanced: [Balanced]
    let multinomial: [Multinomial]

    static func load() throws -> SolverReference {
        let url = try #require(
            Bundle.module.url(forResource: "logit-solvers-reference", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(SolverReference.self, from: Data(contentsOf: url))
    }

    static func multinomialData() throws -> (x: Matrix, classes: [Int]) {
        let url = try #require(
            Bundle.module.url(forResource: "logit-multinomial", withExtension: "csv", subdirectory: "Fixtures"))
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst()
        var rows: [[Double]] = []
        var classes: [Int] = []
        for line in lines {
            let fields = line.split(separator: ",").map(String.init)
            rows.append(try fields.dropLast().map { try #require(Double($0)) })
            classes.append(try #require(Int(fields.last!)))
        }
        return (try matrix(rows), classes)
    }
}

func parameters(_ fit: LogisticFit) -> [Double] {
    [fit.model.intercept] + fit.model.coefficients
}

@Suite struct ElasticNetTests {
    /// saga is a stochastic first-order method, so its coefficients are compared through the objective and
    /// the KKT conditions: Waypoint's pseudo-gradient must be ≤ 1e-9 (the optimum to ~1e-11 in β, since the
    /// Hessian's smallest eigenvalue here is ≳ 10), its objective no larger than saga's plus 1e-9 relative,
    /// and the coefficients within 1e-6 of saga's (whose own KKT violation the fixture records, ≈ 1e-10).
    @Test(arguments: [0, 1, 2])
    func matchesSagaObjectiveAndKKT(index: Int) throws {
        let reference = try SolverReference.load().elasticNet[index]
        let (_, x, y) = try Reference.load()
        let fit = try LogisticRegression.fit(
            x, labels: y, configuration: .init(l2Penalty: reference.l2Penalty, l1Ratio: reference.l1Ratio))
        #expect(fit.report.solver == .owlqn)
        #expect(fit.report.converged)
        #expect(fit.report.gradientNorm <= 1e-9)
        #expect(fit.report.objective <= reference.objective * (1 + 1e-9))
        #expect(abs(fit.report.objective - reference.objective) <= 1e-9 * reference.objective)
        let worst = expectClose(
            parameters(fit), [reference.intercept] + reference.coefficients, absoluteTolerance: 1e-6)
        // The same coefficients are exactly zero.
        #expect(fit.model.coefficients.map { $0 == 0 } == reference.coefficients.map { $0 == 0 })
        // Independent KKT check from the definition: |∂f/∂βⱼ| ≤ λr where βⱼ = 0, = −λr·sign(βⱼ) otherwise.
        let p = try fit.model.probabilities(x)
        let l1 = reference.l2Penalty * reference.l1Ratio
        let l2 = reference.l2Penalty * (1 - reference.l1Ratio)
        for j in 0..<x.columns {
            var g = l2 * fit.model.coefficients[j]
            for i in 0..<x.rows { g += x[i, j] * (p[i] - y[i]) }
            let b = fit.model.coefficients[j]
            if b == 0 {
                #expect(abs(g) <= l1 + 1e-9)
            } else {
                #expect(abs(g + l1 * (b > 0 ? 1 : -1)) <= 1e-9)
            }
        }
        print(
            "elastic net C=\(reference.C) r=\(reference.l1Ratio): max |Δβ| vs saga \(worst), KKT \(fit.report.gradientNorm) "
                + "(saga \(reference.kktViolation)), objective Δ \(fit.report.objective - reference.objective)")
    }

    /// One feature, no intercept: f(β) = Σ softplus(±xᵢβ) has f′(0) = Σ xᵢ(½ − yᵢ), so the lasso solution is
    /// exactly 0 iff λ ≥ |f′(0)| (the subgradient condition), and non-zero just below.
    @Test func lassoThresholdIsExact() throws {
        let xs: [Double] = [0.5, -1, 2, 1.5, -0.3, 0.8]
        let y: [Double] = [1, 0, 1, 0, 0, 1]
        let threshold = abs(zip(xs, y).reduce(0) { $0 + $1.0 * (0.5 - $1.1) })
        let x = try matrix(xs.map { [$0] })
        let above = try LogisticRegression.fit(
            x, labels: y, configuration: .init(l2Penalty: threshold * 1.001, fitIntercept: false, l1Ratio: 1))
        #expect(above.model.coefficients == [0])
        #expect(above.report.converged)
        let below = try LogisticRegression.fit(
            x, labels: y, configuration: .init(l2Penalty: threshold * 0.9, fitIntercept: false, l1Ratio: 1))
        #expect(below.model.coefficients[0] > 0)
        #expect(below.report.converged && below.report.gradientNorm <= 1e-10)
    }

    @Test func l1RatioZeroThroughOWLQNEqualsNewton() throws {
        let (_, x, y) = try Reference.load()
        let newton = try LogisticRegression.fit(x, labels: y, configuration: .init(l2Penalty: 2))
        let forced = try LogisticRegression.fit(x, labels: y, configuration: .init(l2Penalty: 2, solver: .owlqn))
        #expect(forced.report.solver == .lbfgs)
        expectClose(parameters(forced), parameters(newton), absoluteTolerance: 1e-8)
    }
}

@Suite struct QuasiNewtonTests {
    /// L-BFGS and Newton minimize the same objective; with ‖∇‖∞ ≤ 1e-10 both are within ~1e-12 of it.
    @Test(arguments: [1.0, 0.1, 0.0])
    func lbfgsEqualsNewton(penalty: Double) throws {
        let (_, x, y) = try Reference.load()
        let newton = try LogisticRegression.fit(x, labels: y, configuration: .init(l2Penalty: penalty))
        let lbfgs = try LogisticRegression.fit(x, labels: y, configuration: .init(l2Penalty: penalty, solver: .lbfgs))
        #expect(newton.report.solver == .newton && lbfgs.report.solver == .lbfgs)
        #expect(lbfgs.report.converged && lbfgs.report.gradientNorm <= 1e-10)
        let worst = expectClose(parameters(lbfgs), parameters(newton), absoluteTolerance: 1e-8)
        print("λ=\(penalty): L-BFGS \(lbfgs.report.iterations) iterations, Newton \(newton.report.iterations); max |Δ| \(worst)")
        if penalty == 0 {
            let a = try #require(lbfgs.report.inference)
            let b = try #require(newton.report.inference)
            expectClose(
                a.coefficients.map(\.standardError), b.coefficients.map(\.standardError), absoluteTolerance: 1e-8)
        }
    }

    @Test func autoChoosesBySizeAndPenalty() throws {
        let (_, x, y) = try Reference.load()
        #expect(try LogisticRegression.fit(x, labels: y).report.solver == .newton)
        #expect(try LogisticRegression.fit(x, labels: y, configuration: .init(l1Ratio: 0.5)).report.solver == .owlqn)
        // L1 ratio without a penalty is no L1 term.
        #expect(
            try LogisticRegression.fit(x, labels: y, configuration: .init(l2Penalty: 0, l1Ratio: 0.5)).report.solver
                == .newton)
        // 501 features: L-BFGS.
        var generator = SplitMix64(seed: 7)
        let n = 300
        let d = LogisticRegression.newtonWidthLimit + 1
        let wide = try Matrix(
            rows: n, columns: d,
            columnMajor: (0..<(n * d)).map { _ in Double(generator.next() >> 11) / Double(1 << 53) - 0.5 })
        let labels = (0..<n).map { Double($0 % 2) }
        let fit = try LogisticRegression.fit(wide, labels: labels, configuration: .init(l2Penalty: 1))
        #expect(fit.report.solver == .lbfgs)
        #expect(fit.report.converged)
        let newton = try LogisticRegression.fit(
            wide, labels: labels, configuration: .init(l2Penalty: 1, solver: .newton))
        expectClose(parameters(fit), parameters(newton), absoluteTolerance: 1e-8)
    }

    /// Large blocks are scaled on several threads: still the textbook `[X 1]ᵀW[X 1]`.
    @Test func parallelScaledHessianEqualsDirect() throws {
        var generator = SplitMix64(seed: 9)
        let n = 20_000
        let d = 5
        let x = try Matrix(
            rows: n, columns: d,
            columnMajor: (0..<(n * d)).map { _ in Double(generator.next() >> 11) / Double(1 << 53) * 2 - 1 })
        let labels = (0..<n).map { Double($0 % 2) }
        let weights = (0..<n).map { 1 + Double($0 % 5) }
        let objective = BinaryLogisticObjective(x: x, labels: labels, weights: weights, l2: 0, fitIntercept: true)
        let theta = [0.5, -1, 0.25, 2, -0.75, 0.1]
        let h = try objective.hessian(at: theta)
        let eta = try objective.linearPredictors(theta)
        var direct = [Double](repeating: 0, count: 36)
        for i in 0..<n {
            let p = 1 / (1 + exp(-eta[i]))
            let row = (0..<d).map { x[i, $0] } + [1]
            for a in 0..<6 {
                for b in 0..<6 { direct[a + 6 * b] += weights[i] * p * (1 - p) * row[a] * row[b] }
            }
        }
        expectClose(h.columnMajor, direct, absoluteTolerance: 1e-8)
    }

    /// The fused, multi-threaded value-and-gradient pass (row blocks of 2048) equals the two-`gemv` one.
    @Test func fusedGradientEqualsBLASGradient() throws {
        var generator = SplitMix64(seed: 5)
        let n = 5000
        let d = 7
        let x = try Matrix(
            rows: n, columns: d,
            columnMajor: (0..<(n * d)).map { _ in Double(generator.next() >> 11) / Double(1 << 53) * 4 - 2 })
        let labels = (0..<n).map { Double(($0 * 7919) % 3 == 0 ? 1 : 0) }
        let weights = (0..<n).map { Double($0 % 4) }
        for intercept in [true, false] {
            let objective = BinaryLogisticObjective(x: x, labels: labels, weights: weights, l2: 0.3, fitIntercept: intercept)
            let theta = (0..<objective.dimension).map { 0.1 * Double($0) - 0.3 }
            let (value, gradient) = try objective.valueAndGradient(at: theta)
            let (eta, expected, _) = try objective.evaluate(theta)
            let expectedGradient = try objective.gradient(theta, eta: eta)
            #expect(abs(value - expected) <= 1e-12 * abs(expected))
            expectClose(gradient, expectedGradient, absoluteTolerance: 1e-9)
        }
    }

    /// The Hessian accumulated over blocks of rows equals the one-block Hessian and the textbook XᵀWX.
    @Test func blockedHessianEqualsDirect() throws {
        let (_, x, y) = try Reference.load()
        let weights = (0..<x.rows).map { Double($0 % 3) + 0.5 }
        var objective = BinaryLogisticObjective(x: x, labels: y, weights: weights, l2: 0.7, fitIntercept: true)
        let theta = [0.3, -0.2, 0.5, 0.1, -0.4, 0.25]
        let single = try objective.hessian(at: theta)
        objective.blockRowsOverride = 7
        let blocked = try objective.hessian(at: theta)
        var direct = Matrix(rows: 6, columns: 6, repeating: 0)
        let eta = try objective.linearPredictors(theta)
        for i in 0..<x.rows {
            let p = 1 / (1 + exp(-eta[i]))
            let row = (0..<5).map { x[i, $0] } + [1]
            for a in 0..<6 {
                for b in 0..<6 { direct[a, b] += weights[i] * p * (1 - p) * row[a] * row[b] }
            }
        }
        for j in 0..<5 { direct[j, j] += 0.7 }
        expectClose(blocked.columnMajor, direct.columnMajor, absoluteTolerance: 1e-10)
        expectClose(single.columnMajor, direct.columnMajor, absoluteTolerance: 1e-10)
    }
}

@Suite struct ClassWeightTests {
    @Test(arguments: [0, 1])
    func balancedMatchesSklearn(index: Int) throws {
        let reference = try SolverReference.load().balanced[index]
        let (_, x, y) = try Reference.load()
        for solver in [LogisticRegression.Solver.newton, .lbfgs] {
            let fit = try LogisticRegression.fit(
                x, labels: y,
                configuration: .init(l2Penalty: reference.l2Penalty, classWeight: .balanced, solver: solver))
            #expect(fit.report.converged)
            let worst = expectClose(
                parameters(fit), [reference.intercept] + reference.coefficients, absoluteTolerance: 1e-8)
            print("balanced C=\(reference.C) \(solver): max |Δ| vs sklearn newton-cholesky \(worst)")
        }
    }

    /// Balanced weights are n/(2·n_c) multiplied into the sample weights: the same fit as passing them by hand.
    @Test func balancedIsSampleWeightTimesClassWeight() throws {
        let (_, x, y) = try Reference.load()
        let n = Double(y.count)
        let positives = y.reduce(0, +)
        let sample = (0..<y.count).map { Double($0 % 3) + 1 }
        let byHand = zip(sample, y).map { $0.0 * ($0.1 == 1 ? n / (2 * positives) : n / (2 * (n - positives))) }
        let balanced = try LogisticRegression.fit(
            x, labels: y, configuration: .init(sampleWeights: sample, classWeight: .balanced))
        let manual = try LogisticRegression.fit(x, labels: y, configuration: .init(sampleWeights: byHand))
        expectClose(parameters(balanced), parameters(manual), absoluteTolerance: 1e-12)
    }
}

@Suite struct MultinomialTests {
    @Test(arguments: [0, 1])
    func matchesSklearn(index: Int) throws {
        let reference = try SolverReference.load().multinomial[index]
        let (x, classes) = try SolverReference.multinomialData()
        let fit = try MultinomialLogisticRegression.fit(
            x, classes: classes, configuration: .init(l2Penalty: reference.l2Penalty))
        #expect(fit.report.solver == .lbfgs)
        #expect(fit.report.converged && fit.report.gradientNorm <= 1e-10, "\(fit.report)")
        #expect(!fit.report.separationDetected)
        let ours = fit.model.intercepts + fit.model.coefficients.flatMap { $0 }
        // newton-cholesky (tol 1e-12) is exact to ~1e-14: a tight comparison.
        let exact = reference.newtonCholesky
        let tight = expectClose(
            ours, exact.intercepts + exact.coefficients.flatMap { $0 }, absoluteTolerance: 1e-8)
        // lbfgs stops on scipy's relative-decrease test (ftol = 64ε): ~1e-7 from the optimum.
        let loose = reference.lbfgs
        let lbfgsGap = expectClose(
            ours, loose.intercepts + loose.coefficients.flatMap { $0 }, absoluteTolerance: 1e-6)
        let probabilities = try fit.model.probabilities(x)
        for i in 0..<10 {
            expectClose((0..<3).map { probabilities[i, $0] }, exact.probabilities[i], absoluteTolerance: 1e-9)
            expectClose((0..<3).map { probabilities[i, $0] }, loose.probabilities[i], absoluteTolerance: 1e-6)
            let row = (0..<x.columns).map { x[i, $0] }
            expectClose(fit.model.probabilities(row), (0..<3).map { probabilities[i, $0] }, absoluteTolerance: 1e-15)
        }
        #expect(fit.report.objective <= loose.objective)
        #expect(abs(fit.report.objective - exact.objective) <= 1e-10 * exact.objective)
        #expect(abs(fit.model.intercepts.reduce(0, +)) < 1e-12)
        print("multinomial C=\(reference.C): max |Δ| vs newton-cholesky \(tight), vs lbfgs \(lbfgsGap)")
    }

    /// With K = 2 the symmetric parameterization has w₀ = −w₁ at the optimum, so β = w₁ − w₀ = 2w₁ and the
    /// penalty (λ/2)(‖w₀‖² + ‖w₁‖²) = (λ/4)‖β‖²: multinomial with λ equals binary with λ/2.
    @Test func twoClassesEqualBinaryWithHalfPenalty() throws {
        let (_, x, y) = try Reference.load()
        let multinomial = try MultinomialLogisticRegression.fit(
            x, classes: y.map { Int($0) }, configuration: .init(l2Penalty: 2))
        let binary = try LogisticRegression.fit(x, labels: y, configuration: .init(l2Penalty: 1))
        let m = multinomial.model
        expectClose(
            [m.intercepts[1] - m.intercepts[0]] + zip(m.coefficients[1], m.coefficients[0]).map { $0 - $1 },
            parameters(binary), absoluteTolerance: 1e-8)
        expectClose(m.coefficients[0].map { -$0 }, m.coefficients[1], absoluteTolerance: 1e-10)
    }

    @Test func elasticNetMultinomialSatisfiesKKT() throws {
        let (x, classes) = try SolverReference.multinomialData()
        let fit = try MultinomialLogisticRegression.fit(
            x, classes: classes, configuration: .init(l2Penalty: 20, l1Ratio: 0.8))
        #expect(fit.report.solver == .owlqn)
        #expect(fit.report.converged && fit.report.gradientNorm <= 1e-10)
        #expect(fit.model.coefficients.joined().contains(0))
    }

    @Test func badClassesThrow() throws {
        let x = try matrix([[1], [2], [3]])
        #expect { try MultinomialLogisticRegression.fit(x, classes: [0, 3, 1], classCount: 3) } throws: { error in
            let e = error as? LogisticError
            return e?.code == .invalidLabel && e?.position?.row == 1 && e?.message.contains("classes[1] is 3") == true
        }
        #expect { try MultinomialLogisticRegression.fit(x, classes: [0, 0, 0]) } throws: { error in
            (error as? LogisticError)?.message.contains("at least 2 classes") == true
        }
        #expect {
            try MultinomialLogisticRegression.fit(x, classes: [0, 1, 2], configuration: .init(solver: .newton))
        } throws: { ($0 as? LogisticError)?.message.contains("binary models only") == true }
    }

    @Test func emptyClassIsFlagged() throws {
        let (x, classes) = try SolverReference.multinomialData()
        let fit = try MultinomialLogisticRegression.fit(
            x, classes: classes, classCount: 4, configuration: .init(maxQuasiNewtonIterations: 200))
        #expect(fit.report.separationDetected)
        #expect(fit.report.separationMessage?.contains("class 3 has no rows") == true)
    }
}

@Suite struct ConfigurationTests {
    @Test func invalidSolverSettingsAreReportedTogether() throws {
        let x = try matrix([[1], [2], [3]])
        #expect {
            try LogisticRegression.fit(
                x, labels: [0, 1, 1], configuration: .init(l1Ratio: 1.5, maxQuasiNewtonIterations: -1))
        } throws: { error in
            let message = (error as? LogisticError)?.message ?? ""
            return message.contains("l1Ratio must be in [0, 1], got 1.5") && message.contains("maxQuasiNewtonIterations")
        }
        #expect {
            try LogisticRegression.fit(x, labels: [0, 1, 1], configuration: .init(l1Ratio: 0.5, solver: .newton))
        } throws: { ($0 as? LogisticError)?.code == .invalidConfiguration }
    }

    /// JSON written before the solver fields existed still decodes, with the new fields at their defaults.
    @Test func olderConfigurationJSONDecodes() throws {
        let old = #"{"l2Penalty":0.5,"fitIntercept":true,"tolerance":1e-08,"maxIterations":50}"#
        let c = try JSONDecoder().decode(LogisticRegression.Configuration.self, from: Data(old.utf8))
        #expect(c.l2Penalty == 0.5 && c.maxIterations == 50 && c.l1Ratio == 0 && c.solver == .auto)
        #expect(c.classWeight == nil && c.maxQuasiNewtonIterations == 2000)
        let full = LogisticRegression.Configuration(l1Ratio: 0.25, classWeight: .balanced, solver: .lbfgs)
        #expect(try JSONDecoder().decode(LogisticRegression.Configuration.self, from: JSONEncoder().encode(full)) == full)
    }
}

@Suite struct CodableTests {
    /// Doubles that stress a decimal round trip: shortest-representation edge cases, subnormals, −0.
    static let awkward: [Double] = [
        0.1, 1.0 / 3, -2.0 / 3, .pi, .leastNonzeroMagnitude, -2.2250738585072014e-308, 1.7976931348623157e308, -0.0,
        123456789.12345678, 1e-300, 0.30000000000000004,
    ]

    @Test func binaryModelRoundTripsBitForBit() throws {
        var generator = SplitMix64(seed: 99)
        var values = Self.awkward
        while values.count < 200 {
            let value = Double(bitPattern: generator.next())
            if value.isFinite { values.append(value) }
        }
        for start in stride(from: 0, to: values.count - 1, by: 10) {
            let model = LogisticRegressionModel(
                intercept: values[start], coefficients: Array(values[(start + 1)..<min(start + 10, values.count)]))
            let decoded = try JSONDecoder().decode(LogisticRegressionModel.self, from: JSONEncoder().encode(model))
            #expect(decoded.intercept.bitPattern == model.intercept.bitPattern)
            #expect(decoded.coefficients.map(\.bitPattern) == model.coefficients.map(\.bitPattern))
        }
    }

    @Test func inconsistentMultinomialJSONIsRefused() throws {
        for json in [
            #"{"intercepts":[0.1,0.2],"coefficients":[[1,2],[3]]}"#,
            #"{"intercepts":[0.1],"coefficients":[[1]]}"#,
            #"{"intercepts":[0.1,0.2,0.3],"coefficients":[[1],[2]]}"#,
        ] {
            #expect(throws: DecodingError.self) {
                try JSONDecoder().decode(MultinomialLogisticModel.self, from: Data(json.utf8))
            }
        }
    }

    @Test func multinomialModelRoundTripsBitForBit() throws {
        let (x, classes) = try SolverReference.multinomialData()
        let fit = try MultinomialLogisticRegression.fit(x, classes: classes)
        for model in [fit.model, MultinomialLogisticModel(intercepts: [Self.awkward[0], -0.0], coefficients: [
            Array(Self.awkward[1..<5]), Array(Self.awkward[5..<9]),
        ])] {
            let decoded = try JSONDecoder().decode(MultinomialLogisticModel.self, from: JSONEncoder().encode(model))
            #expect(decoded.intercepts.map(\.bitPattern) == model.intercepts.map(\.bitPattern))
            #expect(decoded.coefficients.map { $0.map(\.bitPattern) } == model.coefficients.map { $0.map(\.bitPattern) })
        }
        #expect(try fit.model.probabilities(x) == JSONDecoder().decode(
            MultinomialLogisticModel.self, from: JSONEncoder().encode(fit.model)).probabilities(x))
    }
}

@Suite struct CrossValidationTests {
    @Test func foldsAreStratifiedAndSeeded() throws {
        let classes = (0..<103).map { $0 % 7 == 0 ? 1 : ($0 % 5 == 0 ? 2 : 0) }
        let folds = LogisticRegression.stratifiedFolds(classes: classes, folds: 5, seed: 3)
        #expect(folds == LogisticRegression.stratifiedFolds(classes: classes, folds: 5, seed: 3))
        #expect(folds != LogisticRegression.stratifiedFolds(classes: classes, folds: 5, seed: 4))
        for label in 0...2 {
            let total = classes.count(where: { $0 == label })
            for fold in 0..<5 {
                let count = classes.indices.count(where: { classes[$0] == label && folds[$0] == fold })
                #expect(abs(Double(count) - Double(total) / 5) < 1, "class \(label) fold \(fold): \(count) of \(total)")
            }
        }
        let sizes = (0..<5).map { fold in folds.count(where: { $0 == fold }) }
        #expect(sizes.max()! - sizes.min()! <= 1)
    }

    @Test func tableScoresHeldOutLogLossAndRefitsTheBest() throws {
        let (_, x, y) = try Reference.load()
        let grid = [100.0, 1, 0.01]
        let cv = try LogisticRegression.crossValidate(x, labels: y, folds: 4, l2Grid: grid, seed: 11)
        #expect(cv.table.map(\.l2Penalty) == grid)
        #expect(cv.table.allSatisfy { $0.foldLogLosses.count == 4 && $0.convergedFolds == 4 }, "\(cv.table)")
        let best = try #require(cv.table.min { $0.meanLogLoss < $1.meanLogLoss })
        #expect(cv.best == best)
        #expect(try LogisticRegression.fit(x, labels: y, configuration: .init(l2Penalty: best.l2Penalty)).model
            == cv.fit.model)
        // Recompute one fold's loss by hand.
        let folds = LogisticRegression.stratifiedFolds(classes: y.map { Int($0) }, folds: 4, seed: 11)
        let train = folds.indices.filter { folds[$0] != 2 }
        let test = folds.indices.filter { folds[$0] == 2 }
        let model = try LogisticRegression.fit(
            LogisticRegression.selectRows(x, train), labels: train.map { y[$0] },
            configuration: .init(l2Penalty: 100)
        ).model
        var loss = 0.0
        for i in test {
            let p = model.probability((0..<x.columns).map { x[i, $0] })
            loss -= y[i] == 1 ? log(p) : log(1 - p)
        }
        #expect(abs(loss / Double(test.count) - cv.table[0].foldLogLosses[2]) < 1e-12)
    }

    @Test func elasticNetGridAndMultinomial() throws {
        let (x, classes) = try SolverReference.multinomialData()
        let cv = try MultinomialLogisticRegression.crossValidate(
            x, classes: classes, folds: 3, l2Grid: [10, 0.1], l1RatioGrid: [0, 0.5], seed: 1)
        #expect(cv.table.map(\.l1Ratio) == [0, 0, 0.5, 0.5])
        #expect(cv.table.allSatisfy { $0.meanLogLoss.isFinite && $0.meanLogLoss > 0 })
        #expect(cv.fit.model.classCount == 3)
    }

    @Test func badGridThrows() throws {
        let (_, x, y) = try Reference.load()
        #expect { try LogisticRegression.crossValidate(x, labels: y, folds: 1, l2Grid: []) } throws: { error in
            let message = (error as? LogisticError)?.message ?? ""
            return message.contains("l2Grid is empty") && message.contains("folds must be between 2")
        }
        #expect { try LogisticRegression.crossValidate(x, labels: y, l2Grid: [-1]) } throws: {
            ($0 as? LogisticError)?.code == .invalidConfiguration
        }
    }
}

@Suite struct RecoveryTests {
    /// X ~ N(0, 1), n = 200,000, d = 10, planted β: every estimate is within 4 of its standard errors
    /// (each fails with probability 6e-5 if the errors are right; seed fixed, so the test is deterministic).
    @Test func plantedCoefficientsWithinFourStandardErrors() throws {
        let n = 200_000
        let d = 10
        let planted = [0.5, -1.0, 0.25, 0.0, 2.0, -0.75, 0.1, -0.1, 1.5, 0.0]
        let intercept = -0.3
        var generator = SplitMix64(seed: 2026)
        func uniform() -> Double { (Double(generator.next() >> 11) + 0.5) / Double(1 << 53) }
        var columnMajor = [Double](repeating: 0, count: n * d)
        for index in stride(from: 0, to: n * d, by: 2) {
            // Box–Muller: two independent N(0, 1) draws.
            let r = (-2 * log(uniform())).squareRoot()
            let angle = 2 * Double.pi * uniform()
            columnMajor[index] = r * cos(angle)
            columnMajor[index + 1] = r * sin(angle)
        }
        let x = try Matrix(rows: n, columns: d, columnMajor: columnMajor)
        var eta = try gemv(x, planted)
        var labels = [Double](repeating: 0, count: n)
        for i in 0..<n {
            eta[i] += intercept
            labels[i] = uniform() < 1 / (1 + exp(-eta[i])) ? 1 : 0
        }
        let fit = try LogisticRegression.fit(x, labels: labels, configuration: .init(l2Penalty: 0, tolerance: 1e-7))
        #expect(fit.report.converged)
        let inference = try #require(fit.report.inference)
        let all = [try #require(inference.intercept)] + inference.coefficients
        for (truth, estimate) in zip([intercept] + planted, all) {
            let z = (estimate.estimate - truth) / estimate.standardError
            #expect(abs(z) < 4, "estimate \(estimate.estimate) vs planted \(truth): \(z) standard errors")
        }
        print("planted recovery (seed 2026): z = \(zip([intercept] + planted, all).map { ($1.estimate - $0) / $1.standardError })")
    }
}
