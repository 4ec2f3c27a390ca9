import Linalg
import Testing

@Suite struct LinalgErrorTests {
    @Test func descriptionIsTheMessage() {
        let error = #expect(throws: LinalgError.self) { try dot([1], []) }
        #expect(error.map { "\($0)" } == error?.message)
    }

    @Test func codesAreDistinctAndNamed() {
        let codes: [LinalgError.Code] = [
            .dimensionMismatch, .notPositiveDefinite, .singular, .notFinite, .noConvergence, .tooLarge,
        ]
        #expect(Set(codes).count == codes.count)
        #expect(codes.map(\.description) == [
            "dimensionMismatch", "notPositiveDefinite", "singular", "notFinite", "noConvergence", "tooLarge",
        ])
    }
}
