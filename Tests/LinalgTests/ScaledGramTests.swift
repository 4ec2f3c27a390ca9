@testable import Linalg
import Testing

@Suite struct ScaledGramTests {
    /// `Σ sᵢ² aᵢaᵢᵀ` summed row by row in the plainest way, with the column of ones when asked.
    static func naive(_ a: Matrix, _ s: [Double], appending: Bool) -> Matrix {
        let k = a.columns + (appending ? 1 : 0)
        var g = Matrix(rows: k, columns: k, repeating: 0)
        for r in 0..<a.rows {
            let row = (0..<k).map { j in j < a.columns ? a[r, j] : 1 }
            for i in 0..<k {
                for j in 0..<k { g[i, j] += s[r] * s[r] * row[i] * row[j] }
            }
        }
        return g
    }

    @Test func byHandWithAndWithoutTheScaleColumn() throws {
        // Rows (1, 2) with s = 1 and (3, 4) with s = 2: 1·[1 2; 2 4] + 4·[9 12; 12 16].
        let a = Matrix([[1, 2], [3, 4]])
        #expect(try scaledGram(a, rowScales: [1, 2]) == Matrix([[37, 50], [50, 68]]))
        // With a column of ones: last column Σ sᵢ²·aᵢ = (1 + 12, 2 + 16), corner Σ sᵢ² = 5.
        #expect(
            try scaledGram(a, rowScales: [1, 2], appendingScaleColumn: true)
                == Matrix([[37, 50, 13], [50, 68, 18], [13, 18, 5]]))
    }

    @Test(arguments: seeds)
    func matchesTheRowByRowSumForEveryBlockSize(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let (n, d) = (rng.size(1...300), rng.size(1...12))
        let a = rng.matrix(n, d)
        let s = rng.vector(n)
        for appending in [false, true] {
            let expected = Self.naive(a, s, appending: appending)
            // One row per block, odd sizes that leave a short last block, and one block for everything.
            for blockRows in [1, 7, 64, n, n + 5] {
                let gram = try scaledGram(a, rowScales: s, appendingScaleColumn: appending, blockRows: blockRows)
                #expect(relativeError(gram.columnMajor, expected.columnMajor) <= 1e-12, "seed \(seed), n \(n), d \(d), blocks of \(blockRows)")
                #expect(gram == gram.transposed(), "seed \(seed): not exactly symmetric")
            }
        }
    }

    @Test func emptyInputsGiveZerosOfTheRightShape() throws {
        let noRows = Matrix(rows: 0, columns: 3, repeating: 0)
        #expect(try scaledGram(noRows, rowScales: []) == Matrix(rows: 3, columns: 3, repeating: 0))
        #expect(try scaledGram(noRows, rowScales: [], appendingScaleColumn: true) == Matrix(rows: 4, columns: 4, repeating: 0))
        let noColumns = Matrix(rows: 2, columns: 0, repeating: 0)
        #expect(try scaledGram(noColumns, rowScales: [1, 1]) == Matrix(rows: 0, columns: 0, repeating: 0))
        #expect(try scaledGram(noColumns, rowScales: [1, 3], appendingScaleColumn: true) == Matrix([[10]]))
    }

    @Test func wrongNumberOfScalesIsADimensionMismatch() throws {
        let error = try #require(throws: LinalgError.self) {
            try scaledGram(Matrix([[1, 2], [3, 4]]), rowScales: [1])
        }
        #expect(error.code == .dimensionMismatch)
        #expect(error.message.contains("rowScales has 1 entries; need one per row"))
    }
}

@Suite struct ScaledGramThreadTests {
    @Test func theSameBitsWithOneThreadOrTwo() throws {
        var rng = SplitMix64(seed: 17)
        let (a, s) = (rng.matrix(3000, 9), rng.vector(3000))
        let before = BLASThreads.count
        let one = try scaledGram(a, rowScales: s, appendingScaleColumn: true, blockRows: 50, threads: 1)
        let two = try scaledGram(a, rowScales: s, appendingScaleColumn: true, blockRows: 50, threads: 2)
        #expect(one == two)
        #expect(BLASThreads.count == before, "scaledGram restores the thread count it found")
    }

    /// OpenBLAS's `dgemv` with `Aᵀ` rounds differently on one thread than on two, and the Hessian build
    /// lowers the process-wide count to 1 while its own workers run. Linalg's calls wait for that to end:
    /// a product computed again and again while Hessians are built on another thread never changes a bit.
    @Test(.enabled(if: BLASThreads.count > 1, "needs OpenBLAS on more than one thread"))
    func callsOnOtherThreadsKeepTheirBitsWhileAHessianIsBuilt() async throws {
        var rng = SplitMix64(seed: 23)
        let (a, x) = (rng.matrix(3000, 12), rng.vector(3000))
        let (g, s) = (rng.matrix(3000, 9), rng.vector(3000))
        let reference = try gemv(a, x, transposeA: true)
        let changed = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                for _ in 0..<200 { _ = try scaledGram(g, rowScales: s, appendingScaleColumn: true, blockRows: 50, threads: 2) }
                return 0
            }
            group.addTask {
                var changed = 0
                for _ in 0..<2000 where try gemv(a, x, transposeA: true) != reference { changed += 1 }
                return changed
            }
            return try await group.reduce(0, +)
        }
        #expect(changed == 0, "\(changed) of 2,000 products changed while Hessians were built")
    }
}
