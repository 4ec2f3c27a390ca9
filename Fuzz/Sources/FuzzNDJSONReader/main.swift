import FuzzSupport
import Journeys

/// Arbitrary bytes as an NDJSON touchpoint log.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNDJSONReader(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let path = writeScratch(UnsafeRawBufferPointer(start: start, count: count), name: "events.ndjson")
    readEveryWay(path, format: .ndjson)
    return 0
}

runFuzzer(fuzzNDJSONReader)
