import Dispatch
import Synchronization

/// `body(i)` for each `i` in `0..<count`, on `workers` threads (at most
/// `count`), the results in index order.
func onEveryCore<T: Sendable>(_ count: Int, workers: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let threads = max(1, min(workers, count))
    let results = Mutex([Int: T]())
    DispatchQueue.concurrentPerform(iterations: threads) { worker in
        for i in stride(from: worker, to: count, by: threads) {
            let value = body(i)
            results.withLock { $0[i] = value }
        }
    }
    return (0..<count).map { i in results.withLock { $0[i]! } }
}
