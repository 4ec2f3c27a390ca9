import Linalg

/// Transition probabilities between the transient states of a fitted chain, in compressed rows,
/// and the exact solve of "probability of ending in conversion" from every state.
///
/// With `Q` the transient-to-transient probabilities and `r` the probabilities of converting next,
/// the conversion probabilities `x` solve `(I − Q)·x = r`. Removing channels forces `x = 0` on the
/// states that contain them (reaching such a state is a lost journey): the same system on the other
/// states.
struct AbsorbingChain: Sendable {
    /// Rows of `Q`: `rowStarts[s] ..< rowStarts[s + 1]` index `targets` and `probabilities`.
    let rowStarts: [Int]
    let targets: [Int32]
    let probabilities: [Double]
    /// `r`: probability of converting at the next step.
    let conversion: [Double]
    /// Expected conversion value collected at the next step: value of the conversions right after the
    /// state over all transitions out of it.
    let conversionValue: [Double]
    /// Probability of ending without conversion at the next step.
    let null: [Double]

    var stateCount: Int { conversion.count }

    /// `automatic` falls back from Gauss–Seidel to LU when the sweeps do not converge and the kept
    /// states are at most this many.
    static let denseLimit = 1500

    init(_ counts: TransitionCounts) {
        var rowStarts = [0]
        var targets: [Int32] = []
        var probabilities: [Double] = []
        var conversion: [Double] = []
        var conversionValue: [Double] = []
        var null: [Double] = []
        for s in counts.states.indices {
            let row = counts.successors[s]
            let total = row.reduce(0) { $0 + $1.weight } + counts.conversionWeights[s] + counts.nullWeights[s]
            // Sorted targets: the same counts give bit-identical chains, whatever the insertion order.
            for successor in row.sorted(by: { $0.target < $1.target }) {
                targets.append(successor.target)
                probabilities.append(successor.weight / total)
            }
            conversion.append(total > 0 ? counts.conversionWeights[s] / total : 0)
            conversionValue.append(total > 0 ? counts.conversionValues[s] / total : 0)
            null.append(total > 0 ? counts.nullWeights[s] / total : 1)
            rowStarts.append(targets.count)
        }
        self.rowStarts = rowStarts
        self.targets = targets
        self.probabilities = probabilities
        self.conversion = conversion
        self.conversionValue = conversionValue
        self.null = null
    }

    /// How `conversionProbabilities` solves.
    enum Method: Sendable { case automatic, dense, iterative }

    /// Solves `(I − Q)·x = b` for each right-hand side in `rightHandSides` (each one value per state,
    /// e.g. `conversion` or `conversionValue`), with `x = 0` on the states in `removed`.
    ///
    /// Dense: one LU of `I − Q` restricted to the kept states (LAPACK `dgetrf`/`dgetrs`). Iterative:
    /// Gauss–Seidel sweeps until the residual `max |b + Q·x − x|` is at most `tolerance` (default
    /// 1e-13; the final residual is checked against 1e-12), which bounds the error in `x` by the residual
    /// times the expected number of steps to absorption.
    func solve(
        _ rightHandSides: [[Double]], removing removed: [Bool]? = nil, startingFrom initial: [[Double]]? = nil,
        method: Method = .automatic, tolerance: Double = 1e-13
    ) throws(MarkovError) -> [[Double]] {
        let n = stateCount
        let kept = removed.map { r in (0..<n).filter { !r[$0] } } ?? Array(0..<n)
        if method == .dense { return try solveDense(rightHandSides, kept: kept) }
        do {
            return try solveIterative(rightHandSides, removed: removed, initial: initial, tolerance: tolerance)
        } catch where method == .automatic && kept.count <= Self.denseLimit {
            return try solveDense(rightHandSides, kept: kept)  // slow to converge: long loops; LU is exact
        }
    }

    /// Conversion probability from every state, with the states in `removed` forced to 0.
    func conversionProbabilities(removing removed: [Bool]? = nil, method: Method = .automatic) throws(MarkovError) -> [Double] {
        try solve([conversion], removing: removed, method: method)[0]
    }

