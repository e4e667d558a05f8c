// Build-time tool of the EmbedPolicies plugin: writes a Swift file that holds the text of each
// policies/*.yaml, so the built-in packs are compiled into the binary.
// Usage: EmbedPoliciesTool OUTPUT.swift PACK.yaml...
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func fail(_ message: String) -> Never {
    let line = Array("EmbedPoliciesTool: \(message)\n".utf8)
    _ = write(2, line, line.count)
    exit(1)
}

func readFile(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "rb") else { fail("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { fclose(file) }
    var contents: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        contents += chunk[0..<count]
        if count < chunk.count { break }
    }
    guard ferror(file) == 0 else { fail("cannot read \(path)") }
    return contents
}

/// A single-line string literal with every character that a literal would change escaped:
/// multi-line literals strip indentation and normalise line endings, and the pack must come
/// out byte for byte.
func swiftLiteral(_ text: String) -> String {
    var literal = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": literal += "\\\\"
        case "\"": literal += "\\\""
        case "\n": literal += "\\n"
        case "\r": literal += "\\r"
        case "\t": literal += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            literal += "\\u{\(String(scalar.value, radix: 16))}"
        default: literal.unicodeScalars.append(scalar)
        }
    }
    return literal + "\""
}

let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else { fail("usage: EmbedPoliciesTool OUTPUT.swift PACK.yaml...") }

var generated = """
    // Generated at build time by EmbedPoliciesTool from policies/*.yaml. Do not edit.

    extension BuiltinPacks {
        static let embeddedPacks: [(name: String, text: String)] = [

    """
for path in arguments.dropFirst() {
    let bytes = readFile(path)
    // A pack that is not UTF-8 would be changed by String's repair; refuse instead.
    guard let text = String(validating: bytes, as: UTF8.self) else { fail("\(path) is not UTF-8") }
    let fileName = path.split(separator: "/").last.map(String.init) ?? path
    let name = fileName.hasSuffix(".yaml") ? String(fileName.dropLast(".yaml".count)) : fileName
    generated += "        (\(swiftLiteral(name)), \(swiftLiteral(text))),\n"
}
generated += "    ]\n}\n"

guard let file = fopen(output, "wb") else { fail("cannot create \(output): \(String(cString: strerror(errno)))") }
let bytes = Array(generated.utf8)
guard fwrite(bytes, 1, bytes.count, file) == bytes.count, fclose(file) == 0 else { fail("cannot write \(output)") }
