/// The `limit` largest `|value(p)|` over positions `0 ..< count`, largest first, ties in position order;
/// zero and NaN values never count. What a model's reasons are: the few largest contributions
/// `coefficient × value` to one row's log-odds.
///
/// - Complexity: O(count · limit) in the worst case, O(count) once the `limit` found are large (most
///   positions then fail one comparison). One allocation, for the result.
@inlinable package func largestMagnitudes(among count: Int, limit: Int, _ value: (Int) -> Double) -> [(position: Int, value: Double)] {
    guard limit > 0 else { return [] }
    var top: [(position: Int, value: Double)] = []
    top.reserveCapacity(limit)
    var floor = 0.0  // |value| a newcomer must beat once `top` is full (0 before: zeros never count)
    for p in 0..<count {
        let v = value(p)
        let size = abs(v)
        guard size > floor else { continue }  // false for NaN
        var k = top.count
        if k == limit {
            k -= 1  // the smallest drops out
        } else {
            top.append((p, v))
        }
        while k > 0 && size > abs(top[k - 1].value) {
            top[k] = top[k - 1]
            k -= 1
        }
        top[k] = (p, v)
        if top.count == limit { floor = abs(top[limit - 1].value) }
    }
    return top
}
