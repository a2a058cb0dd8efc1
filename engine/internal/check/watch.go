package check

import (
	"errors"
	"fmt"
	"strings"

	"aurora-lab/engine/internal/cluster"
	"aurora-lab/engine/internal/db"
	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/quorum"
	"aurora-lab/engine/internal/redo"
	"aurora-lab/engine/internal/sim"
	"aurora-lab/engine/internal/storage"
	"aurora-lab/engine/internal/volume"
)

// The watch's checkers, in the order Reports returns them.
const (
	wMonotone = iota
	wVDL
	wPGCL
	wLAL
	wRecovery
	wReplica
	wPages
	wConvergence
	wCount
)

var watchNames = [wCount]string{NameMonotone, NameVDL, NamePGCL, NameLAL, NameRecovery, NameReplica, NamePages, NameConvergence}

// Watch checks the storage and volume invariants of one cluster as it
// runs. The zero Watch is ready to use. It follows the cluster it is given:
// when Observe is handed another cluster (a \cluster command started a new
// one), it starts over.
type Watch struct {
	c     *cluster.Cluster
	r     [wCount]Report
	inst  []instView  // by index in c.Instances
	nodes [][]segView // by index in c.Storage, then aligned with Segments()
	// reached is, per volume epoch, the highest VDL a writer of that
	// epoch reached.
	reached []epochVDL
	// opened are the volume epochs a recovery opened, with the VDL it
	// opened at.
	opened []epochVDL
}

type instView struct {
	vol      *volume.Volume // the driver last seen; a recovery opens a new one
	epoch    uint64
	vcl, vdl redo.LSN
	pgcl     []redo.LSN
}

type segView struct {
	seg *storage.Segment
	scl redo.LSN
}

type epochVDL struct {
	epoch uint64
	vdl   redo.LSN
	who   string
}

// NewWatch returns a watch; the zero Watch works as well.
func NewWatch() *Watch { return &Watch{} }

func (w *Watch) reset(c *cluster.Cluster) {
	*w = Watch{c: c}
	for i := range w.r {
		w.r[i] = Report{Name: watchNames[i], OK: true}
	}
}

// Reports returns the verdicts so far, in a fixed order.
func (w *Watch) Reports() []Report {
	if w.c == nil {
		w.reset(nil)
	}
	return append([]Report(nil), w.r[:]...)
}

// Observe checks the cluster as it is now against what the watch saw
// before. Call it after every event, or every few events: each call costs
// a pass over the instances and segments, and allocates nothing unless a
// segment was placed or a violation found.
func (w *Watch) Observe(c *cluster.Cluster) {
	if c != w.c || w.c == nil {
		w.reset(c)
	}
	now := c.Now()
	for len(w.inst) < len(c.Instances) {
		w.inst = append(w.inst, instView{})
	}
	for i, in := range c.Instances {
		w.observeWriter(c, now, in, &w.inst[i])
	}
	owner := c.WriterOf(0)
	for _, in := range c.Instances {
		if in.Role == db.Replica && c.Up(in.ID) {
			w.observeReplica(c, now, in, owner)
		}
	}
	for len(w.nodes) < len(c.Storage) {
		w.nodes = append(w.nodes, nil)
	}
	for i, n := range c.Storage {
		w.observeNode(now, n, &w.nodes[i])
	}
}

