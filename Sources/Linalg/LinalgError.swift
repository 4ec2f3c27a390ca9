/// The one error Linalg throws: a ``code`` to branch on and a ``message`` saying what happened and what to do.
///
/// ```swift
/// do {
///     let cholesky = try Cholesky(hessian)
/// } catch where error.code == .notPositiveDefinite {
///     print(error)  // "dpotrf: the leading minor of order 3 is not positive definite; add an L2 penalty…"
/// }
/// ```
///
/// Linalg throws for shape mismatches and for data-dependent failures (a matrix that is singular, not
/// positive definite or not finite). LAPACK reporting an illegal argument is a bug in Linalg and traps instead.
public struct LinalgError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a value to compare against (`error.code == .singular`).
    ///
    /// A struct rather than an enum, so codes can be added without breaking exhaustive `switch`es.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case dimensionMismatch, notPositiveDefinite, singular, notFinite, noConvergence, tooLarge
        }

        private let value: Value

        private init(_ value: Value) { self.value = value }

        /// The operands' shapes do not fit together (for example `A` is 2×3 and `B` is 2×2 in `A·B`).
        public static let dimensionMismatch = Code(.dimensionMismatch)
        /// A Cholesky factorization found a leading minor that is not positive definite (`dpotrf` `info > 0`).
        public static let notPositiveDefinite = Code(.notPositiveDefinite)
        /// An LU factorization found an exactly zero pivot: the matrix is singular (`dgetrf` `info > 0`).
        public static let singular = Code(.singular)
        /// The input to a factorization contains NaN or an infinity.
        public static let notFinite = Code(.notFinite)
        /// An iterative LAPACK algorithm did not converge (`dsyevd` `info > 0`).
        public static let noConvergence = Code(.noConvergence)
        /// A dimension exceeds `Int32.max`, the largest size the 32-bit BLAS and LAPACK interfaces accept.
        public static let tooLarge = Code(.tooLarge)

        /// The code's name, such as `notPositiveDefinite`.
        public var description: String { String(describing: value) }
    }

    /// What went wrong.
    public var code: Code
    /// What happened, naming the routine and the shapes or index involved, and what to do about it.
    public var message: String

    /// The ``message``.
    public var description: String { message }

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension Int {
    /// `self` as the 32-bit integer BLAS and LAPACK take for sizes, or `.tooLarge` naming `routine`.
    func int32(for routine: String) throws(LinalgError) -> Int32 {
        guard let value = Int32(exactly: self) else {
            throw LinalgError(
                .tooLarge,
                "\(routine): size \(self) exceeds \(Int32.max), the largest size 32-bit BLAS/LAPACK accept; "
                    + "split the problem into smaller blocks")
        }
        return value
    }
}
