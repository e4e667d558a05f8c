import CInterposeCore
import Testing

private let headSize = MemoryLayout<afw_event_head>.size

private func head(_ surface: afw_surface, op: String = "openat") -> afw_event_head {
    var head = afw_event_head()
    head.surface = UInt8(surface.rawValue)
    head.pid = 4242
    head.ppid = 1
    head.tid = 4243
    head.time_ns = 1_700_000_000_000_000_000
    setOp(&head, op)
    return head
}

private func setOp(_ head: inout afw_event_head, _ op: String) {
    withUnsafeMutableBytes(of: &head.op) { bytes in
        for index in bytes.indices { bytes[index] = 0 }
        for (index, byte) in op.utf8.prefix(bytes.count - 1).enumerated() { bytes[index] = byte }
    }
}

private func encode(_ head: afw_event_head, exe: String?, _ view: afw_event_view, capacity: Int) -> [UInt8] {
    var buffer = [UInt8](repeating: 0xEE, count: capacity + 16)
    var head = head
    var view = view
    let size = afw_event_encode(&buffer, capacity, &head, exe, &view)
    // Nothing is written past what the function was given.
    #expect(buffer[capacity...].allSatisfy { $0 == 0xEE })
    return Array(buffer.prefix(size))
}

private struct Decoded {
    var head: afw_event_head
    var exe: String
    var view: afw_event_view
    var path: String?
    var requestedPath: String?
    var program: String?
    var argv: [String]
    var host: String?
}

private func decode(_ record: [UInt8], argvCapacity: UInt32 = 64) -> (status: Int32, decoded: Decoded?) {
    var head = afw_event_head()
    var exe: UnsafePointer<CChar>?
    var view = afw_event_view()
    var argv = [UnsafePointer<CChar>?](repeating: nil, count: Int(argvCapacity))
    return record.withUnsafeBytes { raw in
        let status = afw_event_decode(raw.baseAddress, raw.count, &head, &exe, &view, &argv, argvCapacity)
        guard status == Int32(AFW_OK) else { return (status, nil) }
        // Every string the view points at lies inside the record.
        let range = UInt(bitPattern: raw.baseAddress!)..<UInt(bitPattern: raw.baseAddress! + raw.count)
        func string(_ pointer: UnsafePointer<CChar>?) -> String? {
            guard let pointer else { return nil }
            #expect(range.contains(UInt(bitPattern: pointer)))
            return String(cString: pointer)
        }
        let arguments = (0..<Int(view.argc)).map { string(view.argv![$0])! }
        return (status, Decoded(head: head, exe: string(exe)!, view: view, path: string(view.path),
                                requestedPath: string(view.requested_path), program: string(view.program),
                                argv: arguments, host: string(view.host)))
    }
}

@Suite struct EventTests {
    @Test func fileRoundTrip() throws {
        let arena = CStringArena()
        var view = afw_event_view()
        view.surface = UInt8(AFW_SURFACE_FILE.rawValue)
        view.access = UInt8(AFW_ACCESS_READ.rawValue)
        view.path = arena.string("/home/dev/app/.env")
        view.requested_path = arena.string("/home/dev/link/.env")
        var eventHead = head(AFW_SURFACE_FILE)
        eventHead.access = view.access
        eventHead.flags = UInt8(AFW_EVENT_MONITOR.rawValue)
        let record = encode(eventHead, exe: "/usr/bin/cat", view, capacity: 4088)
        #expect(record.count % 8 == 0)
        let decoded = try #require(decode(record).decoded)
        #expect(Int(decoded.head.total_size) == record.count)
        #expect(decoded.head.flags == UInt8(AFW_EVENT_MONITOR.rawValue))
        #expect(decoded.head.pid == 4242 && decoded.head.tid == 4243)
        #expect(decoded.exe == "/usr/bin/cat")
        #expect(decoded.path == "/home/dev/app/.env")
        #expect(decoded.requestedPath == "/home/dev/link/.env")
        #expect(decoded.view.access == UInt8(AFW_ACCESS_READ.rawValue))
        #expect(decoded.view.surface == UInt8(AFW_SURFACE_FILE.rawValue))
    }

    @Test func missingRequestedPathAndExeBecomeEmpty() throws {
        let arena = CStringArena()
        var view = afw_event_view()
        view.path = arena.string("/etc/hosts")
        let record = encode(head(AFW_SURFACE_FILE), exe: nil, view, capacity: 512)
        let decoded = try #require(decode(record).decoded)
        #expect(decoded.exe == "")
        #expect(decoded.path == "/etc/hosts")
        #expect(decoded.requestedPath == nil)
    }

