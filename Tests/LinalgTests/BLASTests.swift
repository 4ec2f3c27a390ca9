import Linalg
import Testing

@Suite struct BLASTests {
    // MARK: Small cases worked by hand

    @Test func dotAndAxpyByHand() throws {
        #expect(try dot([1, 2, 3], [4, 5, 6]) == 32)
        #expect(try dot([], []) == 0)
        var y: [Double] = [3, 4]
        try axpy(2, [1, 2], to: &y)
        #expect(y == [5, 8])
    }

    @Test func gemvByHand() throws {
        let a = Matrix([[1, 2], [3, 4], [5, 6]])
        #expect(try gemv(a, [1, 1]) == [3, 7, 11])
        #expect(try gemv(a, [1, 1, 1], transposeA: true) == [9, 12])
        var y: [Double] = [1, 1, 1]
        try gemv(a, [1, 0], into: &y, alpha: 2, beta: 10)
        #expect(y == [12, 16, 20])
    }

    @Test func gemmByHand() throws {
        let a = Matrix([[1, 2], [3, 4]])
        let b = Matrix([[5, 6], [7, 8]])
        #expect(try gemm(a, b) == Matrix([[19, 22], [43, 50]]))
        #expect(try gemm(a, b, transposeA: true) == Matrix([[26, 30], [38, 44]]))
        #expect(try gemm(a, b, transposeB: true) == Matrix([[17, 23], [39, 53]]))

        let c = Matrix([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
        let d = Matrix([[9, 8, 7], [6, 5, 4], [3, 2, 1]])
        #expect(try gemm(c, d) == Matrix([[30, 24, 18], [84, 69, 54], [138, 114, 90]]))

        var e = Matrix.identity(2)
        try gemm(a, b, into: &e, alpha: 2, beta: 3)
        #expect(e == Matrix([[41, 44], [86, 103]]))
    }

    @Test func syrkByHandFillsBothTriangles() throws {
        let a = Matrix([[1, 2], [3, 4]])
        #expect(try syrk(a, transposeA: true) == Matrix([[10, 14], [14, 20]]))
        #expect(try syrk(a) == Matrix([[5, 11], [11, 25]]))
        var c = Matrix([[1, 1], [1, 1]])
        try syrk(a, into: &c, alpha: 2, beta: -1)
        #expect(c == Matrix([[9, 21], [21, 49]]))
    }

    @Test func emptyInnerDimensionGivesZeros() throws {
        let product = try gemm(Matrix(rows: 2, columns: 0, repeating: 0), Matrix(rows: 0, columns: 3, repeating: 0))
        #expect(product == Matrix(rows: 2, columns: 3, repeating: 0))
        let gram = try syrk(Matrix(rows: 0, columns: 2, repeating: 0), transposeA: true)
        #expect(gram == Matrix(rows: 2, columns: 2, repeating: 0))
    }

    // MARK: Against naive loops on random inputs

    @Test(arguments: seeds)
    func dotAndAxpyMatchNaiveLoops(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let n = rng.size(1...200)
        let x = rng.vector(n)
        var y = rng.vector(n)
        let alpha = Double.random(in: -2...2, using: &rng)
        let naiveDot = zip(x, y).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(try dot(x, y) - naiveDot) <= 1e-12 * max(1, abs(naiveDot)), "seed \(seed)")
        let naiveAxpy = zip(x, y).map { alpha * $0 + $1 }
        try axpy(alpha, x, to: &y)
        #expect(relativeError(y, naiveAxpy) <= 1e-12, "seed \(seed)")
    }

    @Test(arguments: seeds, [false, true])
    func gemvMatchesNaiveLoops(seed: UInt64, transposeA: Bool) throws {
        var rng = SplitMix64(seed: seed)
        let a = rng.matrix(rng.size(1...40), rng.size(1...40))
        let (rows, columns) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
        let x = rng.vector(columns)
        let y0 = rng.vector(rows)
        let (alpha, beta) = (Double.random(in: -2...2, using: &rng), Double.random(in: -2...2, using: &rng))
        let product = naiveProduct(a, x, transposeA: transposeA)

        #expect(relativeError(try gemv(a, x, transposeA: transposeA), product) <= 1e-12, "seed \(seed)")
        var y = y0
        try gemv(a, x, into: &y, transposeA: transposeA, alpha: alpha, beta: beta)
        let want = zip(product, y0).map { alpha * $0 + beta * $1 }
        #expect(relativeError(y, want) <= 1e-12, "seed \(seed), A \(a.rows)×\(a.columns)")
    }

    @Test(arguments: seeds)
    func gemmMatchesNaiveLoopsForAllTransposes(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let (m, n, k) = (rng.size(1...30), rng.size(1...30), rng.size(1...30))
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = transposeA ? rng.matrix(k, m) : rng.matrix(m, k)
            let b = transposeB ? rng.matrix(n, k) : rng.matrix(k, n)
            let c0 = rng.matrix(m, n)
            let (alpha, beta) = (Double.random(in: -2...2, using: &rng), Double.random(in: -2...2, using: &rng))
            let product = naiveProduct(a, b, transposeA: transposeA, transposeB: transposeB)
            let context = "seed \(seed), m=\(m) n=\(n) k=\(k), transposeA=\(transposeA) transposeB=\(transposeB)"

            let plain = try gemm(a, b, transposeA: transposeA, transposeB: transposeB)
            #expect(relativeError(plain, product) <= 1e-12, "\(context)")
            var c = c0
            try gemm(a, b, into: &c, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
            let want = zip(product.columnMajor, c0.columnMajor).map { alpha * $0 + beta * $1 }
            #expect(relativeError(c.columnMajor, want) <= 1e-12, "\(context)")
        }
    }

    @Test(arguments: seeds, [false, true])
    func syrkMatchesNaiveLoops(seed: UInt64, transposeA: Bool) throws {
        var rng = SplitMix64(seed: seed)
        let a = rng.matrix(rng.size(1...30), rng.size(1...30))
        let n = transposeA ? a.columns : a.rows
        let product = naiveProduct(a, a, transposeA: transposeA, transposeB: !transposeA)
        let symmetric = rng.spd(n)
        let (alpha, beta) = (Double.random(in: -2...2, using: &rng), Double.random(in: -2...2, using: &rng))

        let plain = try syrk(a, transposeA: transposeA)
        #expect(relativeError(plain, product) <= 1e-12, "seed \(seed), A \(a.rows)×\(a.columns)")
        #expect(plain == plain.transposed(), "seed \(seed): both triangles are filled")
        var c = symmetric
        try syrk(a, into: &c, transposeA: transposeA, alpha: alpha, beta: beta)
        let want = zip(product.columnMajor, symmetric.columnMajor).map { alpha * $0 + beta * $1 }
        #expect(relativeError(c.columnMajor, want) <= 1e-12, "seed \(seed), A \(a.rows)×\(a.columns)")
    }

    // MARK: Dimension mismatches throw, naming both shapes

    @Test func vectorLengthMismatchThrows() {
        let dotError = #expect(throws: LinalgError.self) { try dot([1, 2, 3], [1, 2]) }
        #expect(dotError?.code == .dimensionMismatch)
        #expect(dotError?.message == "dot: x has 3 elements but y has 2; both need the same length")
        var y: [Double] = [1]
        let axpyError = #expect(throws: LinalgError.self) { try axpy(1, [1, 2], to: &y) }
        #expect(axpyError?.code == .dimensionMismatch)
        #expect(axpyError?.message.contains("x has 2 elements but y has 1") == true)
    }

    @Test func gemvMismatchThrows() {
        let a = Matrix(rows: 2, columns: 3, repeating: 1)
        let error = #expect(throws: LinalgError.self) { try gemv(a, [1, 2, 3], transposeA: true) }
        #expect(error?.code == .dimensionMismatch)
        #expect(error?.message.contains("Aᵀ is 3×2 (A is 2×3)") == true, "\(String(describing: error))")
        #expect(error?.message.contains("x has 3 elements") == true)
        var y = [0.0, 0.0, 0.0]
        #expect(throws: LinalgError.self) { try gemv(a, [1, 2, 3], into: &y) }
    }

    @Test func gemmMismatchThrows() {
        let a = Matrix(rows: 2, columns: 3, repeating: 1)
        let b = Matrix(rows: 2, columns: 4, repeating: 1)
        let error = #expect(throws: LinalgError.self) { try gemm(a, b) }
        #expect(error?.code == .dimensionMismatch)
        #expect(error?.message.contains("A is 2×3") == true, "\(String(describing: error))")
        #expect(error?.message.contains("B is 2×4") == true)
        var c = Matrix(rows: 3, columns: 3, repeating: 0)
        let intoError = #expect(throws: LinalgError.self) { try gemm(a, b, into: &c, transposeA: true) }
        #expect(intoError?.message.contains("C is 3×3") == true, "\(String(describing: intoError))")
    }

    @Test func syrkMismatchThrows() {
        let a = Matrix(rows: 2, columns: 3, repeating: 1)
        var c = Matrix(rows: 2, columns: 2, repeating: 0)
        let error = #expect(throws: LinalgError.self) { try syrk(a, into: &c, transposeA: true) }
        #expect(error?.code == .dimensionMismatch)
        #expect(error?.message.contains("Aᵀ is 3×2") == true, "\(String(describing: error))")
        #expect(error?.message.contains("C is 2×2") == true)
    }
}
