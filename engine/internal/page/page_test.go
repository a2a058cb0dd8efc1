package page

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sort"
	"testing"

	"aurora-lab/engine/internal/redo"
)

func TestApplyFollowsThePageChain(t *testing.T) {
	p := New(7)
	recs := []redo.Record{
		{LSN: 3, Page: 7, Op: redo.OpFormat, Value: []byte("leaf")},
		{LSN: 5, Page: 7, PrevPage: 3, Op: redo.OpPut, Key: []byte("b"), Value: []byte("2")},
		{LSN: 9, Page: 7, PrevPage: 5, Op: redo.OpPut, Key: []byte("a"), Value: []byte("1")},
		{LSN: 12, Page: 7, PrevPage: 9, Op: redo.OpDelete, Key: []byte("b")},
	}
	for i := range recs {
		if err := p.Apply(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if p.LSN != 12 || len(p.Rows) != 1 || string(p.Rows[0].Key) != "a" || string(p.Header) != "leaf" {
		t.Fatalf("page after replay = %+v", p)
	}
	stale := redo.Record{LSN: 14, Page: 7, PrevPage: 9, Op: redo.OpPut, Key: []byte("c")}
	var ce *ErrChain
	if err := p.Apply(&stale); !errors.As(err, &ce) || ce.Have != 12 {
		t.Fatalf("a record based on an old version applied: %v", err)
	}
	if p.LSN != 12 || len(p.Rows) != 1 {
		t.Fatal("a refused record changed the page")
	}
}

func TestCloneDoesNotAlias(t *testing.T) {
	p := New(1)
	p.Put([]byte("a"), []byte("1"))
	q := p.Clone()
	q.Put([]byte("b"), []byte("2"))
	q.Delete([]byte("a"))
	if len(p.Rows) != 1 || string(p.Rows[0].Key) != "a" {
		t.Fatal("changing a clone changed the original")
	}
	if p.Equal(q) || p.Checksum() == q.Checksum() {
		t.Fatal("different pages compare equal")
	}
}

// TestChecksumIsCRCOfContent pins Checksum to its definition: the IEEE
// CRC-32 of the ID and LSN (little-endian), the header, and each row as
// key, 0, value, 1.
func TestChecksumIsCRCOfContent(t *testing.T) {
	p := &Page{ID: 0x0102030405060708, LSN: 0x1122334455667788, Header: []byte("hdr")}
	p.Put([]byte("b"), []byte("two"))
	p.Put([]byte("a"), []byte("one"))
	p.Put([]byte("c"), nil)
	for _, q := range []*Page{New(7), p} {
		b := binary.LittleEndian.AppendUint64(nil, uint64(q.ID))
		b = binary.LittleEndian.AppendUint64(b, uint64(q.LSN))
		b = append(b, q.Header...)
		for _, r := range q.Rows {
			b = append(append(append(append(b, r.Key...), 0), r.Value...), 1)
		}
		if got, want := q.Checksum(), crc32.ChecksumIEEE(b); got != want {
			t.Errorf("page %v: Checksum %08x, want %08x", q.ID, got, want)
		}
	}
}

func TestFloor(t *testing.T) {
	p := New(3)
	for _, k := range []string{"d", "h", "p"} {
		p.Put([]byte(k), []byte("v"+k))
	}
	for key, want := range map[string]string{"a": "", "d": "d", "e": "d", "h": "h", "o": "h", "p": "p", "z": "p"} {
		r, ok := p.Floor([]byte(key))
		if got := string(r.Key); ok != (want != "") || got != want {
			t.Errorf("Floor(%q) = %q, %v; want %q", key, got, ok, want)
		}
	}
}

// Put and Delete keep the rows sorted and unique whichever way they move
// them (one by one near the end, in bulk further down), and a deleted row
// is cleared from the array.
func TestPutDeleteMatchModel(t *testing.T) {
	p := New(1)
	model := map[string]string{}
	seed := uint64(1)
	for step := range 5000 {
		seed = seed*6364136223846793005 + 1442695040888963407
		k := fmt.Sprintf("k%02d", seed>>33%40)
		if seed>>20%3 == 0 {
			n := len(p.Rows)
			_, had := model[k]
			p.Delete([]byte(k))
			delete(model, k)
			if had && p.Rows[:n][n-1].Key != nil {
				t.Fatalf("step %d: deleted row left in the array", step)
			}
		} else {
			v := fmt.Sprint(step)
			p.Put([]byte(k), []byte(v))
			model[k] = v
		}
		if len(p.Rows) != len(model) {
			t.Fatalf("step %d: %d rows, want %d", step, len(p.Rows), len(model))
		}
		for i, r := range p.Rows {
			if i > 0 && string(p.Rows[i-1].Key) >= string(r.Key) || model[string(r.Key)] != string(r.Value) {
				t.Fatalf("step %d: row %d is %s=%s", step, i, r.Key, r.Value)
			}
		}
	}
}

// Search places every key, present or not, where a plain binary search
// over the rows does, whether or not it sorts above the last row.
func TestSearchMatchesBinarySearch(t *testing.T) {
	for n := range 9 {
		p := New(1)
		for i := range n {
			p.Put([]byte{byte(2 * (i + 1))}, nil)
		}
		for k := range 2*n + 4 {
			key := []byte{byte(k)}
			want := sort.Search(n, func(i int) bool { return bytes.Compare(p.Rows[i].Key, key) >= 0 })
			i, ok := p.Search(key)
			if i != want || ok != (want < n && bytes.Equal(p.Rows[want].Key, key)) {
				t.Errorf("%d rows: Search(%d) = %d, %v; want %d", n, k, i, ok, want)
			}
		}
	}
}

// Apply of a put gives the page Put gives, whether the key goes last,
// with or without room, or among the rows.
func TestApplyPutMatchesPut(t *testing.T) {
	p, q := New(1), New(1)
	seed := uint64(7)
	for step := range 200 {
		seed = seed*6364136223846793005 + 1442695040888963407
		key := []byte{byte(step)}
		if seed>>40%4 == 0 {
			key = []byte{byte(seed >> 33 % 256)}
		}
		v := []byte(fmt.Sprint(step))
		r := redo.Record{LSN: redo.LSN(step + 1), Page: 1, PrevPage: p.LSN, Op: redo.OpPut, Key: key, Value: v}
		if err := p.Apply(&r); err != nil {
			t.Fatal(err)
		}
		q.Put(key, v)
		q.LSN = p.LSN
		if !p.Equal(q) {
			t.Fatalf("step %d: Apply and Put disagree", step)
		}
	}
}
