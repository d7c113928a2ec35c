import Foundation
import HeadMapsTestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// `headmaps sweep`: a fixture's six training revisions in a Hugging Face
/// cache (planted heads appear from revision to revision), one shard each,
/// run here with worker processes, resumed after a kill, merged; bad input.
/// The same sweep on a real Slurm cluster is `SlurmSweepTests`.
final class SweepTests: XCTestCase {
    static let revisions = ["step0", "step1000", "step2000", "step3000", "step4000", "step5000"]
    static let relations = ["name_copying", "country_to_capital"]

    struct Fixture {
        let hub: String
        let folder: String
        let spec: String
        var environment: [String: String] { ["HF_HUB_CACHE": hub, "HF_HOME": "/nonexistent"] }
    }

    /// Six revisions of the planted `shape`, and a spec sweeping all of them.
    static func fixture(shape: String = "tiny", spec extra: String = "") throws -> Fixture {
        let folder = TestSupport.temporaryDirectory("sweep")
        let hub = folder + "/hub"
        let made = try HeadMapsExecutable.run(["make-fixture", "--shape", shape, "--revisions", "6", "--out", hub, "--quiet"])
        guard made.status == 0 else { throw CLIFailure(made.stderr) }
        let spec = folder + "/training.yaml"
        try """
        models: [headmaps/planted-\(shape)]
        revisions: "step*"
        relations: [\(relations.joined(separator: ", "))]
        \(extra)
        """.write(toFile: spec, atomically: true, encoding: .utf8)
        return Fixture(hub: hub, folder: folder, spec: spec)
    }

    static func snapshot(_ fixture: Fixture, _ revision: String, shape: String = "tiny") throws -> String {
        let repo = fixture.hub + "/models--headmaps--planted-\(shape)"
        return repo + "/snapshots/" + (try String(contentsOfFile: repo + "/refs/" + revision, encoding: .utf8))
    }

    static func sweep(_ fixture: Fixture, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try HeadMapsExecutable.run(["sweep"] + arguments, environment: fixture.environment)
    }

