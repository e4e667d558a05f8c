import Glibc

/// C strings that outlive the closures Swift would otherwise scope them to, so a test can
/// fill an afw_event_view field by field. Freed when the arena goes away.
final class CStringArena {
    private var allocations: [UnsafeMutablePointer<CChar>] = []
    private var arrays: [UnsafeMutablePointer<UnsafePointer<CChar>?>] = []

    func string(_ text: String) -> UnsafePointer<CChar> {
        let copy = strdup(text)!
        allocations.append(copy)
        return UnsafePointer(copy)
    }

    func argv(_ words: [String]) -> UnsafePointer<UnsafePointer<CChar>?> {
        let array = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(words.count, 1))
        for (index, word) in words.enumerated() {
            array[index] = string(word)
        }
        arrays.append(array)
        return UnsafePointer(array)
    }

    deinit {
        allocations.forEach { free($0) }
        arrays.forEach { $0.deallocate() }
    }
}

/// A small deterministic generator, so a failing fuzz case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
