/// The eigendecomposition `A = V·diag(λ)·Vᵀ` of a symmetric matrix (LAPACK `dsyevd`, divide and conquer).
///
/// ```swift
/// let eigen = try SymmetricEigen(covariance)
/// eigen.eigenvalues.last                  // the largest eigenvalue
/// eigen.eigenvectors[i, n - 1]            // component i of its eigenvector
/// ```
public struct SymmetricEigen: Sendable {
    /// The n eigenvalues `λ`, in ascending order.
    public let eigenvalues: [Double]
    /// `V`, n×n and orthogonal: column `j` is the unit eigenvector for `eigenvalues[j]`. Each column's sign is
    /// arbitrary.
    public let eigenvectors: Matrix

    /// Decomposes the symmetric n×n matrix `a`.
    ///
    /// Only the lower triangle of `a` (`[i, j]` with `i ≥ j`) is read; the upper one is taken to mirror it.
    ///
    /// - Throws: `LinalgError` `.noConvergence` if the algorithm fails (rare: extreme scaling);
    ///   `.dimensionMismatch` if `a` is not square; `.notFinite` if the lower triangle holds NaN or an
    ///   infinity; `.tooLarge` if n exceeds `Int32.max`.
    /// - Complexity: O(n³).
    public init(_ a: Matrix) throws(LinalgError) {
        guard a.rows == a.columns else {
            throw LinalgError(.dimensionMismatch, "SymmetricEigen: the matrix must be square, got \(a.shape)")
        }
        try a.checkFinite("SymmetricEigen", lowerTriangle: true)
        var vectors = a
        eigenvalues = try LAPACK.syevd(&vectors)
        eigenvectors = vectors
    }
}
