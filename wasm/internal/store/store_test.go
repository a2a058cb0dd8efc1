package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// corruptMemory flips a bit of a stored record's bytes, leaving its
// checksum, as a disk error would.
func corruptMemory(t *testing.T, s *Store, sp Space, key string) {
	t.Helper()
	m := s.b.(*memory)
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.spaces[sp][key]
	if !ok || len(r.Data) == 0 {
		t.Fatalf("no record %s/%s to corrupt", sp, key)
	}
	r.Data = slices.Clone(r.Data)
	r.Data[len(r.Data)/2] ^= 0x20
	m.spaces[sp][key] = r
}

func TestMemoryRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := Memory("t")
	var b Batch
	b.Put(Meta, "session", []byte(`{"a":1}`))
	for i := range 5 {
		b.Put(Log, fmt.Sprintf("%03d", 4-i), []byte(fmt.Sprint("entry ", 4-i)))
	}
	if err := s.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Get(ctx, Meta, "session")
	if err != nil || !ok || string(got) != `{"a":1}` {
		t.Fatalf("Get = %q, %v, %v", got, ok, err)
	}
	if _, ok, err := s.Get(ctx, Meta, "absent"); ok || err != nil {
		t.Fatalf("Get(absent) = %v, %v; want false, nil", ok, err)
	}
	var keys []string
	if err := s.Scan(ctx, Log, func(k string, v []byte) error {
		keys = append(keys, k+"="+string(v))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := "000=entry 0 001=entry 1 002=entry 2 003=entry 3 004=entry 4"
	if strings.Join(keys, " ") != want {
		t.Fatalf("Scan = %q, want %q (key order)", keys, want)
	}
	if st := s.Stats(); st.Transactions != 1 || st.Puts != 6 {
		t.Fatalf("Stats = %+v, want 1 transaction, 6 puts", st)
	}
}

func TestChecksumMismatch(t *testing.T) {
	ctx := context.Background()
	s := Memory("t")
	var b Batch
	b.Put(Meta, "session", []byte(`{"config":"seed=1"}`))
	b.Put(Log, "0000000000", []byte(`{"s":"\\status"}`))
	if err := s.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}
	corruptMemory(t, s, Meta, "session")
	_, _, err := s.Get(ctx, Meta, "session")
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get of a corrupted record: err = %v, want a *CorruptError", err)
	}
	if ce.Space != Meta || ce.Key != "session" || ce.Stored == ce.Computed {
		t.Fatalf("CorruptError = %+v", ce)
	}
	if !strings.Contains(err.Error(), "meta/session") || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("error %q does not say which record failed its checksum", err)
	}

	corruptMemory(t, s, Log, "0000000000")
	err = s.Scan(ctx, Log, func(string, []byte) error { return nil })
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Scan over a corrupted record: err = %v, want ErrCorrupt", err)
	}
}

func TestChecksumCoversKey(t *testing.T) {
	if Checksum(Log, "1", []byte("x")) == Checksum(Log, "2", []byte("x")) {
		t.Fatal("the same bytes under two keys have the same checksum")
	}
	if Checksum(Log, "1", []byte("x")) == Checksum(Meta, "1", []byte("x")) {
		t.Fatal("the same bytes in two spaces have the same checksum")
	}
}

func TestUnknownSpace(t *testing.T) {
	s := Memory("t")
	var b Batch
	b.Put("nope", "k", nil)
	if err := s.Write(context.Background(), &b); err == nil {
		t.Fatal("Write to an unknown space succeeded")
	}
	if s.Stats().Transactions != 0 {
		t.Fatal("a refused batch counted as a transaction")
	}
}

func TestClearAndDelete(t *testing.T) {
	ctx := context.Background()
	s := Memory("t")
	var b Batch
	b.Put(Log, "a", []byte("1"))
	b.Put(Log, "b", []byte("2"))
	if err := s.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	b.Delete(Log, "a")
	if err := s.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get(ctx, Log, "a"); ok {
		t.Fatal("deleted record still there")
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get(ctx, Log, "b"); ok {
		t.Fatal("record survived Clear")
	}
}
