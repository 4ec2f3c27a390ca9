import Linalg
import Testing

@Suite struct MatrixTests {
    @Test func rowMajorIsReadRowByRow() throws {
        let a = try Matrix(rows: 2, columns: 3, rowMajor: [1, 2, 3, 4, 5, 6])
        #expect(a.rows == 2 && a.columns == 3)
        #expect(a[0, 2] == 3)
        #expect(a[1, 0] == 4)
        #expect(a.columnMajor == [1, 4, 2, 5, 3, 6])
    }

    @Test func columnMajorIsReadColumnByColumn() throws {
        let a = try Matrix(rows: 2, columns: 3, columnMajor: [1, 2, 3, 4, 5, 6])
        #expect(a[1, 0] == 2)
        #expect(a[0, 1] == 3)
        #expect(a.columnMajor == [1, 2, 3, 4, 5, 6])
        #expect(a == (try Matrix(rows: 2, columns: 3, rowMajor: [1, 3, 5, 2, 4, 6])))
    }

    @Test func repeatingIdentityAndSubscriptSetter() {
        var a = Matrix(rows: 2, columns: 2, repeating: 7)
        #expect(a.columnMajor == [7, 7, 7, 7])
        a[0, 1] = 0
        a[1, 0] = 0
        a[0, 0] = 1
        a[1, 1] = 1
        #expect(a == Matrix.identity(2))
        #expect(Matrix.identity(3).columnMajor == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(Matrix.identity(0).columnMajor.isEmpty)
    }

    @Test func transposedSwapsIndices() throws {
        let a = try Matrix(rows: 2, columns: 3, rowMajor: [1, 2, 3, 4, 5, 6])
        let t = a.transposed()
        #expect(t.rows == 3 && t.columns == 2)
        #expect(t == (try Matrix(rows: 3, columns: 2, rowMajor: [1, 4, 2, 5, 3, 6])))
        #expect(t.transposed() == a)
        #expect(Matrix(rows: 0, columns: 4, repeating: 0).transposed().rows == 4)
    }

    @Test func bufferPointersSeeColumnMajorStorage() throws {
        var a = try Matrix(rows: 2, columns: 2, rowMajor: [1, 2, 3, 4])
        let copy = a
        #expect(a.withUnsafeBufferPointer { Array($0) } == [1, 3, 2, 4])
        a.withUnsafeMutableBufferPointer { $0[1] = 30 }  // element [1, 0]
        #expect(a[1, 0] == 30)
        #expect(copy[1, 0] == 3, "copy-on-write: the copy keeps its value")
    }

    @Test func wrongElementCountThrowsNamingTheShape() {
        let error = #expect(throws: LinalgError.self) {
            try Matrix(rows: 2, columns: 3, columnMajor: [1, 2, 3, 4, 5])
        }
        #expect(error?.code == .dimensionMismatch)
        #expect(error?.message.contains("2×3") == true)
        #expect(error?.message.contains("5 elements") == true)
        #expect(throws: LinalgError.self) { try Matrix(rows: 3, columns: 1, rowMajor: [1, 2]) }
    }

    @Test func outOfRangeSubscriptTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Matrix.identity(2)[2, 0]
        }
    }

    @Test func negativeDimensionTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Matrix(rows: -1, columns: 2, repeating: 0)
        }
    }
}
