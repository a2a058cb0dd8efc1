// Package session saves a Lab to a store and brings it back.
//
// A session is what the engine needs to rebuild the same state
// deterministically: the configuration it started with, the command log
// (each input with the moment it was submitted) and how far it had run
// (simulated time and events). It is stored as one header record in
// store.Meta and one record per log entry in store.Log, so a flush writes
// only the entries added since the last one, plus the header, in one
// transaction.
//
// The package is pure Go: it runs natively over store.Memory, and in the
// browser over IndexedDB.
package session

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/store"
)

// Format is the version of the stored session. A session stored by a newer
// format is refused, not misread.
const Format = 1

// HeaderKey is the key of the header in store.Meta.
const HeaderKey = "session"

// Header is the stored header of a session.
type Header struct {
	Format int `json:"format"`
	// Config is the configuration the session started with, in canonical
	// key=value form (a \cluster in the log changes it later; replay
	// does that again).
	Config string `json:"config"`
	Seed   uint64 `json:"seed"`
	// Now and Events say how far the session had run when saved.
	Now    engine.Time `json:"now"`
	Events uint64      `json:"events"`
	// Entries is how many log records belong to the session: keys
	// LogKey(0) to LogKey(Entries-1) of store.Log.
	Entries int `json:"entries"`
}

// State is a session in memory: everything Restore needs.
type State struct {
	Config engine.Config
	Now    engine.Time
	Events uint64
	Log    []engine.Entry
}

// Capture returns the session of lab, which was created with start. The
// state shares the lab's log; the engine only ever appends to it.
func Capture(start engine.Config, lab *engine.Lab) State {
	log := lab.Log()
	return State{Config: start, Now: lab.Now(), Events: lab.Events(), Log: log[:len(log):len(log)]}
}

// Restore rebuilds the lab of a session: its log replayed on its starting
// configuration, up to the moment it was saved.
func Restore(s State) (*engine.Lab, error) {
	return engine.Restore(s.Config, s.Log, s.Now, s.Events)
}

// LogKey is the key of log entry i: zero-padded so that key order is log
// order.
func LogKey(i int) string { return fmt.Sprintf("%010d", i) }

// ErrNewerFormat is a session stored by a newer version of Aurora Lab.
var ErrNewerFormat = errors.New("session: stored by a newer version of Aurora Lab")

// Load reads the session stored in st, and false when there is none. A
// record that fails its checksum returns an error matching
// store.ErrCorrupt; a log that does not match its header is an error too.
func Load(ctx context.Context, st *store.Store) (State, bool, error) {
	raw, ok, err := st.Get(ctx, store.Meta, HeaderKey)
	if err != nil || !ok {
		return State{}, false, err
	}
	var h Header
	if err := json.Unmarshal(raw, &h); err != nil {
		return State{}, false, fmt.Errorf("session: header: %w", err)
	}
	if h.Format > Format {
		return State{}, false, fmt.Errorf("%w (format %d, this page reads %d)", ErrNewerFormat, h.Format, Format)
	}
	cfg, err := engine.ParseConfig(h.Config)
	if err != nil {
		return State{}, false, fmt.Errorf("session: stored configuration %q: %w", h.Config, err)
	}
	s := State{Config: cfg, Now: h.Now, Events: h.Events, Log: make([]engine.Entry, 0, h.Entries)}
	err = st.Scan(ctx, store.Log, func(key string, value []byte) error {
		i, err := strconv.Atoi(key)
		if err != nil || key != LogKey(i) {
			return fmt.Errorf("session: unexpected log key %q", key)
		}
		if i >= h.Entries {
			return errStop // records past the header's count are not part of it
		}
		if i != len(s.Log) {
			return fmt.Errorf("session: log entry %d is missing", len(s.Log))
		}
		var e engine.Entry
		if err := json.Unmarshal(value, &e); err != nil {
			return fmt.Errorf("session: log entry %d: %w", i, err)
		}
		s.Log = append(s.Log, e)
		return nil
	})
	if err != nil && err != errStop {
		return State{}, false, err
	}
	if len(s.Log) != h.Entries {
		return State{}, false, fmt.Errorf("session: the header counts %d log entries, the store holds %d", h.Entries, len(s.Log))
	}
	return s, true, nil
}

var errStop = errors.New("stop")

// Saver writes a session to a store, one transaction per Save.
type Saver struct {
	st    *store.Store
	saved int // log entries already in the store
	b     store.Batch
}

// NewSaver returns a Saver for st, which already holds the first saved
// entries of the log (0 for a fresh store; len(State.Log) after Load).
func NewSaver(st *store.Store, saved int) *Saver { return &Saver{st: st, saved: saved} }

// Store returns the store the Saver writes.
func (sv *Saver) Store() *store.Store { return sv.st }

// Saved reports how many log entries are in the store.
func (sv *Saver) Saved() int { return sv.saved }

// Forget says the store was cleared: the next Save writes the whole log.
func (sv *Saver) Forget() { sv.saved = 0 }

// Save writes the header of s and the log entries added since the last
// Save, in one transaction.
func (sv *Saver) Save(ctx context.Context, s State) error {
	sv.b.Reset()
	if err := sv.Put(&sv.b, s); err != nil {
		return err
	}
	if err := sv.st.Write(ctx, &sv.b); err != nil {
		return err
	}
	sv.Committed(len(s.Log))
	return nil
}

