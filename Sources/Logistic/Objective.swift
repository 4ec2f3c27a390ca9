import Foundation
import Linalg

/// A smooth convex objective `f(θ)` of `dimension` parameters, shared by every solver: Newton uses
/// ``hessian(at:)``, L-BFGS and OWL-QN only ``valueAndGradient(at:)``.
///
/// The first ``penalizedCount`` coordinates are the feature coefficients (an L1 term added by OWL-QN acts on
/// them only); the rest are unpenalized intercepts. Any L2 term is part of `f`.
protocol Objective {
    /// The number of parameters.
    var dimension: Int { get }
    /// Coordinates `0..<penalizedCount` carry the penalties; the others (intercepts) do not.
    var penalizedCount: Int { get }
    /// `f(θ)` and `∇f(θ)`.
    func valueAndGradient(at point: [Double]) throws -> (value: Double, gradient: [Double])
}

/// An ``Objective`` whose dense Hessian is available (for Newton's method and for standard errors).
protocol TwiceDifferentiableObjective: Objective {
    /// `∇²f(θ)`, `dimension × dimension`.
    func hessian(at point: [Double]) throws -> Matrix
}

/// `-Σ wᵢ [yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)] + (λ/2)‖β‖²`, `pᵢ = σ(β₀ + xᵢᵀβ)`.
///
/// Parameters `θ = (β₁…β_d, β₀)`: the intercept, when fitted, is the last coordinate. The design matrix is
/// never copied or augmented with a column of ones: the intercept is handled separately, and the Hessian is
/// accumulated by `syrk` over blocks of rows scaled into small per-core buffers, so a fit needs about the
/// memory of `X` plus a few vectors of length n.
struct BinaryLogisticObjective: TwiceDifferentiableObjective {
    /// Rows per Hessian block: 512×101 doubles (0.4 MB) stay in a core's cache between scaling and `dsyrk`.
    static let blockRows = 512

    let x: Matrix
    let labels: [Double]
    let weights: [Double]
    /// The L2 coefficient `λ` of `(λ/2)‖β‖²`.
    let l2: Double
    let fitIntercept: Bool
    /// Rows per Hessian block; `nil` uses ``blockRows`` (tests set small blocks).
    var blockRowsOverride: Int? = nil

    var d: Int { x.columns }
    var n: Int { x.rows }
    var dimension: Int { d + (fitIntercept ? 1 : 0) }
    var penalizedCount: Int { d }

    /// `η = Xβ + β₀`.
    func linearPredictors(_ theta: [Double]) throws -> [Double] {
        let intercept = fitIntercept ? theta[d] : 0
        var eta = [Double](repeating: intercept, count: n)
        if d > 0 && n > 0 {
            try gemv(x, Array(theta[0..<d]), into: &eta, beta: 1)
        }
        return eta
    }

    /// `η`, the objective and the weighted log-likelihood at `theta`.
    func evaluate(_ theta: [Double]) throws -> (eta: [Double], objective: Double, logLikelihood: Double) {
        let eta = try linearPredictors(theta)
        let loss = self.loss(eta)
        return (eta, loss + 0.5 * l2 * penaltyNorm(theta), -loss)
    }

    /// `-Σ wᵢ log-likelihoodᵢ` given `η`.
    func loss(_ eta: [Double]) -> Double {
        var loss = 0.0
        for i in 0..<eta.count where weights[i] != 0 {
            // −log pᵢ = softplus(−ηᵢ) when yᵢ = 1; −log(1 − pᵢ) = softplus(ηᵢ) when yᵢ = 0.
            loss += weights[i] * (labels[i] == 1 ? softplus(-eta[i]) : softplus(eta[i]))
        }
        return loss
    }

    /// `‖β‖²` over the penalized coordinates.
    func penaltyNorm(_ theta: [Double]) -> Double {
        var sum = 0.0
        for j in 0..<d {
            sum += theta[j] * theta[j]
        }
        return sum
    }

