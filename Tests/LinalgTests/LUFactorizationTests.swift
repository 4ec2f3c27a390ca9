import Linalg
import Testing

@Suite struct LUFactorizationTests {
    @Test func solvesByHand() throws {
        let a = Matrix([[2, 1, 1], [4, -6, 0], [-2, 7, 2]])
        let lu = try LUFactorization(a)
        // A·[1, 2, 3] = [7, -8, 18]
        #expect(relativeError(try lu.solve([7, -8, 18]), [1, 2, 3]) <= 1e-14)
        let b = Matrix([[7, 2], [-8, 4], [18, -2]])  // columns: A·[1, 2, 3] and A·[1, 0, 0]
        #expect(relativeError(try lu.solve(b), Matrix([[1, 1], [2, 0], [3, 0]])) <= 1e-14)
    }

    @Test(arguments: seeds)
    func solveMatchesNaiveSolve(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let n = rng.size(1...40)
        var a = rng.matrix(n, n)
        for i in 0..<n { a[i, i] += Double(n) }  // keep it comfortably nonsingular
        let b = rng.vector(n)
        let lu = try LUFactorization(a)

        let x = try lu.solve(b)
        let residual = zip(naiveProduct(a, x), b).map { $0 - $1 }
        #expect(norm(residual) / norm(b) <= 1e-12, "seed \(seed), n=\(n)")
        let naive = naiveSolve(a, try Matrix(rows: n, columns: 1, columnMajor: b))
        #expect(relativeError(x, naive.columnMajor) <= 1e-12, "seed \(seed), n=\(n)")

        let rhs = rng.matrix(n, 4)
        #expect(relativeError(try lu.solve(rhs), naiveSolve(a, rhs)) <= 1e-12, "seed \(seed), n=\(n)")
    }

    @Test func singularMatrixThrows() {
        let error = #expect(throws: LinalgError.self) { try LUFactorization(Matrix([[1, 2], [2, 4]])) }
        #expect(error?.code == .singular)
        #expect(error?.message.contains("U[1, 1] is exactly zero") == true, "\(String(describing: error))")
        let zero = #expect(throws: LinalgError.self) { try LUFactorization(Matrix(rows: 3, columns: 3, repeating: 0)) }
        #expect(zero?.code == .singular)
    }

    @Test func nonFiniteInputThrows() {
        var a = Matrix.identity(3)
        a[0, 2] = -.infinity
        let error = #expect(throws: LinalgError.self) { try LUFactorization(a) }
        #expect(error?.code == .notFinite)
        #expect(error?.message.contains("[0, 2]") == true, "\(String(describing: error))")
    }

    @Test func dimensionMismatchesThrow() throws {
        let square = #expect(throws: LinalgError.self) {
            try LUFactorization(Matrix(rows: 3, columns: 2, repeating: 1))
        }
        #expect(square?.code == .dimensionMismatch)
        #expect(square?.message.contains("3×2") == true)

        let lu = try LUFactorization(Matrix.identity(3))
        let vector = #expect(throws: LinalgError.self) { try lu.solve([1, 2, 3, 4]) }
        #expect(vector?.code == .dimensionMismatch)
        #expect(vector?.message.contains("A is 3×3 but b is 4×1") == true, "\(String(describing: vector))")
        let matrix = #expect(throws: LinalgError.self) {
            try lu.solve(Matrix(rows: 2, columns: 5, repeating: 0))
        }
        #expect(matrix?.message.contains("b is 2×5") == true)
    }

    @Test func conditionEstimate() throws {
        #expect(try LUFactorization(Matrix.identity(5)).reciprocalConditionNumber() == 1)
        let rcond = try LUFactorization(hilbert(8)).reciprocalConditionNumber()
        #expect(rcond > 0 && rcond < 1e-9, "rcond = \(rcond)")
        let wellConditioned = try LUFactorization(Matrix([[2, 1], [1, 2]])).reciprocalConditionNumber()
        #expect(abs(wellConditioned - 1.0 / 3.0) <= 1e-15, "‖A‖₁ = 3 and ‖A⁻¹‖₁ = 1, got \(wellConditioned)")
    }
}
