import ArgumentParser

@main
struct Waypoint: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "waypoint", abstract: "Waypoint", version: "0.1.0")
}