// Put adds to b what Save writes: the log entries added since the last
// save and the header. After b is written, call Committed with len(s.Log).
func (sv *Saver) Put(b *store.Batch, s State) error {
	if len(s.Log) < sv.saved {
		return fmt.Errorf("session: the log has %d entries, fewer than the %d already saved", len(s.Log), sv.saved)
	}
	for i := sv.saved; i < len(s.Log); i++ {
		raw, err := json.Marshal(s.Log[i])
		if err != nil {
			return err
		}
		b.Put(store.Log, LogKey(i), raw)
	}
	h := Header{Format: Format, Config: s.Config.String(), Seed: s.Config.Seed, Now: s.Now, Events: s.Events, Entries: len(s.Log)}
	raw, err := json.Marshal(h)
	if err != nil {
		return err
	}
	b.Put(store.Meta, HeaderKey, raw)
	return nil
}

// Committed records that a batch Put filled, holding entries log entries,
// was written.
func (sv *Saver) Committed(entries int) { sv.saved = max(sv.saved, entries) }

// ---------------------------------------------------------------- disks

// CheckpointKey is the key of the checkpoint header in store.Meta.
const CheckpointKey = "checkpoint"

// Checkpoint is the header of the storage nodes' disks saved in
// store.Durable: the moment they were taken at, what they hold, and a
// digest over every piece (its key and the engine.DiskSum of its bytes).
// The pieces and the header are written in one transaction, so the store
// always holds the disks of exactly one moment.
type Checkpoint struct {
	Mark   engine.Mark      `json:"mark"`
	Digest uint64           `json:"digest"`
	Stats  engine.DiskStats `json:"stats"`
}

// Digest combines the sums of a set of disk pieces, by key, in key order.
func Digest(sums map[string]uint64) uint64 {
	keys := make([]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b []byte
	for _, k := range keys {
		b = append(b, k...)
		b = append(b, 0)
		b = binary.LittleEndian.AppendUint64(b, sums[k])
	}
	return engine.DiskSum(b)
}

// LabDigest returns the digest of lab's disks now, and what they hold.
func LabDigest(lab *engine.Lab) (uint64, engine.DiskStats) {
	pieces, st := lab.Disks()
	sums := make(map[string]uint64, len(pieces))
	for _, p := range pieces {
		sums[p.Key] = engine.DiskSum(p.Data)
	}
	return Digest(sums), st
}

// LoadCheckpoint reads the checkpoint header, and false when none was
// saved.
func LoadCheckpoint(ctx context.Context, st *store.Store) (Checkpoint, bool, error) {
	raw, ok, err := st.Get(ctx, store.Meta, CheckpointKey)
	if err != nil || !ok {
		return Checkpoint{}, false, err
	}
	var cp Checkpoint
	if err := json.Unmarshal(raw, &cp); err != nil {
		return Checkpoint{}, false, fmt.Errorf("session: checkpoint header: %w", err)
	}
	return cp, true, nil
}

// ScanDisks reads every saved disk piece, checking each record's checksum
// (a *store.CorruptError when one fails), and returns the sum of each, by
// key.
func ScanDisks(ctx context.Context, st *store.Store) (map[string]uint64, error) {
	sums := map[string]uint64{}
	err := st.Scan(ctx, store.Durable, func(key string, value []byte) error {
		sums[key] = engine.DiskSum(value)
		return nil
	})
	return sums, err
}

// Verdict is what a restore found when it compared the disks it replayed
// with the disks saved at the checkpoint.
type Verdict struct {
	Checked bool // a checkpoint was there to compare with
	// Stored: the saved pieces match the checkpoint's digest (none
	// missing, none extra; each record's checksum was checked on read).
	Stored bool
	// Replayed: the disks the replay gave at the checkpoint's moment are
	// the saved ones, byte for byte.
	Replayed bool
	Mark     engine.Mark
	Stats    engine.DiskStats
}

// RestoreChecked restores s like Restore and, when cp is given, stops the
// replay at the checkpoint's moment to compare the replayed disks with the
// saved ones (sums, by key, as ScanDisks read them).
func RestoreChecked(s State, cp *Checkpoint, stored map[string]uint64) (*engine.Lab, Verdict, error) {
	r, err := NewCheckedRestorer(s, cp, stored)
	if err != nil {
		return nil, Verdict{}, err
	}
	if _, err := r.Run(func() bool { return true }); err != nil {
		return nil, r.Verdict, err
	}
	return r.Lab(), r.Verdict, nil
}

// CheckedRestorer is RestoreChecked a slice at a time (see
// engine.Restorer); Verdict is complete once Run reports done.
type CheckedRestorer struct {
	*engine.Restorer
	Verdict Verdict
}

// NewCheckedRestorer starts restoring s, checking against cp.
func NewCheckedRestorer(s State, cp *Checkpoint, stored map[string]uint64) (*CheckedRestorer, error) {
	end := engine.Mark{Entries: len(s.Log), At: s.Now, Events: s.Events}
	c := &CheckedRestorer{}
	var stops []engine.Mark
	if cp != nil && cp.Mark.Entries <= len(s.Log) && cp.Mark.Events <= s.Events {
		c.Verdict.Checked, c.Verdict.Mark, c.Verdict.Stats = true, cp.Mark, cp.Stats
		c.Verdict.Stored = Digest(stored) == cp.Digest
		stops = append(stops, cp.Mark)
	}
	r, err := engine.NewRestorer(s.Config, s.Log, end, stops, func(_ int, l *engine.Lab) {
		d, _ := LabDigest(l)
		c.Verdict.Replayed = d == cp.Digest
	})
	if err != nil {
		return nil, err
	}
	c.Restorer = r
	return c, nil
}
