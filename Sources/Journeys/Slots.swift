import Synchronization

/// Results filled in by parallel workers, one slot each, read once they are all done.
///
/// The lock makes the writes safe (a Swift array must not be mutated from two threads at once, even
/// at different indices); it is taken once per slot, so it costs nothing measurable.
package final class Slots<Value: Sendable>: Sendable {
    private let storage: Mutex<[Value?]>

    package init(count: Int) { storage = Mutex(Array(repeating: nil, count: count)) }

    package func set(_ index: Int, _ value: Value) {
        storage.withLock { $0[index] = value }
    }

    /// The values, in slot order; nil for slots never set.
    package var values: [Value?] { storage.withLock { $0 } }
}
