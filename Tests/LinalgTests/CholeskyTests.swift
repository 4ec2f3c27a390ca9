import Linalg
import Testing

@Suite struct CholeskyTests {
    /// A classic SPD example whose factor is all integers: A = L·Lᵀ with L = [[2,0,0],[6,1,0],[-8,5,3]].
    static let a = Matrix([[4, 12, -16], [12, 37, -43], [-16, -43, 98]])

    @Test func knownFactorByHand() throws {
        let cholesky = try Cholesky(Self.a)
        #expect(cholesky.factor == Matrix([[2, 0, 0], [6, 1, 0], [-8, 5, 3]]))
    }

    @Test func readsOnlyTheLowerTriangle() throws {
        var garbageAbove = Self.a
        garbageAbove[0, 1] = .nan
        garbageAbove[0, 2] = 1e300
        #expect(try Cholesky(garbageAbove).factor == Cholesky(Self.a).factor)
    }

    @Test func solvesByHand() throws {
        let cholesky = try Cholesky(Self.a)
        // A·[1, 2, 3] = [-20, -43, 192]
        #expect(relativeError(try cholesky.solve([-20, -43, 192]), [1, 2, 3]) <= 1e-14)
        let b = Matrix([[-20, 4], [-43, 12], [192, -16]])  // columns: A·[1, 2, 3] and A·[1, 0, 0]
        #expect(relativeError(try cholesky.solve(b), Matrix([[1, 1], [2, 0], [3, 0]])) <= 1e-14)
    }

    @Test(arguments: seeds)
    func solveMatchesNaiveSolve(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let n = rng.size(1...40)
        let a = rng.spd(n)
        let b = rng.vector(n)
        let cholesky = try Cholesky(a)

        let x = try cholesky.solve(b)
        let residual = zip(naiveProduct(a, x), b).map { $0 - $1 }
        #expect(norm(residual) / norm(b) <= 1e-12, "seed \(seed), n=\(n)")
        let naive = naiveSolve(a, try Matrix(rows: n, columns: 1, columnMajor: b))
        #expect(relativeError(x, naive.columnMajor) <= 1e-12, "seed \(seed), n=\(n)")

        let rhs = rng.matrix(n, 3)
        #expect(relativeError(try cholesky.solve(rhs), naiveSolve(a, rhs)) <= 1e-12, "seed \(seed), n=\(n)")
        #expect(relativeError(try gemm(cholesky.factor, cholesky.factor, transposeB: true), a) <= 1e-12)
    }

    @Test func notPositiveDefiniteNamesTheOrder() {
        let indefinite = Matrix([[1, 0, 0], [0, 1, 0], [0, 0, -1]])
        let error = #expect(throws: LinalgError.self) { try Cholesky(indefinite) }
        #expect(error?.code == .notPositiveDefinite)
        #expect(
            error?.message
                == "dpotrf: the leading minor of order 3 is not positive definite; "
                + "add an L2 penalty or remove collinear columns")
        let second = #expect(throws: LinalgError.self) { try Cholesky(Matrix([[1, 2], [2, 1]])) }
        #expect(second?.message.contains("order 2") == true)
    }

    @Test func nonFiniteInputThrows() {
        var a = Self.a
        a[2, 1] = .nan
        let error = #expect(throws: LinalgError.self) { try Cholesky(a) }
        #expect(error?.code == .notFinite)
        #expect(error?.message.contains("[2, 1]") == true, "\(String(describing: error))")
    }

    @Test func dimensionMismatchesThrow() throws {
        let square = #expect(throws: LinalgError.self) { try Cholesky(Matrix(rows: 2, columns: 3, repeating: 1)) }
        #expect(square?.code == .dimensionMismatch)
        #expect(square?.message.contains("2×3") == true)

        let cholesky = try Cholesky(Self.a)
        let vector = #expect(throws: LinalgError.self) { try cholesky.solve([1, 2]) }
        #expect(vector?.code == .dimensionMismatch)
        #expect(vector?.message.contains("A is 3×3 but b is 2×1") == true, "\(String(describing: vector))")
        let matrix = #expect(throws: LinalgError.self) { try cholesky.solve(Matrix.identity(4)) }
        #expect(matrix?.message.contains("b is 4×4") == true)
    }

    @Test func conditionEstimate() throws {
        #expect(try Cholesky(Matrix.identity(5)).reciprocalConditionNumber() == 1)
        // κ₁(Hilbert 8) ≈ 3.4e10.
        let rcond = try Cholesky(hilbert(8)).reciprocalConditionNumber()
        #expect(rcond > 0 && rcond < 1e-9, "rcond = \(rcond)")
    }

    @Test func emptyMatrix() throws {
        let cholesky = try Cholesky(Matrix(rows: 0, columns: 0, repeating: 0))
        #expect(try cholesky.solve([]) == [])
    }
}
