import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Merges parsed blocks, in input order, into global columns; then orders them by customer and time.
struct BlockMerger {
    let file: String
    let options: EventReaderOptions
    let fileSize: Int?
    /// `.csv` or `.ndjson`: for NDJSON, optional columns exist when some row had the key.
    var format: EventFormat = .csv
    let onReject: ((RejectedRow) -> Void)?
    var layout = FieldLayout()
    /// Line feeds before the next block (the header's included).
    var linesBefore = 0
    var report = EventReadReport()

    private var customers = InternTable(capacity: 1 << 16)
    private var channels = InternTable()
    private var eventTypes = InternTable()
    private var actions = InternTable()
    private var customer: [UInt32] = []
    private var timestamp: [Int64] = []
    private var channel: [UInt16] = []
    private var event: [UInt16] = []
    private var action: [UInt16] = []
    private var value: [Double] = []
    private var propensity: [Float] = []
    private var seen = Array(repeating: false, count: EventField.allCases.count)
    private var reserved = false
    /// Per attribute column: text levels (categorical), and each customer's last value (NaN: none).
    private var attributeLevels: [InternTable] = []
    private var attributeValues: [[Double]] = []
    /// Require each customer's rows to be consecutive, customers in ascending order (`readByCustomer`).
    var requireGrouped = false
    /// The customer id of the last row merged (grouped reads only).
    private var lastCustomerKey: [UInt8]? = nil
    /// Whether ids sort as whole numbers (decided by the first id).
    private var numericIDs: Bool? = nil

    init(file: String, options: EventReaderOptions, fileSize: Int?, onReject: ((RejectedRow) -> Void)?) {
        self.file = file
        self.options = options
        self.fileSize = fileSize
        self.onReject = onReject
    }

    mutating func merge(_ block: ParsedBlock) throws(JourneyError) {
        let blockStartLine = linesBefore
        for issue in block.issues {
            let position = InputPosition(file: file, line: linesBefore + issue.line + 1, column: issue.column)
            if issue.fatal || options.maxErrors == 0 {
                throw JourneyError(issue.code, issue.message, at: position)
            }
            report.rowsRejected += 1
            if report.rowsRejected > options.maxErrors {
                throw JourneyError(
                    .tooManyErrors,
                    "more than \(options.maxErrors) rows rejected (the --max-errors limit); the last one: \(issue.message)",
                    at: position)
            }
            onReject?(RejectedRow(position: position, code: issue.code, reason: issue.message, record: issue.record))
        }
        linesBefore += block.lineFeeds
        report.rowsRead += block.records
        report.blankLines += block.blankLines
        let rows = block.customer.count
        report.rowsKept += rows
        guard rows > 0 else { return }
        for k in seen.indices where block.seen[k] { seen[k] = true }

        let channelMap = try remap(block.channelTable, into: &channels, what: "channels", places: block.channelPlaces, blockStartLine: blockStartLine)
        let eventMap = try remap(block.eventTable, into: &eventTypes, what: "event types", places: block.eventPlaces, blockStartLine: blockStartLine)
        var actionMap = try remap(block.actionTable, into: &actions, what: "actions", places: block.actionPlaces, blockStartLine: blockStartLine).map { $0 &+ 1 }
        actionMap.insert(0, at: 0)
        if requireGrouped { try checkGrouped(block, blockStartLine: blockStartLine) }
        var customerMap = [UInt32](repeating: 0, count: block.customerTable.count)
        for id in 0..<block.customerTable.count {
            let global = block.customerTable.withKey(id) { customers.intern($0) }
            customerMap[id] = UInt32(truncatingIfNeeded: global)
        }
        if customers.count >= Int(UInt32.max) {
            throw JourneyError(.tooManyDistinct, "more than 4,294,967,294 distinct customers")
        }
        if !layout.attributes.isEmpty { mergeAttributes(block, customerMap: customerMap) }
        reserve(adding: rows, blockBytes: block.byteCount)

        customer.append(contentsOf: block.customer.lazy.map { customerMap[Int($0)] })
        timestamp.append(contentsOf: block.timestamp)
        channel.append(contentsOf: block.channel.lazy.map { channelMap[Int($0)] })
        event.append(contentsOf: block.event.lazy.map { eventMap[Int($0)] })
        if layout.mayHave[EventField.action.rawValue] { action.append(contentsOf: block.action.lazy.map { actionMap[Int($0)] }) }
        if layout.mayHave[EventField.value.rawValue] { value.append(contentsOf: block.value) }
        if layout.mayHave[EventField.propensity.rawValue] { propensity.append(contentsOf: block.propensity) }
    }

