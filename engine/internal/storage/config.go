package storage

import (
	"fmt"

	"aurora-lab/engine/internal/sim"
)

// Config holds a storage node's knobs. The zero value of a field means its
// default (see [DefaultConfig]); a negative interval turns that background
// step off, which tests use to watch one step at a time.
type Config struct {
	// PersistLatency is how long the node's disk takes to make one batch
	// durable. Batches queue: the disk persists one at a time.
	PersistLatency sim.Time
	// DiskBytesPerSec adds size/DiskBytesPerSec to each persist; zero
	// means the disk's time does not depend on size.
	DiskBytesPerSec int64

	// GossipInterval is how often each segment may gossip with a peer to
	// fill gaps (step 4); each round is jittered by JitterPercent.
	GossipInterval sim.Time
	// GossipIdleRounds is how many gossip rounds a segment with no gap and
	// no sign of being behind lets pass before it gossips anyway, to find
	// a lost write at the end of its log.
	GossipIdleRounds int
	// GossipBatchRecords bounds the records of one GossipReply.
	GossipBatchRecords int

	// CoalesceInterval is how often full segments advance their base
	// pages (step 5).
	CoalesceInterval sim.Time
	// StageInterval is how often segments stage durable records to the
	// backup store (step 6). Staging happens only with HasBackup.
	StageInterval sim.Time
	// StageBatchRecords bounds the records of one Stage message.
	StageBatchRecords int
	// GCInterval is how often segments drop records that are both
	// coalesced (or, on a tail segment, below PGMRPL) and staged (step 7).
	GCInterval sim.Time
	// ScrubInterval is how often scrub checks a slice of the stored
	// records and pages against their checksums (step 8), and
	// ScrubBatch how many items one round checks on the whole node.
	ScrubInterval sim.Time
	ScrubBatch    int

	// HydrateRetryInterval is how long a new segment waits for a peer's
	// HydrateData before asking the next peer.
	HydrateRetryInterval sim.Time
	// RecoverHeadsMax bounds RecoverInfo.Above, so that crash recovery
	// costs the same whatever the log's length.
	RecoverHeadsMax int
	// JitterPercent spreads every background interval.
	JitterPercent float64

	// HasBackup says whether Backup names the backup store node.
	HasBackup bool
	Backup    sim.NodeID

	// Store is the node's disk; nil gives a fresh MemStore.
	Store Store

	// Conflicts turns on multi-master conflict detection: segments vote
	// on each change to a page version (see multi.go).
	Conflicts bool
	// Streams is the number of writer streams (the writers), with
	// Conflicts: gossip takes turns over all of them, including one a
	// segment has not heard a record of yet.
	Streams int
}

// DefaultConfig returns the default knobs.
func DefaultConfig() Config {
	return Config{
		PersistLatency:       150 * sim.Microsecond,
		GossipInterval:       20 * sim.Millisecond,
		GossipIdleRounds:     10,
		GossipBatchRecords:   128,
		CoalesceInterval:     50 * sim.Millisecond,
		StageInterval:        100 * sim.Millisecond,
		StageBatchRecords:    512,
		GCInterval:           100 * sim.Millisecond,
		ScrubInterval:        200 * sim.Millisecond,
		ScrubBatch:           256,
		HydrateRetryInterval: 2 * sim.Second,
		RecoverHeadsMax:      4096,
		JitterPercent:        20,
	}
}

// withDefaults fills the zero fields of c from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.PersistLatency == 0 {
		c.PersistLatency = d.PersistLatency
	}
	def := func(v *sim.Time, dv sim.Time) {
		if *v == 0 {
			*v = dv
		}
	}
	def(&c.GossipInterval, d.GossipInterval)
	def(&c.CoalesceInterval, d.CoalesceInterval)
	def(&c.StageInterval, d.StageInterval)
	def(&c.GCInterval, d.GCInterval)
	def(&c.ScrubInterval, d.ScrubInterval)
	def(&c.HydrateRetryInterval, d.HydrateRetryInterval)
	defInt := func(v *int, dv int) {
		if *v == 0 {
			*v = dv
		}
	}
	defInt(&c.GossipIdleRounds, d.GossipIdleRounds)
	defInt(&c.GossipBatchRecords, d.GossipBatchRecords)
	defInt(&c.StageBatchRecords, d.StageBatchRecords)
	defInt(&c.ScrubBatch, d.ScrubBatch)
	defInt(&c.RecoverHeadsMax, d.RecoverHeadsMax)
	if c.JitterPercent == 0 {
		c.JitterPercent = d.JitterPercent
	}
	if c.Store == nil {
		c.Store = NewMemStore()
	}
	return c
}

// Validate reports the first thing wrong with c.
func (c Config) Validate() error {
	switch {
	case c.PersistLatency < 0:
		return fmt.Errorf("storage: persist latency %v must not be negative", c.PersistLatency)
	case c.DiskBytesPerSec < 0:
		return fmt.Errorf("storage: disk bandwidth %d must not be negative", c.DiskBytesPerSec)
	case c.GossipBatchRecords < 0 || c.StageBatchRecords < 0 || c.ScrubBatch < 0 || c.RecoverHeadsMax < 0 || c.GossipIdleRounds < 0:
		return fmt.Errorf("storage: batch sizes must not be negative")
	case c.JitterPercent < 0 || c.JitterPercent > 100:
		return fmt.Errorf("storage: jitter %v%% must be between 0 and 100", c.JitterPercent)
	}
	return nil
}
