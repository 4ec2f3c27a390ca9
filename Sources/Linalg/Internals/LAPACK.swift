internal import CLAPACKE

/// One thin wrapper per LAPACK routine Linalg calls, through LAPACKE in column-major layout.
///
/// Pointers live only inside these functions. Symmetric routines use and produce the lower triangle.
/// Factorizations and solves call the `_work` variants, which skip LAPACKE's NaN scan: factorizations
/// check finiteness themselves (throwing `.notFinite`), and solves propagate NaN like BLAS does.
/// Routines that need workspace call the high-level variants, which allocate it.
enum LAPACK {
    /// `A = L·Lᵀ` in place (`dpotrf`): the lower triangle of `a` becomes `L`; the strict upper one is untouched.
    static func potrf(_ a: inout Matrix) throws(LinalgError) {
        precondition(a.rows == a.columns, "dpotrf needs a square matrix, got \(a.shape)")
        let n = try a.rows.int32(for: "dpotrf")
        let info = BLASThreads.atTheSetCount {
            a.withUnsafeMutableBufferPointer {
                LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, lower, n, $0.baseAddress, max(1, n))
            }
        }
        try check(info, "dpotrf") { order in
            LinalgError(
                .notPositiveDefinite,
                "dpotrf: the leading minor of order \(order) is not positive definite; "
                    + "add an L2 penalty or remove collinear columns")
        }
    }

    /// Solves `L·Lᵀ·X = B` in place of `b` (`dpotrs`), given `L` from `potrf`.
    static func potrs(_ l: Matrix, _ b: inout Matrix) throws(LinalgError) {
        precondition(l.rows == l.columns && b.rows == l.rows, "dpotrs: L is \(l.shape), B is \(b.shape)")
        let n = try l.rows.int32(for: "dpotrs")
        let nrhs = try b.columns.int32(for: "dpotrs")
        let info = BLASThreads.atTheSetCount {
            l.withUnsafeBufferPointer { l in
                b.withUnsafeMutableBufferPointer { b in
                    LAPACKE_dpotrs_work(
                        LAPACK_COL_MAJOR, lower, n, nrhs, l.baseAddress, max(1, n), b.baseAddress, max(1, n))
                }
            }
        }
        try check(info, "dpotrs")
    }

    /// Estimates `1 / (‖A‖₁·‖A⁻¹‖₁)` (`dpocon`) from `L` and `anorm = ‖A‖₁`.
    static func pocon(_ l: Matrix, anorm: Double) -> Double {
        let n = Int32(l.rows)  // Fits: the factorization checked it.
        var rcond = 0.0
        let info = BLASThreads.atTheSetCount {
            l.withUnsafeBufferPointer {
                LAPACKE_dpocon(LAPACK_COL_MAJOR, lower, n, $0.baseAddress, max(1, n), anorm, &rcond)
            }
        }
        requireValidArguments(info, "dpocon")
        return rcond
    }

    /// `‖A‖₁` of the symmetric matrix whose lower triangle `a` holds (`dlansy`).
    static func lansy(_ a: Matrix) throws(LinalgError) -> Double {
        let n = try a.rows.int32(for: "dlansy")
        return BLASThreads.atTheSetCount {
            a.withUnsafeBufferPointer {
                LAPACKE_dlansy(LAPACK_COL_MAJOR, one, lower, n, $0.baseAddress, max(1, n))
            }
        }
    }

    /// `P·A = L·U` in place (`dgetrf`), returning the 1-based pivot rows.
    static func getrf(_ a: inout Matrix) throws(LinalgError) -> [Int32] {
        let m = try a.rows.int32(for: "dgetrf")
        let n = try a.columns.int32(for: "dgetrf")
        var pivots = [Int32](repeating: 0, count: min(a.rows, a.columns))
        let info = BLASThreads.atTheSetCount {
            a.withUnsafeMutableBufferPointer { a in
                pivots.withUnsafeMutableBufferPointer { pivots in
                    LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, m, n, a.baseAddress, max(1, m), pivots.baseAddress)
                }
            }
        }
        try check(info, "dgetrf") { i in
            LinalgError(
                .singular,
                "dgetrf: the matrix is singular (pivot U[\(i - 1), \(i - 1)] is exactly zero); "
                    + "remove linearly dependent rows or columns")
        }
        return pivots
    }

    /// Solves `A·X = B` in place of `b` (`dgetrs`), given the factors and pivots from `getrf`.
    static func getrs(_ lu: Matrix, pivots: [Int32], _ b: inout Matrix) throws(LinalgError) {
        precondition(
            lu.rows == lu.columns && pivots.count == lu.rows && b.rows == lu.rows,
            "dgetrs: LU is \(lu.shape), B is \(b.shape)")
        let n = try lu.rows.int32(for: "dgetrs")
        let nrhs = try b.columns.int32(for: "dgetrs")
        let info = BLASThreads.atTheSetCount {
            lu.withUnsafeBufferPointer { lu in
                pivots.withUnsafeBufferPointer { pivots in
                    b.withUnsafeMutableBufferPointer { b in
                        LAPACKE_dgetrs_work(
                            LAPACK_COL_MAJOR, CChar(UInt8(ascii: "N")), n, nrhs, lu.baseAddress, max(1, n),
                            pivots.baseAddress, b.baseAddress, max(1, n))
                    }
                }
            }
        }
        try check(info, "dgetrs")
    }

    /// Estimates `1 / (‖A‖₁·‖A⁻¹‖₁)` (`dgecon`) from the `getrf` factors and `anorm = ‖A‖₁`.
    static func gecon(_ lu: Matrix, anorm: Double) -> Double {
        let n = Int32(lu.rows)  // Fits: the factorization checked it.
        var rcond = 0.0
        let info = BLASThreads.atTheSetCount {
            lu.withUnsafeBufferPointer {
                LAPACKE_dgecon(LAPACK_COL_MAJOR, one, n, $0.baseAddress, max(1, n), anorm, &rcond)
            }
        }
        requireValidArguments(info, "dgecon")
        return rcond
    }

    /// `‖A‖₁`, the largest column sum of absolute values (`dlange`).
    static func lange(_ a: Matrix) throws(LinalgError) -> Double {
        let m = try a.rows.int32(for: "dlange")
        let n = try a.columns.int32(for: "dlange")
        return BLASThreads.atTheSetCount {
            a.withUnsafeBufferPointer {
                LAPACKE_dlange(LAPACK_COL_MAJOR, one, m, n, $0.baseAddress, max(1, m))
            }
        }
    }

    /// Eigenvalues (ascending, returned) and orthonormal eigenvectors (overwriting `a`, one per column) of the
    /// symmetric matrix whose lower triangle `a` holds (`dsyevd`, divide and conquer).
    static func syevd(_ a: inout Matrix) throws(LinalgError) -> [Double] {
        precondition(a.rows == a.columns, "dsyevd needs a square matrix, got \(a.shape)")
        let n = try a.rows.int32(for: "dsyevd")
        var eigenvalues = [Double](repeating: 0, count: a.rows)
        let info = BLASThreads.atTheSetCount {
            a.withUnsafeMutableBufferPointer { a in
                eigenvalues.withUnsafeMutableBufferPointer { w in
                    LAPACKE_dsyevd(
                        LAPACK_COL_MAJOR, CChar(UInt8(ascii: "V")), lower, n, a.baseAddress, max(1, n), w.baseAddress)
                }
            }
        }
        try check(info, "dsyevd") { count in
            LinalgError(
                .noConvergence,
                "dsyevd: the divide-and-conquer eigensolver did not converge (info = \(count)); "
                    + "rescale the matrix or check it for extreme values")
        }
        return eigenvalues
    }

    private static let lower = CChar(UInt8(ascii: "L"))
    private static let one = CChar(UInt8(ascii: "1"))

    /// Maps LAPACK's `info`: 0 is success, `> 0` throws `positive(info)`, `< 0` is a bug in Linalg.
    private static func check(
        _ info: Int32, _ routine: String, positive: ((Int) -> LinalgError)? = nil
    ) throws(LinalgError) {
        requireValidArguments(info, routine)
        guard info > 0 else { return }
        guard let positive else { preconditionFailure("\(routine): undocumented info = \(info)") }
        throw positive(Int(info))
    }

    /// Traps if LAPACKE reports an illegal argument (our bug) or could not allocate workspace.
    private static func requireValidArguments(_ info: Int32, _ routine: String) {
        switch info {
        case LAPACK_WORK_MEMORY_ERROR, LAPACK_TRANSPOSE_MEMORY_ERROR:
            fatalError("\(routine): LAPACKE could not allocate its workspace")
        case ..<0:
            preconditionFailure("\(routine): argument \(-info) had an illegal value; this is a bug in Linalg")
        default:
            return
        }
    }
}