    private func solveDense(_ rightHandSides: [[Double]], kept: [Int]) throws(MarkovError) -> [[Double]] {
        let m = kept.count
        var solutions = [[Double]](repeating: [Double](repeating: 0, count: stateCount), count: rightHandSides.count)
        guard m > 0 else { return solutions }
        var position = [Int](repeating: -1, count: stateCount)
        for (k, s) in kept.enumerated() { position[s] = k }
        var a = Matrix(rows: m, columns: m, repeating: 0)
        var b = Matrix(rows: m, columns: rightHandSides.count, repeating: 0)
        for (k, s) in kept.enumerated() {
            a[k, k] += 1
            for (j, rhs) in rightHandSides.enumerated() { b[k, j] = rhs[s] }
            for e in rowStarts[s]..<rowStarts[s + 1] {
                let j = position[Int(targets[e])]
                if j >= 0 { a[k, j] -= probabilities[e] }
            }
        }
        do {
            let x = try LUFactorization(a).solve(b)
            for j in rightHandSides.indices {
                for (k, s) in kept.enumerated() { solutions[j][s] = x[k, j] }
            }
        } catch {
            throw MarkovError(.solverFailed, "absorbing chain: \(error.message)")
        }
        return solutions
    }

    /// Gauss–Seidel for all right-hand sides in one pass over the rows; `initial` (e.g. the solution
    /// before a removal) is a warm start.
    private func solveIterative(_ bs: [[Double]], removed: [Bool]?, initial: [[Double]]?, tolerance: Double) throws(MarkovError) -> [[Double]] {
        let n = stateCount
        let k = bs.count
        let isRemoved = removed ?? [Bool](repeating: false, count: n)
        // x[s * k + j]: state s, right-hand side j.
        var x = [Double](repeating: 0, count: n * k)
        if let initial {
            for s in 0..<n where !isRemoved[s] { for j in 0..<k { x[s * k + j] = initial[j][s] } }
        }
        var b = [Double](repeating: 0, count: n * k)
        for s in 0..<n { for j in 0..<k { b[s * k + j] = bs[j][s] } }
        let maxSweeps = 20_000
        var converged = false
        rowStarts.withUnsafeBufferPointer { rowStarts in
            targets.withUnsafeBufferPointer { targets in
                probabilities.withUnsafeBufferPointer { probabilities in
                    isRemoved.withUnsafeBufferPointer { isRemoved in
                        x.withUnsafeMutableBufferPointer { x in
                            b.withUnsafeBufferPointer { b in
                                var value = [Double](repeating: 0, count: k)
                                for _ in 0..<maxSweeps {
                                    var residual = 0.0
                                    for s in 0..<n where !isRemoved[s] {
                                        for j in 0..<k { value[j] = b[s * k + j] }
                                        for e in rowStarts[s]..<rowStarts[s + 1] {
                                            let t = Int(targets[e])
                                            if isRemoved[t] { continue }
                                            let p = probabilities[e]
                                            for j in 0..<k { value[j] += p * x[t * k + j] }
                                        }
                                        for j in 0..<k {
                                            residual = max(residual, abs(value[j] - x[s * k + j]))
                                            x[s * k + j] = value[j]
                                        }
                                    }
                                    if residual <= tolerance {
                                        converged = true
                                        return
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        guard converged else {
            throw MarkovError(.solverFailed, "absorbing chain: Gauss–Seidel did not reach residual \(tolerance) in \(maxSweeps) sweeps")
        }
        var solutions: [[Double]] = []
        for j in 0..<k {
            let xj = (0..<n).map { x[$0 * k + j] }
            solutions.append(try checkedResidual(xj, bs[j], removed: removed))
        }
        return solutions
    }

    /// Recomputes the residual of the final `x` (the sweep's figure mixes old and new values).
    private func checkedResidual(_ x: [Double], _ b: [Double], removed: [Bool]?) throws(MarkovError) -> [Double] {
        var residual = 0.0
        for s in 0..<stateCount where removed?[s] != true {
            var value = b[s]
            for e in rowStarts[s]..<rowStarts[s + 1] where removed?[Int(targets[e])] != true {
                value += probabilities[e] * x[Int(targets[e])]
            }
            residual = max(residual, abs(value - x[s]))
        }
        guard residual <= 1e-12 else {
            throw MarkovError(.solverFailed, "absorbing chain: residual \(residual) above 1e-12")
        }
        return x
    }
}
