import Linalg

/// The seeds every randomized test runs with; failure messages name the seed so a run can be replayed.
let seeds: [UInt64] = [1, 42, 0x5EED, 0xDEAD_BEEF_CAFE]

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny, fast, seedable generator for reproducible tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func vector(_ n: Int) -> [Double] {
        (0..<n).map { _ in Double.random(in: -1...1, using: &self) }
    }

    mutating func matrix(_ rows: Int, _ columns: Int) -> Matrix {
        try! Matrix(rows: rows, columns: columns, columnMajor: vector(rows * columns))
    }

    /// A random symmetric positive definite n×n matrix `BᵀB + n·I`, well conditioned.
    mutating func spd(_ n: Int) -> Matrix {
        let b = matrix(n, n)
        var a = naiveProduct(b, b, transposeA: true)
        for i in 0..<n { a[i, i] += Double(n) }
        return a
    }

    /// A random size in `range`.
    mutating func size(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
}

extension Matrix {
    /// A matrix written row by row, as on paper.
    init(_ rowMajor: [[Double]]) {
        let columns = rowMajor.first?.count ?? 0
        self = try! Matrix(rows: rowMajor.count, columns: columns, rowMajor: rowMajor.flatMap { $0 })
    }
}

/// `op(A)·op(B)` by the textbook triple loop.
func naiveProduct(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
    let opA = transposeA ? a.transposed() : a
    let opB = transposeB ? b.transposed() : b
    precondition(opA.columns == opB.rows)
    var c = Matrix(rows: opA.rows, columns: opB.columns, repeating: 0)
    for i in 0..<opA.rows {
        for j in 0..<opB.columns {
            var sum = 0.0
            for k in 0..<opA.columns { sum += opA[i, k] * opB[k, j] }
            c[i, j] = sum
        }
    }
    return c
}

/// `op(A)·x` by the textbook double loop.
func naiveProduct(_ a: Matrix, _ x: [Double], transposeA: Bool = false) -> [Double] {
    naiveProduct(a, try! Matrix(rows: x.count, columns: 1, columnMajor: x), transposeA: transposeA).columnMajor
}

/// Solves `A·X = B` by Gaussian elimination with partial pivoting, written out by hand.
func naiveSolve(_ a: Matrix, _ b: Matrix) -> Matrix {
    var a = a
    var x = b
    let n = a.rows
    for k in 0..<n {
        let p = (k..<n).max { abs(a[$0, k]) < abs(a[$1, k]) }!
        for j in 0..<n { (a[k, j], a[p, j]) = (a[p, j], a[k, j]) }
        for j in 0..<x.columns { (x[k, j], x[p, j]) = (x[p, j], x[k, j]) }
        for i in (k + 1)..<max(k + 1, n) {
            let factor = a[i, k] / a[k, k]
            for j in k..<n { a[i, j] -= factor * a[k, j] }
            for j in 0..<x.columns { x[i, j] -= factor * x[k, j] }
        }
    }
    for k in (0..<n).reversed() {
        for j in 0..<x.columns {
            var sum = x[k, j]
            for i in (k + 1)..<max(k + 1, n) { sum -= a[k, i] * x[i, j] }
            x[k, j] = sum / a[k, k]
        }
    }
    return x
}

func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }

/// `‖got − want‖₂ / ‖want‖₂` (Frobenius for matrices), or the absolute error when `want` is zero.
func relativeError(_ got: [Double], _ want: [Double]) -> Double {
    precondition(got.count == want.count, "\(got.count) vs \(want.count) elements")
    let difference = norm(zip(got, want).map { $0 - $1 })
    let scale = norm(want)
    return scale == 0 ? difference : difference / scale
}

func relativeError(_ got: Matrix, _ want: Matrix) -> Double {
    precondition(got.rows == want.rows && got.columns == want.columns, "\(got) vs \(want)")
    return relativeError(got.columnMajor, want.columnMajor)
}

/// The n×n Hilbert matrix `1 / (i + j + 1)`: symmetric positive definite and notoriously ill-conditioned.
func hilbert(_ n: Int) -> Matrix {
    var h = Matrix(rows: n, columns: n, repeating: 0)
    for i in 0..<n {
        for j in 0..<n { h[i, j] = 1 / Double(i + j + 1) }
    }
    return h
}
