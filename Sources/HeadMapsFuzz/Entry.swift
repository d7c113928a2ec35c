import Foundation

#if FUZZING
    /// libFuzzer's driver, linked in by -sanitize=fuzzer.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    /// SwiftPM links an executable's entry point under this name; here it hands
    /// control to libFuzzer, which calls back for every input. The target comes
    /// from HEADMAPS_FUZZ_TARGET.
    @_cdecl("HeadMapsFuzz_main")
    func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
        var count = argc
        var arguments = argv
        return LLVMFuzzerRunDriver(&count, &arguments) { bytes, size in fuzzOneInput(bytes, size) }
    }

    /// One input, for libFuzzer.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        FuzzTargets.run(selectedTarget, bytes.map { Data(bytes: $0, count: size) } ?? Data())
        return 0
    }

    let selectedTarget = ProcessInfo.processInfo.environment["HEADMAPS_FUZZ_TARGET"] ?? "safetensors"
#else
    /// `headmaps-fuzz TARGET FILE…`: runs the inputs through a target, as the
    /// fuzzer would, so that crashes it found stay fixed (the tests replay them).
    @main
    enum Replay {
        static func main() {
            let args = Array(CommandLine.arguments.dropFirst())
            guard let target = args.first, FuzzTargets.names.contains(target) else {
                print("usage: HeadMapsFuzz TARGET FILE…   targets: \(FuzzTargets.names.joined(separator: ", "))")
                exit(2)
            }
            for path in args.dropFirst() {
                guard let data = FileManager.default.contents(atPath: path) else {
                    print("cannot read \(path)")
                    exit(2)
                }
                FuzzTargets.run(target, data)
            }
            print("\(args.count - 1) inputs ran through \(target) without a crash")
        }
    }
#endif
