// The BLAS routines, named as in BLAS without the `d` prefix. Shapes are checked before BLAS is called:
// a mismatch throws `LinalgError` `.dimensionMismatch` naming every operand's shape, and a dimension
// above `Int32.max` throws `.tooLarge`.
// `op(A)` is `Aᵀ` when `transposeA` is true and `A` otherwise; no transposed copy is made.

/// The dot product `xᵀy = Σ xᵢyᵢ` (BLAS `ddot`).
///
/// - Throws: `LinalgError` `.dimensionMismatch` if `x` and `y` differ in length.
/// - Complexity: O(n).
public func dot(_ x: [Double], _ y: [Double]) throws(LinalgError) -> Double {
    try checkSameLength("dot", x, y)
    return try BLAS.dot(x, y)
}

/// Adds `alpha·x` to `y` in place: `y ← αx + y` (BLAS `daxpy`).
///
/// - Throws: `LinalgError` `.dimensionMismatch` if `x` and `y` differ in length.
/// - Complexity: O(n).
public func axpy(_ alpha: Double, _ x: [Double], to y: inout [Double]) throws(LinalgError) {
    try checkSameLength("axpy", x, y)
    try BLAS.axpy(alpha, x, &y)
}

/// The matrix-vector product `op(A)·x` (BLAS `dgemv`).
///
/// - Parameters:
///   - a: `A`, m×n; `op(A)` is m×n, or n×m if `transposeA`.
///   - x: a vector with as many elements as `op(A)` has columns.
///   - transposeA: use `Aᵀ` for `op(A)`, without a transposed copy. Default false.
/// - Returns: a vector with as many elements as `op(A)` has rows.
/// - Throws: `LinalgError` `.dimensionMismatch` if the shapes do not fit.
/// - Complexity: O(m·n).
public func gemv(_ a: Matrix, _ x: [Double], transposeA: Bool = false) throws(LinalgError) -> [Double] {
    var y = [Double](repeating: 0, count: transposeA ? a.columns : a.rows)
    try gemv(a, x, into: &y, transposeA: transposeA)
    return y
}

/// Accumulates a matrix-vector product in place: `y ← α·op(A)·x + β·y` (BLAS `dgemv`).
///
/// With `beta == 0`, the input values of `y` are not read, as in reference BLAS.
///
/// - Parameters:
///   - a: `A`, m×n; `op(A)` is m×n, or n×m if `transposeA`.
///   - x: a vector with as many elements as `op(A)` has columns.
///   - y: a vector with as many elements as `op(A)` has rows.
///   - transposeA: use `Aᵀ` for `op(A)`, without a transposed copy. Default false.
///   - alpha: `α`, the factor of the product. Default 1.
///   - beta: `β`, the factor of the input `y`. Default 0: `y` is overwritten, not read.
/// - Throws: `LinalgError` `.dimensionMismatch` if the shapes do not fit.
/// - Complexity: O(m·n).
public func gemv(
    _ a: Matrix, _ x: [Double], into y: inout [Double], transposeA: Bool = false, alpha: Double = 1, beta: Double = 0
) throws(LinalgError) {
    let (rows, columns) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
    guard x.count == columns, y.count == rows else {
        throw LinalgError(
            .dimensionMismatch,
            "gemv: \(describe("A", a, transposeA)), x has \(x.count) elements and y has \(y.count); "
                + "need x with \(columns) and y with \(rows)")
    }
    try BLAS.gemv(a, transposeA: transposeA, x, &y, alpha: alpha, beta: beta)
}

/// The matrix product `op(A)·op(B)` (BLAS `dgemm`).
///
/// - Parameters:
///   - a: `A`; `op(A)` must be m×k.
///   - b: `B`; `op(B)` must be k×n.
///   - transposeA: use `Aᵀ` for `op(A)`, without a transposed copy. Default false.
///   - transposeB: use `Bᵀ` for `op(B)`, without a transposed copy. Default false.
/// - Returns: the m×n product.
/// - Throws: `LinalgError` `.dimensionMismatch` if the inner dimensions differ.
/// - Complexity: O(m·n·k).
public func gemm(
    _ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false
) throws(LinalgError) -> Matrix {
    var c = Matrix(rows: transposeA ? a.columns : a.rows, columns: transposeB ? b.rows : b.columns, repeating: 0)
    try gemm(a, b, into: &c, transposeA: transposeA, transposeB: transposeB)
    return c
}

