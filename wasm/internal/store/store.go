// Package store keeps Aurora Lab's state in the browser: one IndexedDB
// database per page (the full page and each embed use their own name), or
// an in-memory stand-in when IndexedDB is missing or blocked.
//
// A database holds a few spaces (IndexedDB object stores) of records, each a
// byte string under a string key. Writes come in a [Batch], and one batch is
// one IndexedDB transaction, however many records it holds: the page
// flushes a batch per input and once a second, never a transaction per
// record. Each record carries a CRC-32C over its space, key and bytes;
// reading a record that does not match returns a [*CorruptError].
//
// The spaces are fixed at open time: [Meta] for small records (the session
// header), [Log] for the command log, one record per input, and [Durable]
// for the storage nodes' durable state, which the engine will write in
// batches as it learns to persist it.
//
// Every method that touches IndexedDB blocks until the browser answers: call
// it from a goroutine, never from a DOM callback (see package dom).
package store

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Space is one object store of the database.
type Space string

// The spaces of an Aurora Lab database.
const (
	Meta    Space = "meta"
	Log     Space = "log"
	Durable Space = "durable"
)

// Spaces lists every space, in the order they are created.
var Spaces = []Space{Meta, Log, Durable}

func (sp Space) valid() bool { return slices.Contains(Spaces, sp) }

// ErrUnavailable says that IndexedDB cannot be used here: it is missing,
// blocked (private mode, a sandboxed or cross-origin frame), or it refused
// to open.
var ErrUnavailable = errors.New("IndexedDB is not available")

// ErrCorrupt matches every [*CorruptError] with errors.Is.
var ErrCorrupt = errors.New("stored data failed its checksum")

// CorruptError is a stored record that does not match its checksum or is
// not a record at all.
type CorruptError struct {
	Space    Space
	Key      string
	Stored   uint32 // the checksum stored with the record
	Computed uint32 // the checksum of what was read
	Reason   string // set when the record is malformed
}

func (e *CorruptError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("%s: record %s/%s: %s", ErrCorrupt, e.Space, e.Key, e.Reason)
	}
	return fmt.Sprintf("%s: record %s/%s has checksum %08x, its bytes give %08x",
		ErrCorrupt, e.Space, e.Key, e.Stored, e.Computed)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is the checksum stored with a record: CRC-32C over the space,
// the key and the bytes, so a record copied under another key fails too.
func Checksum(sp Space, key string, data []byte) uint32 {
	c := crc32.Update(0, castagnoli, []byte(sp))
	c = crc32.Update(c, castagnoli, []byte{0})
	c = crc32.Update(c, castagnoli, []byte(key))
	c = crc32.Update(c, castagnoli, []byte{0})
	return crc32.Update(c, castagnoli, data)
}

// record is a record as a backend keeps it.
type record struct {
	CRC  uint32
	Data []byte
}

func (r record) verify(sp Space, key string) ([]byte, error) {
	if got := Checksum(sp, key, r.Data); got != r.CRC {
		return nil, &CorruptError{Space: sp, Key: key, Stored: r.CRC, Computed: got}
	}
	return r.Data, nil
}

// op is one change of a batch.
type op struct {
	space Space
	key   string
	rec   record
	del   bool
}

// Batch collects changes to write in one transaction. The zero Batch is
// empty and ready to use.
type Batch struct {
	ops   []op
	bytes int
}

// Put stores value under key in space sp, replacing what was there. The
// batch keeps value; do not change it afterwards.
func (b *Batch) Put(sp Space, key string, value []byte) {
	b.ops = append(b.ops, op{space: sp, key: key, rec: record{CRC: Checksum(sp, key, value), Data: value}})
	b.bytes += len(value)
}

// Delete removes key from space sp.
func (b *Batch) Delete(sp Space, key string) {
	b.ops = append(b.ops, op{space: sp, key: key, del: true})
}

// Len reports how many changes the batch holds.
func (b *Batch) Len() int { return len(b.ops) }

// Reset empties the batch for reuse.
func (b *Batch) Reset() {
	clear(b.ops)
	b.ops = b.ops[:0]
	b.bytes = 0
}

// spaces returns the spaces the batch touches, sorted.
func (b *Batch) spaces() []Space {
	var out []Space
	for _, o := range b.ops {
		if !slices.Contains(out, o.space) {
			out = append(out, o.space)
		}
	}
	slices.Sort(out)
	return out
}

// Stats counts what a Store has done.
type Stats struct {
	Transactions int   // write transactions committed (one per Write)
	Puts         int   // records written
	Deletes      int   // records deleted
	Bytes        int64 // bytes of records written
	Clears       int   // times Clear emptied the database
}

// backend is where records live: IndexedDB, or memory.
type backend interface {
	// write applies ops in one transaction: all or nothing.
	write(ctx context.Context, spaces []Space, ops []op) error
	get(ctx context.Context, sp Space, key string) (record, bool, error)
	// scan calls fn for each record of sp in key order. fn must not block.
	scan(ctx context.Context, sp Space, fn func(key string, r record) error) error
	clear(ctx context.Context) error
	close()
}

