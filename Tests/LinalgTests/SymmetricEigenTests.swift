import Linalg
import Testing

@Suite struct SymmetricEigenTests {
    @Test func twoByTwoByHand() throws {
        let eigen = try SymmetricEigen(Matrix([[2, 1], [1, 2]]))
        #expect(relativeError(eigen.eigenvalues, [1, 3]) <= 1e-15)
        let v = eigen.eigenvectors
        let s = 0.5.squareRoot()
        // Each column is determined up to sign: [1, -1]/√2 for λ = 1, [1, 1]/√2 for λ = 3.
        #expect(abs(abs(v[0, 0]) - s) <= 1e-15 && abs(v[0, 0] + v[1, 0]) <= 1e-15)
        #expect(abs(abs(v[0, 1]) - s) <= 1e-15 && abs(v[0, 1] - v[1, 1]) <= 1e-15)
    }

    @Test func threeByThreeByHand() throws {
        // Block diagonal: 2, and [[3, 4], [4, 9]] with trace 12 and determinant 11, so 1 and 11.
        let eigen = try SymmetricEigen(Matrix([[2, 0, 0], [0, 3, 4], [0, 4, 9]]))
        #expect(relativeError(eigen.eigenvalues, [1, 2, 11]) <= 1e-14)
    }

    @Test(arguments: seeds)
    func decomposesRandomSymmetricMatrices(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let n = rng.size(1...40)
        let a = symmetricPart(rng.matrix(n, n))
        let eigen = try SymmetricEigen(a)
        let v = eigen.eigenvectors
        let scale = a.columnMajor.map(abs).max() ?? 1

        #expect(eigen.eigenvalues == eigen.eigenvalues.sorted(), "seed \(seed): ascending")
        for j in 0..<n {
            let vj = (0..<n).map { v[$0, j] }
            let av = naiveProduct(a, vj)
            let residual = zip(av, vj).map { $0 - eigen.eigenvalues[j] * $1 }
            #expect(norm(residual) <= 1e-12 * Double(n) * scale, "seed \(seed), n=\(n), column \(j)")
        }
        #expect(relativeError(naiveProduct(v, v, transposeA: true), Matrix.identity(n)) <= 1e-12, "seed \(seed)")
    }

    @Test func invalidInputThrows() {
        let square = #expect(throws: LinalgError.self) { try SymmetricEigen(Matrix(rows: 1, columns: 2, repeating: 0)) }
        #expect(square?.code == .dimensionMismatch)
        #expect(square?.message.contains("1×2") == true)
        let nan = #expect(throws: LinalgError.self) { try SymmetricEigen(Matrix([[1, .nan], [.nan, 1]])) }
        #expect(nan?.code == .notFinite)
    }
}

/// `(B + Bᵀ) / 2`.
private func symmetricPart(_ b: Matrix) -> Matrix {
    var a = b
    for i in 0..<b.rows {
        for j in 0..<b.columns { a[i, j] = (b[i, j] + b[j, i]) / 2 }
    }
    return a
}
