/// The LU factorization with partial pivoting `P·A = L·U` of a square matrix (LAPACK `dgetrf`).
///
/// For square systems that need not be symmetric, such as the absorbing-chain equations `(I − Q)·N = I`:
/// ```swift
/// let lu = try LUFactorization(iMinusQ)      // throws .singular on an exactly zero pivot
/// let absorption = try lu.solve(r)
/// ```
public struct LUFactorization: Sendable {
    /// `L` (unit diagonal, not stored) below the diagonal and `U` on and above it, as `dgetrf` packs them.
    private let factors: Matrix
    /// The 1-based row interchanges of `dgetrf`: row `i` was swapped with row `pivots[i]`.
    private let pivots: [Int32]
    /// `‖A‖₁` of the factored matrix, for the condition estimate.
    private let oneNorm: Double

    /// Factors the n×n matrix `a`.
    ///
    /// Only an exactly zero pivot throws; use ``reciprocalConditionNumber()`` to detect near-singularity.
    ///
    /// - Throws: `LinalgError` `.singular` if `a` is singular; `.dimensionMismatch` if `a` is not square;
    ///   `.notFinite` if `a` holds NaN or an infinity; `.tooLarge` if n exceeds `Int32.max`.
    /// - Complexity: O(2n³/3).
    public init(_ a: Matrix) throws(LinalgError) {
        guard a.rows == a.columns else {
            throw LinalgError(.dimensionMismatch, "LUFactorization: the matrix must be square, got \(a.shape)")
        }
        try a.checkFinite("LUFactorization", lowerTriangle: false)
        oneNorm = try LAPACK.lange(a)
        var lu = a
        pivots = try LAPACK.getrf(&lu)
        factors = lu
    }

    /// Solves `A·x = b` (LAPACK `dgetrs`).
    ///
    /// - Parameter b: n elements.
    /// - Returns: `x`, n elements.
    /// - Throws: `LinalgError` `.dimensionMismatch` if `b` does not have n elements.
    /// - Complexity: O(n²).
    public func solve(_ b: [Double]) throws(LinalgError) -> [Double] {
        try solve(Matrix(unchecked: b.count, 1, b)).columnMajor
    }

    /// Solves `A·X = B` for every column of `B` at once (LAPACK `dgetrs`).
    ///
    /// - Parameter b: `B`, n×k.
    /// - Returns: `X`, n×k.
    /// - Throws: `LinalgError` `.dimensionMismatch` if `B` does not have n rows.
    /// - Complexity: O(n²·k).
    public func solve(_ b: Matrix) throws(LinalgError) -> Matrix {
        guard b.rows == factors.rows else {
            throw LinalgError(
                .dimensionMismatch,
                "LUFactorization.solve: A is \(factors.shape) but b is \(b.shape); b needs \(factors.rows) rows")
        }
        var x = b
        try LAPACK.getrs(factors, pivots: pivots, &x)
        return x
    }

    /// An estimate of the reciprocal condition number `1 / (‖A‖₁·‖A⁻¹‖₁)` (LAPACK `dgecon`).
    ///
    /// Near 1 for a well-conditioned matrix (exactly 1 for the identity), near 0 for a nearly singular one:
    /// solutions lose about `-log10(rcond)` of their ~16 significant digits. The estimate is usually within
    /// a factor of 10 of the truth.
    ///
    /// - Complexity: O(n²).
    public func reciprocalConditionNumber() -> Double {
        LAPACK.gecon(factors, anorm: oneNorm)
    }
}
