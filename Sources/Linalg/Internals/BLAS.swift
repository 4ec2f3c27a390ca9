internal import CBLAS

/// One thin wrapper per CBLAS routine Linalg calls. Pointers live only inside these functions.
///
/// The public routines validate shapes and throw `LinalgError`; the preconditions here only guard memory
/// safety. Sizes are converted with `int32(for:)`, which throws `.tooLarge`.
enum BLAS {
    /// `xᵀy` (`ddot`).
    static func dot(_ x: [Double], _ y: [Double]) throws(LinalgError) -> Double {
        precondition(x.count == y.count, "ddot: x has \(x.count) elements, y has \(y.count)")
        let n = try x.count.int32(for: "ddot")
        return BLASThreads.atTheSetCount {
            x.withUnsafeBufferPointer { x in
                y.withUnsafeBufferPointer { y in cblas_ddot(n, x.baseAddress, 1, y.baseAddress, 1) }
            }
        }
    }

    /// `y ← αx + y` (`daxpy`).
    static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) throws(LinalgError) {
        precondition(x.count == y.count, "daxpy: x has \(x.count) elements, y has \(y.count)")
        let n = try x.count.int32(for: "daxpy")
        BLASThreads.atTheSetCount {
            x.withUnsafeBufferPointer { x in
                y.withUnsafeMutableBufferPointer { y in cblas_daxpy(n, alpha, x.baseAddress, 1, y.baseAddress, 1) }
            }
        }
    }

    /// `y ← α·op(A)·x + β·y` (`dgemv`), where `op(A)` is `Aᵀ` if `transposeA`.
    static func gemv(
        _ a: Matrix, transposeA: Bool, _ x: [Double], _ y: inout [Double], alpha: Double, beta: Double
    ) throws(LinalgError) {
        precondition(
            x.count == (transposeA ? a.rows : a.columns) && y.count == (transposeA ? a.columns : a.rows),
            "dgemv: A is \(a.shape), x has \(x.count) elements, y has \(y.count)")
        let m = try a.rows.int32(for: "dgemv")
        let n = try a.columns.int32(for: "dgemv")
        BLASThreads.atTheSetCount {
            a.withUnsafeBufferPointer { a in
                x.withUnsafeBufferPointer { x in
                    y.withUnsafeMutableBufferPointer { y in
                        cblas_dgemv(
                            CblasColMajor, transpose(transposeA), m, n, alpha, a.baseAddress, max(1, m),
                            x.baseAddress, 1, beta, y.baseAddress, 1)
                    }
                }
            }
        }
    }

    /// `C ← α·op(A)·op(B) + β·C` (`dgemm`).
    static func gemm(
        _ a: Matrix, transposeA: Bool, _ b: Matrix, transposeB: Bool, _ c: inout Matrix, alpha: Double, beta: Double
    ) throws(LinalgError) {
        let k = transposeA ? a.rows : a.columns
        precondition(
            c.rows == (transposeA ? a.columns : a.rows) && c.columns == (transposeB ? b.rows : b.columns)
                && k == (transposeB ? b.columns : b.rows),
            "dgemm: A is \(a.shape), B is \(b.shape), C is \(c.shape)")
        let m = try c.rows.int32(for: "dgemm")
        let n = try c.columns.int32(for: "dgemm")
        let k32 = try k.int32(for: "dgemm")
        let lda = try max(1, a.rows).int32(for: "dgemm")
        let ldb = try max(1, b.rows).int32(for: "dgemm")
        BLASThreads.atTheSetCount {
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        cblas_dgemm(
                            CblasColMajor, transpose(transposeA), transpose(transposeB), m, n, k32, alpha,
                            a.baseAddress, lda, b.baseAddress, ldb, beta, c.baseAddress, max(1, m))
                    }
                }
            }
        }
    }

    /// `C ← α·op(A)·op(A)ᵀ + β·C` (`dsyrk`), filling both triangles of `C`.
    ///
    /// `dsyrk` computes the lower triangle (reading only the lower triangle of `C` when `β ≠ 0`);
    /// it is then mirrored into the upper one.
    static func syrk(
        _ a: Matrix, transposeA: Bool, _ c: inout Matrix, alpha: Double, beta: Double
    ) throws(LinalgError) {
        let n = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        precondition(c.rows == n && c.columns == n, "dsyrk: A is \(a.shape), C is \(c.shape)")
        let n32 = try n.int32(for: "dsyrk")
        let k32 = try k.int32(for: "dsyrk")
        let lda = try max(1, a.rows).int32(for: "dsyrk")
        BLASThreads.atTheSetCount {
            a.withUnsafeBufferPointer { a in
                c.withUnsafeMutableBufferPointer { c in
                    cblas_dsyrk(
                        CblasColMajor, CblasLower, transpose(transposeA), n32, k32, alpha, a.baseAddress, lda, beta,
                        c.baseAddress, max(1, n32))
                    for j in 0..<n {
                        for i in 0..<j {
                            c[i + j * n] = c[j + i * n]
                        }
                    }
                }
            }
        }
    }

    private static func transpose(_ transposed: Bool) -> CBLAS_TRANSPOSE {
        transposed ? CblasTrans : CblasNoTrans
    }
}
