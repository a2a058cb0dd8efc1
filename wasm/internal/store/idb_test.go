//go:build js && wasm

package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/hack-pad/go-indexeddb/idb"
)

// Each test uses its own database: the tests of a package share one
// browser profile.
func openFresh(t *testing.T, name string) *Store {
	t.Helper()
	ctx := context.Background()
	if err := Delete(ctx, js.Global(), name); err != nil {
		t.Fatalf("deleting %s: %v", name, err)
	}
	st, err := Open(ctx, name)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	t.Cleanup(func() {
		st.Close()
		_ = Delete(context.Background(), js.Global(), name)
	})
	return st
}

func TestIndexedDBRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := openFresh(t, "test-roundtrip")
	if !st.Durable() || st.Name() != "test-roundtrip" {
		t.Fatalf("store %v: Durable %v", st, st.Durable())
	}
	var b Batch
	b.Put(Meta, "session", []byte(`{"config":"seed=3"}`))
	for i := range 50 {
		b.Put(Log, fmt.Sprintf("%04d", i), []byte(fmt.Sprintf(`{"s":"\\run %dms"}`, i)))
	}
	b.Put(Durable, "a1/pg1", []byte{0, 1, 2, 255})
	if err := st.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}

	// A second connection sees what the first wrote: it is in IndexedDB,
	// not in the Store.
	again, err := Open(ctx, "test-roundtrip")
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	got, ok, err := again.Get(ctx, Meta, "session")
	if err != nil || !ok || string(got) != `{"config":"seed=3"}` {
		t.Fatalf("Get = %q, %v, %v", got, ok, err)
	}
	bin, _, err := again.Get(ctx, Durable, "a1/pg1")
	if err != nil || string(bin) != "\x00\x01\x02\xff" {
		t.Fatalf("binary record = %v, %v", bin, err)
	}
	n := 0
	err = again.Scan(ctx, Log, func(k string, v []byte) error {
		if want := fmt.Sprintf("%04d", n); k != want {
			return fmt.Errorf("key %s, want %s", k, want)
		}
		if want := fmt.Sprintf(`{"s":"\\run %dms"}`, n); string(v) != want {
			return fmt.Errorf("value %s, want %s", v, want)
		}
		n++
		return nil
	})
	if err != nil || n != 50 {
		t.Fatalf("Scan: %d records, %v", n, err)
	}
	if _, ok, err := again.Get(ctx, Meta, "absent"); ok || err != nil {
		t.Fatalf("Get(absent) = %v, %v", ok, err)
	}

	if err := st.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := again.Get(ctx, Log, "0000"); ok {
		t.Fatal("record survived Clear")
	}
}

// countTransactions counts the read-write transactions the page opens,
// by wrapping IDBDatabase.prototype.transaction, until the returned func
// is called.
func countTransactions(t *testing.T) (count func() int, restore func()) {
	t.Helper()
	proto := js.Global().Get("IDBDatabase").Get("prototype")
	orig := proto.Get("transaction")
	n := 0
	wrapper := js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) > 1 && args[1].String() == "readwrite" {
			n++
		}
		jsArgs := make([]any, len(args))
		for i, a := range args {
			jsArgs[i] = a
		}
		return js.Global().Get("Reflect").Call("apply", orig, this, jsArgs)
	})
	proto.Set("transaction", wrapper)
	return func() int { return n }, func() {
		proto.Set("transaction", orig)
		wrapper.Release()
	}
}

