import Foundation
import Journeys
import Testing

@testable import Features

@Suite struct AttributeReaderTests {
    let customers = InternedStrings(["a", "b", "c"])

    func read(_ bytes: [UInt8], numeric: [String] = ["age"], categorical: [String] = ["tier"]) throws -> (CustomerAttributes, CustomerAttributes.ReadReport) {
        let path = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (attributes, report) = try CustomerAttributes.read(path: path, customers: customers, numeric: numeric, categorical: categorical)
        return (attributes, report)
    }

    func failure(_ text: String, numeric: [String] = ["age"], categorical: [String] = ["tier"]) -> FeatureError? {
        failure(Array(text.utf8), numeric: numeric, categorical: categorical)
    }

    func failure(_ bytes: [UInt8], numeric: [String] = ["age"], categorical: [String] = ["tier"]) -> FeatureError? {
        do {
            _ = try read(bytes, numeric: numeric, categorical: categorical)
            return nil
        } catch {
            return error as? FeatureError
        }
    }

    @Test func lastNonEmptyValueWins() throws {
        let text = "\u{FEFF}customer_id,age,tier,other\r\na,30,gold,x\r\na,,silver,y\r\nb,\"4.5\",\"with, comma\",z\r\nzz,1,q,w\r\n\r\na,31,,\r\n"
        let (attributes, report) = try read(Array(text.utf8))
        #expect(attributes.numeric[0][0] == 31 && attributes.numeric[0][1] == 4.5 && attributes.numeric[0][2].isNaN)
        #expect(attributes.categorical[0] == ["silver", "with, comma", nil])
        #expect(report == CustomerAttributes.ReadReport(rows: 5, rowsOfUnknownCustomers: 1, customersFound: 2, customersMissing: 1))
        let values = try attributes.values(of: 1, for: FeatureConfiguration(numericAttributes: ["age"], categoricalAttributes: ["tier"]))
        #expect(values == AttributeValues(numeric: [4.5], categorical: ["with, comma"]))
    }

    @Test func nonNumericNamesLineAndColumn() throws {
        let error = try #require(failure("customer_id,tier,age\na,gold,30\nb,silver,thirty\n"))
        #expect(error.code == .invalidNumber)
        #expect(error.position?.line == 3 && error.position?.column == 10)
        #expect(error.description.hasSuffix(":3:10: 'age': 'thirty' is not a finite number"))
        #expect(failure("customer_id,tier,age\na,gold,nan\n")?.code == .invalidNumber)
    }

    @Test func missingColumnListsWhatIsMissing() throws {
        let error = try #require(failure("customer_id,tier\na,gold\n", numeric: ["age", "income"]))
        #expect(error.code == .missingColumn)
        #expect(error.message.contains("'age'") && error.message.contains("'income'") && error.message.contains("customer_id,tier"))
        #expect(failure("id,age,tier\n")?.code == .missingColumn)
    }

    @Test func nonUTF8IsRefusedWithPosition() throws {
        let bytes = Array("customer_id,age,tier\na,1,".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        let error = try #require(failure(bytes))
        #expect(error.code == .invalidText)
        #expect(error.position?.line == 2 && error.position?.column == 5)
    }

    @Test func utf8ValidationMatchesTheStandard() throws {
        let header = Array("customer_id,age,tier\na,1,".utf8)
        for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xFF]] {
            #expect(failure(header + bad + [0x0A])?.code == .invalidText, "\(bad)")
        }
        // Valid multi-byte text (é, €, an emoji) is read as it is; the column counts characters.
        let (attributes, _) = try read(header + Array("é€😀\n".utf8))
        #expect(attributes.categorical[0][0] == "é€😀")
        let error = try #require(failure(Array("customer_id,tier,age\na,é€,x\n".utf8)))
        #expect(error.position?.column == 6)
    }

    @Test func emptyAndMalformedFiles() throws {
        #expect(failure("")?.code == .emptyInput)
        #expect(failure("customer_id,age,tier\na,1\n")?.code == .wrongFieldCount)
        #expect(failure("customer_id,age,tier\na,1,\"open\n")?.code == .malformedQuoting)
        #expect(failure("customer_id,age,age,tier\n")?.code == .duplicateColumn)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).csv").path
        #expect { try CustomerAttributes.read(path: path, customers: customers, numeric: [], categorical: []) } throws: {
            ($0 as? FeatureError)?.code == .cannotRead
        }
    }

    @Test func tableWithoutADeclaredAttributeIsRefused() throws {
        let (attributes, _) = try read(Array("customer_id,age,tier\na,1,x\n".utf8))
        #expect { try attributes.values(of: 0, for: FeatureConfiguration(numericAttributes: ["income"])) } throws: {
            ($0 as? FeatureError)?.code == .missingColumn
        }
    }
}
