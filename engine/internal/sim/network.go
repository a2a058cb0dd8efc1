package sim

// NodeID names a node of the world by its index in the network. The
// cluster gives each storage node and database instance one.
type NodeID uint16

// NetConfig holds the network knobs of a world.
type NetConfig struct {
	LatencySameAZ  Time    // one-way delay between two nodes of one AZ
	LatencyCrossAZ Time    // one-way delay between AZs
	JitterPercent  float64 // each delay spread uniformly by ± this percent
	LossPercent    float64 // chance that any one message is lost
	// BandwidthBytesPerSec is the capacity of each directed link. A message
	// occupies its link for size/bandwidth, so large transfers (a segment
	// being repaired) queue behind each other. Zero means unlimited.
	BandwidthBytesPerSec int64
}

// Network decides, for each message, whether it arrives and when. It holds
// the fault state that the console changes: crashed nodes, partitions,
// per-link latency and loss, slow nodes.
type Network struct {
	cfg  NetConfig
	n    int
	az   []uint8
	up   []bool
	slow []Time // extra delay for every message to or from the node
	// per directed link, indexed from*n+to
	blocked   []bool
	extra     []Time    // added one-way latency
	loss      []float64 // extra loss percent
	busyUntil []Time    // when the link finishes sending what it holds
	// links holds what Route needs of each directed link, worked out
	// from the knobs above whenever one of them changes (see refresh),
	// so a message costs no sum of delays and no float division.
	links []link
}

// link is a directed link's delay and loss as the knobs make them.
type link struct {
	base Time // BaseLatency
	// jitter says whether a delay is spread (and a random draw made):
	// the jitter knob is set and base is above zero. fbase and span are
	// base as a float and the spread's half width, computed as
	// Rand.Jitter computes them, so the delays come out the same.
	jitter      bool
	fbase, span float64
	loss        float64 // the network's loss percent plus the link's own
}

// NewNetwork returns a network of nodes placed in the given AZs (one entry
// per node), all up, with no faults.
func NewNetwork(cfg NetConfig, azOf []uint8) *Network {
	n := len(azOf)
	nw := &Network{cfg: cfg, n: n, az: append([]uint8(nil), azOf...)}
	nw.up = make([]bool, n)
	for i := range nw.up {
		nw.up[i] = true
	}
	nw.slow = make([]Time, n)
	nw.blocked = make([]bool, n*n)
	nw.extra = make([]Time, n*n)
	nw.loss = make([]float64, n*n)
	nw.busyUntil = make([]Time, n*n)
	nw.links = make([]link, n*n)
	nw.refreshAll()
	return nw
}

// refresh works out the link from a to b again after a knob changed.
func (nw *Network) refresh(a, b NodeID) {
	l := int(a)*nw.n + int(b)
	k := link{base: nw.BaseLatency(a, b), loss: nw.cfg.LossPercent + nw.loss[l]}
	if pct := nw.cfg.JitterPercent; pct > 0 && k.base > 0 {
		k.jitter = true
		k.fbase = float64(k.base)
		k.span = float64(k.base) * pct / 100
	}
	nw.links[l] = k
}

// refreshAll works out every link again.
func (nw *Network) refreshAll() {
	for a := range nw.n {
		for b := range nw.n {
			nw.refresh(NodeID(a), NodeID(b))
		}
	}
}

// Config returns the network's knobs.
func (nw *Network) Config() NetConfig { return nw.cfg }

// SetConfig replaces the network-wide knobs.
func (nw *Network) SetConfig(c NetConfig) {
	nw.cfg = c
	nw.refreshAll()
}

// Size reports the number of nodes.
func (nw *Network) Size() int { return nw.n }

// AZ reports the AZ index of node id.
func (nw *Network) AZ(id NodeID) uint8 { return nw.az[id] }

// Up reports whether node id is running.
func (nw *Network) Up(id NodeID) bool { return nw.up[id] }