// Store is one Aurora Lab database. Its methods may be called from one
// goroutine at a time; Stats from any.
type Store struct {
	name    string
	durable bool
	lost    string // what the browser said when it opened, if it lost the data
	b       backend

	mu    sync.Mutex
	stats Stats
	fail  error // FailWrites
}

// Name returns the database's name.
func (s *Store) Name() string { return s.name }

// DataLoss returns, when the browser reported on opening the database
// that it had lost its data (Chromium deletes a database it finds corrupt,
// as LevelDB may leave it after a crash), what it said; "" otherwise.
func (s *Store) DataLoss() string { return s.lost }

// Durable reports whether the store is IndexedDB (true) or memory (false).
func (s *Store) Durable() bool { return s.durable }

// Stats returns what the store has done so far.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Write applies the batch in one transaction: after it returns nil, every
// change is stored; after an error, none is. An empty batch writes nothing.
func (s *Store) Write(ctx context.Context, b *Batch) error {
	if b.Len() == 0 {
		return nil
	}
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		return fmt.Errorf("store %s: write of %d records: %w", s.name, b.Len(), fail)
	}
	for _, o := range b.ops {
		if !o.space.valid() {
			return fmt.Errorf("store: unknown space %q", o.space)
		}
	}
	if err := s.b.write(ctx, b.spaces(), b.ops); err != nil {
		return fmt.Errorf("store %s: write of %d records: %w", s.name, b.Len(), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Transactions++
	for _, o := range b.ops {
		if o.del {
			s.stats.Deletes++
		} else {
			s.stats.Puts++
		}
	}
	s.stats.Bytes += int64(b.bytes)
	return nil
}

// Get returns the value stored under key in sp, and false when there is
// none. A value that fails its checksum returns a *CorruptError.
func (s *Store) Get(ctx context.Context, sp Space, key string) ([]byte, bool, error) {
	if !sp.valid() {
		return nil, false, fmt.Errorf("store: unknown space %q", sp)
	}
	r, ok, err := s.b.get(ctx, sp, key)
	if err != nil || !ok {
		return nil, ok, err
	}
	data, err := r.verify(sp, key)
	return data, err == nil, err
}

// Scan calls fn for every record of sp in key order, and stops at the first
// error, fn's or a *CorruptError. fn runs inside the read and must not
// block.
func (s *Store) Scan(ctx context.Context, sp Space, fn func(key string, value []byte) error) error {
	if !sp.valid() {
		return fmt.Errorf("store: unknown space %q", sp)
	}
	return s.b.scan(ctx, sp, func(key string, r record) error {
		data, err := r.verify(sp, key)
		if err != nil {
			return err
		}
		return fn(key, data)
	})
}

// Clear removes every record of every space, in one transaction.
func (s *Store) Clear(ctx context.Context) error {
	if err := s.b.clear(ctx); err != nil {
		return fmt.Errorf("store %s: clear: %w", s.name, err)
	}
	s.mu.Lock()
	s.stats.Clears++
	s.mu.Unlock()
	return nil
}

// FailWrites makes every later Write fail with err (nil heals it): what a
// full quota does, for tests of how the page shows it.
func (s *Store) FailWrites(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

// Close releases the database. The store must not be used afterwards.
func (s *Store) Close() { s.b.close() }

// Memory returns a store that keeps its records in memory only: what the
// page uses when IndexedDB is not available, and a stand-in for tests.
func Memory(name string) *Store {
	return &Store{name: name, b: &memory{spaces: map[Space]map[string]record{}}}
}

type memory struct {
	mu     sync.Mutex
	spaces map[Space]map[string]record
}

func (m *memory) write(_ context.Context, _ []Space, ops []op) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range ops {
		sp := m.spaces[o.space]
		if sp == nil {
			sp = map[string]record{}
			m.spaces[o.space] = sp
		}
		if o.del {
			delete(sp, o.key)
		} else {
			sp[o.key] = record{CRC: o.rec.CRC, Data: slices.Clone(o.rec.Data)}
		}
	}
	return nil
}

func (m *memory) get(_ context.Context, sp Space, key string) (record, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.spaces[sp][key]
	return r, ok, nil
}

func (m *memory) scan(_ context.Context, sp Space, fn func(string, record) error) error {
	m.mu.Lock()
	keys := make([]string, 0, len(m.spaces[sp]))
	for k := range m.spaces[sp] {
		keys = append(keys, k)
	}
	recs := make([]record, len(keys))
	sort.Strings(keys)
	for i, k := range keys {
		recs[i] = m.spaces[sp][k]
	}
	m.mu.Unlock()
	for i, k := range keys {
		if err := fn(k, recs[i]); err != nil {
			return err
		}
	}
	return nil
}

func (m *memory) clear(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.spaces)
	return nil
}

func (m *memory) close() {}

// describe names a store for messages: "IndexedDB database aurora-lab".
func describe(name string, durable bool) string {
	if durable {
		return "IndexedDB database " + name
	}
	return strings.TrimSpace("memory store " + name)
}

// String describes the store for the page: where its data goes.
func (s *Store) String() string { return describe(s.name, s.durable) }
