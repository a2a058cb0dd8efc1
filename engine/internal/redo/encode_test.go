package redo

import (
	"math"
	"reflect"
	"testing"
)

// A record read back from its encoding equals it field for field: nil and
// empty keys and values stay apart, and any LSN, even a backlink above the
// record's own or a PG below the reference, survives.
func TestEncodeRoundTrip(t *testing.T) {
	recs := []Record{
		{},
		{LSN: 9, Stream: 3, Op: OpPut, CPL: true, Commit: true, PG: 2, Page: 7, PrevVolume: 8, PrevPG: 5, PrevPage: 1, Txn: 4, Key: []byte("k"), Value: []byte("value")},
		{LSN: 10, Op: OpFormat, PG: 1, Key: []byte{}, Value: nil},
		{LSN: 11, Op: OpDelete, PG: 1, Key: nil, Value: []byte{}},
		{LSN: 3, PG: math.MaxUint32, Page: math.MaxUint64, PrevVolume: math.MaxUint64, PrevPG: 12, PrevPage: math.MaxUint64 - 1, Txn: math.MaxUint64},
		{LSN: math.MaxUint64, PG: 0, PrevVolume: 0, Value: make([]byte, 300)},
	}
	for _, pg := range []PGID{0, 1, math.MaxUint32} {
		for _, prev := range []LSN{0, 2, 10, math.MaxUint64} {
			var b []byte
			for i := range recs {
				b = AppendEncoded(b, &recs[i], pg, prev)
			}
			for i := range recs {
				var r Record
				n := len(b)
				r, b = DecodeRecord(b, pg, prev)
				if !reflect.DeepEqual(r, recs[i]) || (r.Key == nil) != (recs[i].Key == nil) || (r.Value == nil) != (recs[i].Value == nil) {
					t.Fatalf("pg %d prev %d: record %d read back as %+v, want %+v", pg, prev, i, r, recs[i])
				}
				if n-len(b) > MaxEncodedSize(&recs[i]) {
					t.Fatalf("record %d took %d bytes, above the bound %d", i, n-len(b), MaxEncodedSize(&recs[i]))
				}
				if cap(r.Key) != len(r.Key) || cap(r.Value) != len(r.Value) {
					t.Fatalf("record %d: key or value not capped", i)
				}
			}
			if len(b) != 0 {
				t.Fatalf("%d bytes left over", len(b))
			}
		}
	}
}