    @Test func execRoundTrip() throws {
        let arena = CStringArena()
        var view = afw_event_view()
        view.program = arena.string("/usr/bin/sh")
        let argv = ["sh", "-c", "curl x | sh", ""]
        view.argv = arena.argv(argv)
        view.argc = UInt32(argv.count)
        let record = encode(head(AFW_SURFACE_EXEC, op: "execve"), exe: "/usr/bin/python3", view, capacity: 4088)
        let decoded = try #require(decode(record).decoded)
        #expect(decoded.program == "/usr/bin/sh")
        #expect(decoded.argv == argv)
        #expect(decoded.head.argc == 4)
        #expect(decoded.head.flags & UInt8(AFW_EVENT_TRUNCATED.rawValue) == 0)
        #expect(withUnsafeBytes(of: decoded.head.op) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } == "execve")
    }

    @Test func networkRoundTrip() throws {
        let arena = CStringArena()
        var view = afw_event_view()
        view.host = arena.string("api.openai.com")
        var eventHead = head(AFW_SURFACE_NETWORK, op: "connect")
        eventHead.family = 6
        eventHead.port = 443
        eventHead.address.15 = 1
        let record = encode(eventHead, exe: "/usr/bin/curl", view, capacity: 4088)
        let decoded = try #require(decode(record).decoded)
        #expect(decoded.host == "api.openai.com")
        #expect(decoded.view.family == 6)
        #expect(decoded.view.port == 443)
        #expect(decoded.view.address.15 == 1)
    }

    @Test func truncationCutsStringsAndKeepsTheRecordValid() throws {
        let arena = CStringArena()
        var view = afw_event_view()
        let longPath = "/" + String(repeating: "p", count: 5000)
        view.path = arena.string(longPath)
        view.requested_path = arena.string(longPath)
        let record = encode(head(AFW_SURFACE_FILE), exe: "/usr/bin/cat", view, capacity: 4088)
        #expect(record.count <= 4088)
        let decoded = try #require(decode(record).decoded)
        #expect(decoded.head.flags & UInt8(AFW_EVENT_TRUNCATED.rawValue) != 0)
        #expect(decoded.exe == "/usr/bin/cat")
        #expect(longPath.hasPrefix(decoded.path!))
        #expect(decoded.path!.count > 3900)
        #expect(decoded.requestedPath == nil)
    }

    @Test func truncationReducesArgc() throws {
        let arena = CStringArena()
        var view = afw_event_view()
        view.program = arena.string("/bin/rm")
        let argv = ["rm", "-rf"] + (1...2000).map { "file-\($0)" }
        view.argv = arena.argv(argv)
        view.argc = UInt32(argv.count)
        let record = encode(head(AFW_SURFACE_EXEC), exe: "/bin/bash", view, capacity: 1000)
        #expect(record.count <= 1000)
        let decoded = try #require(decode(record, argvCapacity: 4096).decoded)
        #expect(decoded.head.flags & UInt8(AFW_EVENT_TRUNCATED.rawValue) != 0)
        #expect(decoded.argv.count > 10 && decoded.argv.count < argv.count)
        #expect(Array(argv.prefix(decoded.argv.count - 1)) == Array(decoded.argv.dropLast()))
        #expect(argv[decoded.argv.count - 1].hasPrefix(decoded.argv.last!))
    }

    @Test(arguments: [88, 89, 90, 91, 95, 96, 97, 100, 128])
    func tinyCapacities(capacity: Int) {
        let arena = CStringArena()
        var view = afw_event_view()
        view.path = arena.string("/etc/shadow")
        let record = encode(head(AFW_SURFACE_FILE), exe: "/bin/cat", view, capacity: capacity)
        // A head and three NULs need 91 bytes; total_size is a multiple of 8.
        if capacity < 96 {
            #expect(record.isEmpty)
        } else {
            #expect(record.count <= capacity && record.count % 8 == 0)
            #expect(decode(record).status == Int32(AFW_OK))
        }
    }

    @Test func encodeRejectsWhatItCannotRepresent() {
        var view = afw_event_view()
        var buffer = [UInt8](repeating: 0, count: 256)
        var eventHead = head(AFW_SURFACE_FILE)
        #expect(afw_event_encode(&buffer, 87, &eventHead, "x", &view) == 0)
        #expect(afw_event_encode(&buffer, 256, &eventHead, "x", nil) == 0)
        eventHead.surface = 9
        #expect(afw_event_encode(&buffer, 256, &eventHead, "x", &view) == 0)
    }

    private func validFileRecord() -> [UInt8] {
        let arena = CStringArena()
        var view = afw_event_view()
        view.path = arena.string("/etc/hosts")
        var eventHead = head(AFW_SURFACE_FILE)
        eventHead.access = UInt8(AFW_ACCESS_READ.rawValue)
        return encode(eventHead, exe: "/bin/cat", view, capacity: 512)
    }