    static func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    /// Every file under `folder` with its inode and modification time (not the hidden lock files).
    static func stamps(_ folder: String) -> [String: String] {
        var out: [String: String] = [:]
        for case let name as String in FileManager.default.enumerator(atPath: folder)!
        where !(name as NSString).lastPathComponent.hasPrefix(".") {
            var st = stat()
            guard lstat(folder + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            out[name] = "\(st.st_ino) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        }
        return out
    }

    func testPlanListsEveryCachedRevisionInTrainingOrderWithItsEstimates() throws {
        let fixture = try Self.fixture()
        // Branches beyond the written ones, named as Pythia's: step10000 sorts after step5000, not before step2000.
        let refs = fixture.hub + "/models--headmaps--planted-tiny/refs/"
        try FileManager.default.copyItem(atPath: refs + "step5000", toPath: refs + "step10000")
        try FileManager.default.copyItem(atPath: refs + "step0", toPath: refs + "other")
        let result = try Self.sweep(fixture, ["plan", fixture.spec])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "shard\tmodel@revision\tshape\treads\ttime\tmemory\tcheckpoint")
        let labels: [String] = lines.dropFirst().dropLast().map { String($0.split(separator: "\t")[1]) }
        let expected: [String] = (Self.revisions + ["step10000"]).map { "headmaps/planted-tiny@" + $0 }
        XCTAssertEqual(labels, expected)
        XCTAssertTrue(lines[1].contains("4×4, d 64, vocabulary"), lines[1])
        XCTAssertTrue(lines.last!.hasPrefix("7 shards: ~"), lines.last!)
        let plan = try Self.json(fixture.folder + "/training/plan.json")
        let shards = plan["shards"] as! [[String: Any]]
        XCTAssertEqual(shards.map { $0["revision"] as! String }, Self.revisions + ["step10000"])
        XCTAssertEqual(shards[1]["path"] as? String, try Self.snapshot(fixture, "step1000"))
        // The same checkpoint under two branches has one digest; different revisions differ.
        XCTAssertEqual(shards[5]["checkpoint_digest"] as? String, shards[6]["checkpoint_digest"] as? String)
        XCTAssertNotEqual(shards[4]["checkpoint_digest"] as? String, shards[5]["checkpoint_digest"] as? String)
        // Planning again gives the same bytes (tasks already submitted keep their plan).
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture.folder + "/training/plan.json"))
        XCTAssertEqual(try Self.sweep(fixture, ["plan", fixture.spec, "--quiet"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: fixture.folder + "/training/plan.json")), before)
    }

    func testALocalSweepScoresEachRevisionAsTheScoresCommandAndFindsWhereHeadsForm() throws {
        let fixture = try Self.fixture(spec: "threshold: 0.5")
        let result = try Self.sweep(fixture, [fixture.spec, "-j", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("6 shards: 0 done with the same checkpoint and settings, 0 running elsewhere, 6 to run"), result.stderr)
        let out = fixture.folder + "/training"
        let merged = try Self.json(out + "/sweep.json")
        XCTAssertEqual(merged["schema"] as? String, "headmaps.sweep.v1")
        let shards = merged["shards"] as! [[String: Any]]
        XCTAssertEqual(shards.map { $0["revision"] as! String }, Self.revisions)
        XCTAssertEqual(shards.map { $0["step"] as! Int }, [0, 1000, 2000, 3000, 4000, 5000])
        // Each revision's scores are exactly what `headmaps scores` gives on it.
        for (i, revision) in Self.revisions.enumerated() {
            let single = fixture.folder + "/\(revision).json"
            let scored = try HeadMapsExecutable.run(
                ["scores", "--model", "headmaps/planted-tiny@\(revision)", "--out", single, "--quiet"]
                    + Self.relations.flatMap { ["--relation", $0] }, environment: fixture.environment)
            XCTAssertEqual(scored.status, 0, scored.stderr)
            let expected = try Self.json(single)["relations"] as! [[String: Any]]
            let relations = shards[i]["relations"] as! [[String: Any]]
            XCTAssertEqual(relations.map { $0["name"] as! String }, Self.relations)
            for (got, want) in zip(relations, expected) {
                XCTAssertEqual(got["scores"] as! [[Double]], want["scores"] as! [[Double]], "\(revision) \(got["name"]!)")
                XCTAssertEqual(got["suppression"] as! [[Double]], want["suppression"] as! [[Double]])
                XCTAssertEqual(got["pairs_kept"] as? Int, want["pairs_kept"] as? Int)
                XCTAssertEqual(got["k"] as? Int, want["k"] as? Int)
            }
        }
        // The long CSV: one row per revision, relation and head, with the step.
        let csv = try String(contentsOfFile: out + "/sweep.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first, "model,revision,step,relation,layer,head,score,suppression,pairs_kept,k")
        XCTAssertEqual(csv.count, 1 + 6 * 2 * 16)
        XCTAssertTrue(csv[1].hasPrefix("headmaps/planted-tiny,step0,0,name_copying,0,0,"), String(csv[1]))

        // The report: a planted head first reaches the threshold at the first revision that plants it.
        let report = try String(contentsOfFile: out + "/report/report.md", encoding: .utf8)
        struct Planted: Decodable {
            struct Head: Decodable { let layer: Int; let head: Int; let relation: String; let expected_score: Double }
            let planted: [Head]
        }
        let planted = try Self.revisions.map { revision in
            try JSONDecoder().decode(
                Planted.self, from: Data(contentsOf: URL(fileURLWithPath: try Self.snapshot(fixture, revision) + "/planted.json"))
            ).planted
        }
        var crossings = 0
        for head in planted.last! where head.expected_score >= 0.5 {
            let first = planted.firstIndex { $0.contains { $0.layer == head.layer && $0.head == head.head } }!
            let score = String(format: "%.2f", head.expected_score)
            let row = "| headmaps/planted-tiny | \(head.layer).\(head.head) | \(Self.revisions[first]) | \(score) | \(score) |"
            XCTAssertTrue(report.contains(row), "missing \(row)\n\(report)")
            crossings += 1
        }
        XCTAssertGreaterThanOrEqual(crossings, 4)
        XCTAssertTrue(report.contains("| relation | headmaps/planted-tiny |"), report)
        for relation in Self.relations {
            XCTAssertTrue(report.contains("](figures/\(relation)--headmaps--planted-tiny.png)"), report)
            for ext in ["png", "pdf", "svg"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/report/figures/\(relation)--headmaps--planted-tiny.\(ext)"))
            }
        }
        XCTAssertTrue(report.contains("The largest changes between consecutive revisions:"), report)
    }

    func testARerunSkipsDoneShardsAndRedoesOnlyOneKilledMidShard() throws {
        let fixture = try Self.fixture(shape: "demo")
        XCTAssertEqual(try Self.sweep(fixture, [fixture.spec, "--quiet"]).status, 0)
        let out = fixture.folder + "/training"
        let merged = try Data(contentsOf: URL(fileURLWithPath: out + "/sweep.json"))
        let report = try Data(contentsOf: URL(fileURLWithPath: out + "/report/report.md"))
        let shard2 = out + "/shards/headmaps--planted-demo/step2000"
        let scoresBefore = try Data(contentsOf: URL(fileURLWithPath: shard2 + "/scores.json"))

        // Run shard 2 again and kill it (SIGKILL: no handler runs) once its record says it is running.
        var killed = false
        for _ in 0..<20 where !killed {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: HeadMapsExecutable.path)
            process.arguments = ["sweep", "run", fixture.spec, "--shard", "2", "--quiet"]
            process.environment = ProcessInfo.processInfo.environment.merging(fixture.environment) { $1 }
            try process.run()
            while process.isRunning {
                if let record = try? String(contentsOfFile: shard2 + "/shard.json", encoding: .utf8),
                    record.contains("\"state\": \"running\"")
                {
                    kill(process.processIdentifier, SIGKILL)
                    killed = true
                    break
                }
                usleep(200)
            }
            process.waitUntilExit()
            killed = killed && process.terminationReason == .uncaughtSignal
        }
        XCTAssertTrue(killed, "could not catch shard 2 while it ran")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: shard2).filter { $0.contains(".partial") }
        XCTAssertEqual(leftovers, [], "a killed shard leaves no partial file")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: shard2 + "/scores.json")), scoresBefore)
        let status = try Self.sweep(fixture, ["status", fixture.spec])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("2\theadmaps/planted-demo@step2000\tinterrupted"), status.stdout)
        XCTAssertTrue(status.stdout.contains("6 shards: 5 done, 1 interrupted"), status.stdout)

        let before = Self.stamps(out + "/shards")
        let rerun = try Self.sweep(fixture, [fixture.spec])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertTrue(rerun.stderr.contains("5 done with the same checkpoint and settings, 0 running elsewhere, 1 to run"), rerun.stderr)
        XCTAssertTrue(rerun.stderr.contains("[1/1] shard 2 headmaps/planted-demo@step2000: done"), rerun.stderr)
        let after = Self.stamps(out + "/shards")
        let changed = Set(after.keys.filter { after[$0] != before[$0] })
        XCTAssertEqual(changed, ["headmaps--planted-demo/step2000/scores.json", "headmaps--planted-demo/step2000/shard.json"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/sweep.json")), merged)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/report/report.md")), report)

        // Nothing left to do: nothing is run or rewritten.
        let again = try Self.sweep(fixture, [fixture.spec])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("6 done with the same checkpoint and settings, 0 running elsewhere, 0 to run"), again.stderr)
        XCTAssertEqual(Self.stamps(out + "/shards"), after)
    }

    func testAShardWhoseCheckpointChangedSincePlanningFailsWithItsError() throws {
        let fixture = try Self.fixture()
        XCTAssertEqual(try Self.sweep(fixture, ["plan", fixture.spec, "--quiet"]).status, 0)
        let config = try Self.snapshot(fixture, "step1000") + "/config.json"
        var text = try String(contentsOfFile: config, encoding: .utf8)
        text += "\n"
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let run = try Self.sweep(fixture, ["run", fixture.spec, "--shard", "1", "--quiet"])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("shard headmaps/planted-tiny@step1000: \(try Self.snapshot(fixture, "step1000")) changed since the sweep was planned"), run.stderr)
        let shard = fixture.folder + "/training/shards/headmaps--planted-tiny/step1000"
        XCTAssertFalse(FileManager.default.fileExists(atPath: shard + "/scores.json"))
        let status = try Self.sweep(fixture, ["status", fixture.spec])
        XCTAssertTrue(status.stdout.contains("1\theadmaps/planted-tiny@step1000\tfailed: shard headmaps/planted-tiny@step1000:"), status.stdout)
        XCTAssertTrue(status.stdout.contains("6 shards: 1 failed, 5 pending"), status.stdout)
        // A task submitted with an earlier plan is refused before it runs anything.
        let stale = try Self.sweep(fixture, ["run", fixture.spec, "--shard", "0", "--plan", String(repeating: "0", count: 64)])
        XCTAssertEqual(stale.status, 2)
        XCTAssertTrue(stale.stderr.contains("the sweep was planned again since this task was submitted"), stale.stderr)
        let outside = try Self.sweep(fixture, ["run", fixture.spec, "--shard", "6"])
        XCTAssertEqual(outside.status, 2)
        XCTAssertTrue(outside.stderr.contains("--shard 6: the plan has 6 shards, 0–5"), outside.stderr)
        // Planning again takes the new checkpoint, and the sweep completes.
        let rerun = try Self.sweep(fixture, [fixture.spec])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertTrue(rerun.stderr.contains("6 to run"), rerun.stderr)
    }

    func testAMergeWithShardsMissingListsThemAndMergesOnlyWithPartial() throws {
        let fixture = try Self.fixture()
        XCTAssertEqual(try Self.sweep(fixture, ["plan", fixture.spec, "--quiet"]).status, 0)
        for shard in ["0", "1", "2", "3"] {
            XCTAssertEqual(try Self.sweep(fixture, ["run", fixture.spec, "--shard", shard, "--quiet"]).status, 0)
        }
        let refused = try Self.sweep(fixture, ["merge", fixture.spec])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("2 shards are not done:\n  - headmaps/planted-tiny@step4000: pending\n  - headmaps/planted-tiny@step5000: pending\nrun them"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.folder + "/training/sweep.json"))
        let partial = try Self.sweep(fixture, ["merge", fixture.spec, "--partial", "--quiet"])
        XCTAssertEqual(partial.status, 0, partial.stderr)
        let merged = try Self.json(fixture.folder + "/training/sweep.json")
        XCTAssertEqual(merged["missing"] as? [String], ["headmaps/planted-tiny@step4000", "headmaps/planted-tiny@step5000"])
        XCTAssertEqual((merged["shards"] as! [[String: Any]]).count, 4)
        let report = try String(contentsOfFile: fixture.folder + "/training/report/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("Merged with `--partial`: 2 shards not done and left out"), report)
    }

    func testBadSweepInputIsAClearErrorThatTouchesNothing() throws {
        let fixture = try Self.fixture()
        func refused(_ spec: String, _ arguments: [String] = [], _ expected: String, line: UInt = #line) throws {
            let file = fixture.folder + "/bad.yaml"
            try spec.write(toFile: file, atomically: true, encoding: .utf8)
            let result = try Self.sweep(fixture, [file, "--out", fixture.folder + "/bad"] + arguments)
            XCTAssertEqual(result.status, 2, result.stderr, line: line)
            XCTAssertTrue(result.stderr.contains(expected), "expected «\(expected)» in\n\(result.stderr)", line: line)
        }
        try refused(
            "models: [headmaps/planted-tiny]\nrevisions: [step0, step9000]\n",
            [], "no branch, tag or commit 'step9000' in the cache (it holds: branch/tag main, branch/tag step0, branch/tag step1000")
        try refused(
            "models: [headmaps/planted-tiny]\nrevisions: \"final*\"\n", [],
            "headmaps/planted-tiny: no branch or tag in the local cache matches 'final*' (it holds: main, step0, step1000")
        try refused("models: [headmaps/planted-tiny]\nslurm: {options: [qos=short]}\n", [],
                    "bad.yaml:2: 'slurm.options': Slurm option 'qos=short': must be one sbatch option")
        try refused("models: [headmaps/planted-tiny]\nslurm: {queue: short}\n", [], "'slurm.queue': unknown key; expected one of: partition, account")
        try refused("models: [\(fixture.folder)/model]\nrevisions: [step0]\n", [], "revisions are branches of hub ids in the local cache")
        try refused("models: [headmaps/planted-tiny]\n", ["--slurm", "--sbatch", "qos=short"], "Slurm option 'qos=short': must be one sbatch option")

        // A folder that is not a sweep's is never written into.
        let other = fixture.folder + "/notes"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        try "mine".write(toFile: other + "/notes.txt", atomically: true, encoding: .utf8)
        let into = try Self.sweep(fixture, [fixture.spec, "--out", other])
        XCTAssertEqual(into.status, 2)
        XCTAssertTrue(into.stderr.contains("\(other): exists, is not empty and was not made by headmaps sweep"), into.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: other), ["notes.txt"])

        // Two sweeps of one folder at once: the second is refused while the first holds the folder.
        let out = fixture.folder + "/training"
        XCTAssertEqual(try Self.sweep(fixture, ["plan", fixture.spec, "--quiet"]).status, 0)
        let fd = open(out + "/.sweep.lock", O_RDWR)
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        let second = try Self.sweep(fixture, [fixture.spec])
        XCTAssertEqual(second.status, 2)
        XCTAssertTrue(second.stderr.contains("another headmaps sweep is planning, running or merging this folder"), second.stderr)
        close(fd)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/shards"))
        XCTAssertEqual(try Self.sweep(fixture, [fixture.spec, "--quiet"]).status, 0)
    }
}
