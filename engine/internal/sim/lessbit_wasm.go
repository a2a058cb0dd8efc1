//go:build wasm

package sim

// lessBit is less as 0 or 1. WebAssembly has no add-with-carry, so
// bits.Sub64 is not an intrinsic there but a dozen plain operations; its
// comparisons, on the other hand, give 0 or 1 directly, so three of them
// combined with & and | decide without a branch.
func (a entry) lessBit(b entry) int {
	return b2i(a.at < b.at) | b2i(a.at == b.at)&b2i(a.seq < b.seq)
}

// b2i is b as 0 or 1; the compiler makes it a plain conversion.
func b2i(b bool) int {
	n := 0
	if b {
		n = 1
	}
	return n
}
