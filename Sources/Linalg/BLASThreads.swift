internal import CBLAS
import Synchronization

/// The number of threads OpenBLAS uses inside each BLAS or LAPACK call, and which kernels it picked.
///
/// OpenBLAS starts with one thread per core. That suits one large factorization, but a batch job that
/// already runs many fits at once with Swift concurrency (a task group, `async let`, `concurrentPerform`)
/// should set `BLASThreads.count = 1` once at startup: otherwise every concurrent call fans out to every
/// core, the threads oversubscribe the machine and the job usually gets slower. Setting the environment
/// variable `OPENBLAS_NUM_THREADS=1` before the process starts has the same effect without code.
///
/// ```swift
/// BLASThreads.count = 1   // many small fits in parallel: parallelize across fits, not inside BLAS
/// ```
///
/// The setting is process-wide. Change it at startup, not while other tasks are calling Linalg.
public enum BLASThreads {
    /// The number of threads each OpenBLAS call may use (`openblas_get_num_threads` /
    /// `openblas_set_num_threads`). OpenBLAS caps the value at the number it was built for.
    ///
    /// - Precondition: the new value is at least 1.
    public static var count: Int {
        get { switching.withLock { _ in Int(openblas_get_num_threads()) } }
        set {
            precondition(newValue >= 1, "BLASThreads.count must be at least 1, got \(newValue)")
            switching.withLock { _ in openblas_set_num_threads(Int32(clamping: newValue)) }
        }
    }

    /// Held while the count is read or changed, and for the whole of ``withOneThreadPerCall(_:)``, so no
    /// reader sees its temporary 1 and overlapping calls restore the right count.
    private static let switching = Mutex(())

    /// Runs `body` with OpenBLAS set to one thread per call, then restores the previous count: for work
    /// that runs its own threads, each calling BLAS. `body` must not read or set ``count``.
    static func withOneThreadPerCall(_ body: () -> Void) {
        switching.withLock { _ in
            let previous = openblas_get_num_threads()
            openblas_set_num_threads(1)
            body()
            openblas_set_num_threads(previous)
        }
    }

    /// The CPU core OpenBLAS chose kernels for, such as `"Haswell"` or `"SkylakeX"` (`openblas_get_corename`).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's build configuration (`openblas_get_config`), for bug reports, such as
    /// `"OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64"`.
    public static var configuration: String { String(cString: openblas_get_config()) }
}