// SetUp marks node id as running or crashed. A crashed node neither sends
// nor receives.
func (nw *Network) SetUp(id NodeID, up bool) { nw.up[id] = up }

// Slow reports the extra delay of node id.
func (nw *Network) Slow(id NodeID) Time { return nw.slow[id] }

// SetSlow adds delay d to every message to or from node id; zero clears it.
func (nw *Network) SetSlow(id NodeID, d Time) {
	nw.slow[id] = d
	for o := range nw.n {
		nw.refresh(id, NodeID(o))
		nw.refresh(NodeID(o), id)
	}
}

// Block cuts (or with false restores) the link between a and b in both
// directions.
func (nw *Network) Block(a, b NodeID, blocked bool) {
	nw.blocked[int(a)*nw.n+int(b)] = blocked
	nw.blocked[int(b)*nw.n+int(a)] = blocked
}

// Blocked reports whether the directed link from a to b is cut.
func (nw *Network) Blocked(a, b NodeID) bool { return nw.blocked[int(a)*nw.n+int(b)] }

// HealAll restores every cut link.
func (nw *Network) HealAll() {
	clear(nw.blocked)
}

// SetLinkLatency adds d to the one-way delay between a and b, both ways.
func (nw *Network) SetLinkLatency(a, b NodeID, d Time) {
	nw.extra[int(a)*nw.n+int(b)] = d
	nw.extra[int(b)*nw.n+int(a)] = d
	nw.refresh(a, b)
	nw.refresh(b, a)
}

// LinkLatency reports the extra delay set on the link from a to b.
func (nw *Network) LinkLatency(a, b NodeID) Time { return nw.extra[int(a)*nw.n+int(b)] }

// SetLinkLoss sets an extra loss percentage between a and b, both ways.
func (nw *Network) SetLinkLoss(a, b NodeID, pct float64) {
	nw.loss[int(a)*nw.n+int(b)] = pct
	nw.loss[int(b)*nw.n+int(a)] = pct
	nw.refresh(a, b)
	nw.refresh(b, a)
}

// LinkLoss reports the extra loss percent on the link from a to b.
func (nw *Network) LinkLoss(a, b NodeID) float64 { return nw.loss[int(a)*nw.n+int(b)] }

// BaseLatency reports the one-way delay from a to b before jitter and
// queueing: the AZ distance, the link's extra delay and both nodes' slowness.
func (nw *Network) BaseLatency(a, b NodeID) Time {
	d := nw.cfg.LatencyCrossAZ
	if nw.az[a] == nw.az[b] {
		d = nw.cfg.LatencySameAZ
	}
	return d + nw.extra[int(a)*nw.n+int(b)] + nw.slow[a] + nw.slow[b]
}

// Route decides the fate of a message of size bytes sent from a to b at
// time now: the time it arrives, or false when it is lost (a crashed end,
// a cut link, or bad luck). A message from a node to itself arrives at once
// and is never lost. Random draws happen only for knobs that are set, so
// adding a fault knob does not disturb runs that do not use it.
func (nw *Network) Route(now Time, a, b NodeID, size int, r *Rand) (Time, bool) {
	if !nw.up[a] || !nw.up[b] {
		return 0, false
	}
	if a == b {
		return now, true
	}
	l := int(a)*nw.n + int(b)
	if nw.blocked[l] {
		return 0, false
	}
	k := &nw.links[l]
	if k.loss > 0 && r.Chance(k.loss) {
		return 0, false
	}
	start := now
	if bw := nw.cfg.BandwidthBytesPerSec; bw > 0 && size > 0 {
		if nw.busyUntil[l] > start {
			start = nw.busyUntil[l]
		}
		start += Time(int64(size) * int64(Second) / bw)
		nw.busyUntil[l] = start
	}
	d := k.base
	if k.jitter {
		// Rand.Jitter, with the link's figures worked out beforehand.
		v := k.fbase + (r.float64()*2-1)*k.span
		if v < 0 {
			d = 0
		} else {
			d = Time(v)
		}
	}
	return start + d, true
}