    /// `∇ = (Xᵀr + λβ, Σ rᵢ)` with `r = w∘(p − y)` (no λ on the intercept).
    func gradient(_ theta: [Double], eta: [Double]) throws -> [Double] {
        var residual = [Double](repeating: 0, count: n)
        var sum = 0.0
        for i in 0..<n {
            residual[i] = weights[i] * (sigmoid(eta[i]) - labels[i])
            sum += residual[i]
        }
        var g = [Double](repeating: 0, count: dimension)
        if d > 0 {
            var head = [Double](repeating: 0, count: d)
            if n > 0 {
                try gemv(x, residual, into: &head, transposeA: true)
            }
            for j in 0..<d {
                g[j] = head[j] + l2 * theta[j]
            }
        }
        if fitIntercept {
            g[d] = sum
        }
        return g
    }

    /// Rows per block of the fused value-and-gradient pass: a 2048×d block stays in cache between its reads.
    static let fusedBlockRows = 2048

    /// `f` and `∇f` in one pass over `X`: row blocks are shared out to the cores, each computes its rows'
    /// `η`, loss and residuals and adds `X_blockᵀ r` to its own partial gradient while the block is in cache;
    /// the partial sums are then added in worker order (so the result is deterministic on a given machine).
    /// L-BFGS calls this once or twice per iteration, so reading `X` once instead of twice halves its time.
    func valueAndGradient(at point: [Double]) throws -> (value: Double, gradient: [Double]) {
        let (n, d) = (self.n, self.d)
        guard n > 0 && d > 0 else {
            let (eta, objective, _) = try evaluate(point)
            return (objective, try gradient(point, eta: eta))
        }
        let blockRows = Self.fusedBlockRows
        let blocks = (n + blockRows - 1) / blockRows
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, blocks, 16))
        let stride = d + 2  // per worker: d gradient entries, the residual sum, the loss
        let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: workers * stride)
        partial.initialize(repeating: 0)
        defer { partial.deallocate() }
        let intercept = fitIntercept ? point[d] : 0
        let beta = Array(point[0..<d])
        x.withUnsafeBufferPointer { xs in
            labels.withUnsafeBufferPointer { ys in
                weights.withUnsafeBufferPointer { ws in
                    beta.withUnsafeBufferPointer { bs in
                        // Workers read the inputs and write disjoint slots of `partial`.
                        let shared = SharedPointers(
                            x: xs.baseAddress, y: ys.baseAddress, w: ws.baseAddress, b: bs.baseAddress,
                            out: partial.baseAddress!)
                        DispatchQueue.concurrentPerform(iterations: workers) { worker in
                            let (xs, ys, ws, bs) = (shared.x!, shared.y!, shared.w!, shared.b)
                            let out = shared.out + worker * stride
                            let eta = UnsafeMutablePointer<Double>.allocate(capacity: blockRows)
                            defer { eta.deallocate() }
                            var loss = 0.0
                            var residualSum = 0.0
                            var block = worker
                            while block < blocks {
                                let start = block * blockRows
                                let count = min(blockRows, n - start)
                                for r in 0..<count { eta[r] = intercept }
                                // η += X_block·β, four columns per sweep (vectorizable: no reduction over r).
                                var j = 0
                                while j + 4 <= d {
                                    let (b0, b1, b2, b3) = (bs![j], bs![j + 1], bs![j + 2], bs![j + 3])
                                    let c0 = xs + start + j * n
                                    let (c1, c2, c3) = (c0 + n, c0 + 2 * n, c0 + 3 * n)
                                    for r in 0..<count {
                                        eta[r] += c0[r] * b0 + c1[r] * b1 + c2[r] * b2 + c3[r] * b3
                                    }
                                    j += 4
                                }
                                while j < d {
                                    let b = bs![j]
                                    let column = xs + start + j * n
                                    for r in 0..<count { eta[r] += column[r] * b }
                                    j += 1
                                }
                                for r in 0..<count {
                                    let i = start + r
                                    let w = ws[i]
                                    let e = eta[r]
                                    if w != 0 {
                                        loss += w * (ys[i] == 1 ? softplus(-e) : softplus(e))
                                    }
                                    let residual = w * (sigmoid(e) - ys[i])
                                    eta[r] = residual
                                    residualSum += residual
                                }
                                // g += X_blockᵀ r, four columns per sweep with two partial sums each: eight
                                // independent chains (the compiler does not reorder a floating-point sum).
                                var k = 0
                                while k + 4 <= d {
                                    let c0 = xs + start + k * n
                                    let (c1, c2, c3) = (c0 + n, c0 + 2 * n, c0 + 3 * n)
                                    var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
                                    var (t0, t1, t2, t3) = (0.0, 0.0, 0.0, 0.0)
                                    var r = 0
                                    while r + 2 <= count {
                                        let (e0, e1) = (eta[r], eta[r + 1])
                                        s0 += c0[r] * e0
                                        t0 += c0[r + 1] * e1
                                        s1 += c1[r] * e0
                                        t1 += c1[r + 1] * e1
                                        s2 += c2[r] * e0
                                        t2 += c2[r + 1] * e1
                                        s3 += c3[r] * e0
                                        t3 += c3[r + 1] * e1
                                        r += 2
                                    }
                                    if r < count {
                                        s0 += c0[r] * eta[r]
                                        s1 += c1[r] * eta[r]
                                        s2 += c2[r] * eta[r]
                                        s3 += c3[r] * eta[r]
                                    }
                                    out[k] += s0 + t0
                                    out[k + 1] += s1 + t1
                                    out[k + 2] += s2 + t2
                                    out[k + 3] += s3 + t3
                                    k += 4
                                }
                                while k < d {
                                    let column = xs + start + k * n
                                    var sum = 0.0
                                    for r in 0..<count { sum += column[r] * eta[r] }
                                    out[k] += sum
                                    k += 1
                                }
                                block += workers
                            }
                            out[d] = residualSum
                            out[d + 1] = loss
                        }
                    }
                }
            }
        }
        var g = [Double](repeating: 0, count: dimension)
        var loss = 0.0
        var residualSum = 0.0
        for worker in 0..<workers {
            for j in 0..<d { g[j] += partial[worker * stride + j] }
            residualSum += partial[worker * stride + d]
            loss += partial[worker * stride + d + 1]
        }
        for j in 0..<d { g[j] += l2 * point[j] }
        if fitIntercept { g[d] = residualSum }
        return (loss + 0.5 * l2 * penaltyNorm(point), g)
    }

    func hessian(at point: [Double]) throws -> Matrix {
        try hessian(eta: try linearPredictors(point))
    }

    /// `[X 1]ᵀ W [X 1] + λI` (no λ on the intercept), `W = diag(wᵢpᵢ(1 − pᵢ))`.
    ///
    /// Built by ``scaledGram(_:rowScales:appendingScaleColumn:blockRows:)`` from `√Wᵢᵢ`: rows are scaled
    /// a cache-sized block at a time and added by `dsyrk` on every core, so `X` is read once and never copied.
    func hessian(eta: [Double], penalized: Bool = true) throws -> Matrix {
        var root = [Double](repeating: 0, count: n)
        for i in 0..<n {
            // pᵢ(1 − pᵢ) = e^−|η| / (1 + e^−|η|)², without cancellation.
            let e = exp(-abs(eta[i]))
            root[i] = (weights[i] * e).squareRoot() / (1 + e)
        }
        var h = try scaledGram(
            x, rowScales: root, appendingScaleColumn: fitIntercept, blockRows: blockRowsOverride ?? Self.blockRows)
        if penalized {
            for j in 0..<d {
                h[j, j] += l2
            }
        }
        return h
    }
}

