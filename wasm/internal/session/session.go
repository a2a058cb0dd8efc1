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
	"encoding/json"
	"errors"
	"fmt"
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
	if len(s.Log) < sv.saved {
		return fmt.Errorf("session: the log has %d entries, fewer than the %d already saved", len(s.Log), sv.saved)
	}
	sv.b.Reset()
	for i := sv.saved; i < len(s.Log); i++ {
		raw, err := json.Marshal(s.Log[i])
		if err != nil {
			return err
		}
		sv.b.Put(store.Log, LogKey(i), raw)
	}
	h := Header{Format: Format, Config: s.Config.String(), Seed: s.Config.Seed, Now: s.Now, Events: s.Events, Entries: len(s.Log)}
	raw, err := json.Marshal(h)
	if err != nil {
		return err
	}
	sv.b.Put(store.Meta, HeaderKey, raw)
	if err := sv.st.Write(ctx, &sv.b); err != nil {
		return err
	}
	sv.saved = len(s.Log)
	return nil
}
