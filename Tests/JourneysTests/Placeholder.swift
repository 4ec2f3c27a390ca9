import Testing
@testable import Journeys

@Test func readsTinyCSV() throws {
    let path = FileManager.default.temporaryDirectory.path + "/tiny-\(UInt32.random(in: 0...UInt32.max)).csv"
    try "customer_id,timestamp,channel\nb,2024-01-02,web\na,2024-01-01,email\nb,2024-01-01,app\n".write(toFile: path, atomically: true, encoding: .utf8)
    let (store, report) = try EventReader.read(path: path)
    #expect(report.rowsKept == 3)
    #expect(store.customerCount == 2)
    #expect(store.customerIDs[0] == "b")
    #expect(store.events(of: 0).map { store.channelNames[Int(store.channels[$0])] } == ["app", "web"])
}
import Foundation
