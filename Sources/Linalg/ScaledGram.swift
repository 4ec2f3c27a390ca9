internal import CBLAS
import Dispatch

/// The Gram matrix of a row-scaled matrix, `(S·A)ᵀ(S·A) = Aᵀ·diag(s²)·A` with `S = diag(s)`, for tall `A`:
/// the Hessian `XᵀWX` of a weighted least-squares or logistic fit, with `s = √W`.
///
/// With `appendingScaleColumn`, `A` is first widened by a column of ones, so the result is
/// `(d + 1)×(d + 1)` and its last row and column hold `Σ sᵢ²·aᵢ` and `Σ sᵢ²`: the intercept's entries.
/// Neither `S·A` nor the widened matrix is ever formed: rows are scaled one block at a time into a small
/// buffer that stays in cache, and each block is added by one `dsyrk`.
///
/// The rows are cut into up to eight runs of consecutive blocks, each summed into its own accumulator, and
/// the runs are shared out to ``BLASThreads/count`` workers, each with its own buffer and each calling a
/// single-threaded `dsyrk`. The accumulators are added in order, so the result is the same, bit for bit,
/// with any number of threads. A `dsyrk` with only `d + 1` output columns splits
/// poorly across OpenBLAS's own threads, while the workers here share nothing until the final sum.
/// While the workers run, OpenBLAS is set to one thread per call (and restored afterwards), so a BLAS
/// call made meanwhile from another thread runs on one core.
///
/// - Parameters:
///   - a: `A`, n×d.
///   - rowScales: `s`, n scale factors (`s²` are the weights).
///   - appendingScaleColumn: widen `A` by a column of ones (an intercept). Default false.
///   - blockRows: rows per block (tests use small blocks). Default 512: 512×101 doubles is 0.4 MB.
/// - Returns: the symmetric `k×k` product, `k = d` or `d + 1`.
/// - Throws: `LinalgError` `.dimensionMismatch` if `rowScales` does not have one entry per row of `A`;
///   `.tooLarge` if a dimension exceeds `Int32.max`.
/// - Complexity: O(n·k²) flops, one read of `A`.
public func scaledGram(
    _ a: Matrix, rowScales: [Double], appendingScaleColumn: Bool = false, blockRows: Int = 512
) throws(LinalgError) -> Matrix {
    try scaledGram(a, rowScales: rowScales, appendingScaleColumn: appendingScaleColumn, blockRows: blockRows, threads: BLASThreads.count)
}

/// ``scaledGram(_:rowScales:appendingScaleColumn:blockRows:)`` on at most `threads` workers (tests ask for
/// a count without changing the process-wide one).
func scaledGram(
    _ a: Matrix, rowScales: [Double], appendingScaleColumn: Bool, blockRows: Int, threads: Int
) throws(LinalgError) -> Matrix {
    precondition(blockRows >= 1, "scaledGram: blockRows must be at least 1, got \(blockRows)")
    guard rowScales.count == a.rows else {
        throw LinalgError(
            .dimensionMismatch,
            "scaledGram: A is \(a.shape) but rowScales has \(rowScales.count) entries; need one per row of A")
    }
    let (n, d) = (a.rows, a.columns)
    let k = d + (appendingScaleColumn ? 1 : 0)
    guard k > 0 else { return Matrix(rows: 0, columns: 0, repeating: 0) }
    let k32 = try k.int32(for: "dsyrk")
    let blockRows = max(1, min(blockRows, n))
    _ = try blockRows.int32(for: "dsyrk")
    let blocks = (n + blockRows - 1) / blockRows

    // The blocks are cut into `chunks` runs of consecutive blocks, each summed into its own accumulator, and
    // the accumulators are added in chunk order: the rounding depends on n and k, never on the thread count.
    let chunks = max(1, min(blocks, maximumGramChunks, gramAccumulatorBudget / (k * k)))
    let workers = max(1, min(threads, chunks))
    let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunks * k * k)
    partial.initialize(repeating: 0)
    defer { partial.deallocate() }

    a.withUnsafeBufferPointer { xs in
        rowScales.withUnsafeBufferPointer { ss in
            let shared = GramPointers(x: xs.baseAddress, s: ss.baseAddress, out: partial.baseAddress!)
            // One worker's share: chunks worker, worker + workers, …; each block of a chunk is scaled into
            // `buffer` and added to the chunk's k×k accumulator by a single-threaded dsyrk (lower, β = 1).
            let work: @Sendable (Int) -> Void = { worker in
                let buffer = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * k)
                defer { buffer.deallocate() }
                var chunk = worker
                while chunk < chunks {
                    let accumulator = shared.out + chunk * k * k
                    for block in (chunk * blocks / chunks)..<((chunk + 1) * blocks / chunks) {
                        let start = block * blockRows
                        let count = min(blockRows, n - start)
                        let scale = shared.s! + start
                        for j in 0..<k {
                            let to = buffer + j * count
                            if j < d {
                                let from = shared.x! + start + j * n
                                for r in 0..<count { to[r] = from[r] * scale[r] }
                            } else {
                                for r in 0..<count { to[r] = scale[r] }
                            }
                        }
                        cblas_dsyrk(
                            CblasColMajor, CblasLower, CblasTrans, k32, Int32(count), 1, buffer, Int32(count), 1,
                            accumulator, k32)
                    }
                    chunk += workers
                }
            }
            if workers == 1 {
                BLASThreads.atTheSetCount { work(0) }
            } else {
                BLASThreads.withOneThreadPerCall {
                    DispatchQueue.concurrentPerform(iterations: workers, execute: work)
                }
            }
        }
    }

    var gram = Matrix(rows: k, columns: k, repeating: 0)
    gram.withUnsafeMutableBufferPointer { g in
        for chunk in 0..<chunks {
            let from = partial.baseAddress! + chunk * k * k
            for j in 0..<k {
                for i in j..<k { g[i + j * k] += from[i + j * k] }
            }
        }
        for j in 0..<k {
            for i in 0..<j { g[i + j * k] = g[j + i * k] }
        }
    }
    return gram
}

/// At most this many accumulators (runs of blocks) in ``scaledGram(_:rowScales:appendingScaleColumn:blockRows:)``:
/// enough to keep up to eight cores busy.
private let maximumGramChunks = 8
/// …and at most this many doubles in all accumulators together (64 MB), for wide matrices.
private let gramAccumulatorBudget = 1 << 23

/// Raw pointers shared by the workers of ``scaledGram(_:rowScales:appendingScaleColumn:blockRows:)``: they
/// read `x` and `s` and each writes only its own accumulator in `out`.
private struct GramPointers: @unchecked Sendable {
    let x: UnsafePointer<Double>?
    let s: UnsafePointer<Double>?
    let out: UnsafeMutablePointer<Double>
}
