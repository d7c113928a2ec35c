/// A usage problem the command line finds itself (no spec given, a
/// mismatch of option counts): its message is printed as it is.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
