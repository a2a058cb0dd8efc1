package crc

import (
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// TestMatchesCRC32 checks every way of feeding the register against
// hash/crc32, over inputs of every length up to 200 bytes.
func TestMatchesCRC32(t *testing.T) {
	b := make([]byte, 200)
	for i := range b {
		b[i] = byte(i*131 + 7)
	}
	for n := 0; n <= len(b); n++ {
		want := crc32.ChecksumIEEE(b[:n])
		if got := Sum(Bytes(Start, b[:n])); got != want {
			t.Fatalf("Bytes over %d bytes: %08x, want %08x", n, got, want)
		}
		c := Start
		for _, x := range b[:n] {
			c = Byte(c, x)
		}
		if got := Sum(c); got != want {
			t.Fatalf("Byte over %d bytes: %08x, want %08x", n, got, want)
		}
		// Split at every point: the register carries across calls.
		for k := 0; k <= n; k += 7 {
			if got := Sum(Bytes(Bytes(Start, b[:k]), b[k:n])); got != want {
				t.Fatalf("Bytes over %d+%d bytes: %08x, want %08x", k, n-k, got, want)
			}
		}
	}
	v := uint64(0x0102030405060708)
	if got, want := Sum(U64(Start, v)), crc32.ChecksumIEEE(binary.LittleEndian.AppendUint64(nil, v)); got != want {
		t.Fatalf("U64: %08x, want %08x", got, want)
	}
}
