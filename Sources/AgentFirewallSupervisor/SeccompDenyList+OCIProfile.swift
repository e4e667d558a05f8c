extension SeccompDenyList {
    /// The deny list as an OCI (runc, crun, Docker, Podman) seccomp profile: everything
    /// allowed except `rules`, for runtimes that install the filter themselves. Same rules,
    /// same errno values, same architectures as the filter `run` installs.
    public static func ociProfile() -> String {
        var lines = [
            "{",
            "  \"defaultAction\": \"SCMP_ACT_ALLOW\",",
            "  \"architectures\": [\(architectures.map { quoted($0.ociName) }.joined(separator: ", "))],",
            "  \"syscalls\": [",
        ]
        for (index, rule) in rules.enumerated() {
            var fields = [
                "\"names\": [\(rule.syscalls.map(quoted).joined(separator: ", "))]",
                "\"action\": \"SCMP_ACT_ERRNO\"",
                "\"errnoRet\": \(rule.errno)",
            ]
            if let match = rule.match {
                // OCI's SCMP_CMP_MASKED_EQ takes the mask in `value` and the expected bits in
                // `valueTwo` (libseccomp's datum_a and datum_b), as Docker's default profile does.
                fields.append(
                    "\"args\": [{\"index\": \(match.index), \"value\": \(match.mask), \"valueTwo\": \(match.value), \"op\": \"SCMP_CMP_MASKED_EQ\"}]")
            }
            // Docker's profiles carry a comment per rule; runtimes ignore the field.
            fields.append("\"comment\": \(quoted(rule.reason))")
            let separator = index == rules.count - 1 ? "" : ","
            lines.append("    {\(fields.joined(separator: ", "))}\(separator)")
        }
        lines += ["  ]", "}", ""]
        return lines.joined(separator: "\n")
    }

    private static func quoted(_ text: String) -> String {
        var bytes: [UInt8] = []
        JSONLine.appendString(text.utf8, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
