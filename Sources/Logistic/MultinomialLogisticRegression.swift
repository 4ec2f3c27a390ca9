import Foundation
import Linalg

/// The name the scoring library and Decisioning use for the fitted binary model; the same type as
/// ``LogisticModel``.
public typealias LogisticRegressionModel = LogisticModel

/// A fitted multinomial (softmax) logistic regression: `P(y = k | x) = exp(zₖ) / Σⱼ exp(zⱼ)` with
/// `zₖ = interceptₖ + coefficientsₖᵀx`, one coefficient vector per class (scikit-learn's symmetric
/// parameterization: `coef_` is K×d, `intercept_` has K entries).
///
/// The probabilities do not change if the same constant is added to every intercept; fits return intercepts
/// that sum to 0 (and, for unpenalized fits, coefficients that sum to 0 over the classes, feature by feature).
public struct MultinomialLogisticModel: Sendable, Codable, Equatable {
    /// `b₀…b_{K−1}`, one unpenalized intercept per class.
    public let intercepts: [Double]
    /// K rows of d coefficients: `coefficients[k][j]` is feature j's weight for class k.
    public let coefficients: [[Double]]

    /// Creates a model from K intercepts and K coefficient rows of equal length.
    ///
    /// - Precondition: `intercepts.count == coefficients.count ≥ 2` and every row has the same length.
    public init(intercepts: [Double], coefficients: [[Double]]) {
        precondition(
            intercepts.count == coefficients.count && intercepts.count >= 2,
            "a multinomial model needs K ≥ 2 intercepts and K coefficient rows, got \(intercepts.count) and "
                + "\(coefficients.count)")
        precondition(
            Set(coefficients.map(\.count)).count <= 1,
            "every class needs the same number of coefficients, got \(coefficients.map(\.count))")
        self.intercepts = intercepts
        self.coefficients = coefficients
    }

    private enum CodingKeys: String, CodingKey { case intercepts, coefficients }

    /// Decodes a model, refusing inconsistent shapes (fewer than 2 classes, a coefficient row per class
    /// missing, rows of different lengths) with `DecodingError.dataCorrupted` instead of crashing later.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let intercepts = try container.decode([Double].self, forKey: .intercepts)
        let coefficients = try container.decode([[Double]].self, forKey: .coefficients)
        guard intercepts.count >= 2, coefficients.count == intercepts.count,
            Set(coefficients.map(\.count)).count <= 1
        else {
            throw DecodingError.dataCorruptedError(
                forKey: .coefficients, in: container,
                debugDescription: "a multinomial model needs K ≥ 2 intercepts and K coefficient rows of equal "
                    + "length; found \(intercepts.count) intercepts and rows of lengths \(coefficients.map(\.count))")
        }
        self.intercepts = intercepts
        self.coefficients = coefficients
    }

    /// The number of classes K.
    public var classCount: Int { intercepts.count }
    /// The number of features d.
    public var featureCount: Int { coefficients.first?.count ?? 0 }

    /// The K scores `zₖ = bₖ + wₖᵀx` of one row.
    ///
    /// - Precondition: `row.count == featureCount`.
    public func linearPredictors(_ row: [Double]) -> [Double] {
        precondition(
            row.count == featureCount,
            "the row has \(row.count) features but the model has \(featureCount) per class")
        return (0..<classCount).map { k in
            var z = intercepts[k]
            for j in 0..<row.count {
                z += coefficients[k][j] * row[j]
            }
            return z
        }
    }

    /// The K class probabilities of one row (they sum to 1).
    ///
    /// - Precondition: `row.count == featureCount`.
    public func probabilities(_ row: [Double]) -> [Double] {
        softmax(linearPredictors(row))
    }

    /// The n×K class probabilities of every row of the n×d matrix `x` (one `gemm`).
    ///
    /// - Throws: ``LogisticError`` `.dimensionMismatch` if `x.columns ≠ featureCount`.
    public func probabilities(_ x: Matrix) throws -> Matrix {
        guard x.columns == featureCount else {
            throw LogisticError(
                .dimensionMismatch,
                "x is \(x.rows)×\(x.columns) but the model has \(featureCount) coefficients per class; "
                    + "pass the same feature columns the model was fitted on")
        }
        let objective = MultinomialObjective(
            x: x, classes: [], classCount: classCount, weights: [], l2: 0, fitIntercept: true)
        var z = try objective.scores(parameters)
        let n = x.rows
        let k = classCount
        z.withUnsafeMutableBufferPointer { z in
            for i in 0..<n {
                let p = softmax((0..<k).map { z[i + $0 * n] })
                for c in 0..<k {
                    z[i + c * n] = p[c]
                }
            }
        }
        return z
    }

    /// The parameters in ``MultinomialObjective``'s layout.
    var parameters: [Double] {
        var theta = [Double](repeating: 0, count: featureCount * classCount)
        for k in 0..<classCount {
            for j in 0..<featureCount {
                theta[j + k * featureCount] = coefficients[k][j]
            }
        }
        return theta + intercepts
    }
}

