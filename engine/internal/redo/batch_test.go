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
