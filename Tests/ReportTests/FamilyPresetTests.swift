import Foundation
import HeadMapsTestSupport
import PlantedModels
import XCTest

/// The per-family presets from a fake Hugging Face cache, and `id@revision`
/// for every command that takes a model.
final class FamilyPresetTests: XCTestCase {
    /// Puts `model` into `hub` as snapshot `commit` of `id`, with `refs` naming it.
    func cache(_ model: String, as id: String, commit: String, refs: [String] = ["main"], in hub: String) throws {
        let repo = "\(hub)/models--\(id.replacingOccurrences(of: "/", with: "--"))"
        try FileManager.default.createDirectory(atPath: "\(repo)/snapshots", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: model, toPath: "\(repo)/snapshots/\(commit)")
        for ref in refs {
            let file = "\(repo)/refs/\(ref)"
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try commit.write(toFile: file, atomically: true, encoding: .utf8)
        }
    }

    func testEveryFamilyPresetRunsFromTheCache() throws {
        let presets: [(String, String, FixtureArchitecture)] = [
            ("pythia-6.9b", "EleutherAI/pythia-6.9b", .neox), ("phi-2", "microsoft/phi-2", .phi),
            ("llama-3.1-8b", "meta-llama/Llama-3.1-8B", .llama), ("llama-3.1-70b", "meta-llama/Llama-3.1-70B", .llama),
            ("qwen2.5-7b", "Qwen/Qwen2.5-7B", .qwen2), ("gemma-2-9b", "google/gemma-2-9b", .gemma2),
        ]
        let outputs = try runFromACache(presets.map { ($0.0, $0.1, TestSupport.familyModel($0.2)) }, hub: "hub-families")
        for (preset, out) in outputs {
            let scores = (try? String(contentsOfFile: out + "/scores.json", encoding: .utf8)) ?? ""
            XCTAssertTrue(scores.contains(preset == "llama-3.1-70b" ? "\"source_rule\": \"embedding\"" : "\"source_rule\": \"mlp0\""), preset)
        }
    }

    /// Runs each preset with its model (a folder) cached under its id; checks
    /// the report and both figures; returns (preset, output folder).
    func runFromACache(_ presets: [(preset: String, id: String, model: String)], hub name: String,
                       line: UInt = #line) throws -> [(String, String)] {
        let hub = TestSupport.temporaryDirectory(name)
        for p in presets { try cache(p.model, as: p.id, commit: "c0ffee00", in: hub) }
        let environment = ["HF_HUB_CACHE": hub, "HF_HOME": "/nonexistent"]
        return try presets.map { p in
            let out = TestSupport.temporaryDirectory("preset") + "/" + p.preset
            let result = try HeadMapsExecutable.run(["report", "\(TestSupport.repositoryRoot)/reports/\(p.preset).yaml", "--out", out, "--quiet"],
                                                    environment: environment)
            XCTAssertEqual(result.status, 0, "\(p.preset): \(result.stderr)", line: line)
            let markdown = (try? String(contentsOfFile: out + "/report.md", encoding: .utf8)) ?? ""
            XCTAssertTrue(markdown.contains("Name Copying heads"), p.preset, line: line)
            for figure in ["figure", "overview"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/figures/\(figure).png"), "\(p.preset) \(figure)", line: line)
            }
            return (p.preset, out)
        }
    }

    /// The presets of today's families, each from a fake cache holding the
    /// family's tiny checkpoint written by transformers.
    func testTodaysFamilyPresetsRunFromTheCache() throws {
        let presets = [("gemma-3-1b", "google/gemma-3-1b-pt", "gemma3"), ("gemma-3-4b", "google/gemma-3-4b-pt", "gemma3"),
                       ("qwen3-8b", "Qwen/Qwen3-8B", "qwen3"), ("phi-3-mini", "microsoft/Phi-3-mini-4k-instruct", "phi3"),
                       ("olmo-2-7b", "allenai/OLMo-2-1124-7B", "olmo2"), ("olmoe-1b-7b", "allenai/OLMoE-1B-7B-0924", "olmoe"),
                       ("mixtral-8x7b", "mistralai/Mixtral-8x7B-v0.1", "mixtral"), ("qwen3-30b-a3b", "Qwen/Qwen3-30B-A3B-Base", "qwen3_moe")]
        _ = try runFromACache(presets.map { ($0.0, $0.1, TestSupport.repositoryRoot + "/fixtures/models/hf/" + $0.2) }, hub: "hub-today")
    }

    func testARevisionPicksABranchATagOrACommitForEveryCommand() throws {
        let hub = TestSupport.temporaryDirectory("hub-revisions")
        let id = "EleutherAI/pythia-160m"
        try cache(TestSupport.familyModel(.neox), as: id, commit: "aaaa1111bbbb2222", refs: ["main"], in: hub)
        try cache(TestSupport.familyModel(.phi), as: id, commit: "cccc3333dddd4444", refs: ["step1000", "v1.0", "pr/1"], in: hub)
        let environment = ["HF_HUB_CACHE": hub, "HF_HOME": "/nonexistent"]
        func architecture(_ reference: String) throws -> String {
            let out = TestSupport.temporaryDirectory("rev") + "/s.json"
            let result = try HeadMapsExecutable.run(["scores", "--model", reference, "--relation", "name_copying", "--out", out], environment: environment)
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stderr.contains("GPT-NeoX:") ? "neox" : result.stderr.contains("Phi:") ? "phi" : result.stderr
        }
        XCTAssertEqual(try architecture(id), "neox", "refs/main")
        XCTAssertEqual(try architecture(id + "@step1000"), "phi", "a branch")
        XCTAssertEqual(try architecture(id + "@v1.0"), "phi", "a tag")
        XCTAssertEqual(try architecture(id + "@pr/1"), "phi", "a pull request's ref")
        XCTAssertEqual(try architecture(id + "@cccc3333"), "phi", "a commit prefix")
        XCTAssertEqual(try architecture(id + "@aaaa1111bbbb2222"), "neox", "a full commit")

        let relations = try HeadMapsExecutable.run(["relations", "--model", id + "@step1000"], environment: environment)
        XCTAssertEqual(relations.status, 0, relations.stderr)
        XCTAssertTrue(relations.stdout.contains("Phi: k = 1 for copying relations, 10 otherwise"), relations.stdout)
        let head = try HeadMapsExecutable.run(["head", "0.1", "--model", id + "@v1", "--relation", "name_copying", "--quiet"], environment: environment)
        XCTAssertEqual(head.status, 2, "'v1' is neither a ref nor a commit")
        XCTAssertTrue(head.stderr.contains("no branch, tag or commit 'v1' in the cache (it holds: branch/tag main, branch/tag pr/1, branch/tag step1000, branch/tag v1.0, commit aaaa1111bbbb, commit cccc3333dddd)"), head.stderr)
        let card = try HeadMapsExecutable.run(["head", "0.1", "--model", id + "@v1.0", "--quiet"], environment: environment)
        XCTAssertEqual(card.status, 0, card.stderr)
    }
}
