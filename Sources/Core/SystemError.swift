import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Turns errno values and Foundation's errors into the reason a person needs.
///
/// Foundation sometimes reports a failed write with errno already reset to 0,
/// which strerror renders as "Success"; a message must never say that.
public enum SystemError {
    public static func describe(_ code: Int32) -> String {
        code == 0 ? "the system gave no reason" : String(cString: strerror(code))
    }

    public static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return describe(Int32(ns.code)) }
        if let underlying = (ns.userInfo[NSUnderlyingErrorKey] as? any Error).map({ $0 as NSError }),
            underlying.domain == NSPOSIXErrorDomain
        {
            return describe(Int32(underlying.code))
        }
        var text = ns.localizedDescription
        for noise in [" (Success)", "(Success)"] where text.hasSuffix(noise) {
            text = String(text.dropLast(noise.count))
        }
        return text.isEmpty || text == "Success" ? "the system gave no reason" : text
    }

    /// Whether `error` came from Foundation or the C library rather than from our own code.
    public static func isFromTheSystem(_ error: any Error) -> Bool {
        if error is CocoaError { return true }
        let domain = (error as NSError).domain
        return domain == NSPOSIXErrorDomain || domain == NSCocoaErrorDomain
    }
}