    /// The attribute columns for `finish`, one value per customer.
    private func capturedAttributes() -> CustomerAttributeColumns? {
        guard !layout.attributes.isEmpty else { return nil }
        let count = customers.count
        return CustomerAttributeColumns(
            columns: layout.attributes,
            values: layout.attributes.indices.map { a in
                let known = a < attributeValues.count ? attributeValues[a] : []
                return known + repeatElement(.nan, count: max(0, count - known.count))
            },
            levels: layout.attributes.indices.map { a in
                a < attributeLevels.count ? (0..<attributeLevels[a].count).map { attributeLevels[a].string($0) } : []
            })
    }

    /// Keeps each customer's last non-empty attribute values (the block's rows come after the earlier ones).
    private mutating func mergeAttributes(_ block: ParsedBlock, customerMap: [UInt32]) {
        if attributeValues.isEmpty {
            attributeLevels = layout.attributes.map { _ in InternTable() }
            attributeValues = layout.attributes.map { _ in [] }
        }
        for a in layout.attributes.indices {
            let numeric = layout.attributes[a].isNumeric
            var levelMap: [Double] = []
            if !numeric {
                levelMap = (0..<block.attributeLevels[a].count).map { level in
                    Double(block.attributeLevels[a].withKey(level) { attributeLevels[a].intern($0) })
                }
            }
            if attributeValues[a].count < customers.count {
                attributeValues[a].append(contentsOf: repeatElement(.nan, count: customers.count - attributeValues[a].count))
            }
            for (local, value) in block.attributeValues[a].enumerated() where !value.isNaN {
                attributeValues[a][Int(customerMap[local])] = numeric ? value : levelMap[Int(value)]
            }
        }
    }

    /// Grouped reads: each row's customer is the previous row's, or a new one that sorts after it.
    private mutating func checkGrouped(_ block: ParsedBlock, blockStartLine: Int) throws(JourneyError) {
        // Rows map to lines exactly when every record of the block is one line and none was skipped.
        let exactLines = block.lineFeeds == block.records && block.blankLines == 0 && block.issues.isEmpty
        var previousLocal = -1
        for (row, local32) in block.customer.enumerated() {
            let local = Int(local32)
            guard local != previousLocal else { continue }
            previousLocal = local
            let problem: String? = block.customerTable.withKey(local) { key in
                defer { lastCustomerKey = Array(key) }
                let numeric = CustomerOrder.isWholeNumber(key)
                guard let last = lastCustomerKey else {
                    numericIDs = numeric
                    return nil
                }
                let id = String(decoding: key, as: UTF8.self)
                if numericIDs == true && !numeric {
                    return "customer '\(id)' is not a whole number, but the first ids were (so they sort as numbers)"
                }
                // A repeat of the last row's id can only be the next block going on with the same customer.
                let order = last.withUnsafeBufferPointer { CustomerOrder.compare($0, key, asNumbers: numericIDs == true) }
                if order != .orderedDescending { return nil }
                return "customer '\(id)' comes after '\(String(decoding: last, as: UTF8.self))'"
            }
            if let problem {
                throw JourneyError(
                    .notGrouped,
                    "\(problem): the log must be sorted by customer id (ids as whole numbers when every id is one, "
                        + "else byte by byte: LC_ALL=C sort -t, -k1,1 -s), each customer's rows together; "
                        + "or read it without the sorted option, which groups it in memory",
                    at: exactLines ? InputPosition(file: file, line: blockStartLine + row + 1) : nil)
            }
        }
    }

    /// `places[id]`: where local key `id` first appeared in the block, for the error.
    private func remap(
        _ local: InternTable, into global: inout InternTable, what: String, places: [BlockPlace], blockStartLine: Int
    ) throws(JourneyError) -> [UInt16] {
        var map = [UInt16](repeating: 0, count: local.count)
        for id in 0..<local.count {
            let g = local.withKey(id) { global.intern($0) }
            guard g < Int(UInt16.max) else {
                let position = id < places.count
                    ? InputPosition(file: file, line: blockStartLine + places[id].line + 1, column: places[id].column) : nil
                throw JourneyError(.tooManyDistinct, "more than 65,535 distinct \(what); is each mapped to the right column?", at: position)
            }
            map[id] = UInt16(g)
        }
        return map
    }

