// The dgemm ceiling: what BLAS reaches on this machine, so BLAS-bound kernels (the logistic Hessian
// build) can be reported as a fraction of it, measured in the same run.
import Benchmark
import Linalg

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(3), maxIterations: 50)

    for (threads, n) in [(1, 1000), (2, 1000), (1, 2000), (2, 2000)] {
        // 2·n³ flops per product; throughput × 2n³ is the GFLOP/s figure.
        Benchmark("dgemm n=\(n) threads=\(threads) (2n³ flops)", configuration: .init(scalingFactor: .one)) { (benchmark: Benchmark, inputs: (Matrix, Matrix)) in
            BLASThreads.count = threads
            var c = Matrix(rows: n, columns: n, repeating: 0)
            for _ in benchmark.scaledIterations {
                try gemm(inputs.0, inputs.1, into: &c)
                blackHole(c[0, 0])
            }
        } setup: {
            var state: UInt64 = 42
            func next() -> Double {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Double(state >> 11) / Double(1 << 53) - 0.5
            }
            let a = try Matrix(rows: n, columns: n, columnMajor: (0..<(n * n)).map { _ in next() })
            let b = try Matrix(rows: n, columns: n, columnMajor: (0..<(n * n)).map { _ in next() })
            return (a, b)
        }
    }
}
