/// The `limit` largest `|value(p)|` over positions `0 ..< count`, largest first, ties in position order;
/// zero and NaN values never count. What a model's reasons are: the few largest contributions
/// `coefficient × value` to one row's log-odds.
///
/// - Complexity: O(count · limit) in the worst case, O(count) once the `limit` found are large (most
///   positions then fail one comparison). One allocation, for the result.
@inlinable
package func largestMagnitudes(among count: Int, limit: Int, _ value: (Int) -> Double) -> [(position: Int, value: Double)] {
    guard limit > 0 else { return [] }
    return [(position: Int, value: Double)](unsafeUninitializedCapacity: limit) { buffer, found in
        found = largestMagnitudes(among: count, into: buffer, value)
    }
}

/// `largestMagnitudes(among:limit:_:)` written into `top` (its count is the limit): returns how many
/// were found, at the front of `top`. No allocation: a caller can use stack space.
@inlinable
package func largestMagnitudes(
    among count: Int, into top: UnsafeMutableBufferPointer<(position: Int, value: Double)>, _ value: (Int) -> Double
) -> Int {
    let limit = top.count
    guard limit > 0 else { return 0 }
    var found = 0
    var floor = 0.0  // |value| a newcomer must beat once `top` is full (0 before: zeros never count)
    for p in 0..<count {
        let v = value(p)
        let size = abs(v)
        guard size > floor else { continue }  // false for NaN
        var k = found
        if k == limit {
            k -= 1  // the smallest drops out
        } else {
            found += 1
        }
        while k > 0 && size > abs(top[k - 1].value) {
            top[k] = top[k - 1]
            k -= 1
        }
        top[k] = (p, v)
        if found == limit { floor = abs(top[limit - 1].value) }
    }
    return found
}

/// Makes `array` hold `element(0) ..< element(count)`, overwriting in place and growing or shrinking at
/// the end: no allocation once it has the capacity, and cheaper than `removeAll(keepingCapacity:)` then
/// appending for the few elements of a reason list (which a scorer refills for every customer).
@inlinable
package func refill<Element>(_ array: inout [Element], count: Int, _ element: (Int) -> Element) {
    if array.capacity < count { array.reserveCapacity(count) }  // one exact allocation for a new array
    for i in 0..<count {
        if i < array.count { array[i] = element(i) } else { array.append(element(i)) }
    }
    while array.count > count { _ = array.popLast() }
}
