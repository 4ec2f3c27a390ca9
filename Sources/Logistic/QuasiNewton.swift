import Foundation

/// L-BFGS, and OWL-QN (Andrew and Gao, 2007) when an L1 term is added, over any ``Objective``.
///
/// Minimizes `F(θ) = f(θ) + l1·Σ_{j < penalizedCount} |θⱼ|`. With `l1 == 0` this is plain L-BFGS with a
/// bracketing line search for the (approximate) Wolfe conditions; with `l1 > 0` the search direction is
/// computed from the pseudo-gradient, restricted to the orthant of the current point, and the line search
/// projects each trial point back onto that orthant (coordinates that would change sign become 0).
/// Stops when the optimality violation `‖pseudo-gradient‖∞ ≤ tolerance` (for `l1 == 0`, `‖∇f‖∞`).
struct QuasiNewton<O: Objective> {
    struct Result {
        var point: [Double]
        /// `F` at ``point``, including the L1 term.
        var value: Double
        /// `‖pseudo-gradient‖∞` at ``point`` (`‖∇f‖∞` without L1).
        var optimality: Double
        var iterations: Int
        var converged: Bool
        var notes: [String]
    }

    let objective: O
    let l1: Double
    let tolerance: Double
    let maxIterations: Int
    /// Pairs `(s, y)` kept for the inverse-Hessian approximation.
    var memory = 10

    init(_ objective: O, l1: Double, tolerance: Double, maxIterations: Int) {
        self.objective = objective
        self.l1 = l1
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }

    /// `f + l1‖θ_penalized‖₁`.
    func full(_ value: Double, _ point: [Double]) -> Double {
        guard l1 > 0 else { return value }
        var sum = 0.0
        for j in 0..<objective.penalizedCount {
            sum += abs(point[j])
        }
        return value + l1 * sum
    }

    /// The minimum-norm subgradient of `F` (equal to `∇f` on unpenalized coordinates and when `l1 == 0`).
    func pseudoGradient(_ point: [Double], _ gradient: [Double]) -> [Double] {
        guard l1 > 0 else { return gradient }
        var pg = gradient
        for j in 0..<objective.penalizedCount {
            if point[j] > 0 {
                pg[j] = gradient[j] + l1
            } else if point[j] < 0 {
                pg[j] = gradient[j] - l1
            } else if gradient[j] + l1 < 0 {
                pg[j] = gradient[j] + l1
            } else if gradient[j] - l1 > 0 {
                pg[j] = gradient[j] - l1
            } else {
                pg[j] = 0
            }
        }
        return pg
    }

