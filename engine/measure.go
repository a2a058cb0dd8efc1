package engine

// Figures for benchmarks: plain reads of what the engine counted.

// ReplicaLag returns the lag samples instance name has recorded (a replica,
// or a writer of a multi-master cluster following the others), oldest
// first: for each VDL it applied from the log stream, how long after the
// writer reached that VDL it did.
func (l *Lab) ReplicaLag(name string) []Time {
	if in := l.c.Instance(name); in != nil {
		return append([]Time(nil), in.Lag()...)
	}
	return nil
}

// WriterCounts reports, for writer name, its committed transactions and
// the statements that lost a write conflict.
func (l *Lab) WriterCounts(name string) (commits, conflicts int64) {
	in := l.c.Instance(name)
	if in == nil {
		return 0, 0
	}
	return in.Stats().Commits, in.MultiStats().Conflicts
}
