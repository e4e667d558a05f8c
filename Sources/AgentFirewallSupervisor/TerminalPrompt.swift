import AgentFirewallOS
import AgentFirewallPolicy
import Glibc

/// Asks a person on the controlling terminal (`/dev/tty`), one review at a time. Never on
/// the agent's stdin or stdout: those may be pipes, files or the agent's own conversation,
/// and the agent must not be able to read the question or type the answer.
///
/// The supervisor's threads block SIGTTOU and SIGTTIN (Launcher), which is what lets this
/// take the terminal's foreground while it asks: an interactive shell run as the agent puts
/// its jobs in their own process group, and a background group cannot read the terminal.
final class TerminalPrompt {
    let descriptor: Int32
    /// The review on screen, if any.
    private(set) var shownID: Int?
    private var input: [UInt8] = []
    private var savedModes: termios?
    private var savedForeground: pid_t?

    /// Opens the controlling terminal; nil when the supervisor has none.
    init?() {
        descriptor = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK)
        if descriptor < 0 { return nil }
    }

    deinit {
        restore()
        close(descriptor)
    }

    enum Reading {
        case answered(PendingReviews.Answer)
        /// Nothing complete yet, or a line that was no answer (the options were shown again).
        case waiting
        /// The terminal hung up or cannot be read: reviews go on through the control socket.
        case gone
    }

    /// Shows `pending`, with how many more wait after it.
    func show(_ pending: PendingReviews.Pending, queued: Int, now: UInt64) {
        takeTerminal()
        shownID = pending.id
        input.removeAll()
        let request = pending.request
        let printable = TerminalPrompt.printable
        var text = "\nagentfirewall: review \(pending.id): \(request.surface.rawValue) \(printable(request.operation)) \(printable(request.subject))\n"
        text += "  rule:    \(request.ruleID ?? "(the \(request.surface.rawValue) default)"): \(printable(request.reason))\n"
        text += "  process: \(request.process.pid) \(printable(request.process.executable))\n"
        if !request.parents.isEmpty {
            text += "  parents: " + request.parents.map { "\($0.pid) \(printable($0.executable))" }.joined(separator: " <- ") + "\n"
        }
        let seconds = (pending.deadlineNanoseconds - min(pending.deadlineNanoseconds, now) + 999_999_999) / 1_000_000_000
        text += "  denied in \(seconds) s without an answer" + (queued > 0 ? "; \(queued) more waiting" : "") + "\n"
        text += TerminalPrompt.options
        write(text)
    }

    /// Reads what the person typed; an answer only when a whole line is one.
    func read() -> Reading {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = Glibc.read(descriptor, &buffer, buffer.count)
        if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) { return .gone }
        if count > 0 { input += buffer.prefix(count) }
        while let newline = input.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: input[..<newline], as: UTF8.self).trimmingSpaces
            input.removeSubrange(...newline)
            if let answer = TerminalPrompt.answer(line) { return .answered(answer) }
            write(TerminalPrompt.options)
        }
        // A person types a letter and Enter; a line this long is a paste or a stuck key.
        if input.count > 1024 { input.removeAll() }
        return .waiting
    }

    /// The shown review was answered (here or elsewhere): says how, and gives the terminal
    /// back to the agent.
    func conclude(_ resolution: ReviewResolution?) {
        guard let id = shownID else { return }
        if let resolution {
            write("agentfirewall: review \(id) \(resolution.outcome == .allow ? "allowed" : "denied") (\(resolution.answeredBy))\n")
        } else {
            write("agentfirewall: review \(id) is no longer pending\n")
        }
        shownID = nil
        restore()
    }

    /// `text` with what a terminal would act on instead of showing made visible: control
    /// characters (escape sequences could move the cursor, erase the subject or redraw the
    /// question) and bidirectional overrides (which reorder what is shown) become \u{...}.
    /// The agent chooses file names, command lines and its own executable's name.
    static func printable(_ text: String) -> String {
        var shown = ""
        for scalar in text.unicodeScalars {
            let value = scalar.value
            let hidden = value < 0x20 || (0x7F...0x9F).contains(value) || (0x202A...0x202E).contains(value)
                || (0x2066...0x2069).contains(value) || value == 0x200E || value == 0x200F || value == 0x061C
            shown += hidden ? "\\u{\(String(value, radix: 16))}" : String(scalar)
        }
        return shown
    }

    static let options = "  [a] allow once  [d] deny once  [A] allow for this run  [D] deny for this run\nagentfirewall: answer> "

    /// Case matters: the run-wide answers are the capital letters, so that a slip of a key
    /// answers one call, not all of them.
    static func answer(_ line: String) -> PendingReviews.Answer? {
        switch line {
        case "a", "allow": .allowOnce
        case "d", "deny": .denyOnce
        case "A", "allow-run": .allowForRun
        case "D", "deny-run": .denyForRun
        default: nil
        }
    }

    private func write(_ text: String) {
        // Plain \n: the modes set in takeTerminal include OPOST, so the terminal itself starts
        // each line at the left edge even if the agent had left it raw.
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
            } else if written < 0 && (errno == EINTR || errno == EAGAIN) {
                var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&ready, 1, 1000)
            } else {
                return
            }
        }
    }

    /// Takes the foreground and sets a line-reading mode (canonical, echo, Ctrl-C), flushing
    /// what was typed before the question: keys meant for the agent must not answer it.
    private func takeTerminal() {
        guard savedModes == nil else { return }
        let foreground = tcgetpgrp(descriptor)
        if foreground > 0 && foreground != getpgrp() && tcsetpgrp(descriptor, getpgrp()) == 0 {
            savedForeground = foreground
        }
        var modes = termios()
        guard tcgetattr(descriptor, &modes) == 0 else { return }
        savedModes = modes
        modes.c_lflag |= tcflag_t(ICANON | ECHO | ECHOE | ISIG)
        modes.c_iflag |= tcflag_t(ICRNL)
        modes.c_oflag |= tcflag_t(OPOST)
        tcsetattr(descriptor, TCSAFLUSH, &modes)
    }

    private func restore() {
        if var modes = savedModes {
            tcsetattr(descriptor, TCSADRAIN, &modes)
            savedModes = nil
        }
        if let foreground = savedForeground {
            // EPERM when that group has ended meanwhile: the terminal stays ours, harmless.
            tcsetpgrp(descriptor, foreground)
            savedForeground = nil
        }
    }
}

extension String {
    var trimmingSpaces: String {
        let scalars = unicodeScalars.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
        return String(String.UnicodeScalarView(scalars.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed()))
    }
}