    func run(from start: [Double]) throws -> Result {
        let m = objective.dimension
        let p = objective.penalizedCount
        var point = start
        var (value, gradient) = try objective.valueAndGradient(at: point)
        var total = full(value, point)
        var pg = pseudoGradient(point, gradient)
        var history: [(s: [Double], y: [Double], rho: Double)] = []
        var notes: [String] = []
        var iterations = 0
        var stalled = 0
        var smallestViolation = maxNorm(pg)
        // Differences of F below this are rounding noise.
        func noise(_ f: Double) -> Double { 1e-13 * (1 + abs(f)) }

        while maxNorm(pg) > tolerance && iterations < maxIterations {
            // Two-loop recursion: direction = −H·pg.
            var q = pg
            var alphas = [Double](repeating: 0, count: history.count)
            for index in stride(from: history.count - 1, through: 0, by: -1) {
                let (s, _, rho) = history[index]
                let a = rho * dotProduct(s, q)
                alphas[index] = a
                subtract(a, history[index].y, from: &q)
            }
            if let last = history.last {
                let gamma = dotProduct(last.s, last.y) / dotProduct(last.y, last.y)
                for j in 0..<m { q[j] *= gamma }
            } else {
                // First step (or after a reset): a unit-length steepest-descent step.
                let scale = 1 / max(norm2(pg), 1e-300)
                for j in 0..<m { q[j] *= min(1, scale) }
            }
            for index in 0..<history.count {
                let (s, y, rho) = history[index]
                let b = rho * dotProduct(y, q)
                subtract(b - alphas[index], s, from: &q)  // q += (α − β)s
            }
            var direction = q.map { -$0 }
            if l1 > 0 {
                // Keep only the components that descend along the pseudo-gradient.
                for j in 0..<p where direction[j] * pg[j] >= 0 {
                    direction[j] = 0
                }
            }
            var slope = dotProduct(direction, pg)
            if !(slope < 0) {
                history.removeAll()
                let scale = min(1, 1 / max(norm2(pg), 1e-300))
                direction = pg.map { -$0 * scale }
                slope = dotProduct(direction, pg)
            }
            // The orthant of the search: the sign of θ, or of −pg where θ is 0.
            var orthant = [Double](repeating: 0, count: p)
            if l1 > 0 {
                for j in 0..<p {
                    orthant[j] = point[j] != 0 ? (point[j] > 0 ? 1 : -1) : (pg[j] < 0 ? 1 : (pg[j] > 0 ? -1 : 0))
                }
            }
            func trialPoint(_ t: Double) -> [Double] {
                var trial = point
                for j in 0..<m {
                    trial[j] += t * direction[j]
                }
                if l1 > 0 {
                    for j in 0..<p where trial[j] * orthant[j] <= 0 {
                        trial[j] = 0
                    }
                }
                return trial
            }

            // Line search. L2: bisection/expansion for the Wolfe conditions, with Hager and Zhang's
            // approximate Wolfe test once F changes by rounding noise only. L1: projected backtracking (Armijo).
            var lo = 0.0
            var hi = Double.infinity
            var t = 1.0
            var accepted: (point: [Double], value: Double, gradient: [Double], total: Double)?
            var best: (point: [Double], value: Double, gradient: [Double], total: Double)?
            for _ in 0..<60 {
                let trial = trialPoint(t)
                let (trialValue, trialGradient) = try objective.valueAndGradient(at: trial)
                let trialTotal = full(trialValue, trial)
                guard trialTotal.isFinite else {
                    hi = t
                    t = (lo + hi) / 2
                    continue
                }
                if trialTotal < (best?.total ?? total) {
                    best = (trial, trialValue, trialGradient, trialTotal)
                }
                if l1 > 0 {
                    var decrease = 0.0
                    for j in 0..<m { decrease += pg[j] * (trial[j] - point[j]) }
                    if trialTotal <= total + 1e-4 * decrease || (decrease < 0 && trialTotal <= total + noise(total)) {
                        accepted = (trial, trialValue, trialGradient, trialTotal)
                        break
                    }
                    t *= 0.5
                    continue
                }
                let trialSlope = dotProduct(trialGradient, direction)
                let armijo = trialTotal <= total + 1e-4 * t * slope
                let curvature = trialSlope >= 0.9 * slope
                let approximate = trialTotal <= total + noise(total) && trialSlope >= 0.9 * slope
                    && trialSlope <= (2 * 0.1 - 1) * slope
                if (armijo && curvature) || approximate {
                    accepted = (trial, trialValue, trialGradient, trialTotal)
                    break
                }
                if !armijo || trialSlope > 0 {
                    hi = t
                } else {
                    lo = t
                }
                t = hi.isFinite ? (lo + hi) / 2 : 2 * t
            }
            guard let next = accepted ?? best else {
                notes.append(
                    "iteration \(iterations): the line search found no lower objective; stopped at optimality "
                        + "violation \(maxNorm(pg)) (the tolerance may be below what double precision allows)")
                break
            }
            iterations += 1
            // Progress is a decrease of F beyond rounding, or a new smallest optimality violation (near the
            // optimum F changes by less than rounding while the gradient still shrinks).
            let nextViolation = maxNorm(pseudoGradient(next.point, next.gradient))
            if next.total < total - noise(total) || nextViolation < smallestViolation {
                stalled = 0
            } else {
                stalled += 1
            }
            smallestViolation = min(smallestViolation, nextViolation)
            var s = next.point
            var y = next.gradient
            for j in 0..<m {
                s[j] -= point[j]
                y[j] -= gradient[j]
            }
            let sy = dotProduct(s, y)
            if sy > 1e-12 * dotProduct(y, y).squareRoot() * norm2(s) && sy > 0 {
                history.append((s, y, 1 / sy))
                if history.count > memory { history.removeFirst() }
            }
            (point, value, gradient, total) = next
            pg = pseudoGradient(point, gradient)
            if stalled >= 20 {
                notes.append(
                    "iteration \(iterations): the objective stopped decreasing (changes below rounding); stopped at "
                        + "optimality violation \(maxNorm(pg))")
                break
            }
        }
        let optimality = maxNorm(pg)
        return Result(
            point: point, value: total, optimality: optimality, iterations: iterations,
            converged: optimality <= tolerance, notes: notes)
    }
}

func dotProduct(_ a: [Double], _ b: [Double]) -> Double {
    var sum = 0.0
    for j in 0..<a.count {
        sum += a[j] * b[j]
    }
    return sum
}

func norm2(_ a: [Double]) -> Double {
    dotProduct(a, a).squareRoot()
}

/// `y ← y − a·x`.
func subtract(_ a: Double, _ x: [Double], from y: inout [Double]) {
    for j in 0..<y.count {
        y[j] -= a * x[j]
    }
}
