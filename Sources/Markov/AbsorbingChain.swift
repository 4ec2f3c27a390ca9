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
    /// The states grouped into strongly connected components of `Q`, successors first (Tarjan's
    /// order): `blockOrder[blockStarts[b] ..< blockStarts[b + 1]]` are block `b`'s states. Solving the
    /// blocks in this order, each one sees its successors' final values: a block without a cycle is
    /// solved in one step, and sweeps are needed only inside cycles.
    let blockOrder: [Int32]
    let blockStarts: [Int]
    /// `Q` again, rows and targets renumbered in `blockOrder` (state `blockOrder[i]` is row `i`), so
    /// that the sweeps read the rows in memory order.
    let blockRowStarts: [Int]
    let blockTargets: [Int32]
    let blockProbabilities: [Double]

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
        (blockOrder, blockStarts) = Self.components(rowStarts: rowStarts, targets: targets)
        var position = [Int32](repeating: 0, count: blockOrder.count)
        for (i, s) in blockOrder.enumerated() { position[Int(s)] = Int32(i) }
        var blockRowStarts = [0]
        var blockTargets: [Int32] = []
        var blockProbabilities: [Double] = []
        blockRowStarts.reserveCapacity(blockOrder.count + 1)
        blockTargets.reserveCapacity(targets.count)
        blockProbabilities.reserveCapacity(targets.count)
        for s in blockOrder {
            for e in rowStarts[Int(s)]..<rowStarts[Int(s) + 1] {
                blockTargets.append(position[Int(targets[e])])
                blockProbabilities.append(probabilities[e])
            }
            blockRowStarts.append(blockTargets.count)
        }
        self.blockRowStarts = blockRowStarts
        self.blockTargets = blockTargets
        self.blockProbabilities = blockProbabilities
    }

    /// Tarjan's strongly connected components, iteratively: each component is listed after every
    /// component it can reach.
    static func components(rowStarts: [Int], targets: [Int32]) -> ([Int32], [Int]) {
        let n = rowStarts.count - 1
        var index = [Int32](repeating: -1, count: n)
        var low = [Int32](repeating: 0, count: n)
        var onStack = [Bool](repeating: false, count: n)
        var stack: [Int32] = []
        var order: [Int32] = []
        var starts = [0]
        order.reserveCapacity(n)
        var next: Int32 = 0
        // Depth-first frames: state and the position of its next edge.
        var frames: [(state: Int, edge: Int)] = []
        for root in 0..<n where index[root] < 0 {
            index[root] = next
            low[root] = next
            next += 1
            stack.append(Int32(root))
            onStack[root] = true
            frames.append((root, rowStarts[root]))
            while let (v, e) = frames.last {
                if e < rowStarts[v + 1] {
                    frames[frames.count - 1].edge = e + 1
                    let w = Int(targets[e])
                    if index[w] < 0 {
                        index[w] = next
                        low[w] = next
                        next += 1
                        stack.append(Int32(w))
                        onStack[w] = true
                        frames.append((w, rowStarts[w]))
                    } else if onStack[w] {
                        low[v] = min(low[v], index[w])
                    }
                    continue
                }
                frames.removeLast()
                if let parent = frames.last { low[parent.state] = min(low[parent.state], low[v]) }
                if low[v] == index[v] {
                    while true {
                        let w = stack.removeLast()
                        onStack[Int(w)] = false
                        order.append(w)
                        if Int(w) == v { break }
                    }
                    starts.append(order.count)
                }
            }
        }
        return (order, starts)
    }

    /// How `conversionProbabilities` solves.
    enum Method: Sendable { case automatic, dense, iterative }

    /// Solves `(I − Q)·x = b` for each right-hand side in `rightHandSides` (each one value per state,
    /// e.g. `conversion` or `conversionValue`), with `x = 0` on the states in `removed`.
    ///
    /// Dense: one LU of `I − Q` restricted to the kept states (LAPACK `dgetrf`/`dgetrs`). Iterative:
    /// block Gauss–Seidel over the strongly connected blocks, successors first, sweeping each block until
    /// its largest change (which bounds the residual `max |b + Q·x − x|`) is at most `tolerance` (default
    /// 1e-13; the final residual is recomputed and checked against 1e-12), which bounds the error in `x`
    /// by the residual times the expected number of steps to absorption.
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

    /// Block Gauss–Seidel, two right-hand sides at a time (one SIMD pair): the strongly connected
    /// blocks in order, successors first; a state alone in its block is solved exactly
    /// (`x = (b + Σ q·x) / (1 − q_ss)`), a larger block is swept until its change, which bounds its
    /// residual, is at most `tolerance`. `initial` (e.g. the solution before a removal) is a warm start.
    /// Removed states keep `x = 0`, so their terms vanish without a test.
    private func solveIterative(_ bs: [[Double]], removed: [Bool]?, initial: [[Double]]?, tolerance: Double) throws(MarkovError) -> [[Double]] {
        let n = stateCount
        let maxSweeps = 20_000
        var solutions = [[Double]](repeating: [Double](repeating: 0, count: n), count: bs.count)
        let isRemoved = blockOrder.map { removed?[Int($0)] ?? false }
        for pair in stride(from: 0, to: bs.count, by: 2) {
            let second = pair + 1 < bs.count
            var x = [SIMD2<Double>](repeating: .zero, count: n)
            var b = [SIMD2<Double>](repeating: .zero, count: n)
            for (i, s) in blockOrder.enumerated() {
                let s = Int(s)
                b[i] = SIMD2(bs[pair][s], second ? bs[pair + 1][s] : 0)
                if let initial, !isRemoved[i] { x[i] = SIMD2(initial[pair][s], second ? initial[pair + 1][s] : 0) }
            }
            let converged = x.withUnsafeMutableBufferPointer { x in
                b.withUnsafeBufferPointer { b in
                    isRemoved.withUnsafeBufferPointer { isRemoved in
                        blockRowStarts.withUnsafeBufferPointer { rowStarts in
                            blockTargets.withUnsafeBufferPointer { targets in
                                blockProbabilities.withUnsafeBufferPointer { probabilities in
                                    for block in 0..<(blockStarts.count - 1) {
                                        let first = blockStarts[block]
                                        let end = blockStarts[block + 1]
                                        if end - first == 1 {
                                            if isRemoved[first] { continue }
                                            var value = b[first]
                                            var stay = 0.0
                                            for e in rowStarts[first]..<rowStarts[first + 1] {
                                                let t = Int(targets[e])
                                                if t == first { stay += probabilities[e] } else { value += probabilities[e] * x[t] }
                                            }
                                            // A state that only loops on itself never ends: it keeps its start value.
                                            if stay < 1 { x[first] = value / (1 - stay) }
                                            continue
                                        }
                                        var blockConverged = false
                                        for _ in 0..<maxSweeps {
                                            var change = SIMD2<Double>.zero
                                            for i in first..<end where !isRemoved[i] {
                                                var value = b[i]
                                                for e in rowStarts[i]..<rowStarts[i + 1] {
                                                    value += probabilities[e] * x[Int(targets[e])]
                                                }
                                                let d = value - x[i]
                                                change = pointwiseMax(change, pointwiseMax(d, -d))
                                                x[i] = value
                                            }
                                            if change.max() <= tolerance {
                                                blockConverged = true
                                                break
                                            }
                                        }
                                        if !blockConverged { return false }
                                    }
                                    return true
                                }
                            }
                        }
                    }
                }
            }
            guard converged else {
                throw MarkovError(.solverFailed, "absorbing chain: Gauss–Seidel did not reach residual \(tolerance) in \(maxSweeps) sweeps")
            }
            for (i, s) in blockOrder.enumerated() {
                solutions[pair][Int(s)] = x[i][0]
                if second { solutions[pair + 1][Int(s)] = x[i][1] }
            }
        }
        for j in bs.indices { solutions[j] = try checkedResidual(solutions[j], bs[j], removed: removed) }
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
