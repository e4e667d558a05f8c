import Glibc

public enum StandardError {
    /// Writes one line to fd 2 with write(2): unbuffered, so it cannot interleave with the
    /// agent's output mid-line, and free of the stdio globals Swift 6 rejects as shared state.
    public static func writeLine(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // stderr closed or full: nowhere left to report to
                }
            }
        }
    }
}
