import NIOCore

/// Bytes (and a final close) on their way to one channel, released in order, each not before
/// its own release time: what `delay` and `latency` hold back, everything behind it waits for.
final class HeldOutput {
    /// What is released.
    enum Item {
        case bytes(ByteBuffer)
        /// Half-close: the client sent everything before it.
        case closeOutput
        case close(reset: Bool)
    }

    private var items = CircularBuffer<(item: Item, release: NIODeadline)>()
    private var lastRelease = NIODeadline.uptimeNanoseconds(0)
    /// The timer that will release the head, if one is set.
    var timer: Scheduled<Void>?

    /// True when nothing is held.
    var isEmpty: Bool { items.isEmpty }

    /// Holds `item` until `delay` from now, and after everything held before it.
    /// Returns the release time the timer must be set for, when the queue was empty.
    func hold(_ item: Item, for delay: TimeAmount) -> NIODeadline? {
        let release = max(NIODeadline.now() + delay, lastRelease)
        lastRelease = release
        items.append((item, release))
        return items.count == 1 ? release : nil
    }

    /// Holds `item` until `spacing` after the previous item's release (or after now, if that
    /// is later): how a throttled stream is paced. Returns the release time as `hold` does.
    func hold(_ item: Item, spacedBy spacing: TimeAmount) -> NIODeadline? {
        let release = max(NIODeadline.now(), lastRelease) + spacing
        lastRelease = release
        items.append((item, release))
        return items.count == 1 ? release : nil
    }

    /// Removes the items due by `now`; returns them and when the next one is due.
    func due(at now: NIODeadline) -> (items: [Item], next: NIODeadline?) {
        var released: [Item] = []
        while let head = items.first, head.release <= now {
            released.append(items.removeFirst().item)
        }
        return (released, items.first?.release)
    }

    /// Drops everything held and cancels the timer.
    func cancel() {
        items.removeAll()
        timer?.cancel()
        timer = nil
    }
}