func (w *Watch) observeWriter(c *cluster.Cluster, now sim.Time, in *db.Instance, iv *instView) {
	v := in.Vol
	if v == nil {
		iv.vol = nil
		return
	}
	if v != iv.vol {
		w.opening(now, in, v)
		iv.vol, iv.epoch = v, v.Epoch()
		iv.vcl, iv.vdl = v.VCL(), v.VDL()
		iv.pgcl = iv.pgcl[:0]
		w.vdlMoved(c, now, in, iv)
	}
	vcl, vdl := v.VCL(), v.VDL()
	mono := &w.r[wMonotone]
	mono.Checks++
	if vcl < iv.vcl {
		mono.Fail(now, "%s at volume epoch %d: VCL moved backwards %d→%d", in.Name, iv.epoch, iv.vcl, vcl)
	}
	if vdl < iv.vdl {
		mono.Fail(now, "%s at volume epoch %d: VDL moved backwards %d→%d", in.Name, iv.epoch, iv.vdl, vdl)
	}
	moved := vdl != iv.vdl
	iv.vcl, iv.vdl = vcl, vdl
	w.r[wVDL].Checks++
	if vdl > vcl {
		w.r[wVDL].Fail(now, "%s at volume epoch %d: VDL %d is above VCL %d", in.Name, iv.epoch, vdl, vcl)
	}
	if moved {
		w.vdlMoved(c, now, in, iv)
	}
	w.r[wLAL].Checks++
	if !v.CanAllocate(0) { // the LSNs already allocated fit under the limit
		w.r[wLAL].Fail(now, "%s at volume epoch %d: LSN %d was allocated above VDL %d + LAL %d", in.Name, iv.epoch, v.NextLSN()-1, vdl, v.LAL())
	}
	current := iv.epoch == c.VolumeEpoch()
	for j, p := range v.PGs() {
		pgcl := p.PGCL()
		if j == len(iv.pgcl) {
			iv.pgcl = append(iv.pgcl, pgcl)
			continue
		}
		old := iv.pgcl[j]
		iv.pgcl[j] = pgcl
		switch {
		case pgcl < old:
			mono.Fail(now, "%s at volume epoch %d: %v PGCL moved backwards %d→%d", in.Name, iv.epoch, p.ID, old, pgcl)
		case pgcl > old && current:
			w.pgclHeld(c, now, in, p, pgcl)
		}
	}
}

// opening checks a volume driver seen for the first time: one opened by a
// recovery must start at or above every VDL an earlier epoch reached.
func (w *Watch) opening(now sim.Time, in *db.Instance, v *volume.Volume) {
	e := v.Epoch()
	if e <= 1 {
		return // the volume's first epoch, formatted new
	}
	rec := &w.r[wRecovery]
	rec.Checks++
	for _, r := range w.reached {
		if r.epoch < e && r.vdl > v.VDL() {
			rec.Fail(now, "%s opened the volume at epoch %d with VDL %d, below VDL %d that %s reached at epoch %d: commits up to %d were acknowledged",
				in.Name, e, v.VDL(), r.vdl, r.who, r.epoch, r.vdl)
		}
	}
	w.opened = append(w.opened, epochVDL{epoch: e, vdl: v.VDL(), who: in.Name})
}

// vdlMoved checks a writer's new VDL: it must be a CPL, and no recovery of
// a later epoch may have opened the volume below it.
func (w *Watch) vdlMoved(c *cluster.Cluster, now sim.Time, in *db.Instance, iv *instView) {
	vdl := iv.vdl
	found := false
	for i := range w.reached {
		if w.reached[i].epoch == iv.epoch {
			found = true
			if vdl > w.reached[i].vdl {
				w.reached[i].vdl, w.reached[i].who = vdl, in.Name
			}
		}
	}
	if !found {
		w.reached = append(w.reached, epochVDL{epoch: iv.epoch, vdl: vdl, who: in.Name})
	}
	rec := &w.r[wRecovery]
	for _, o := range w.opened {
		if o.epoch > iv.epoch && vdl > o.vdl {
			rec.Checks++
			rec.Fail(now, "%s at volume epoch %d reached VDL %d after %s's recovery opened epoch %d at VDL %d: records in (%d, %d] are truncated",
				in.Name, iv.epoch, vdl, o.who, o.epoch, o.vdl, o.vdl, vdl)
		}
	}
	if vdl == redo.NoLSN {
		return
	}
	r := &w.r[wVDL]
	rec2, ok := findRecord(c, vdl)
	if !ok {
		r.Skipped++
		return
	}
	r.Checks++
	if !rec2.CPL {
		r.Fail(now, "%s at volume epoch %d: VDL %d is not a CPL: the record at %d (%s) does not end a mini-transaction",
			in.Name, iv.epoch, vdl, vdl, rec2.Describe())
	}
}

// findRecord looks for the record with LSN l on any segment.
func findRecord(c *cluster.Cluster, l redo.LSN) (redo.Record, bool) {
	for _, n := range c.Storage {
		for _, s := range n.Segments() {
			if r, ok := s.Record(l); ok {
				return r, true
			}
		}
	}
	return redo.Record{}, false
}