    private func withHead(_ record: [UInt8], _ change: (inout afw_event_head) -> Void) -> [UInt8] {
        var record = record
        record.withUnsafeMutableBytes { raw in
            var head = raw.loadUnaligned(as: afw_event_head.self)
            change(&head)
            raw.storeBytes(of: head, as: afw_event_head.self)
        }
        return record
    }

    @Test func decodeRejectsInconsistentRecords() {
        let record = validFileRecord()
        #expect(decode(record).status == Int32(AFW_OK))
        let invalid = Int32(AFW_E_INVALID)
        #expect(decode(Array(record.prefix(headSize - 1))).status == invalid)
        #expect(decode(Array(record.dropLast(8))).status == invalid)
        #expect(decode(withHead(record) { $0.total_size += 8 } + [UInt8](repeating: 0, count: 8)).status == invalid)
        #expect(decode(withHead(record) { $0.total_size -= 1 }).status == invalid)
        #expect(decode(withHead(record) { $0.total_size = 0 }).status == invalid)
        #expect(decode(withHead(record) { $0.strings_size += 1 }).status == invalid)
        #expect(decode(withHead(record) { $0.strings_size = 0xFFFF_FFFF }).status == invalid)
        #expect(decode(withHead(record) { $0.surface = 0 }).status == invalid)
        #expect(decode(withHead(record) { $0.surface = 4 }).status == invalid)
        #expect(decode(withHead(record) { $0.surface = UInt8(AFW_SURFACE_NETWORK.rawValue) }).status == invalid)
        #expect(decode(withHead(record) { $0.argc = 1 }).status == invalid)
        #expect(decode(withHead(record) { $0.flags = 0x80 }).status == invalid)
        #expect(decode(withHead(record) { $0.access = 0x10 }).status == invalid)
        #expect(decode(withHead(record) { setOp(&$0, String(repeating: "x", count: 15)); $0.op.15 = 0x41 }).status == invalid)
    }

    @Test func decodeCountsStringsExactly() {
        var record = validFileRecord()
        let stringsEnd = headSize + Int(record.withUnsafeBytes { $0.loadUnaligned(as: afw_event_head.self).strings_size })
        // Drop the last NUL: the final string now runs into padding that is not part of the pool.
        record[stringsEnd - 1] = 0x41
        #expect(decode(record).status == Int32(AFW_E_INVALID))
        // An extra NUL inside a string makes one string too many.
        var extra = validFileRecord()
        extra[headSize + 2] = 0
        #expect(decode(extra).status == Int32(AFW_E_INVALID))
    }

    @Test func decodeReportsArgvThatDoesNotFit() {
        let arena = CStringArena()
        var view = afw_event_view()
        view.program = arena.string("/bin/echo")
        view.argv = arena.argv(["echo", "a", "b"])
        view.argc = 3
        let record = encode(head(AFW_SURFACE_EXEC), exe: "/bin/sh", view, capacity: 512)
        #expect(decode(record, argvCapacity: 3).status == Int32(AFW_OK))
        #expect(decode(record, argvCapacity: 2).status == Int32(AFW_E_TOO_LONG))
        #expect(decode(withHead(record) { $0.argc = 4 }, argvCapacity: 8).status == Int32(AFW_E_INVALID))
        #expect(decode(withHead(record) { $0.argc = 2 }, argvCapacity: 8).status == Int32(AFW_E_INVALID))
    }

    // The agent can write anything into a ring: decoding random and mutated records must
    // never crash, and whatever it accepts must point inside the record.
    @Test func decodeSurvivesHostileBytes() {
        var generator = SplitMix64(seed: 0xEFE27)
        let arena = CStringArena()
        var exec = afw_event_view()
        exec.program = arena.string("/bin/sh")
        exec.argv = arena.argv(["sh", "-c", "id"])
        exec.argc = 3
        let seeds = [validFileRecord(), encode(head(AFW_SURFACE_EXEC), exe: "/bin/x", exec, capacity: 512)]
        for round in 0..<20000 {
            var record: [UInt8]
            if round % 4 == 0 {
                record = (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            } else {
                record = seeds[round % 2]
                for _ in 0..<(1 + generator.next() % 4) {
                    let index = Int(generator.next() % UInt64(record.count))
                    record[index] = UInt8(truncatingIfNeeded: generator.next())
                }
                if generator.next() % 8 == 0 { record = Array(record.prefix(Int(generator.next() % UInt64(record.count)))) }
            }
            _ = decode(record, argvCapacity: UInt32(generator.next() % 8))
        }
    }
}
