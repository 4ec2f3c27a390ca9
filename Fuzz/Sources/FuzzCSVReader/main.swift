import FuzzSupport
import Journeys

/// Arbitrary bytes as a CSV touchpoint log (the seeds start with a header, so mutations reach the rows).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSVReader(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let path = writeScratch(bytes, name: "events.csv")
    readEveryWay(path, format: .csv)
    return 0
}

runFuzzer(fuzzCSVReader)
