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
    /// Probability of ending without conversion at the next step.
    let null: [Double]

    var stateCount: Int { conversion.count }

    /// Transient sets up to this size are solved densely by LU; larger ones iteratively.
    static let denseLimit = 1500

    init(_ counts: TransitionCounts) {
        var rowStarts = [0]
        var targets: [Int32] = []
        var probabilities: [Double] = []
        var conversion: [Double] = []
        var null: [Double] = []
        for row in counts.transitions {
            let total = row.values.reduce(0, +)
            // Sorted targets: the same counts give bit-identical chains, whatever the insertion order.
            for target in row.keys.sorted() where target >= 0 {
                targets.append(target)
                probabilities.append(row[target]! / total)
            }
            conversion.append(total > 0 ? (row[TransitionCounts.conversion] ?? 0) / total : 0)
            null.append(total > 0 ? (row[TransitionCounts.null] ?? 0) / total : 1)
            rowStarts.append(targets.count)
        }
        self.rowStarts = rowStarts
        self.targets = targets
        self.probabilities = probabilities
        self.conversion = conversion
        self.null = null
    }

    /// How `conversionProbabilities` solves.
    enum Method: Sendable { case automatic, dense, iterative }

    /// Conversion probability from every state, with the states in `removed` forced to 0.
    ///
    /// Dense: LU of `I − Q` restricted to the kept states (LAPACK `dgetrf`/`dgetrs`). Iterative:
    /// Gauss–Seidel sweeps until the residual `max |r + Q·x − x|` is at most `tolerance` (default
    /// 1e-13), which bounds the error in `x` by `tolerance` times the expected number of steps to absorption.
    func conversionProbabilities(removing removed: [Bool]? = nil, method: Method = .automatic, tolerance: Double = 1e-13) throws(MarkovError) -> [Double] {
        let n = stateCount
        let kept = removed.map { r in (0..<n).filter { !r[$0] } } ?? Array(0..<n)
        let useDense = method == .dense || (method == .automatic && kept.count <= Self.denseLimit)
        if useDense { return try solveDense(kept: kept) }
        return try solveIterative(removed: removed, tolerance: tolerance)
    }

    private func solveDense(kept: [Int]) throws(MarkovError) -> [Double] {
        let m = kept.count
        var position = [Int](repeating: -1, count: stateCount)
        for (k, s) in kept.enumerated() { position[s] = k }
        var a = Matrix(rows: m, columns: m, repeating: 0)
        var b = [Double](repeating: 0, count: m)
        for (k, s) in kept.enumerated() {
            a[k, k] += 1
            b[k] = conversion[s]
            for e in rowStarts[s]..<rowStarts[s + 1] {
                let j = position[Int(targets[e])]
                if j >= 0 { a[k, j] -= probabilities[e] }
            }
        }
        var solution = [Double](repeating: 0, count: stateCount)
        guard m > 0 else { return solution }
        do {
            let x = try LUFactorization(a).solve(b)
            for (k, s) in kept.enumerated() { solution[s] = x[k] }
        } catch {
            throw MarkovError(.solverFailed, "absorbing chain: \(error.message)")
        }
        return solution
    }

    private func solveIterative(removed: [Bool]?, tolerance: Double) throws(MarkovError) -> [Double] {
        let n = stateCount
        var x = [Double](repeating: 0, count: n)
        let maxSweeps = 100_000
        for _ in 0..<maxSweeps {
            var residual = 0.0
            for s in 0..<n where removed?[s] != true {
                var value = conversion[s]
                for e in rowStarts[s]..<rowStarts[s + 1] {
                    let t = Int(targets[e])
                    if removed?[t] != true { value += probabilities[e] * x[t] }
                }
                residual = max(residual, abs(value - x[s]))
                x[s] = value
            }
            if residual <= tolerance { return try checkedResidual(x, removed: removed, tolerance: tolerance) }
        }
        throw MarkovError(.solverFailed, "absorbing chain: Gauss–Seidel did not reach residual \(tolerance) in \(maxSweeps) sweeps")
    }

    /// Recomputes the residual of the final `x` (the sweep's figure mixes old and new values).
    private func checkedResidual(_ x: [Double], removed: [Bool]?, tolerance: Double) throws(MarkovError) -> [Double] {
        var residual = 0.0
        for s in 0..<stateCount where removed?[s] != true {
            var value = conversion[s]
            for e in rowStarts[s]..<rowStarts[s + 1] where removed?[Int(targets[e])] != true {
                value += probabilities[e] * x[Int(targets[e])]
            }
            residual = max(residual, abs(value - x[s]))
        }
        guard residual <= tolerance * 10 else {
            throw MarkovError(.solverFailed, "absorbing chain: residual \(residual) above \(tolerance)")
        }
        return x
    }
}
