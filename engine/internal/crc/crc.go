// Package crc computes the IEEE CRC-32 that hash/crc32 computes, over the
// short inputs the model checksums all the time (a record's header, keys
// and values of a few bytes), without handing crc32 a slice that would
// escape and without its per-call dispatch, which for inputs under 16
// bytes ends in a byte-at-a-time loop.
//
// The functions work on the CRC register, the complement of a checksum:
// start from Start, feed bytes, and take Sum of the register at the end.
// Sum(Bytes(Start, b)) equals crc32.ChecksumIEEE(b).
package crc

import (
	"encoding/binary"
	"hash/crc32"
)

// Start is the register before any byte.
const Start = ^uint32(0)

// Sum turns a register into the checksum of the bytes fed to it.
func Sum(c uint32) uint32 { return ^c }

// tables holds the slicing-by-8 tables of the IEEE polynomial, built as
// hash/crc32 builds its own.
var tables = func() *[8][256]uint32 {
	t := new([8][256]uint32)
	t[0] = *crc32.IEEETable
	for i := range 256 {
		c := t[0][i]
		for j := 1; j < 8; j++ {
			c = t[0][c&0xff] ^ c>>8
			t[j][i] = c
		}
	}
	return t
}()

// Byte feeds one byte to the register c.
func Byte(c uint32, b byte) uint32 { return crc32.IEEETable[byte(c)^b] ^ c>>8 }

// U64 feeds the eight little-endian bytes of v to the register c.
func U64(c uint32, v uint64) uint32 {
	t := tables
	c ^= uint32(v)
	hi := uint32(v >> 32)
	return t[0][hi>>24] ^ t[1][hi>>16&0xff] ^ t[2][hi>>8&0xff] ^ t[3][hi&0xff] ^
		t[4][c>>24] ^ t[5][c>>16&0xff] ^ t[6][c>>8&0xff] ^ t[7][c&0xff]
}

// Bytes feeds b to the register c, eight bytes at a time. Long inputs go
// to hash/crc32, whose vector code is faster there.
func Bytes(c uint32, b []byte) uint32 {
	if len(b) >= 64 {
		return ^crc32.Update(^c, crc32.IEEETable, b)
	}
	for len(b) >= 8 {
		c = U64(c, binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	for _, x := range b {
		c = Byte(c, x)
	}
	return c
}
