extension String {
    /// The text before the first NUL of a buffer a C function filled (a path, an address),
    /// decoded as UTF-8 with invalid sequences repaired.
    public init(nulTerminated characters: [CChar]) {
        self.init(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
