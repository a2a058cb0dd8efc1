//go:build js && wasm

package app

import (
	"context"
	"sync"
	"time"

	"aurora-lab/wasm/internal/session"
	"aurora-lab/wasm/internal/store"
)

// persister writes sessions on its own goroutine, so that no DOM callback
// ever waits for IndexedDB. Requests coalesce: a flush writes the newest
// state asked for, with one transaction, however many requests came in
// while the previous flush ran.
type persister struct {
	wake chan struct{}

	mu      sync.Mutex
	jobs    []job
	pending *session.State
	waiters []func(error)
	saver   *session.Saver
	status  saveStatus
}

// saveStatus is what the page shows about saving.
type saveStatus struct {
	Durable bool   // the store is IndexedDB
	Name    string // the store's name
	Entries int    // log entries saved
	Flushes int    // transactions written
	Err     error  // the last flush's error, nil after a success
	Busy    bool   // a flush is running
}

// job is a unit of the persister's work, run in order.
type job struct {
	reset *store.Store // clear this store and save to it from now on
	flush bool
}

func newPersister(sv *session.Saver) *persister {
	p := &persister{wake: make(chan struct{}, 1), saver: sv}
	p.status.Durable, p.status.Name, p.status.Entries = sv.Store().Durable(), sv.Store().Name(), sv.Saved()
	return p
}

func (p *persister) kick() {
	select {
	case p.wake <- struct{}{}:
	default: // already woken
	}
}

// Flush asks for s to be saved; done, if not nil, is called with the
// outcome of the flush that saves it (on the persister's goroutine). It
// never blocks.
func (p *persister) Flush(s session.State, done func(error)) {
	p.mu.Lock()
	p.pending = &s
	if done != nil {
		p.waiters = append(p.waiters, done)
	}
	if n := len(p.jobs); n == 0 || !p.jobs[n-1].flush {
		p.jobs = append(p.jobs, job{flush: true})
	}
	p.mu.Unlock()
	p.kick()
}

// Reset clears st and makes it the store that sessions go to, then saves
// s, the new session. It never blocks.
func (p *persister) Reset(st *store.Store, s session.State, done func(error)) {
	p.mu.Lock()
	p.pending = nil
	p.jobs = append(p.jobs, job{reset: st})
	p.mu.Unlock()
	p.Flush(s, done)
}

// Status returns what the page shows about saving.
func (p *persister) Status() saveStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// run does the jobs until ctx ends.
func (p *persister) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		}
		for {
			p.mu.Lock()
			if len(p.jobs) == 0 {
				p.mu.Unlock()
				break
			}
			j := p.jobs[0]
			p.jobs = p.jobs[1:]
			var s *session.State
			var waiters []func(error)
			if j.flush {
				s, p.pending = p.pending, nil
				waiters, p.waiters = p.waiters, nil
			}
			sv := p.saver
			p.status.Busy = true
			p.mu.Unlock()

			var err error
			jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			switch {
			case j.reset != nil:
				if err = j.reset.Clear(jctx); err == nil {
					sv = session.NewSaver(j.reset, 0)
				}
			case s != nil:
				err = sv.Save(jctx, *s)
			}
			cancel()

			p.mu.Lock()
			p.saver = sv
			p.status.Busy = false
			p.status.Durable, p.status.Name = sv.Store().Durable(), sv.Store().Name()
			p.status.Entries = sv.Saved()
			p.status.Flushes = sv.Store().Stats().Transactions
			if j.reset != nil || s != nil {
				p.status.Err = err
			}
			p.mu.Unlock()
			for _, w := range waiters {
				w(err)
			}
		}
	}
}