// TestOneTransactionPerFlush: a batch of many records is one IndexedDB
// transaction, counted by the browser's own API, not only by Stats.
func TestOneTransactionPerFlush(t *testing.T) {
	ctx := context.Background()
	st := openFresh(t, "test-one-txn")
	count, restore := countTransactions(t)
	defer restore()
	for flush := 1; flush <= 3; flush++ {
		var b Batch
		for i := range 200 {
			b.Put(Log, fmt.Sprintf("%d-%04d", flush, i), []byte("entry"))
		}
		b.Put(Meta, "session", []byte(fmt.Sprint(flush)))
		if err := st.Write(ctx, &b); err != nil {
			t.Fatal(err)
		}
		if got := count(); got != flush {
			t.Fatalf("after %d flushes of 201 records: %d read-write transactions", flush, got)
		}
	}
	if s := st.Stats(); s.Transactions != 3 || s.Puts != 603 {
		t.Fatalf("Stats = %+v", s)
	}
	var empty Batch
	if err := st.Write(ctx, &empty); err != nil || count() != 3 {
		t.Fatalf("an empty batch: err %v, %d transactions", err, count())
	}
}

// putRaw writes value under key directly through IndexedDB, bypassing the
// store's checksum, as corruption or another program would.
func putRaw(t *testing.T, name string, sp Space, key string, value js.Value) {
	t.Helper()
	ctx := context.Background()
	req, err := idb.Global().Open(ctx, name, 0, func(*idb.Database, uint, uint) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	db, err := req.Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	txn, err := db.Transaction(idb.TransactionReadWrite, string(sp))
	if err != nil {
		t.Fatal(err)
	}
	os, err := txn.ObjectStore(string(sp))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.PutKey(js.ValueOf(key), value); err != nil {
		t.Fatal(err)
	}
	if err := txn.Await(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestChecksumMismatchInIndexedDB(t *testing.T) {
	ctx := context.Background()
	const name = "test-corrupt"
	st := openFresh(t, name)
	var b Batch
	b.Put(Meta, "session", []byte(`{"config":"seed=1"}`))
	if err := st.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}

	// Same checksum, other bytes: a flipped bit on disk.
	data := []byte(`{"config":"seed=9"}`)
	arr := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(arr, data)
	rec := js.Global().Get("Object").New()
	rec.Set("crc", Checksum(Meta, "session", []byte(`{"config":"seed=1"}`)))
	rec.Set("data", arr)
	putRaw(t, name, Meta, "session", rec)

	_, _, err := st.Get(ctx, Meta, "session")
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get of a corrupted record: %v, want a *CorruptError", err)
	}
	if ce.Space != Meta || ce.Key != "session" || ce.Stored == ce.Computed || ce.Reason != "" {
		t.Fatalf("CorruptError = %+v", ce)
	}
	if msg := err.Error(); !strings.Contains(msg, "checksum") || !strings.Contains(msg, "meta/session") {
		t.Fatalf("error does not say plainly what failed: %q", msg)
	}

	// Not a record at all.
	putRaw(t, name, Log, "0000000000", js.ValueOf("hello"))
	err = st.Scan(ctx, Log, func(string, []byte) error { return nil })
	if !errors.As(err, &ce) || ce.Reason == "" || ce.Key != "0000000000" {
		t.Fatalf("Scan over a malformed record: %v", err)
	}
}

func TestIndexedDBUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	newFunc := func(body string) js.Value { return js.Global().Get("Function").New(body) }

	for _, tc := range []struct {
		what   string
		global js.Value
		says   string
	}{
		{"no indexedDB", js.Global().Get("Object").New(), "no indexedDB"},
		{"indexedDB throws (sandboxed frame)", newFunc(`
			const g = {};
			Object.defineProperty(g, "indexedDB", {get() { throw new DOMException("The operation is insecure.", "SecurityError"); }});
			return g;`).Invoke(), "refused"},
		{"open throws", newFunc(`
			return {indexedDB: {open() { throw new DOMException("denied", "SecurityError"); }}};`).Invoke(), "denied"},
		{"indexedDB is null", newFunc(`return {indexedDB: null};`).Invoke(), "no indexedDB"},
	} {
		st, err := OpenIn(ctx, tc.global, "test-unavailable")
		if st != nil || !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: OpenIn = %v, %v; want ErrUnavailable", tc.what, st, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: error %q does not say %q", tc.what, err, tc.says)
		}
	}
}
