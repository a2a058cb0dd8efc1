package page

import (
	"errors"
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