/// Raw pointers handed to the workers of a parallel loop; each worker writes only its own slots of `out`.
private struct SharedPointers: @unchecked Sendable {
    let x: UnsafePointer<Double>?
    let y: UnsafePointer<Double>?
    let w: UnsafePointer<Double>?
    let b: UnsafePointer<Double>?
    let out: UnsafeMutablePointer<Double>
}

/// `-Σ wᵢ log softmax(zᵢ)_{yᵢ} + (λ/2)‖W‖²_F` with `zᵢ = Wᵀxᵢ + b`: scikit-learn's symmetric multinomial
/// parameterization (one coefficient vector per class, K of them).
///
/// Parameters `θ`: `W` as a d×K column-major block (`θ[j + k·d]` is feature j's coefficient for class k),
/// then the K intercepts when fitted.
struct MultinomialObjective: Objective {
    let x: Matrix
    /// Class indices in `0..<classCount`.
    let classes: [Int]
    let classCount: Int
    let weights: [Double]
    let l2: Double
    let fitIntercept: Bool

    var d: Int { x.columns }
    var n: Int { x.rows }
    var dimension: Int { d * classCount + (fitIntercept ? classCount : 0) }
    var penalizedCount: Int { d * classCount }

    /// The n×K scores `Z = XW + 1bᵀ`.
    func scores(_ theta: [Double]) throws -> Matrix {
        let k = classCount
        var z = Matrix(rows: n, columns: k, repeating: 0)
        if fitIntercept {
            z.withUnsafeMutableBufferPointer { z in
                for c in 0..<k {
                    let b = theta[d * k + c]
                    for i in 0..<n {
                        z[i + c * n] = b
                    }
                }
            }
        }
        if d > 0 && n > 0 {
            let w = try Matrix(rows: d, columns: k, columnMajor: Array(theta[0..<(d * k)]))
            try gemm(x, w, into: &z, beta: fitIntercept ? 1 : 0)
        }
        return z
    }