/// Accumulates a matrix product in place: `C ← α·op(A)·op(B) + β·C` (BLAS `dgemm`).
///
/// With `beta == 0`, the input values of `C` are not read, as in reference BLAS.
///
/// - Parameters:
///   - a: `A`; `op(A)` must be m×k.
///   - b: `B`; `op(B)` must be k×n.
///   - c: `C`, m×n.
///   - transposeA: use `Aᵀ` for `op(A)`, without a transposed copy. Default false.
///   - transposeB: use `Bᵀ` for `op(B)`, without a transposed copy. Default false.
///   - alpha: `α`, the factor of the product. Default 1.
///   - beta: `β`, the factor of the input `C`. Default 0: `C` is overwritten, not read.
/// - Throws: `LinalgError` `.dimensionMismatch` if the shapes do not fit.
/// - Complexity: O(m·n·k).
public func gemm(
    _ a: Matrix, _ b: Matrix, into c: inout Matrix,
    transposeA: Bool = false, transposeB: Bool = false, alpha: Double = 1, beta: Double = 0
) throws(LinalgError) {
    let opA = transposeA ? (rows: a.columns, columns: a.rows) : (rows: a.rows, columns: a.columns)
    let opB = transposeB ? (rows: b.columns, columns: b.rows) : (rows: b.rows, columns: b.columns)
    guard opA.columns == opB.rows, c.rows == opA.rows, c.columns == opB.columns else {
        throw LinalgError(
            .dimensionMismatch,
            "gemm: \(describe("A", a, transposeA)), \(describe("B", b, transposeB)) and C is \(c.shape); "
                + "need op(A) m×k, op(B) k×n and C m×n")
    }
    try BLAS.gemm(a, transposeA: transposeA, b, transposeB: transposeB, &c, alpha: alpha, beta: beta)
}

/// The symmetric product `op(A)·op(A)ᵀ`: `A·Aᵀ`, or the Gram matrix `AᵀA` if `transposeA` (BLAS `dsyrk`).
///
/// Both triangles of the result are filled. For an n×d design matrix `X`, `syrk(X, transposeA: true)` is
/// the d×d matrix `XᵀX`, in about half the work of `gemm(X, X, transposeA: true)`.
///
/// - Parameters:
///   - a: `A`; `op(A)` is n×k.
///   - transposeA: use `Aᵀ` for `op(A)`, so the result is the Gram matrix `AᵀA`. Default false.
/// - Returns: the symmetric n×n product.
/// - Throws: `LinalgError` `.tooLarge` if a dimension exceeds `Int32.max`.
/// - Complexity: O(n²·k).
public func syrk(_ a: Matrix, transposeA: Bool = false) throws(LinalgError) -> Matrix {
    let n = transposeA ? a.columns : a.rows
    var c = Matrix(rows: n, columns: n, repeating: 0)
    try syrk(a, into: &c, transposeA: transposeA)
    return c
}

/// Accumulates a symmetric product in place: `C ← α·op(A)·op(A)ᵀ + β·C` (BLAS `dsyrk`).
///
/// Only the lower triangle of the input `C` is read (and not at all when `beta == 0`); on return both
/// triangles hold the symmetric result, so `C` is a full symmetric matrix usable by any routine.
///
/// - Parameters:
///   - a: `A`; `op(A)` is n×k (`op(A)·op(A)ᵀ` is `AᵀA` if `transposeA`, `A·Aᵀ` otherwise).
///   - c: `C`, n×n.
///   - transposeA: use `Aᵀ` for `op(A)`, so the product is `AᵀA`. Default false.
///   - alpha: `α`, the factor of the product. Default 1.
///   - beta: `β`, the factor of the input `C`. Default 0: `C` is overwritten, not read.
/// - Throws: `LinalgError` `.dimensionMismatch` if `C` is not n×n.
/// - Complexity: O(n²·k).
public func syrk(
    _ a: Matrix, into c: inout Matrix, transposeA: Bool = false, alpha: Double = 1, beta: Double = 0
) throws(LinalgError) {
    let n = transposeA ? a.columns : a.rows
    guard c.rows == n, c.columns == n else {
        throw LinalgError(
            .dimensionMismatch,
            "syrk: \(describe("A", a, transposeA)) and C is \(c.shape); need op(A) n×k and C n×n, here n = \(n)")
    }
    try BLAS.syrk(a, transposeA: transposeA, &c, alpha: alpha, beta: beta)
}

private func checkSameLength(_ routine: String, _ x: [Double], _ y: [Double]) throws(LinalgError) {
    guard x.count == y.count else {
        throw LinalgError(
            .dimensionMismatch,
            "\(routine): x has \(x.count) elements but y has \(y.count); both need the same length")
    }
}

/// `"A is 2×3"`, or `"Aᵀ is 3×2 (A is 2×3)"` when transposed, for error messages.
private func describe(_ symbol: String, _ m: Matrix, _ transposed: Bool) -> String {
    transposed ? "\(symbol)ᵀ is \(m.columns)×\(m.rows) (\(symbol) is \(m.shape))" : "\(symbol) is \(m.shape)"
}
