//go:build js && wasm

package store

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"
	"time"

	"github.com/hack-pad/go-indexeddb/idb"
	"github.com/hack-pad/safejs"
)

// version is the IndexedDB schema version: the set of spaces. Raise it when
// Spaces changes; the upgrader creates what is missing.
const version = 1

// openTimeout bounds the wait for the database to open: an open blocked by
// another tab's connection, or a browser that never answers, must not hang
// the page.
const openTimeout = 5 * time.Second

// ErrQuota says the browser refused a write for lack of space.
var ErrQuota = errors.New("the browser's storage quota is exhausted")

// Open opens the IndexedDB database name of this page, creating it and its
// spaces when needed. When IndexedDB is missing, blocked or refuses to open,
// the error wraps ErrUnavailable and says why; the caller goes on with
// Memory.
func Open(ctx context.Context, name string) (*Store, error) {
	return OpenIn(ctx, js.Global(), name)
}

// OpenIn is Open with the IndexedDB factory taken from global.indexedDB, so
// that tests can pass a global without one, or one whose indexedDB throws.
func OpenIn(ctx context.Context, global js.Value, name string) (*Store, error) {
	fv, err := factoryOf(global)
	if err != nil {
		return nil, fmt.Errorf("%w: access to indexedDB was refused (%v); private browsing or a sandboxed frame blocks it", ErrUnavailable, err)
	}
	if t := fv.Type(); t != safejs.TypeObject {
		return nil, fmt.Errorf("%w: this browser has no indexedDB", ErrUnavailable)
	}
	// The request is made here, so that watchLoss hears whether the
	// browser reports that it lost the database (Chromium deletes a
	// database it finds corrupt when it opens it, and says so only in the
	// upgrade event's dataLoss); the wrapper then takes it over.
	var lost string
	req0, err := call(safejs.Unsafe(fv), "open", name, version)
	if err != nil {
		return nil, fmt.Errorf("%w: opening %s: %v", ErrUnavailable, name, err)
	}
	factory, err := idb.WrapFactory(watchLoss(req0, &lost))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	req, err := factory.Open(ctx, name, version, func(db *idb.Database, _, _ uint) error {
		have, err := db.ObjectStoreNames()
		if err != nil {
			return err
		}
		for _, sp := range Spaces {
			if contains(have, string(sp)) {
				continue
			}
			if _, err := db.CreateObjectStore(string(sp), idb.ObjectStoreOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: opening %s: %v", ErrUnavailable, name, err)
	}
	db, err := req.Await(ctx)
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("no answer within %v (another tab may be upgrading it)", openTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: opening %s: %v", ErrUnavailable, name, err)
	}
	return &Store{name: name, durable: true, lost: lost, b: &indexedDB{db: db, name: name}}, nil
}

// watchLoss records in *lost what req's upgradeneeded event says when it
// reports data loss (IDBVersionChangeEvent.dataLoss: "total" when the
// browser deleted a database it found corrupt), and returns a stand-in
// factory whose open returns req. The functions stay for the page's
// lifetime: a Store is opened once.
func watchLoss(req js.Value, lost *string) js.Value {
	onUpgrade := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) == 0 {
			return nil
		}
		ev := args[0]
		if dl := ev.Get("dataLoss"); dl.Type() == js.TypeString && dl.String() != "none" {
			*lost = dl.String()
			if m := ev.Get("dataLossMessage"); m.Type() == js.TypeString && m.String() != "" {
				*lost += ": " + m.String()
			}
		}
		return nil
	})
	_, _ = call(req, "addEventListener", "upgradeneeded", onUpgrade)
	open := js.FuncOf(func(js.Value, []js.Value) any { return req })
	proxy := js.Global().Get("Object").New()
	proxy.Set("open", open)
	return proxy
}

// Delete deletes the database name of global.indexedDB, as tests do to
// start clean.
func Delete(ctx context.Context, global js.Value, name string) error {
	fv, err := factoryOf(global)
	if err != nil || fv.Type() != safejs.TypeObject {
		return ErrUnavailable
	}
	factory, err := idb.WrapFactory(safejs.Unsafe(fv))
	if err != nil {
		return err
	}
	req, err := factory.DeleteDatabase(name)
	if err != nil {
		return err
	}
	return req.Await(ctx)
}

