import Foundation
import HeadMapsTestSupport
import XCTest

/// One machine stands in for others: OpenBLAS picks its float32 kernels by
/// CPU, and `OPENBLAS_CORETYPE` forces one. Every output a person reads or
/// commits is the same, byte for byte, under each kernel this machine runs.
final class KernelIndependenceTests: XCTestCase {
    /// `nil`: the kernel OpenBLAS picks for this CPU.
    static let kernels: [String?] = [nil, "Haswell", "Zen", "Prescott"]

    static func run(_ arguments: [String], kernel: String?, directory: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.run(HeadMapsExecutable.path, arguments, environment: kernel.map { ["OPENBLAS_CORETYPE": $0] } ?? [:],
                            unsetting: kernel == nil ? ["OPENBLAS_CORETYPE"] : [], directory: directory)
    }

    /// Tied logits (the planted fixture maps many names alike) in token-id
    /// order and amplifications at float32 precision, whatever the kernel.
    func testEveryHeadsSalientOperationsAreTheSameUnderEveryKernel() throws {
        let dir = TestSupport.temporaryDirectory("kernels-head-all")
        var outputs: [(String, Data)] = []
        for kernel in Self.kernels {
            let json = "\(dir)/\(kernel ?? "default").json"
            let result = try Self.run(["head", "all", "--model", TestSupport.demoModel, "--quiet", "--json", json], kernel: kernel)
            XCTAssertEqual(result.status, 0, result.stderr)
            outputs.append((result.stdout, try Data(contentsOf: URL(fileURLWithPath: json))))
        }
        for (i, kernel) in Self.kernels.enumerated().dropFirst() {
            XCTAssertEqual(outputs[i].0, outputs[0].0, "salient.txt under \(kernel!)")
            XCTAssertEqual(outputs[i].1, outputs[0].1, "heads.json under \(kernel!)")
        }
    }

    /// `report --check reports/default` passes under every kernel and leaves
    /// the working tree as it was; the text and data it writes, and their
    /// manifest entries, are the committed ones byte for byte.
    func testCheckingTheCommittedReportPassesUnderEveryKernel() throws {
        let root = TestSupport.repositoryRoot
        let before = try TestSupport.run("/usr/bin/env", ["git", "status", "--porcelain", "--ignored", "reports", "fixtures"], directory: root).stdout
        let files = ["report.md", "scores.json", "scores.csv", "heads.json"]
        func outputEntries(_ manifest: String) throws -> [String] {
            let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifest))) as! [String: Any]
            return (document["outputs"] as? [[String: Any]] ?? []).filter { files.contains($0["path"] as! String) }.map { "\($0["path"]!) \($0["sha256"]!)" }
        }
        for kernel in Self.kernels {
            let name = kernel ?? "default"
            let result = try Self.run(["report", "reports/default.yaml", "--quiet", "--check", "reports/default"], kernel: kernel, directory: root)
            XCTAssertEqual(result.status, 0, "\(name): \(result.stdout)\(result.stderr)")
            let out = TestSupport.temporaryDirectory("kernels-report-\(name)") + "/r"
            XCTAssertEqual(try Self.run(["report", "reports/default.yaml", "--quiet", "--out", out], kernel: kernel, directory: root).status, 0)
            for file in files {
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(file)")),
                               try Data(contentsOf: URL(fileURLWithPath: "\(root)/reports/default/\(file)")), "\(file) under \(name)")
            }
            let entries = try outputEntries(out + "/manifest.json")
            XCTAssertEqual(entries.count, files.count, "the manifest lists every output")
            XCTAssertEqual(entries, try outputEntries(root + "/reports/default/manifest.json"), "manifest under \(name)")
        }
        let after = try TestSupport.run("/usr/bin/env", ["git", "status", "--porcelain", "--ignored", "reports", "fixtures"], directory: root).stdout
        XCTAssertEqual(after, before)
    }
}
