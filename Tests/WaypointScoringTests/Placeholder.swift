import Testing

@Test func waypointscoringBuilds() {}
