//go:build js && wasm

package app

import (
	"context"
	"syscall/js"
	"time"

	"aurora-lab/wasm/internal/dom"
	"aurora-lab/wasm/internal/store"
)

// Only one tab writes a database: the one that holds its Web Lock (see
// store.AcquireLock). Another tab runs in memory and offers to take over:
// it asks the writing tab, over a BroadcastChannel, to save what it has
// and let the lock go, then reloads and restores what that tab saved. A
// writing tab that does not answer (frozen in the background) has the lock
// stolen after a few seconds; Web Locks tells it, and it stops writing.

const (
	handoverMsg     = "aurora-lab:handover"
	takeoverFlag    = "aurora-lab:takeover"
	handoverTimeout = 4 * time.Second
)

// listenHandover answers another tab's request to take over.
func (a *App) listenHandover() {
	bc := js.Global().Get("BroadcastChannel")
	if a.opts.Memory || bc.Type() != js.TypeFunction {
		return
	}
	ch := bc.New(store.LockName(a.opts.DB))
	ch.Set("onmessage", dom.Func("BroadcastChannel.onmessage", func(args []js.Value) any {
		if len(args) == 0 || args[0].Get("data").String() != handoverMsg || a.lockState != lockHeld {
			return nil
		}
		// Save what this tab has, then let the lock go: loseLock follows.
		a.pers.Flush(a.capture(), nil)
		lock := a.lock
		a.pers.Stop(func(error) { lock.Release() })
		return nil
	}))
}

// TakeOver asks the tab that writes this lab to hand it over, then reloads
// so that this tab restores what that tab saved and writes from then on.
// It never blocks.
func (a *App) TakeOver() {
	if a.takingOver || (a.lockState != lockOther && a.lockState != lockLost) {
		return
	}
	a.takingOver = true
	a.problem = "Taking over: asking the other tab to save its state and let go…"
	go func() {
		if bc := js.Global().Get("BroadcastChannel"); bc.Type() == js.TypeFunction {
			ch := bc.New(store.LockName(a.opts.DB))
			ch.Call("postMessage", handoverMsg)
			ch.Call("close")
		}
		ctx, cancel := context.WithTimeout(a.ctx, handoverTimeout)
		lock, err := store.AcquireLock(ctx, a.opts.DB, store.Wait)
		cancel()
		if lock == nil || err != nil {
			lock, err = store.AcquireLock(a.ctx, a.opts.DB, store.Steal)
		}
		if err != nil || lock == nil {
			a.takingOver = false
			a.problem = "Could not take over: " + errText(err) + ". " + otherTabText
			return
		}
		// The reload lets this lock go and takes it again at once; the
		// flag tells it to wait for it if the release is slow.
		if ss := sessionStorage(); ss.Truthy() {
			ss.Call("setItem", takeoverFlag, "1")
		}
		js.Global().Get("location").Call("reload")
	}()
}

func errText(err error) string {
	if err == nil {
		return "the lock was not granted"
	}
	return err.Error()
}

// tookOver reports, once, whether this load follows a TakeOver.
func tookOver() bool {
	ss := sessionStorage()
	if !ss.Truthy() {
		return false
	}
	v := ss.Call("getItem", takeoverFlag)
	if v.IsNull() {
		return false
	}
	ss.Call("removeItem", takeoverFlag)
	return true
}

// sessionStorage returns window.sessionStorage, or undefined where reading
// it throws (a sandboxed frame).
func sessionStorage() (v js.Value) {
	defer func() {
		if recover() != nil {
			v = js.Undefined()
		}
	}()
	return js.Global().Get("sessionStorage")
}
