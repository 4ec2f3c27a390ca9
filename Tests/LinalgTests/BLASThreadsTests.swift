import Linalg
import Testing

@Suite struct BLASThreadsTests {
    @Test func countRoundTrips() {
        let original = BLASThreads.count
        #expect(original >= 1)
        defer { BLASThreads.count = original }
        BLASThreads.count = 1
        #expect(BLASThreads.count == 1)
        BLASThreads.count = original
        #expect(BLASThreads.count == original)
    }

    @Test func describesTheBuild() {
        #expect(!BLASThreads.coreName.isEmpty)
        #expect(BLASThreads.configuration.contains("OpenBLAS"), "\(BLASThreads.configuration)")
    }
}
