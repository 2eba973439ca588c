import NIOCore

/// Whole frames in a row that pass through untouched, still in the buffer they were read
/// into: they go out as one slice (one write) instead of one write each. The slice is taken
/// from the buffer as it was read, whose readable bytes still hold frames already scanned past.
struct PassThroughRun {
    private var start = 0
    private var length = 0

    /// Adds the frame of `count` bytes at `index`, which follows the run's last frame.
    mutating func extend(at index: Int, by count: Int) {
        if length == 0 { start = index }
        length += count
    }

    /// The run's bytes out of `buffer`, the buffer as read (nil when empty); the run starts over.
    mutating func take(from buffer: ByteBuffer) -> ByteBuffer? {
        guard length > 0 else { return nil }
        defer { length = 0 }
        return buffer.getSlice(at: start, length: length)
    }
}