    /// Events merged and not yet handed out.
    var eventCount: Int { timestamp.count }

    /// Grouped reads: the customers whose rows are complete (all but the last one seen) as a store, in
    /// input order; their rows leave the merger, the last customer's stay for the blocks to come.
    mutating func takeCompletedCustomers(threads: Int) throws(JourneyError) -> EventStore? {
        precondition(requireGrouped, "takeCompletedCustomers needs a grouped read")
        guard customers.count > 1 else { return nil }
        let open = customers.count - 1
        var cut = customer.count
        while cut > 0 && Int(customer[cut - 1]) == open { cut -= 1 }
        var done = self
        var kept = InternTable(capacity: max(16, open))
        for id in 0..<open { _ = customers.withKey(id) { kept.intern($0) } }
        done.customers = kept
        var carried = InternTable()
        _ = customers.withKey(open) { carried.intern($0) }
        customers = carried
        func split<T>(_ column: inout [T], _ doneColumn: inout [T]) {
            guard !column.isEmpty else { return }
            doneColumn = Array(column[..<cut])
            column = Array(column[cut...])
        }
        split(&timestamp, &done.timestamp)
        split(&channel, &done.channel)
        split(&event, &done.event)
        split(&action, &done.action)
        split(&value, &done.value)
        split(&propensity, &done.propensity)
        done.customer = Array(customer[..<cut])
        customer = Array(repeating: 0, count: customer.count - cut)
        for a in attributeValues.indices {
            let values = attributeValues[a]
            done.attributeValues[a] = Array(values.prefix(open))
            attributeValues[a] = [values.count > open ? values[open] : .nan]
        }
        return try done.finish(threads: threads)
    }

    /// Grows the columns without doubling: from the file size after the first block (not for grouped reads,
    /// which hold a batch at a time), then by a quarter.
    private mutating func reserve(adding rows: Int, blockBytes: Int) {
        let needed = timestamp.count + rows
        guard needed > timestamp.capacity else { return }
        var target = max(needed, timestamp.capacity + timestamp.capacity / 4)
        if !reserved, !requireGrouped, let fileSize, blockBytes > 0 {
            let estimate = Double(fileSize) / Double(blockBytes) * Double(rows) * 1.02
            target = max(target, Int(estimate) + 1024)
        }
        reserved = true
        customer.reserveCapacity(target)
        timestamp.reserveCapacity(target)
        channel.reserveCapacity(target)
        event.reserveCapacity(target)
        if layout.mayHave[EventField.action.rawValue] { action.reserveCapacity(target) }
        if layout.mayHave[EventField.value.rawValue] { value.reserveCapacity(target) }
        if layout.mayHave[EventField.propensity.rawValue] { propensity.reserveCapacity(target) }
    }

    /// Orders events by (customer, time, input order) and hands the columns to an `EventStore`.
    mutating func finish(threads: Int) throws(JourneyError) -> EventStore {
        let n = timestamp.count
        guard n < Int(UInt32.max) else { throw JourneyError(.tooManyDistinct, "more than 4,294,967,294 events in one store") }
        var offsets = [Int](repeating: 0, count: customers.count + 1)
        for c in customer { offsets[Int(c) + 1] += 1 }
        for c in 0..<customers.count { offsets[c + 1] += offsets[c] }

        // Counting sort by customer: stable, so each customer's events stay in input order.
        var order = [UInt32](unsafeUninitializedCapacity: n) { buffer, initialized in
            var next = offsets
            for (i, c) in customer.enumerated() {
                buffer[next[Int(c)]] = UInt32(i)
                next[Int(c)] += 1
            }
            initialized = n
        }
        customer = []
        Self.sortSegmentsByTime(&order, offsets: offsets, timestamps: timestamp, threads: threads)

        // Gather each column into its new order, one column at a time so that only one extra column
        // is alive at once. (Walking permutation cycles in place would save that column but costs a
        // dependent cache miss per element: several times slower.)
        let hasValue = layout.mayHave[EventField.value.rawValue] && (format == .csv || seen[EventField.value.rawValue])
        let hasPropensity = layout.mayHave[EventField.propensity.rawValue] && (format == .csv || seen[EventField.propensity.rawValue])
        let hasAction = layout.mayHave[EventField.action.rawValue] && (format == .csv || seen[EventField.action.rawValue])
        if !hasAction { action = [] }
        if !hasValue { value = [] }
        if !hasPropensity { propensity = [] }
        timestamp = gather(timestamp, by: order, threads: threads)
        value = gather(value, by: order, threads: threads)
        propensity = gather(propensity, by: order, threads: threads)
        channel = gather(channel, by: order, threads: threads)
        event = gather(event, by: order, threads: threads)
        action = gather(action, by: order, threads: threads)
        return EventStore(
            customerIDs: InternedStrings(customers), channelNames: InternedStrings(channels),
            eventTypeNames: InternedStrings(eventTypes), actionNames: InternedStrings(actions),
            customerOffsets: offsets, timestamps: timestamp, channels: channel, eventTypes: event,
            actions: hasAction ? action : nil, values: hasValue ? value : nil,
            propensities: hasPropensity ? propensity : nil, attributes: capturedAttributes())
    }