/// The result of ``MultinomialLogisticRegression/fit(_:classes:classCount:configuration:)``.
public struct MultinomialLogisticFit: Sendable {
    /// The fitted model.
    public let model: MultinomialLogisticModel
    /// Iterations, convergence and separation; ``LogisticFitReport/inference`` is always `nil`.
    public let report: LogisticFitReport
}

/// Multinomial (softmax) logistic regression with an L2 or elastic-net penalty, by L-BFGS (OWL-QN for L1).
///
/// ```swift
/// let fit = try MultinomialLogisticRegression.fit(x, classes: nextChannel, configuration: .init(l2Penalty: 1))
/// fit.model.probabilities(row)   // K probabilities
/// ```
public enum MultinomialLogisticRegression {
    /// Fits multinomial logistic regression: minimizes
    /// `-Σ wᵢ log pᵢ,yᵢ + λ(r‖W‖₁ + (1 − r)/2‖W‖²_F)` over the K×d coefficients `W` and K unpenalized
    /// intercepts, `pᵢ = softmax(Wxᵢ + b)`, `λ = l2Penalty`, `r = l1Ratio`, `wᵢ` the sample weight times the
    /// class weight (``LogisticRegression/ClassWeight/balanced``: `n / (K·n_c)`).
    ///
    /// This is scikit-learn's `LogisticRegression(C=1/λ, l1_ratio=r)` on K ≥ 3 classes (its default
    /// multinomial loss, symmetric parameterization). The solver is L-BFGS (OWL-QN with an L1 term);
    /// `solver: .newton` is refused. Intercepts are shifted to sum to 0 (the probabilities do not change).
    /// ``LogisticFitReport/separationDetected`` is set when a class has no rows (its intercept diverges) or,
    /// for unpenalized fits, when a fitted probability of the observed class reaches 1 within 1e-13.
    ///
    /// - Parameters:
    ///   - x: n×d design matrix, without an intercept column.
    ///   - classes: n class indices in `0..<K`.
    ///   - classCount: K; default `classes.max() + 1`. Must be at least 2.
    ///   - configuration: as for ``LogisticRegression/fit(_:labels:configuration:)``; `maxIterations` is unused.
    /// - Throws: ``LogisticError``: `.invalidLabel` for a class index outside `0..<K` or K < 2; the
    ///   configuration and data errors of the binary fit.
    /// - Complexity: O(iterations · n·d·K). Memory: `X` plus a few n×K matrices.
    public static func fit(
        _ x: Matrix, classes: [Int], classCount: Int? = nil, configuration: LogisticRegression.Configuration = .init()
    ) throws -> MultinomialLogisticFit {
        let k = classCount ?? ((classes.max() ?? 0) + 1)
        var problems: [LogisticRegression.Problem] = []
        if let i = classes.firstIndex(where: { !(0..<k).contains($0) }) {
            let count = classes.count(where: { !(0..<k).contains($0) })
            problems.append((.invalidLabel,
                "classes[\(i)] is \(classes[i]); class indices must be in 0..<\(k) (\(count) invalid in all)",
                .init(row: i)))
        }
        if k < 2 {
            problems.append((.invalidLabel, "a multinomial model needs at least 2 classes, got \(k)", nil))
        }
        try LogisticRegression.validate(
            x, labelCount: classes.count, labelName: "classes", configuration: configuration, multinomial: true,
            extra: problems)
        let weights = LogisticRegression.effectiveWeights(classes: classes, classCount: k, configuration: configuration)
        let (l1, l2) = configuration.penalties
        let objective = MultinomialObjective(
            x: x, classes: classes, classCount: k, weights: weights, l2: l2, fitIntercept: configuration.fitIntercept)
        let solver = LogisticRegression.resolvedSolver(configuration, width: x.columns, multinomial: true)
        let result = try QuasiNewton(
            objective, l1: l1, tolerance: configuration.tolerance,
            maxIterations: configuration.maxQuasiNewtonIterations
        ).run(from: [Double](repeating: 0, count: objective.dimension))

        let d = x.columns
        var theta = result.point
        var notes = result.notes
        if configuration.fitIntercept {
            let mean = theta[(d * k)...].reduce(0, +) / Double(k)
            for c in 0..<k { theta[d * k + c] -= mean }
        }
        if l1 == 0 && l2 == 0 {
            for j in 0..<d {
                let mean = (0..<k).reduce(0) { $0 + theta[j + $1 * d] } / Double(k)
                for c in 0..<k { theta[j + c * d] -= mean }
            }
        }
        let coefficients = (0..<k).map { c in Array(theta[(c * d)..<((c + 1) * d)]) }
        let intercepts = configuration.fitIntercept ? Array(theta[(d * k)...]) : [Double](repeating: 0, count: k)
        let model = MultinomialLogisticModel(intercepts: intercepts, coefficients: coefficients)

        // Report on the returned (shifted) parameters: same loss, same gradient up to rounding.
        let fitted = try objective.scores(model.parameters.prefix(objective.dimension).map { $0 })
        let (loss, _) = objective.lossAndResidual(fitted)
        var penaltyL1 = 0.0
        var penaltyL2 = 0.0
        for index in 0..<(d * k) {
            penaltyL1 += abs(theta[index])
            penaltyL2 += theta[index] * theta[index]
        }
        var separated = false
        var message: String?
        var counts = [Double](repeating: 0, count: k)
        for i in classes.indices { counts[classes[i]] += weights[i] }
        if configuration.fitIntercept, let empty = counts.firstIndex(where: { $0 == 0 }) {
            separated = true
            message = "class \(empty) has no rows (or zero total weight), so its intercept diverges to −∞; "
                + "drop the class or pass classCount without it"
        } else if l1 == 0 && l2 == 0 {
            let n = x.rows
            var saturated = 0
            fitted.withUnsafeBufferPointer { z in
                for i in 0..<n where weights[i] != 0 {
                    let p = softmax((0..<k).map { z[i + $0 * n] })
                    if p[classes[i]] > 1 - 1e-13 { saturated += 1 }
                }
            }
            if saturated > 0 {
                separated = true
                message = "\(saturated) of \(n) rows are fitted with probability 1 for their class: the classes are "
                    + "perfectly or quasi-perfectly separated, so the coefficients diverge; set l2Penalty > 0 or "
                    + "remove the separating features"
            }
        }
        if let message { notes.append(message) }
        let report = LogisticFitReport(
            iterations: result.iterations, converged: result.converged && !separated,
            gradientNorm: result.optimality, objective: loss + l1 * penaltyL1 + 0.5 * l2 * penaltyL2,
            logLikelihood: -loss, separationDetected: separated, separationMessage: message, hessianRidge: 0,
            notes: notes, inference: nil, solver: solver)
        return MultinomialLogisticFit(model: model, report: report)
    }
}

/// `exp(zₖ − logsumexp(z))`, without overflow.
func softmax(_ z: [Double]) -> [Double] {
    let top = z.max() ?? 0
    var sum = 0.0
    for value in z { sum += exp(value - top) }
    let logSum = top + log(sum)
    return z.map { exp($0 - logSum) }
}
