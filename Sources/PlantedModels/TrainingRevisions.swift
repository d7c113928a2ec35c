import Core
import Foundation

/// A fixture's training revisions in a Hugging Face cache, as Pythia and OLMo
/// publish theirs: revision k of R (`step0`, `step1000`, …) plants the first
/// round(k·n / (R − 1)) of the n placed heads and leaves the rest random, so
/// each planted head's score jumps to its planted value at a known revision.
/// Each revision is a branch (`refs/step…`) naming its snapshot; `refs/main`
/// names the last.
public struct TrainingRevisions {
    public let fixture: FamilyFixture
    public let count: Int
    /// The repository id the cache holds it under.
    public let repository: String

    public init(fixture: FamilyFixture, count: Int) {
        self.fixture = fixture
        self.count = count
        repository = "headmaps/planted-\(fixture.planted.shape.name)"
    }

    /// Revision `k`'s branch name.
    public static func name(_ k: Int) -> String { "step\(k * 1000)" }

    /// How many of the placed heads revision `k` plants.
    public func formedHeads(_ k: Int, placed: Int) -> Int {
        count < 2 ? placed : Int((Double(k * placed) / Double(count - 1)).rounded())
    }

    /// Writes every revision under `hub` (a cache folder, as `HF_HUB_CACHE`
    /// names one); returns each revision's name and its planted heads.
    @discardableResult
    public func write(hub: String) throws -> [(revision: String, planted: [PlantedCheckpoint.PlantedHead])] {
        let repo = (hub as NSString).appendingPathComponent(
            "models--" + repository.replacingOccurrences(of: "/", with: "--"))
        try FileManager.default.createDirectory(atPath: repo + "/refs", withIntermediateDirectories: true)
        let placed = fixture.placements().count
        var written: [(String, [PlantedCheckpoint.PlantedHead])] = []
        for k in 0..<count {
            var planted = fixture.planted
            planted.formedHeads = formedHeads(k, placed: placed)
            let commit = TrainingRevisions.commit(seed: planted.seed, revision: k)
            let heads = try FamilyFixture(planted, architecture: fixture.architecture).write(
                to: repo + "/snapshots/" + commit)
            try commit.write(toFile: repo + "/refs/" + TrainingRevisions.name(k), atomically: true, encoding: .utf8)
            if k == count - 1 { try commit.write(toFile: repo + "/refs/main", atomically: true, encoding: .utf8) }
            written.append((TrainingRevisions.name(k), heads))
        }
        return written
    }

    /// A 40-digit hexadecimal commit name, the same for the same seed and revision.
    static func commit(seed: UInt64, revision: Int) -> String {
        var rng = SplitMix64(seed: seed ^ (0x5EED_0000 &+ UInt64(revision)))
        return (0..<3).map { _ in String(format: "%016llx", rng.next()) }.joined().prefix(40).description
    }
}