    /// Sorts each customer's slice of `order` by (timestamp, input index); most slices are already in
    /// order (logs are written in time order), which is checked first in O(length).
    private static func sortSegmentsByTime(_ order: inout [UInt32], offsets: [Int], timestamps: [Int64], threads: Int) {
        let customerCount = offsets.count - 1
        guard customerCount > 0 else { return }
        order.withUnsafeMutableBufferPointer { orderBuffer in
            timestamps.withUnsafeBufferPointer { ts in
                let orderBox = UncheckedBox(orderBuffer)
                let tsBox = UncheckedBox(ts)
                let stripes = threads == 1 ? 1 : threads * 4
                let work: @Sendable (Int) -> Void = { stripe in
                    let order = orderBox.value
                    let ts = tsBox.value
                    let from = customerCount * stripe / stripes
                    let to = customerCount * (stripe + 1) / stripes
                    for c in from..<to {
                        let start = offsets[c]
                        let end = offsets[c + 1]
                        var sorted = true
                        var k = start + 1
                        while k < end {
                            if ts[Int(order[k])] < ts[Int(order[k - 1])] {
                                sorted = false
                                break
                            }
                            k += 1
                        }
                        if sorted { continue }
                        var slice = UnsafeMutableBufferPointer(rebasing: order[start..<end])
                        slice.sort { a, b in
                            let ta = ts[Int(a)]
                            let tb = ts[Int(b)]
                            return ta < tb || (ta == tb && a < b)
                        }
                    }
                }
                if stripes == 1 {
                    work(0)
                } else {
                    DispatchQueue.concurrentPerform(iterations: stripes, execute: work)
                }
            }
        }
    }
}

/// `column` rearranged so that element `k` is the old `column[order[k]]`; empty stays empty.
func gather<T>(_ column: [T], by order: [UInt32], threads: Int) -> [T] {
    guard !column.isEmpty else { return column }
    let n = order.count
    precondition(column.count == n, "gather: \(n) indices for \(column.count) elements")
    return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
        column.withUnsafeBufferPointer { source in
            order.withUnsafeBufferPointer { order in
                let box = UncheckedBox((buffer, source, order))
                let stripes = threads == 1 || n < 1 << 16 ? 1 : threads
                let work: @Sendable (Int) -> Void = { stripe in
                    let (buffer, source, order) = box.value
                    for k in (n * stripe / stripes)..<(n * (stripe + 1) / stripes) {
                        (buffer.baseAddress! + k).initialize(to: source[Int(order[k])])
                    }
                }
                if stripes == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: stripes, execute: work) }
            }
        }
        initialized = n
    }
}

/// The order of customer ids in a grouped read: as whole numbers (then text) when the ids are digit strings,
/// byte by byte otherwise. Both are strict total orders, so ids that ascend row to row never repeat.
enum CustomerOrder {
    static func isWholeNumber(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        !key.isEmpty && key.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `a` against `b`.
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, asNumbers: Bool) -> Ordering {
        if asNumbers {
            let x = a.drop { $0 == 0x30 }
            let y = b.drop { $0 == 0x30 }
            if x.count != y.count { return x.count < y.count ? .orderedAscending : .orderedDescending }
            let byValue = bytes(UnsafeBufferPointer(rebasing: x), UnsafeBufferPointer(rebasing: y))
            if byValue != .orderedSame { return byValue }
        }
        return bytes(a, b)
    }

    enum Ordering { case orderedAscending, orderedSame, orderedDescending }

    private static func bytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Ordering {
        let common = min(a.count, b.count)
        let c = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
        if c != 0 { return c < 0 ? .orderedAscending : .orderedDescending }
        return a.count == b.count ? .orderedSame : (a.count < b.count ? .orderedAscending : .orderedDescending)
    }
}
