package redo

import (
	"reflect"
	"testing"
)

// AddRef fills a batch as Add does, and refuses what Add refuses.
func TestAddRefMatchesAdd(t *testing.T) {
	recs := []Record{{LSN: 2, PG: 1, Key: []byte("k")}, {LSN: 5, PG: 1, Value: []byte("v")}}
	a, b := &Batch{PG: 1}, &Batch{PG: 1}
	for i := range recs {
		a.Add(recs[i])
		b.AddRef(&recs[i])
	}
	if !reflect.DeepEqual(a, b) || a.Size() != b.Size() {
		t.Fatalf("AddRef gave %+v, Add %+v", b, a)
	}
	for _, r := range []Record{{LSN: 5, PG: 1}, {LSN: 9, PG: 2}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AddRef took %s", r.Describe())
				}
			}()
			b.AddRef(&r)
		}()
	}
}

// Over makes the batch Add would, over the records themselves, and a
// record added to it later does not land in their array.
func TestOverMatchesAdd(t *testing.T) {
	recs := make([]Record, 2, 4)
	recs[0], recs[1] = Record{LSN: 2, PG: 1, Key: []byte("k")}, Record{LSN: 5, PG: 1, Value: []byte("v")}
	a, b := &Batch{PG: 1}, Over(1, recs)
	for i := range recs {
		a.Add(recs[i])
	}
	if !reflect.DeepEqual(a.Records, b.Records) || a.Size() != b.Size() {
		t.Fatalf("Over gave %+v, Add %+v", b, a)
	}
	if &b.Records[0] != &recs[0] {
		t.Fatal("Over copied the records")
	}
	b.Add(Record{LSN: 7, PG: 1})
	if recs[:3][2].LSN != 0 {
		t.Fatal("a record added to the batch went into the shared array")
	}
	for _, rs := range [][]Record{{{LSN: 5, PG: 1}, {LSN: 5, PG: 1}}, {{LSN: 9, PG: 2}}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Over took %v", rs)
				}
			}()
			Over(1, rs)
		}()
	}
}
