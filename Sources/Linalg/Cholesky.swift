/// The Cholesky factorization `A = L·Lᵀ` of a symmetric positive definite matrix (LAPACK `dpotrf`).
///
/// Factor once, then solve for as many right-hand sides as needed:
/// ```swift
/// let cholesky = try Cholesky(hessian)       // throws .notPositiveDefinite if it is not
/// let step = try cholesky.solve(gradient)    // hessian · step = gradient
/// ```
public struct Cholesky: Sendable {
    /// `L`: lower triangular with a positive diagonal, zeros above it, and `A = L·Lᵀ`.
    public let factor: Matrix
    /// `‖A‖₁` of the factored matrix, for the condition estimate.
    private let oneNorm: Double

    /// Factors the symmetric positive definite n×n matrix `a`.
    ///
    /// Only the lower triangle of `a` (`[i, j]` with `i ≥ j`) is read; the upper one is taken to mirror it.
    ///
    /// - Throws: `LinalgError` `.notPositiveDefinite` if a leading minor is not positive definite (add an L2
    ///   penalty or remove collinear columns); `.dimensionMismatch` if `a` is not square; `.notFinite` if the
    ///   lower triangle holds NaN or an infinity; `.tooLarge` if n exceeds `Int32.max`.
    /// - Complexity: O(n³/3).
    public init(_ a: Matrix) throws(LinalgError) {
        guard a.rows == a.columns else {
            throw LinalgError(.dimensionMismatch, "Cholesky: the matrix must be square, got \(a.shape)")
        }
        try a.checkFinite("Cholesky", lowerTriangle: true)
        oneNorm = try LAPACK.lansy(a)
        var l = a
        try LAPACK.potrf(&l)
        let n = l.rows
        l.withUnsafeMutableBufferPointer { l in
            for j in 0..<n {
                for i in 0..<j {
                    l[i + j * n] = 0
                }
            }
        }
        factor = l
    }

    /// Solves `A·x = b` (LAPACK `dpotrs`).
    ///
    /// - Parameter b: n elements.
    /// - Returns: `x`, n elements.
    /// - Throws: `LinalgError` `.dimensionMismatch` if `b` does not have n elements.
    /// - Complexity: O(n²).
    public func solve(_ b: [Double]) throws(LinalgError) -> [Double] {
        try solve(Matrix(unchecked: b.count, 1, b)).columnMajor
    }

    /// Solves `A·X = B` for every column of `B` at once (LAPACK `dpotrs`).
    ///
    /// - Parameter b: `B`, n×k.
    /// - Returns: `X`, n×k.
    /// - Throws: `LinalgError` `.dimensionMismatch` if `B` does not have n rows.
    /// - Complexity: O(n²·k).
    public func solve(_ b: Matrix) throws(LinalgError) -> Matrix {
        guard b.rows == factor.rows else {
            throw LinalgError(
                .dimensionMismatch,
                "Cholesky.solve: A is \(factor.shape) but b is \(b.shape); b needs \(factor.rows) rows")
        }
        var x = b
        try LAPACK.potrs(factor, &x)
        return x
    }

    /// An estimate of the reciprocal condition number `1 / (‖A‖₁·‖A⁻¹‖₁)` (LAPACK `dpocon`).
    ///
    /// Near 1 for a well-conditioned matrix (exactly 1 for the identity), near 0 for a nearly singular one:
    /// solutions lose about `-log10(rcond)` of their ~16 significant digits. Below about `1e-12`, treat
    /// solutions with suspicion and regularize. The estimate is usually within a factor of 10 of the truth.
    ///
    /// - Complexity: O(n²).
    public func reciprocalConditionNumber() -> Double {
        LAPACK.pocon(factor, anorm: oneNorm)
    }
}