// factoryOf reads global.indexedDB through Reflect.get: a getter that
// throws (a sandboxed frame) then comes back as an error, where a plain
// property read would leave the exception to unwind through the Go
// runtime.
func factoryOf(global js.Value) (safejs.Value, error) {
	reflect, err := safejs.Global().Get("Reflect")
	if err != nil {
		return safejs.Value{}, err
	}
	return reflect.Call("get", safejs.Safe(global), "indexedDB")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type indexedDB struct {
	db   *idb.Database
	name string
}

// A record is stored as {crc: number, data: Uint8Array} under its key.
func recordValue(r record) (js.Value, error) {
	u8, err := safejs.Global().Get("Uint8Array")
	if err != nil {
		return js.Undefined(), err
	}
	arr, err := u8.New(len(r.Data))
	if err != nil {
		return js.Undefined(), err
	}
	if _, err := safejs.CopyBytesToJS(arr, r.Data); err != nil {
		return js.Undefined(), err
	}
	obj := js.Global().Get("Object").New()
	obj.Set("crc", r.CRC)
	obj.Set("data", safejs.Unsafe(arr))
	return obj, nil
}

// valueRecord reads a stored value back; a value of another shape is a
// CorruptError.
func valueRecord(sp Space, key string, v js.Value) (record, error) {
	bad := func(why string) (record, error) {
		return record{}, &CorruptError{Space: sp, Key: key, Reason: why}
	}
	if v.Type() != js.TypeObject {
		return bad("not a record (a " + v.Type().String() + ")")
	}
	crc, data := v.Get("crc"), v.Get("data")
	if crc.Type() != js.TypeNumber {
		return bad("no checksum")
	}
	if data.Type() != js.TypeObject || !data.InstanceOf(js.Global().Get("Uint8Array")) {
		return bad("no data bytes")
	}
	c := crc.Float()
	if c < 0 || c > 0xffffffff || c != float64(uint32(c)) {
		return bad("checksum out of range")
	}
	buf := make([]byte, data.Length())
	js.CopyBytesToGo(buf, data)
	return record{CRC: uint32(c), Data: buf}, nil
}

func quota(err error) error {
	if errors.Is(err, idb.NewDOMException("QuotaExceededError")) {
		return fmt.Errorf("%w (%v)", ErrQuota, err)
	}
	return err
}

func (b *indexedDB) write(ctx context.Context, spaces []Space, ops []op) error {
	names := make([]string, len(spaces))
	for i, sp := range spaces {
		names[i] = string(sp)
	}
	txn, err := b.db.TransactionWithOptions(idb.TransactionOptions{
		Mode: idb.TransactionReadWrite,
		// Strict: the transaction completes only once the data is on
		// disk, so what the page shows as saved survives a killed browser.
		Durability: idb.DurabilityStrict,
	}, names[0], names[1:]...)
	if err != nil {
		return err
	}
	stores := map[Space]*idb.ObjectStore{}
	for _, o := range ops {
		os := stores[o.space]
		if os == nil {
			if os, err = txn.ObjectStore(string(o.space)); err != nil {
				_ = txn.Abort()
				return err
			}
			stores[o.space] = os
		}
		if o.del {
			_, err = os.Delete(js.ValueOf(o.key))
		} else {
			var v js.Value
			if v, err = recordValue(o.rec); err == nil {
				_, err = os.PutKey(js.ValueOf(o.key), v)
			}
		}
		if err != nil {
			_ = txn.Abort()
			return quota(err)
		}
	}
	if err := txn.Commit(); err != nil {
		return quota(err)
	}
	return quota(txn.Await(ctx))
}

func (b *indexedDB) get(ctx context.Context, sp Space, key string) (record, bool, error) {
	txn, err := b.db.Transaction(idb.TransactionReadOnly, string(sp))
	if err != nil {
		return record{}, false, err
	}
	os, err := txn.ObjectStore(string(sp))
	if err != nil {
		return record{}, false, err
	}
	req, err := os.Get(js.ValueOf(key))
	if err != nil {
		return record{}, false, err
	}
	v, err := req.Await(ctx)
	if err != nil {
		return record{}, false, err
	}
	if v.IsUndefined() {
		return record{}, false, nil
	}
	r, err := valueRecord(sp, key, v)
	return r, err == nil, err
}

// scan reads the whole space in one request for the keys and one for the
// values (getAllKeys and getAll, in one transaction), which is much faster
// than a cursor that crosses into Go for every record.
func (b *indexedDB) scan(ctx context.Context, sp Space, fn func(string, record) error) error {
	keys, values, err := getAll(ctx, b.name, string(sp))
	if err != nil {
		return err
	}
	n := keys.Length()
	if values.Length() != n {
		return fmt.Errorf("store: %d keys and %d values in %s", n, values.Length(), sp)
	}
	for i := range n {
		k := keys.Index(i)
		if k.Type() != js.TypeString {
			return &CorruptError{Space: sp, Key: k.String(), Reason: "key is not a string"}
		}
		key := k.String()
		r, err := valueRecord(sp, key, values.Index(i))
		if err != nil {
			return err
		}
		if err := fn(key, r); err != nil {
			return err
		}
	}
	return nil
}

// getAll reads the keys and the values of a space, over a connection of
// its own, in one read-only transaction. It uses the IndexedDB API
// directly (no eval: the page's Content-Security-Policy forbids it).
func getAll(ctx context.Context, name, space string) (keys, values js.Value, err error) {
	type result struct {
		keys, values js.Value
		err          error
	}
	ch := make(chan result, 1)
	send := func(r result) {
		select {
		case ch <- r:
		default:
		}
	}
	var funcs []js.Func
	fn := func(f func(js.Value) error) js.Func {
		jf := js.FuncOf(func(this js.Value, args []js.Value) (ret any) {
			defer func() {
				if v := recover(); v != nil {
					send(result{err: fmt.Errorf("%v", v)})
				}
			}()
			var ev js.Value
			if len(args) > 0 {
				ev = args[0]
			}
			if err := f(ev); err != nil {
				send(result{err: err})
			}
			return nil
		})
		funcs = append(funcs, jf)
		return jf
	}
	jsErr := func(v js.Value) error {
		if v.Truthy() {
			return errors.New(v.Call("toString").String())
		}
		return errors.New("failed")
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("indexedDB.open: %v", v)
		}
	}()
	req := js.Global().Get("indexedDB").Call("open", name)
	req.Set("onerror", fn(func(js.Value) error { return jsErr(req.Get("error")) }))
	req.Set("onsuccess", fn(func(js.Value) error {
		db := req.Get("result")
		tx := db.Call("transaction", space, "readonly")
		os := tx.Call("objectStore", space)
		kr, vr := os.Call("getAllKeys"), os.Call("getAll")
		tx.Set("oncomplete", fn(func(js.Value) error {
			db.Call("close")
			send(result{keys: kr.Get("result"), values: vr.Get("result")})
			return nil
		}))
		fail := fn(func(js.Value) error {
			db.Call("close")
			return jsErr(tx.Get("error"))
		})
		tx.Set("onerror", fail)
		tx.Set("onabort", fail)
		return nil
	}))
	select {
	case r := <-ch:
		for _, f := range funcs {
			f.Release()
		}
		return r.keys, r.values, r.err
	case <-ctx.Done():
		// The functions stay: the browser may still call them.
		return js.Undefined(), js.Undefined(), ctx.Err()
	}
}

func (b *indexedDB) clear(ctx context.Context) error {
	names := make([]string, len(Spaces))
	for i, sp := range Spaces {
		names[i] = string(sp)
	}
	txn, err := b.db.TransactionWithOptions(idb.TransactionOptions{
		Mode: idb.TransactionReadWrite, Durability: idb.DurabilityStrict,
	}, names[0], names[1:]...)
	if err != nil {
		return err
	}
	for _, n := range names {
		os, err := txn.ObjectStore(n)
		if err != nil {
			_ = txn.Abort()
			return err
		}
		if _, err := os.Clear(); err != nil {
			_ = txn.Abort()
			return err
		}
	}
	if err := txn.Commit(); err != nil {
		return err
	}
	return txn.Await(ctx)
}

func (b *indexedDB) close() { _ = b.db.Close() }
