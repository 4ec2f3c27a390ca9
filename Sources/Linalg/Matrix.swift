/// A dense matrix of `Double`s, stored column by column.
///
/// Element `[i, j]` lives at `columnMajor[i + j * rows]`: the leading dimension is `rows`, the layout
/// BLAS and LAPACK expect, so no routine makes a transposed copy. `Matrix` is a value type with
/// copy-on-write storage; routines that overwrite their input work on a copy. Vectors are plain `[Double]`.
///
/// ```swift
/// // [1 2 3]
/// // [4 5 6]
/// let a = try Matrix(rows: 2, columns: 3, rowMajor: [1, 2, 3, 4, 5, 6])
/// a[1, 0]        // 4
/// a.columnMajor  // [1, 4, 2, 5, 3, 6]
/// ```
public struct Matrix: Sendable, Equatable {
    /// The number of rows (`m`); also the leading dimension of ``columnMajor``.
    public let rows: Int
    /// The number of columns (`n`).
    public let columns: Int
    /// The `rows·columns` elements in column-major order: column 0 first, then column 1, and so on.
    public private(set) var columnMajor: [Double]

    /// Creates a `rows×columns` matrix with every element equal to `value`.
    ///
    /// - Precondition: `rows ≥ 0`, `columns ≥ 0`, and `rows·columns` fits in `Int`.
    public init(rows: Int, columns: Int, repeating value: Double) {
        guard let count = Self.elementCount(rows: rows, columns: columns) else {
            preconditionFailure("a \(rows)×\(columns) matrix has more elements than Int can count")
        }
        self.init(unchecked: rows, columns, [Double](repeating: value, count: count))
    }

    /// Creates a `rows×columns` matrix from elements listed **column by column** (Fortran/LAPACK order).
    ///
    /// `columnMajor[i + j * rows]` becomes element `[i, j]`; the array is stored as is, without copying.
    ///
    /// - Throws: `LinalgError` `.dimensionMismatch` if `columnMajor.count ≠ rows·columns`.
    /// - Precondition: `rows ≥ 0` and `columns ≥ 0`.
    public init(rows: Int, columns: Int, columnMajor: [Double]) throws(LinalgError) {
        try Self.checkCount(columnMajor.count, rows: rows, columns: columns, order: "columnMajor")
        self.init(unchecked: rows, columns, columnMajor)
    }

    /// Creates a `rows×columns` matrix from elements listed **row by row** (C order, the way one writes
    /// a matrix on paper).
    ///
    /// `rowMajor[i * columns + j]` becomes element `[i, j]`; the elements are transposed into column-major storage.
    ///
    /// - Throws: `LinalgError` `.dimensionMismatch` if `rowMajor.count ≠ rows·columns`.
    /// - Precondition: `rows ≥ 0` and `columns ≥ 0`.
    /// - Complexity: O(rows·columns).
    public init(rows: Int, columns: Int, rowMajor: [Double]) throws(LinalgError) {
        try Self.checkCount(rowMajor.count, rows: rows, columns: columns, order: "rowMajor")
        // Read as a columns×rows column-major matrix, rowMajor is the transpose of the result.
        self = Matrix(unchecked: columns, rows, rowMajor).transposed()
    }

    /// The `n×n` identity matrix.
    ///
    /// - Precondition: `n ≥ 0`.
    public static func identity(_ n: Int) -> Matrix {
        var result = Matrix(rows: n, columns: n, repeating: 0)
        for i in 0..<n {
            result.columnMajor[i + i * n] = 1
        }
        return result
    }

    /// The element in row `row` and column `column`, both counted from 0.
    ///
    /// - Precondition: `0 ≤ row < rows` and `0 ≤ column < columns`.
    public subscript(row: Int, column: Int) -> Double {
        get {
            checkIndex(row, column)
            return columnMajor[row + column * rows]
        }
        set {
            checkIndex(row, column)
            columnMajor[row + column * rows] = newValue
        }
    }

    /// The `columns×rows` transpose: element `[j, i]` of the result is element `[i, j]` of `self`.
    ///
    /// - Complexity: O(rows·columns).
    public func transposed() -> Matrix {
        var result = [Double]()
        result.reserveCapacity(columnMajor.count)
        for i in 0..<rows {
            for j in 0..<columns {
                result.append(columnMajor[i + j * rows])
            }
        }
        return Matrix(unchecked: columns, rows, result)
    }

    /// Calls `body` with a pointer to the column-major elements (leading dimension `rows`).
    ///
    /// The pointer is valid only during `body`.
    ///
    /// - Throws: whatever `body` throws.
    public func withUnsafeBufferPointer<R, E: Error>(
        _ body: (UnsafeBufferPointer<Double>) throws(E) -> R
    ) throws(E) -> R {
        try columnMajor.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with a mutable pointer to the column-major elements (leading dimension `rows`).
    ///
    /// The pointer is valid only during `body`. The shape cannot change, so the buffer is passed by value.
    ///
    /// - Throws: whatever `body` throws.
    public mutating func withUnsafeMutableBufferPointer<R, E: Error>(
        _ body: (UnsafeMutableBufferPointer<Double>) throws(E) -> R
    ) throws(E) -> R {
        try columnMajor.withUnsafeMutableBufferPointer { (buffer) throws(E) -> R in try body(buffer) }
    }
}

extension Matrix {
    /// Wraps `columnMajor` without validation; callers guarantee `columnMajor.count == rows * columns`.
    init(unchecked rows: Int, _ columns: Int, _ columnMajor: [Double]) {
        self.rows = rows
        self.columns = columns
        self.columnMajor = columnMajor
    }

    /// `"rows×columns"`, for error messages.
    var shape: String { "\(rows)×\(columns)" }

    /// Throws `.notFinite` naming the first NaN or infinite element, scanning only `[i, j]` with `i ≥ j`
    /// when `lowerTriangle` is true (the part a symmetric LAPACK routine reads).
    func checkFinite(_ routine: String, lowerTriangle: Bool) throws(LinalgError) {
        for j in 0..<columns {
            for i in (lowerTriangle ? min(j, rows) : 0)..<rows where !columnMajor[i + j * rows].isFinite {
                throw LinalgError(
                    .notFinite,
                    "\(routine): element [\(i), \(j)] is \(columnMajor[i + j * rows]); the input must be finite, "
                        + "so impute or drop missing values first")
            }
        }
    }

    /// `rows·columns`, or `nil` if it overflows `Int`.
    private static func elementCount(rows: Int, columns: Int) -> Int? {
        precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative, got \(rows)×\(columns)")
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        return overflow ? nil : count
    }

    private static func checkCount(_ count: Int, rows: Int, columns: Int, order: String) throws(LinalgError) {
        let expected = elementCount(rows: rows, columns: columns)
        guard count == expected else {
            throw LinalgError(
                .dimensionMismatch,
                "Matrix: \(order) has \(count) elements but a \(rows)×\(columns) matrix needs "
                    + (expected.map { "\($0)" } ?? "more than Int.max"))
        }
    }

    private func checkIndex(_ row: Int, _ column: Int) {
        precondition(
            (0..<rows).contains(row) && (0..<columns).contains(column),
            "index [\(row), \(column)] is out of range for a \(shape) matrix")
    }
}
