internal import CBLAS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
        get { switching.reading { Int(openblas_get_num_threads()) } }
        set {
            precondition(newValue >= 1, "BLASThreads.count must be at least 1, got \(newValue)")
            switching.writing { openblas_set_num_threads(Int32(clamping: newValue)) }
        }
    }

    /// Readers: every BLAS and LAPACK call Linalg makes (``atTheSetCount(_:)``). Writers: changing the
    /// count, and the whole of ``withOneThreadPerCall(_:)``. OpenBLAS splits some reductions (`dgemv` with
    /// `Aᵀ`) by thread, so their last bits depend on the count: with this lock no call of one task runs
    /// while another task's Hessian has the count lowered to 1, and concurrent fits stay reproducible.
    private static let switching = ReadersWriterLock()

    /// Runs one BLAS or LAPACK call at the count the program set, never during a change of it.
    static func atTheSetCount<T>(_ call: () -> T) -> T { switching.reading(call) }

    /// Runs `body` with OpenBLAS set to one thread per call, then restores the previous count: for work
    /// that runs its own threads, each calling BLAS directly. `body` must not call Linalg's wrappers or
    /// read or set ``count`` (it holds the lock they take).
    static func withOneThreadPerCall(_ body: () -> Void) {
        switching.writing {
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

/// A `pthread_rwlock_t` that lives as long as the process (the lock above is a static).
private final class ReadersWriterLock: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init() { pthread_rwlock_init(lock, nil) }

    func reading<T>(_ body: () -> T) -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body()
    }

    func writing<T>(_ body: () -> T) -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body()
    }
}
