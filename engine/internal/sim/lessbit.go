//go:build !wasm

package sim

import "math/bits"

// lessBit is less as 0 or 1, computed without branches: (time, seq) as
// one 128-bit number, compared by the borrow out of its subtraction. The
// time's sign bit is flipped so unsigned order is signed order.
func (a entry) lessBit(b entry) int {
	_, borrow := bits.Sub64(uint64(a.seq), uint64(b.seq), 0)
	_, borrow = bits.Sub64(uint64(a.at)^1<<63, uint64(b.at)^1<<63, borrow)
	return int(borrow)
}