    /// The loss `-Σ wᵢ log pᵢ,yᵢ` and the n×K residual `R = w∘(P − Y)`, from scores `z`.
    func lossAndResidual(_ z: Matrix) -> (loss: Double, residual: Matrix) {
        let k = classCount
        var residual = z
        var loss = 0.0
        residual.withUnsafeMutableBufferPointer { r in
            for i in 0..<n {
                var top = -Double.infinity
                for c in 0..<k {
                    top = max(top, r[i + c * n])
                }
                var sum = 0.0
                for c in 0..<k {
                    sum += exp(r[i + c * n] - top)
                }
                let logSum = top + log(sum)
                let w = weights[i]
                loss += w == 0 ? 0 : w * (logSum - r[i + classes[i] * n])
                for c in 0..<k {
                    let p = exp(r[i + c * n] - logSum)
                    r[i + c * n] = w * (p - (classes[i] == c ? 1 : 0))
                }
            }
        }
        return (loss, residual)
    }

    func valueAndGradient(at point: [Double]) throws -> (value: Double, gradient: [Double]) {
        let k = classCount
        let (loss, residual) = lossAndResidual(try scores(point))
        var g = [Double](repeating: 0, count: dimension)
        var penalty = 0.0
        if d > 0 {
            var gw = Matrix(rows: d, columns: k, repeating: 0)
            if n > 0 {
                try gemm(x, residual, into: &gw, transposeA: true)
            }
            for index in 0..<(d * k) {
                g[index] = gw.columnMajor[index] + l2 * point[index]
                penalty += point[index] * point[index]
            }
        }
        if fitIntercept {
            for c in 0..<k {
                var sum = 0.0
                for i in 0..<n {
                    sum += residual.columnMajor[i + c * n]
                }
                g[d * k + c] = sum
            }
        }
        return (loss + 0.5 * l2 * penalty, g)
    }
}