// pgclHeld checks that a write quorum of p's segments hold its chain up to
// pgcl. Segments of crashed nodes count with what they hold durably.
func (w *Watch) pgclHeld(c *cluster.Cluster, now sim.Time, in *db.Instance, p *volume.PG, pgcl redo.LSN) {
	var s quorum.Set
	for i, m := range p.Members {
		n := c.StorageNode(m.Node)
		if n == nil {
			continue
		}
		if seg := n.SegmentByID(p.ID, m.Seg); seg != nil && seg.SCL() >= pgcl {
			s |= 1 << i
		}
	}
	r := &w.r[wPGCL]
	r.Checks++
	if p.Quorum.WriteOK(s) {
		return
	}
	var b strings.Builder
	for i, m := range p.Members {
		if i > 0 {
			b.WriteByte(' ')
		}
		scl := "none"
		if n := c.StorageNode(m.Node); n != nil {
			if seg := n.SegmentByID(p.ID, m.Seg); seg != nil {
				scl = seg.SCL().String()
			}
		}
		fmt.Fprintf(&b, "%s/s%d=%s", m.Name, m.Seg, scl)
	}
	r.Fail(now, "%s: %v PGCL %d, but no write quorum of segments holds its chain that far (SCLs %s)", in.Name, p.ID, pgcl, b.String())
}

func (w *Watch) observeReplica(c *cluster.Cluster, now sim.Time, in, owner *db.Instance) {
	if owner == nil || owner.Vol == nil || !c.Up(owner.ID) || owner.Vol.Epoch() != c.VolumeEpoch() {
		return // no writer has the volume open: nothing to compare with
	}
	r := &w.r[wReplica]
	r.Checks++
	if rv, wv := in.VDL(), owner.Vol.VDL(); rv > wv {
		r.Fail(now, "%s reads at VDL %d, above the VDL %d of the writer %s (volume epoch %d)", in.Name, rv, wv, owner.Name, owner.Vol.Epoch())
	}
}

func (w *Watch) observeNode(now sim.Time, n *storage.Node, views *[]segView) {
	segs := n.Segments()
	if !aligned(*views, segs) {
		*views = realign(*views, segs)
	}
	mono := &w.r[wMonotone]
	for i, s := range segs {
		v := &(*views)[i]
		scl := s.SCL()
		mono.Checks++
		if scl < v.scl && !truncationExplains(n, scl, v.scl) {
			mono.Fail(now, "%s s%d %v: SCL moved backwards %d→%d, and no truncation range explains it", n.Name, s.ID, s.PG, v.scl, scl)
		}
		v.scl = scl
	}
}

func aligned(views []segView, segs []*storage.Segment) bool {
	if len(views) != len(segs) {
		return false
	}
	for i, s := range segs {
		if views[i].seg != s {
			return false
		}
	}
	return true
}

// realign rebuilds the views of a node whose segments changed, keeping
// what it knew of the segments it had.
func realign(old []segView, segs []*storage.Segment) []segView {
	out := make([]segView, len(segs))
	for i, s := range segs {
		out[i] = segView{seg: s, scl: s.SCL()}
		for _, v := range old {
			if v.seg == s {
				out[i].scl = v.scl
			}
		}
	}
	return out
}

// truncationExplains reports whether a truncation range the node holds
// explains an SCL falling from old to scl: the range starts above the new
// SCL and at or below the old one.
func truncationExplains(n *storage.Node, scl, old redo.LSN) bool {
	for _, t := range n.Truncations() {
		if scl < t.From && t.From <= old {
			return true
		}
	}
	return false
}

