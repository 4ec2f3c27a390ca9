import Foundation
import Testing

@testable import Journeys

@Suite struct NDJSONTests {
    @Test func readsObjectsWithMappedKeysNumbersNullsAndNestedValues() throws {
        var o = options()
        try o.columns.map("customer_id", to: "user")
        let (store, report) = try read(
            #"""
            {"user":"a","timestamp":"2024-01-01T00:00:00Z","channel":"web","value":12.5,"extra":{"nested":[1,{"x":"}]"}],"y":true}}
            {"user":"b", "timestamp": 1704153600, "channel": "email", "event": null, "value": null, "list": [[], {}, "]"]}

              { "channel" : "app" , "timestamp" : 1704240000000 , "user" : "a" , "value" : -1.5e2 , "n": false }
            {"user":42,"timestamp":"2024-01-01","channel":"web","value":"7"}

            """#, ext: "ndjson", options: o)
        #expect(report.rowsKept == 4)
        #expect(report.blankLines == 1)
        #expect(store.lines == ["a web touch", "a app touch", "b email touch", "42 web touch"])
        #expect(store.timestamps == [Instant.jan1, Instant.jan3, Instant.jan2, Instant.jan1])
        #expect(store.values == [12.5, -150, 0, 7])
        #expect(store.actions == nil)
        #expect(store.propensities == nil)
    }

    @Test func escapedStrings() throws {
        let (store, _) = try read(
            #"""
            {"customer_id":"c\ud83d\ude00","timestamp":"2024-01-01","channel":"em\u00e9\u00E9"}
            {"customer_id":"q\"b\\s\/t\tn\n","timestamp":"2024-01-01","channel":"\u20ac"}
            {"custom\u0065r_id":"k","timestamp":"2024-01-01","channel":"\b\f\r"}

            """#, ext: "ndjson")
        #expect(Array(store.customerIDs) == ["c😀", "q\"b\\s/t\tn\n", "k"])
        #expect(Array(store.channelNames) == ["eméé", "€", "\u{8}\u{C}\r"])
    }

    @Test func optionalKeysPresentInSomeRows() throws {
        let (store, _) = try read(
            #"""
            {"customer_id":"a","timestamp":"2024-01-01","channel":"web"}
            {"customer_id":"a","timestamp":"2024-01-02","channel":"web","event":"buy","action":"mail10","propensity":0.5}

            """#, ext: "jsonl")
        #expect(store.lines == ["a web touch", "a web buy"])
        #expect(store.actions == [0, 1])
        #expect(store.values == nil)  // no row had a value
        let propensities = try #require(store.propensities)
        #expect(propensities[0].isNaN && propensities[1] == 0.5)
    }

    @Test func crlfLines() throws {
        let (store, report) = try read(
            "{\"customer_id\":\"a\",\"timestamp\":\"2024-01-01\",\"channel\":\"web\"}\r\n\r\n{\"customer_id\":\"b\",\"timestamp\":\"2024-01-02\",\"channel\":\"app\"}\r\n",
            ext: "ndjson")
        #expect(store.lines == ["a web touch", "b app touch"])
        #expect(report.blankLines == 1)
    }

    @Test func formatOptionOverridesTheExtension() throws {
        let (store, _) = try read(
            #"{"customer_id":"a","timestamp":"2024-01-01","channel":"web"}"#, ext: "txt",
            options: options { $0.format = .ndjson })
        #expect(store.lines == ["a web touch"])
    }

    @Test func duplicateKeyIsAnError() throws {
        try expectReadError(
            """
            {"customer_id":"a","timestamp":"2024-01-01","channel":"web"}
            {"customer_id":"a","timestamp":"2024-01-01","channel":"web","customer_id":"b"}
            """, ext: "ndjson", .malformedJSON, line: 2, column: 62, messageContains: ["'customer_id' appears twice"])
    }

    @Test func duplicateIgnoredKeyIsAllowed() throws {
        let (store, _) = try read(
            #"{"x":1,"customer_id":"a","timestamp":"2024-01-01","channel":"web","x":2}"#, ext: "ndjson")
        #expect(store.count == 1)
    }

    @Test(arguments: [
        (#"["a","b"]"#, 1, "expected '{'"),
        (#"{"customer_id":"a","timestamp":"2024-01-01","channel":"web"} x"#, 62, "text after the end"),
        (#"{"customer_id":"a","timestamp":"2024-01-01","channel":{"n":1}}"#, 55, "must be a string or a number"),
        (#"{"customer_id":"a","timestamp":"2024-01-01","channel":7}"#, 55, "must be a JSON string"),
        (#"{"customer_id":"a","timestamp":"2024-01-01","channel":"web""#, 60, "expected '}'"),
        (#"{"customer_id":"a","timestamp":"2024-01-01","channel":"web}"#, 55, "string never closed"),
        (#"{"customer_id":"a","timestamp":"2024-01-01","channel":"w\x"}"#, 56, "unknown escape"),
        (#"{"customer_id":"a","timestamp":"2024-01-01","channel":"\ud800"}"#, 56, "surrogate"),
        (#"{"customer_id":"a","timestamp":"2024-01-01","channel":"\u00"}"#, 56, "four hex digits"),
        (#"{"customer_id":"a","timestamp":"2024-01-01","channel":"\u0000"}"#, 56, "NUL"),
        (#"{"customer_id":"a","timestamp":"2024-01-01","channel":nope}"#, 55, "unknown word"),
    ])
    func malformedLines(line: String, column: Int, fragment: String) throws {
        let text = #"{"customer_id":"z","timestamp":"2024-01-01","channel":"web"}"# + "\n" + line + "\n"
        try expectReadError(text, ext: "ndjson", .malformedJSON, line: 2, column: column, messageContains: [fragment])
    }

    @Test func nullInARequiredKeyIsAnEmptyField() throws {
        try expectReadError(
            #"{"customer_id":null,"timestamp":"2024-01-01","channel":"web"}"#, ext: "ndjson", .emptyField, line: 1, column: 1,
            messageContains: ["'customer_id' is empty"])
    }

    @Test func numericTimestampsFollowTheAutoRule() throws {
        let (store, _) = try read(
            """
            {"customer_id":"s","timestamp":1710325274,"channel":"web"}
            {"customer_id":"m","timestamp":1710325274250,"channel":"web"}
            {"customer_id":"f","timestamp":1710325274.25,"channel":"web"}
            """, ext: "ndjson")
        #expect(store.timestamps == [1_710_325_274_000_000, 1_710_325_274_250_000, 1_710_325_274_250_000])
    }

    @Test func badValueNumber() throws {
        try expectReadError(
            #"{"customer_id":"a","timestamp":"2024-01-01","channel":"web","value":1e400}"#, ext: "ndjson",
            .invalidNumber, line: 1, column: 69, messageContains: ["'value'", "1e400"])
    }

    @Test func byteOrderMarkBeforeTheFirstObject() throws {
        let (store, _) = try read("\u{FEFF}" + #"{"customer_id":"a","timestamp":"2024-01-01","channel":"web"}"#, ext: "ndjson")
        #expect(store.lines == ["a web touch"])
    }
}
