import Foundation
import Linalg

/// The state of one Newton/IRLS fit. Coordinates `0..<d` are the feature coefficients (penalized),
/// coordinate `d` the intercept when fitted (unpenalized); the design gets a trailing column of ones.
struct NewtonSolver {
    /// Reciprocal condition estimates below this make the Hessian "singular" and trigger the ridge.
    static let rcondFloor = 1e-13
    /// `|ηᵢ|` above this means `pᵢ` is within 1e-13 of 0 or 1.
    static let saturatedEta = 30.0

    let design: Matrix
    let labels: [Double]
    let weights: [Double]
    let configuration: LogisticRegression.Configuration
    let d: Int
    var notes: [String] = []
    var largestRidge = 0.0

    init(_ x: Matrix, labels: [Double], configuration: LogisticRegression.Configuration) {
        let n = x.rows
        d = x.columns
        if configuration.fitIntercept {
            // Column-major: the first n·d elements are x's columns, the last n the column of ones.
            var augmented = Matrix(rows: n, columns: d + 1, repeating: 1)
            augmented.withUnsafeMutableBufferPointer { buffer in
                for (index, value) in x.columnMajor.enumerated() {
                    buffer[index] = value
                }
            }
            design = augmented
        } else {
            design = x
        }
        self.labels = labels
        weights = configuration.sampleWeights ?? [Double](repeating: 1, count: n)
        self.configuration = configuration
    }

    var k: Int { design.columns }
    var lambda: Double { configuration.l2Penalty }

    /// `η = Xβ` and the objective at `beta`.
    func evaluate(_ beta: [Double]) throws -> (eta: [Double], objective: Double, logLikelihood: Double) {
        let eta = k == 0 ? [Double](repeating: 0, count: labels.count) : try gemv(design, beta)
        var loss = 0.0
        for i in 0..<eta.count where weights[i] != 0 {
            // −log pᵢ = softplus(−ηᵢ) when yᵢ = 1; −log(1 − pᵢ) = softplus(ηᵢ) when yᵢ = 0.
            loss += weights[i] * (labels[i] == 1 ? softplus(-eta[i]) : softplus(eta[i]))
        }
        var penalty = 0.0
        for j in 0..<d {
            penalty += beta[j] * beta[j]
        }
        return (eta, loss + 0.5 * lambda * penalty, -loss)
    }

    /// `∇ = Xᵀ(w∘(p − y)) + λβ` (no λ on the intercept).
    func gradient(_ beta: [Double], eta: [Double]) throws -> [Double] {
        var residual = [Double](repeating: 0, count: eta.count)
        for i in 0..<eta.count {
            residual[i] = weights[i] * (sigmoid(eta[i]) - labels[i])
        }
        var g = [Double](repeating: 0, count: k)
        if k > 0 {
            try gemv(design, residual, into: &g, transposeA: true)
        }
        for j in 0..<d {
            g[j] += lambda * beta[j]
        }
        return g
    }

    /// `XᵀWX + λI` (no λ on the intercept), by scaling rows by `√(wᵢpᵢ(1 − pᵢ))` and one `syrk`.
    func hessian(eta: [Double], penalized: Bool = true) throws -> Matrix {
        let n = eta.count
        var root = [Double](repeating: 0, count: n)
        for i in 0..<n {
            // pᵢ(1 − pᵢ) = e^−|η| / (1 + e^−|η|)², without cancellation.
            let e = exp(-abs(eta[i]))
            root[i] = (weights[i] * e).squareRoot() / (1 + e)
        }
        var z = design
        z.withUnsafeMutableBufferPointer { z in
            for j in 0..<k {
                for i in 0..<n {
                    z[i + j * n] *= root[i]
                }
            }
        }
        var h = try syrk(z, transposeA: true)
        if penalized {
            for j in 0..<d {
                h[j, j] += lambda
            }
        }
        return h
    }

    /// Solves `H·s = g`, adding a growing ridge when `H` is not (numerically) positive definite.
    mutating func solve(_ h: Matrix, _ g: [Double], iteration: Int) throws -> [Double] {
        if let s = try? attempt(h, g) {
            return s
        }
        var scale = 0.0
        for j in 0..<k {
            scale = max(scale, abs(h[j, j]))
        }
        if !(scale > 0 && scale.isFinite) { scale = 1 }
        var delta = 1e-10 * scale
        var lastError: (any Error)?
        for _ in 0..<16 {
            var ridged = h
            for j in 0..<k {
                ridged[j, j] += delta
            }
            do {
                if let s = try attempt(ridged, g) {
                    if delta > largestRidge {
                        largestRidge = delta
                    }
                    if notes.count < 20 {
                        notes.append(
                            "iteration \(iteration): the Hessian is singular or nearly so (collinear or constant "
                                + "columns, or saturated probabilities); added a ridge of \(delta) to its diagonal")
                    }
                    return s
                }
            } catch {
                lastError = error
            }
            delta *= 10
        }
        throw LogisticError(
            .numericalFailure,
            "iteration \(iteration): the Hessian could not be factored even with a ridge of \(delta / 10); "
                + "check the features for extreme scales or raise l2Penalty",
            cause: lastError)
    }

