import Foundation
import LinearAlgebra

/// One timed phase of the benchmark.
struct Phase {
    let name: String
    let seconds: Double
    let gflop: Double?
    let peakMB: Double
    let note: String
}

/// The phases measured so far, printed as one table at the end.
@MainActor var phases: [Phase] = []

/// Peak resident memory since the last reset (Linux: VmHWM, reset through clear_refs).
func peakResidentMB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return 0 }
    return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
}

func resetPeak() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }

func log(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

@MainActor func record(_ phase: Phase) {
    phases.append(phase)
    log("  " + phase.name.padding(toLength: 44, withPad: " ", startingAt: 0) + String(format: "%8.2f s", phase.seconds))
}

/// Runs `body` `repeats` times and keeps the fastest (this machine is shared
/// and its timings vary from run to run); peak memory is over all runs.
@MainActor func measure<T>(
    _ name: String, repeats: Int = 1, gflop: ((T) -> Double?)? = nil, note: ((T) -> String)? = nil,
    _ body: () throws -> T
) rethrows -> T {
    resetPeak()
    let clock = ContinuousClock()
    var seconds = Double.infinity
    var last: T?
    for _ in 0..<max(1, repeats) {
        let start = clock.now
        last = try body()
        seconds = min(seconds, (clock.now - start).seconds)
    }
    let result = last!
    record(
        Phase(name: name, seconds: seconds, gflop: gflop?(result), peakMB: peakResidentMB(), note: note?(result) ?? ""))
    return result
}

/// OpenBLAS's own sgemm throughput on square matrices of side `size`.
func sgemmGFLOPs(size n: Int, threads: Int) -> Double {
    gemmGFLOPs(size: n, threads: threads, 0.5 as Float) { a, b, c in
        BLAS.gemm(m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: c, ldc: n)
    }
}

/// OpenBLAS's own dgemm throughput on square matrices of side `size` (the
/// double-precision recomputations of `ExactValues`).
func dgemmGFLOPs(size n: Int, threads: Int) -> Double {
    gemmGFLOPs(size: n, threads: threads, 0.5 as Double) { a, b, c in
        BLAS.gemm(m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: c, ldc: n)
    }
}

/// The best of three runs of `product` on `[size, size]` matrices, in GFLOP/s.
private func gemmGFLOPs<T: BinaryFloatingPoint>(
    size n: Int, threads: Int, _ value: T,
    _ product: (UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void
) -> Double {
    BLAS.setThreads(threads)
    defer { BLAS.useSingleThread() }
    let a = [T](repeating: value, count: n * n)
    let b = [T](repeating: value / 2, count: n * n)
    var c = [T](repeating: 0, count: n * n)
    var best = Double.infinity
    for _ in 0..<3 {
        let clock = ContinuousClock()
        let start = clock.now
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in product(ap.baseAddress!, bp.baseAddress!, cp.baseAddress!) }
            }
        }
        best = min(best, (clock.now - start).seconds)
    }
    return 2 * Double(n * n * n) / best / 1e9
}

/// Bytes of the checkpoint's weight files.
func checkpointBytes(_ directory: String) -> Double {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.filter { $0.hasSuffix(".safetensors") }.reduce(0.0) { total, name in
        total
            + ((try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? NSNumber)?
                .doubleValue ?? 0)
    }
}
