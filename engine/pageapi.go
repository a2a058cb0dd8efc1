package engine

import (
	"aurora-lab/engine/internal/script"
	"aurora-lab/engine/internal/sim"
)

// This file holds the small helpers the page (wasm/) needs from the facade.
// They add no model logic: they expose what the console language and the
// event loop already know.

// Never is a time later than any event: NextAt when nothing is pending.
const Never = sim.Never

// Complete reports whether src ends at an item boundary: no SQL statement
// is left open (unterminated), no quote or block comment unclosed. The
// page's console runs its input on Enter when it is complete and starts a
// new line otherwise.
func Complete(src string) bool { return script.Complete(src) }

// NextAt reports when the next Step would happen: the time of the next
// event, or of a console waking from \run, whichever is first; Never when
// nothing is pending. The page uses it to advance time without stepping
// past the moment it wants to show.
func (l *Lab) NextAt() Time { return min(l.c.NextEvent(), l.nextWake()) }

// Restore rebuilds a Lab that was at simulated time now after events
// events, from its starting configuration and command log: Replay of the
// log, then the events that followed the last input, one by one, so a Lab
// saved between two events of the same instant (after Step) comes back
// exactly there, then the clock moved on to now.
func Restore(cfg Config, log []Entry, now Time, events uint64) (*Lab, error) {
	l, err := Replay(cfg, log, 0)
	if err != nil {
		return nil, err
	}
	l.advanceTo(now, events)
	return l, nil
}

// NoteCount reports how many notes the running cluster has made: the
// cursor just past the newest note, which SnapshotSince may be given. A
// \cluster starts a new cluster whose notes count from zero again.
func (l *Lab) NoteCount() uint64 {
	_, n := l.c.Notes(0)
	return n
}
