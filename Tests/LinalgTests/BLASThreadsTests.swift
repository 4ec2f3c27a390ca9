import Linalg
import Testing

@Suite struct BLASThreadsTests {
    /// In a child process: the count is process-wide, and changing it here would change the rounding
    /// of BLAS calls that other tests make at the same time.
    @Test func countRoundTrips() async {
        await #expect(processExitsWith: .success) {
            let original = BLASThreads.count
            precondition(original >= 1)
            BLASThreads.count = 1
            precondition(BLASThreads.count == 1)
            BLASThreads.count = original
            precondition(BLASThreads.count == original)
        }
    }

    @Test func describesTheBuild() {
        #expect(!BLASThreads.coreName.isEmpty)
        #expect(BLASThreads.configuration.contains("OpenBLAS"), "\(BLASThreads.configuration)")
    }
}