// CheckPages checks every page of every full segment: the page as the
// segment materialises it at its SCL must equal the replay, from scratch,
// of the page's records found in the backup store and the segment's log.
// It is expensive (it replays every page), so call it at the end of a run
// or now and then. Pages whose records were collected from the log before
// the backup store took them, and damaged data (which scrub repairs), are
// counted as skipped.
func (w *Watch) CheckPages(c *cluster.Cluster) {
	if c != w.c || w.c == nil {
		w.reset(c)
	}
	r := &w.r[wPages]
	now := c.Now()
	staged := map[redo.PGID][]redo.Record{}
	for _, n := range c.Storage {
		for _, s := range n.Segments() {
			if !s.Full || !s.Hydrated() || s.Retired() {
				continue
			}
			at := s.SCL()
			st, ok := staged[s.PG]
			if !ok {
				st = c.Backup.Records(s.PG, ^redo.LSN(0))
				staged[s.PG] = st
			}
			for _, id := range pagesOf(s, at) {
				m, err := s.Materialize(id, at)
				if err != nil {
					r.Skipped++
					continue
				}
				p, err := s.Replay(id, at, st)
				if errors.Is(err, storage.ErrCollected) {
					r.Skipped++
					continue
				}
				r.Checks++
				if err != nil {
					r.Fail(now, "%s s%d %v %v at LSN %d: the page's log does not replay: %v", n.Name, s.ID, s.PG, id, at, err)
					continue
				}
				if !m.Equal(p) {
					r.Fail(now, "%s s%d %v %v at LSN %d: the materialised page differs from the replay of its log: %s", n.Name, s.ID, s.PG, id, at, pageDiff(m, p))
				}
			}
		}
	}
}

// pagesOf returns the pages a segment holds a base of or records for, up
// to at, in order.
func pagesOf(s *storage.Segment, at redo.LSN) []redo.PageID {
	ids := s.Pages()
	for _, rec := range s.Records(redo.NoLSN, at) {
		ids = append(ids, rec.Page)
	}
	return sortedUnique(ids)
}

func sortedUnique(ids []redo.PageID) []redo.PageID {
	for i := 1; i < len(ids); i++ { // insertion sort: a handful of pages
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
	out := ids[:0]
	for i, id := range ids {
		if i == 0 || id != ids[i-1] {
			out = append(out, id)
		}
	}
	return out
}

func pageDiff(a, b *page.Page) string {
	return fmt.Sprintf("materialised LSN %d with %d rows, replayed LSN %d with %d rows", a.LSN, len(a.Rows), b.LSN, len(b.Rows))
}

// CheckConvergence checks that every protection group has converged: each
// segment of its membership is on a node that is up, they all have the
// same SCL, and the full ones materialise the same pages at it. Call it
// after the faults have healed and the cluster has been quiet for a while.
func (w *Watch) CheckConvergence(c *cluster.Cluster) {
	if c != w.c || w.c == nil {
		w.reset(c)
	}
	r := &w.r[wConvergence]
	now := c.Now()
	for pg := redo.PGID(1); int(pg) <= c.PGCount(); pg++ {
		r.Checks++
		if c.Changing(pg) {
			r.Fail(now, "%v: a membership change is still in progress", pg)
			continue
		}
		type member struct {
			n *storage.Node
			s *storage.Segment
		}
		var ms []member
		var desc []string
		ok := true
		for i := range len(c.Members(pg)) {
			s, n := c.MemberSegment(pg, i)
			if s == nil {
				r.Fail(now, "%v: slot %d has no segment", pg, i)
				ok = false
				break
			}
			ms = append(ms, member{n, s})
			desc = append(desc, fmt.Sprintf("%s/s%d=%d", n.Name, s.ID, s.SCL()))
			if !c.Up(n.ID) {
				r.Fail(now, "%v: %s is still down", pg, n.Name)
				ok = false
			}
		}
		if !ok || len(ms) == 0 {
			continue
		}
		scl := ms[0].s.SCL()
		for _, m := range ms[1:] {
			if m.s.SCL() != scl {
				r.Fail(now, "%v did not converge: SCLs %s", pg, strings.Join(desc, " "))
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		var ref *storage.Segment
		var refNode *storage.Node
		for _, m := range ms {
			if !m.s.Full {
				continue
			}
			if ref == nil {
				ref, refNode = m.s, m.n
				continue
			}
			ids := sortedUnique(append(pagesOf(ref, scl), pagesOf(m.s, scl)...))
			for _, id := range ids {
				a, errA := ref.Materialize(id, scl)
				b, errB := m.s.Materialize(id, scl)
				switch {
				case errA != nil || errB != nil:
					r.Fail(now, "%v %v at SCL %d: %s says %v, %s says %v", pg, id, scl, refNode.Name, errA, m.n.Name, errB)
				case !a.Equal(b):
					r.Fail(now, "%v %v at SCL %d: %s and %s hold different pages: %s", pg, id, scl, refNode.Name, m.n.Name, pageDiff(a, b))
				}
			}
		}
	}
}
