// Logistic regression fits on a dense, seeded 200,000 × 100 problem (λ = 1): Newton (syrk Hessian over row
// blocks, Cholesky) and L-BFGS, plus the multinomial L-BFGS fit. Wall-clock numbers are for people; compare
// them with the BLASCeiling suite's dgemm run in the same invocation
// (`swift package benchmark --target LogisticFits --target BLASCeiling`; the suite's folder is Logistic/, its
// target LogisticFits, since a target named Logistic would clash with the Logistic module it measures). The side-by-side comparison with
// scikit-learn at 1,000,000 × 100 is `compare/logistic_speed.sh`.
import Benchmark
import Foundation
import Linalg
import Logistic

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident], maxDuration: .seconds(10), maxIterations: 5)

    let n = 200_000
    let d = 100

    /// X ~ N(0, 1) (Box–Muller on a 64-bit LCG), labels from planted coefficients; seed 42.
    @Sendable func problem(classes: Int) throws -> (Matrix, [Double], [Int]) {
        var state: UInt64 = 42
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        var values = [Double](repeating: 0, count: n * d)
        for index in 0..<(n * d) {
            values[index] = (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
        }
        let x = try Matrix(rows: n, columns: d, columnMajor: values)
        let beta = (0..<d).map { j in 0.3 * sin(Double(j + 1)) }
        let eta = try gemv(x, beta)
        let labels = eta.map { uniform() < 1 / (1 + exp(0.5 - $0)) ? 1.0 : 0.0 }
        // Classes from η plus logistic noise, so they overlap (no separation, a well-posed softmax fit).
        let kinds = eta.map { e -> Int in
            let v = uniform()
            let noisy = e + log(v / (1 - v))
            return min(classes - 1, max(0, Int(((noisy + 4) / 8 * Double(classes)).rounded(.down))))
        }
        return (x, labels, kinds)
    }

    for solver in [LogisticRegression.Solver.newton, .lbfgs] {
        Benchmark("binary \(solver.rawValue) \(n)×\(d) λ=1") { (benchmark: Benchmark, input: (Matrix, [Double], [Int])) in
            for _ in benchmark.scaledIterations {
                let fit = try LogisticRegression.fit(
                    input.0, labels: input.1, configuration: .init(l2Penalty: 1, tolerance: 1e-6, solver: solver))
                blackHole(fit.model.intercept)
            }
        } setup: {
            try problem(classes: 2)
        }
    }

    Benchmark("multinomial lbfgs \(n)×\(d) K=4 λ=1") { (benchmark: Benchmark, input: (Matrix, [Double], [Int])) in
        for _ in benchmark.scaledIterations {
            let fit = try MultinomialLogisticRegression.fit(
                input.0, classes: input.2, classCount: 4, configuration: .init(l2Penalty: 1, tolerance: 1e-6))
            blackHole(fit.model.intercepts)
        }
    } setup: {
        try problem(classes: 4)
    }
}
