//go:build js && wasm

package app

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/session"
	"aurora-lab/wasm/internal/store"
)

// persister writes to the store on its own goroutine, so that no DOM
// callback or animation frame ever waits for IndexedDB. The page hands it
// at most one flush per animation frame, and only when the previous one
// has finished, so there is at most one IndexedDB transaction per frame and
// one in flight: while it runs, new inputs and outputs gather for the next.
//
// A flush is one transaction holding the command log entries added since
// the last one, the session header (how far the run has gone), and, when a
// checkpoint is ready, the storage nodes' disk pieces that changed with the
// checkpoint header. When it commits, the outputs it covers may be shown:
// an acknowledgement is shown only after the flush that makes it durable.
type persister struct {
	wake chan struct{}

	mu      sync.Mutex
	jobs    []job
	saver   *session.Saver
	written map[string]uint64 // disk pieces in the store: key → sum
	status  saveStatus
	stopped bool
}

// saveStatus is what the page shows about saving.
type saveStatus struct {
	Durable  bool   // the store is IndexedDB
	Name     string // the store's name
	Entries  int    // log entries saved
	Flushes  int    // transactions written
	Err      error  // the last flush's error, nil after a success
	Busy     bool   // a flush is queued or running
	Released uint64 // outputs covered by a committed flush
	Saved    engine.Mark
	// Checkpoint is the last checkpoint committed, if any.
	Checkpoint *session.Checkpoint
	// Timings of the recent flushes, for auroraLab.perf().
	Times   []float64 // milliseconds, wall time of Write
	Records []int     // records written by each
}

// maxTimings bounds the flush timings kept.
const maxTimings = 2000

// job is a unit of the persister's work, run in order.
type job struct {
	reset *store.Store // clear this store and save to it from now on
	flush *flushJob
	stop  bool // finish, then refuse further jobs (another tab takes over)
	done  []func(error)
}

// flushJob is what one transaction writes.
type flushJob struct {
	state   session.State
	outputs uint64 // outputs produced when state was captured
	cp      *cpWrite
}

// cpWrite is a checkpoint ready to write: the pieces that differ from the
// store's, the keys it no longer has, and its header.
type cpWrite struct {
	puts    []engine.DiskRecord
	sums    map[string]uint64 // every piece of the checkpoint
	header  session.Checkpoint
	deletes []string
}

func newPersister(sv *session.Saver, written map[string]uint64) *persister {
	p := &persister{wake: make(chan struct{}, 1), saver: sv, written: written}
	if p.written == nil {
		p.written = map[string]uint64{}
	}
	p.status.Durable, p.status.Name, p.status.Entries = sv.Store().Durable(), sv.Store().Name(), sv.Saved()
	return p
}

func (p *persister) kick() {
	select {
	case p.wake <- struct{}{}:
	default: // already woken
	}
}

func (p *persister) enqueue(j job) bool {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return false
	}
	p.jobs = append(p.jobs, j)
	p.status.Busy = true
	p.mu.Unlock()
	p.kick()
	return true
}

// Flush queues a flush; done (optional) hears its outcome on the
// persister's goroutine. It never blocks.
func (p *persister) Flush(f *flushJob, done func(error)) {
	j := job{flush: f}
	if done != nil {
		j.done = append(j.done, done)
	}
	if !p.enqueue(j) && done != nil {
		done(errStopped)
	}
}

// Reset clears st and makes it the store that sessions go to, then saves
// f, the new session. It never blocks.
func (p *persister) Reset(st *store.Store, f *flushJob, done func(error)) {
	p.enqueue(job{reset: st})
	p.Flush(f, done)
}

// resetReleased says no output is durable yet: a reset started a new lab
// whose outputs count from zero.
func (p *persister) resetReleased() {
	p.mu.Lock()
	p.status.Released = 0
	p.mu.Unlock()
}

// Stop finishes the jobs queued and refuses later ones; done hears when
// the last has finished. The page stops saving when another tab takes
// over.
func (p *persister) Stop(done func(error)) {
	if !p.enqueue(job{stop: true, done: []func(error){done}}) {
		done(nil)
	}
}

// Status returns what the page shows about saving.
func (p *persister) Status() saveStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// Idle reports whether no flush is queued or running.
func (p *persister) Idle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.status.Busy
}

// Written returns the sum of each disk piece the store holds.
func (p *persister) Written() map[string]uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.written
}

type stoppedError struct{}

func (stoppedError) Error() string { return "not saving: another tab took over this lab" }

var errStopped error = stoppedError{}

// run does the jobs until ctx ends.
func (p *persister) run(ctx context.Context) {
	var b store.Batch
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		}
		for {
			p.mu.Lock()
			if len(p.jobs) == 0 {
				p.status.Busy = false
				p.mu.Unlock()
				break
			}
			j := p.jobs[0]
			p.jobs = p.jobs[1:]
			sv := p.saver
			p.mu.Unlock()

			var err error
			var took float64
			records := 0
			jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			switch {
			case j.reset != nil:
				if err = j.reset.Clear(jctx); err == nil {
					sv = session.NewSaver(j.reset, 0)
				}
			case j.flush != nil:
				b.Reset()
				err = sv.Put(&b, j.flush.state)
				if cp := j.flush.cp; cp != nil && err == nil {
					for _, r := range cp.puts {
						b.Put(store.Durable, r.Key, r.Data)
					}
					for _, k := range cp.deletes {
						b.Delete(store.Durable, k)
					}
					err = putJSON(&b, store.Meta, session.CheckpointKey, cp.header)
				}
				if err == nil {
					records = b.Len()
					start := time.Now()
					err = sv.Store().Write(jctx, &b)
					took = float64(time.Since(start).Microseconds()) / 1000
				}
			}
			cancel()

			p.mu.Lock()
			switch {
			case j.reset != nil:
				if err == nil {
					p.saver, p.written = sv, map[string]uint64{}
					p.status.Checkpoint = nil
					p.status.Released = 0
				}
			case j.flush != nil && err == nil:
				f := j.flush
				sv.Committed(len(f.state.Log))
				p.status.Released = max(p.status.Released, f.outputs)
				p.status.Saved = engine.Mark{Entries: len(f.state.Log), At: f.state.Now, Events: f.state.Events}
				if f.cp != nil {
					p.written = f.cp.sums
					h := f.cp.header
					p.status.Checkpoint = &h
				}
				p.status.Times = appendBounded(p.status.Times, took)
				p.status.Records = appendBounded(p.status.Records, records)
			case j.stop:
				p.stopped = true
				p.jobs = nil
			}
			p.status.Durable, p.status.Name = p.saver.Store().Durable(), p.saver.Store().Name()
			p.status.Entries = p.saver.Saved()
			p.status.Flushes = p.saver.Store().Stats().Transactions
			if j.reset != nil || j.flush != nil {
				p.status.Err = err
			}
			p.mu.Unlock()
			for _, w := range j.done {
				w(err)
			}
		}
	}
}

func appendBounded[T any](s []T, v T) []T {
	if len(s) >= maxTimings {
		s = append(s[:0:0], s[len(s)-maxTimings/2:]...)
	}
	return append(s, v)
}

// putJSON adds v, as JSON, to b.
func putJSON(b *store.Batch, sp store.Space, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Put(sp, key, raw)
	return nil
}