    /// The Cholesky solution of `H·s = g`, or `nil` if `H` is not positive definite or too ill-conditioned.
    private func attempt(_ h: Matrix, _ g: [Double]) throws -> [Double]? {
        guard let cholesky = try factor(h), cholesky.reciprocalConditionNumber() >= Self.rcondFloor else { return nil }
        return try cholesky.solve(g)
    }

    mutating func run() throws -> LogisticFit {
        var beta = [Double](repeating: 0, count: k)
        var (eta, objective, logLikelihood) = try evaluate(beta)
        var g = try gradient(beta, eta: eta)
        var iterations = 0
        var flatSteps = 0
        while maxNorm(g) > configuration.tolerance && iterations < configuration.maxIterations {
            let h = try hessian(eta: eta)
            let step = try solve(h, g, iteration: iterations)
            // Step halving: accept the first t = 1, ½, ¼, … with a non-increasing objective.
            var t = 1.0
            var accepted: (beta: [Double], eta: [Double], objective: Double, logLikelihood: Double)?
            for _ in 0..<60 {
                var candidate = beta
                for j in 0..<k {
                    candidate[j] -= t * step[j]
                }
                let trial = try evaluate(candidate)
                if trial.objective.isFinite && trial.objective <= objective {
                    accepted = (candidate, trial.eta, trial.objective, trial.logLikelihood)
                    break
                }
                t *= 0.5
            }
            guard let next = accepted else {
                notes.append(
                    "iteration \(iterations): step halving found no point with a lower objective; stopped at "
                        + "‖∇‖∞ = \(maxNorm(g)) (the tolerance may be below what double precision allows)")
                break
            }
            iterations += 1
            flatSteps = next.objective < objective ? 0 : flatSteps + 1
            (beta, eta, objective, logLikelihood) = next
            g = try gradient(beta, eta: eta)
            if flatSteps >= 3 {
                notes.append(
                    "iteration \(iterations): the objective stopped decreasing; stopped at ‖∇‖∞ = \(maxNorm(g))")
                break
            }
        }
        let gradientNorm = maxNorm(g)
        var maxEta = 0.0
        for i in eta.indices where weights[i] != 0 {
            maxEta = max(maxEta, abs(eta[i]))
        }

        // Separation: probabilities saturated and Newton still taking O(1) steps (the minimizer is at infinity).
        var separated = maxEta > Self.saturatedEta
        if !separated && maxEta > 10 {
            let step = try solve(try hessian(eta: eta), g, iteration: iterations)
            separated = maxNorm(step) > 1e-4 * (1 + maxNorm(beta))
        }
        var separationMessage: String?
        if separated {
            let w = weights
            let saturated = eta.indices.count(where: { w[$0] != 0 && abs(eta[$0]) > 15 })
            separationMessage =
                "\(saturated) of \(eta.count) fitted probabilities are numerically 0 or 1 (max |η| = \(maxEta)): "
                + "the data are perfectly or quasi-perfectly separated"
                + (Set(labels).count < 2 ? " (only one class is present)" : "")
                + ", so the coefficients diverge and the returned ones are not a maximum-likelihood estimate; "
                + (lambda == 0 ? "set l2Penalty > 0" : "the intercept is unpenalized, so check the labels")
                + " or remove the separating features"
        }

        let inference = lambda == 0 && !separated ? try makeInference(beta, eta: eta) : nil
        let report = LogisticFitReport(
            iterations: iterations,
            converged: gradientNorm <= configuration.tolerance && !separated,
            gradientNorm: gradientNorm,
            objective: objective,
            logLikelihood: logLikelihood,
            separationDetected: separated,
            separationMessage: separationMessage,
            hessianRidge: largestRidge,
            notes: notes,
            inference: inference)
        let model = LogisticModel(
            intercept: configuration.fitIntercept ? beta[d] : 0, coefficients: Array(beta[0..<d]))
        return LogisticFit(model: model, report: report)
    }

    /// Wald statistics from `H⁻¹` at the unpenalized optimum, or `nil` (with a note) if `H` is singular.
    private mutating func makeInference(_ beta: [Double], eta: [Double]) throws -> LogisticInference? {
        let h = try hessian(eta: eta, penalized: false)
        guard let cholesky = try factor(h) else {
            notes.append("no standard errors: the Hessian is singular (collinear or constant columns)")
            return nil
        }
        guard cholesky.reciprocalConditionNumber() >= Self.rcondFloor else {
            notes.append(
                "no standard errors: the Hessian is nearly singular (reciprocal condition "
                    + "\(cholesky.reciprocalConditionNumber())); remove collinear or constant columns")
            return nil
        }
        let inverse = try cholesky.solve(Matrix.identity(k))
        let stats = (0..<k).map { j -> LogisticInference.Coefficient in
            let se = inverse[j, j].squareRoot()
            let z = beta[j] / se
            return .init(estimate: beta[j], standardError: se, z: z, pValue: erfc(abs(z) / 2.0.squareRoot()))
        }
        return LogisticInference(
            intercept: configuration.fitIntercept ? stats[d] : nil, coefficients: Array(stats[0..<d]))
    }
}

/// The Cholesky factorization of `h`, or `nil` if it is not positive definite.
private func factor(_ h: Matrix) throws -> Cholesky? {
    do {
        return try Cholesky(h)
    } catch {
        if error.code == .notPositiveDefinite { return nil }
        throw error
    }
}

func maxNorm(_ v: [Double]) -> Double {
    v.reduce(0) { max($0, abs($1)) }
}
