import Foundation
import HeadMapsTestSupport
import XCTest

/// The sweep as Slurm job arrays on a real one-node cluster (munged,
/// slurmctld and slurmd that `scripts/test` starts with
/// `scripts/slurm-cluster`, named by `SLURM_CONF`): the merged outputs equal
/// the local run's byte for byte; a cancelled task's shard, and only it, is
/// submitted again.
final class SlurmSweepTests: XCTestCase {
    func cluster() throws -> [String: String] {
        guard let conf = ProcessInfo.processInfo.environment["SLURM_CONF"], FileManager.default.fileExists(atPath: conf)
        else {
            XCTFail("SLURM_CONF names no slurm.conf: the test command starts a one-node cluster (scripts/slurm-cluster)")
            throw CLIFailure("no Slurm cluster")
        }
        return ["SLURM_CONF": conf]
    }

    func slurm(_ program: String, _ arguments: [String]) throws -> String {
        let result = try TestSupport.run("/usr/bin/" + program, arguments)
        XCTAssertEqual(result.status, 0, "\(program) \(arguments): \(result.stderr)")
        return result.stdout
    }

    /// Waits until none of `jobs` is queued or running.
    func wait(for jobs: [String], seconds: Double = 180) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let queued = try slurm("squeue", ["-h", "-j", jobs.joined(separator: ","), "-o", "%i %T"])
            if queued.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
            usleep(200_000)
        }
        XCTFail("jobs \(jobs) still queued after \(seconds) s: \(try slurm("squeue", []))")
    }

    func jobs(in stdout: String) -> [String] {
        stdout.split(separator: "\n").compactMap { line in
            line.hasPrefix("submitted job ") ? line.dropFirst("submitted job ".count).split(separator: ":").first.map(String.init) : nil
        }
    }

    func testASlurmSweepMergesAsTheLocalOneAndResubmitsOnlyACancelledShard() throws {
        _ = try cluster()
        let fixture = try SweepTests.fixture(spec: "slurm: {cpus: 1, parallel: 1, time: 5}")
        let local = fixture.folder + "/local"
        let here = try SweepTests.sweep(fixture, [fixture.spec, "--out", local, "-j", "2", "--quiet"])
        XCTAssertEqual(here.status, 0, here.stderr)

        let out = fixture.folder + "/slurm"
        let submitted = try SweepTests.sweep(fixture, [fixture.spec, "--out", out, "--slurm"])
        XCTAssertEqual(submitted.status, 0, submitted.stderr)
        XCTAssertTrue(submitted.stderr.contains("--array=0-5%1 --job-name=headmaps-training --time=5 --mem="), submitted.stderr)
        XCTAssertTrue(submitted.stderr.contains("--cpus-per-task=1"), submitted.stderr)
        let first = jobs(in: submitted.stdout)
        XCTAssertEqual(first.count, 1, submitted.stdout)
        // One task at a time: task 4 is still waiting when it is cancelled.
        _ = try slurm("scancel", ["\(first[0])_4"])
        try wait(for: first)
        let status = try SweepTests.sweep(fixture, ["status", fixture.spec, "--out", out])
        XCTAssertTrue(status.stdout.contains("4\theadmaps/planted-tiny@step4000\tpending"), status.stdout)
        XCTAssertTrue(status.stdout.contains("6 shards: 5 done, 1 pending"), status.stdout)
        let refused = try SweepTests.sweep(fixture, ["merge", fixture.spec, "--out", out])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("1 shard is not done:\n  - headmaps/planted-tiny@step4000: pending"), refused.stderr)

        let before = SweepTests.stamps(out + "/shards")
        let again = try SweepTests.sweep(fixture, [fixture.spec, "--out", out, "--slurm"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("5 done with the same checkpoint and settings, 0 running elsewhere, 1 to run"), again.stderr)
        XCTAssertTrue(again.stderr.contains("--array=4%1 "), again.stderr)
        let second = jobs(in: again.stdout)
        try wait(for: second)
        let after = SweepTests.stamps(out + "/shards")
        XCTAssertEqual(
            Set(after.keys.filter { after[$0] != before[$0] }),
            ["headmaps--planted-tiny/step4000/scores.json", "headmaps--planted-tiny/step4000/shard.json"])
        let log = try String(contentsOfFile: out + "/logs/shard-4.log", encoding: .utf8)
        XCTAssertTrue(log.contains("shard 4: headmaps/planted-tiny@step4000 done in"), log)

        let merged = try SweepTests.sweep(fixture, ["merge", fixture.spec, "--out", out, "--quiet"])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        var files = ["sweep.json", "sweep.csv", "report/report.md"]
        for relation in SweepTests.relations {
            files += ["png", "pdf", "svg"].map { "report/figures/\(relation)--headmaps--planted-tiny.\($0)" }
        }
        for file in files {
            XCTAssertEqual(
                try Data(contentsOf: URL(fileURLWithPath: out + "/" + file)),
                try Data(contentsOf: URL(fileURLWithPath: local + "/" + file)), "\(file) differs between the Slurm and the local run")
        }
    }

    func testAnOptionSbatchDoesNotKnowIsRefusedWithItsMessage() throws {
        _ = try cluster()
        let fixture = try SweepTests.fixture()
        let result = try SweepTests.sweep(fixture, [fixture.spec, "--slurm", "--sbatch=--no-such-option=1"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("error: sbatch refused the job (exit "), result.stderr)
        XCTAssertTrue(result.stderr.contains("unrecognized option '--no-such-option=1'"), result.stderr)
        let status = try SweepTests.sweep(fixture, ["status", fixture.spec])
        XCTAssertTrue(status.stdout.contains("6 shards: 6 pending"), status.stdout)
    }
}
