import Glibc

/// An audit file read one line at a time through one reusable buffer, so a file of any length
/// is read in the memory of its longest line.
///
/// Nothing named inside the audit is opened: replay is pure, and an audit may come from an
/// untrusted run.
public final class AuditFile {
    public let path: String
    private let descriptor: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    /// Unread bytes are buffer[start..<end].
    private var start = 0
    private var end = 0
    private var reachedEndOfFile = false
    /// The number of the line `nextLine` returned last.
    public private(set) var lineNumber = 0

    /// Longer lines are refused rather than buffered: no real record comes near it (an event
    /// carries at most a few KiB of strings, six bytes per byte once escaped), and a hostile
    /// file must not make the reader take all memory.
    public static let maximumLineLength = 16 << 20
    private static let initialCapacity = 1 << 20

    public init(path: String) throws(AuditError) {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw AuditError(.unreadable, path: path, line: nil, message: "cannot open the audit file: \(String(cString: strerror(errno)))")
        }
        self.descriptor = descriptor
        buffer = .allocate(byteCount: AuditFile.initialCapacity, alignment: 8)
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
    }

    /// One line without its newline; `bytes` is valid until the next call.
    public struct Line {
        public let bytes: UnsafeBufferPointer<UInt8>
        public let number: Int
        /// False for a last line that the file ends in the middle of (a run that crashed
        /// while writing it).
        public let terminated: Bool
    }

    /// The next line, or nil at the end of the file.
    public func nextLine() throws(AuditError) -> Line? {
        var scanned = start
        while true {
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if scanned < end, let newline = memchr(base + scanned, Int32(UInt8(ascii: "\n")), end - scanned) {
                let lineEnd = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                let line = UnsafeBufferPointer(start: base + start, count: lineEnd - start)
                start = lineEnd + 1
                lineNumber += 1
                return Line(bytes: line, number: lineNumber, terminated: true)
            }
            scanned = end
            if reachedEndOfFile {
                guard start < end else { return nil }
                let line = UnsafeBufferPointer(start: base + start, count: end - start)
                start = end
                lineNumber += 1
                return Line(bytes: line, number: lineNumber, terminated: false)
            }
            scanned -= try fill()
        }
    }

    /// Moves the unread bytes to the front, grows the buffer when a line fills it, reads more.
    /// Returns how far the unread bytes moved back.
    private func fill() throws(AuditError) -> Int {
        let moved = start
        if start > 0 {
            memmove(buffer.baseAddress!, buffer.baseAddress! + start, end - start)
            end -= start
            start = 0
        }
        if end == buffer.count {
            guard buffer.count < AuditFile.maximumLineLength else {
                throw AuditError(.syntax, path: path, line: lineNumber + 1,
                                 message: "the line is longer than \(AuditFile.maximumLineLength >> 20) MiB; no audit record is")
            }
            let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 8)
            larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[..<end]))
            buffer.deallocate()
            buffer = larger
        }
        while true {
            let count = read(descriptor, buffer.baseAddress! + end, buffer.count - end)
            if count > 0 {
                end += count
                return moved
            }
            if count == 0 {
                reachedEndOfFile = true
                return moved
            }
            if errno != EINTR {
                throw AuditError(.unreadable, path: path, line: lineNumber + 1, message: "cannot read the audit file: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The last complete line, read from the end of the file without reading the rest: the
    /// run's summary, which says which cwd and home the run's table was compiled for, comes
    /// last, and replay needs it before it can decide the first event.
    /// Returns nil when the file has no complete line.
    public func lastCompleteLine() throws(AuditError) -> [UInt8]? {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw AuditError(.unreadable, path: path, line: nil, message: "cannot stat the audit file: \(String(cString: strerror(errno)))")
        }
        let size = Int(status.st_size)
        var tail: [UInt8] = []
        var offset = size
        let block = 64 << 10
        // Read backwards until the tail holds the newline that ends the last complete line and
        // the one before it (or the start of the file).
        while offset > 0 {
            let length = min(block, offset)
            offset -= length
            var chunk = [UInt8](repeating: 0, count: length)
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, length, off_t(offset)) }
            guard count == length else {
                throw AuditError(.unreadable, path: path, line: nil, message: "cannot read the end of the audit file: \(String(cString: strerror(errno)))")
            }
            tail = chunk + tail
            if let lastNewline = tail.lastIndex(of: UInt8(ascii: "\n")),
               tail[..<lastNewline].contains(UInt8(ascii: "\n")) || offset == 0
            {
                let lineStart = tail[..<lastNewline].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
                return Array(tail[lineStart..<lastNewline])
            }
            guard tail.count <= AuditFile.maximumLineLength else {
                throw AuditError(.syntax, path: path, line: nil, message: "the last line is longer than \(AuditFile.maximumLineLength >> 20) MiB; no audit record is")
            }
        }
        return nil
    }
}
