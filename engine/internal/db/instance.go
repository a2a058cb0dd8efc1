// Package db models the database instances: the writer, which turns
// statements into redo records and acknowledges commits when the volume's
// VDL passes them, and the read replicas fed by its log stream.
package db

import (
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/volume"
	"aurora-lab/engine/internal/wire"
)

// Role is what an instance does.
type Role uint8

// Instance roles.
const (
	Writer Role = iota + 1
	Replica
)

func (r Role) String() string {
	switch r {
	case Writer:
		return "writer"
	case Replica:
		return "replica"
	}
	return "role?"
}

// Instance is one database instance.
type Instance struct {
	ID   sim.NodeID
	Name string
	AZ   string
	Role Role
	Vol  *volume.Volume // the writer's volume driver; nil on a replica

	waiting []commitWait // commits waiting for VDL, in LSN order
}

type commitWait struct {
	lsn  redo.LSN
	done func(at sim.Time)
}

// NewInstance returns an instance.
func NewInstance(id sim.NodeID, name, az string, role Role) *Instance {
	return &Instance{ID: id, Name: name, AZ: az, Role: role}
}

// Handle processes one message addressed to the instance.
func (in *Instance) Handle(env wire.Env, m *wire.Msg) {
	if in.Vol != nil && in.Vol.Handle(env, m) {
		in.releaseCommits(env)
	}
}

// Crash drops the instance's volatile state.
func (in *Instance) Crash() {
	in.waiting = nil
}

// WaitDurable calls done once VDL reaches lsn: the asynchronous commit of
// SIGMOD'17 §4.2.2. The worker does not wait; done runs from the event that
// moves VDL.
func (in *Instance) WaitDurable(env wire.Env, lsn redo.LSN, done func(at sim.Time)) {
	if lsn <= in.Vol.VDL() {
		done(env.Now())
		return
	}
	in.waiting = append(in.waiting, commitWait{lsn: lsn, done: done})
}

func (in *Instance) releaseCommits(env wire.Env) {
	vdl := in.Vol.VDL()
	n := 0
	for n < len(in.waiting) && in.waiting[n].lsn <= vdl {
		in.waiting[n].done(env.Now())
		n++
	}
	in.waiting = in.waiting[n:]
}
