package cluster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"aurora-lab/engine/internal/sim"
)

// Config is the shape of a cluster: its seed, its instances, its storage
// geometry and the knobs of its network, disks and timeouts. The zero value
// is not valid; start from Default.
type Config struct {
	Seed       uint64
	Writers    int
	Replicas   int
	NodesPerAZ int // storage nodes per AZ; 3 AZs always
	PGs        int // protection groups at start; the volume grows from there

	LatencySameAZ  sim.Time
	LatencyCrossAZ sim.Time
	JitterPercent  float64
	LossPercent    float64
	BandwidthMbps  int64 // per link; 0 is unlimited
	PersistLatency sim.Time

	// TailSegments gives each PG three full segments (log and pages) and
	// three tail segments (log only), with the quorum rules of SIGMOD'18
	// §4.2, instead of six full ones.
	TailSegments bool

	PagesPerPG  int // pages in one protection group
	RowsPerPage int // rows a leaf page holds before it splits
	CachePages  int // pages an instance's buffer cache aims to hold

	LAL              uint64   // LSN allocation limit
	StatementTimeout sim.Time // how long a statement may wait before it fails
	BoxcarDelay      sim.Time
	RetryInterval    sim.Time
	HedgeAfter       sim.Time
	// FailoverAfter is how long the control plane waits without hearing
	// from the writer before it promotes a replica; 0 leaves failover to
	// the \failover command.
	FailoverAfter sim.Time
}

// Default returns the default cluster: one writer, one replica, six storage
// nodes in three AZs, latencies of a cloud region.
func Default() Config {
	return Config{
		Seed:             1,
		Writers:          1,
		Replicas:         1,
		NodesPerAZ:       2,
		PGs:              1,
		PagesPerPG:       32,
		RowsPerPage:      4,
		CachePages:       256,
		LatencySameAZ:    100 * sim.Microsecond,
		LatencyCrossAZ:   500 * sim.Microsecond,
		JitterPercent:    20,
		BandwidthMbps:    10_000,
		PersistLatency:   150 * sim.Microsecond,
		LAL:              1000,
		StatementTimeout: 2 * sim.Second,
		BoxcarDelay:      0,
		RetryInterval:    20 * sim.Millisecond,
		HedgeAfter:       2 * sim.Millisecond,
		FailoverAfter:    1 * sim.Second,
	}
}

// Validate reports the first thing wrong with c.
func (c Config) Validate() error {
	switch {
	case c.Writers < 1 || c.Writers > 16:
		return fmt.Errorf("writers=%d: must be between 1 and 16", c.Writers)
	case c.Replicas < 0 || c.Replicas > 15:
		return fmt.Errorf("replicas=%d: must be between 0 and 15", c.Replicas)
	case c.Writers > 1 && c.Replicas > 0:
		return fmt.Errorf("writers=%d with replicas=%d: a multi-master cluster has no read replicas", c.Writers, c.Replicas)
	case c.NodesPerAZ < 2 || c.NodesPerAZ > 9:
		return fmt.Errorf("nodes_per_az=%d: must be between 2 and 9", c.NodesPerAZ)
	case c.PGs < 1 || c.PGs > 10000:
		return fmt.Errorf("pgs=%d: must be between 1 and 10000", c.PGs)
	case c.LatencySameAZ < 0 || c.LatencyCrossAZ < 0 || c.PersistLatency < 0:
		return fmt.Errorf("latencies must not be negative")
	case c.JitterPercent < 0 || c.JitterPercent > 100:
		return fmt.Errorf("jitter=%v: must be a percentage between 0 and 100", c.JitterPercent)
	case c.LossPercent < 0 || c.LossPercent > 100:
		return fmt.Errorf("loss=%v: must be a percentage between 0 and 100", c.LossPercent)
	case c.BandwidthMbps < 0:
		return fmt.Errorf("bandwidth must not be negative")
	case c.PagesPerPG < 8 || c.PagesPerPG > 1<<20:
		return fmt.Errorf("pages_per_pg=%d: must be between 8 and %d", c.PagesPerPG, 1<<20)
	case c.RowsPerPage < 2 || c.RowsPerPage > 1000:
		return fmt.Errorf("rows_per_page=%d: must be between 2 and 1000", c.RowsPerPage)
	case c.CachePages < 4:
		return fmt.Errorf("cache=%d: must be at least 4 pages", c.CachePages)
	case c.HedgeAfter <= 0:
		return fmt.Errorf("hedge must be positive")
	case c.LAL < uint64(2*c.RowsPerPage+8):
		return fmt.Errorf("lal=%d: must be at least %d, the largest mini-transaction (a leaf split with rows_per_page=%d)", c.LAL, 2*c.RowsPerPage+8, c.RowsPerPage)
	case c.FailoverAfter < 0:
		return fmt.Errorf("failover_after must not be negative")
	case c.StatementTimeout <= 0:
		return fmt.Errorf("timeout must be positive")
	}
	return nil
}

// knob is one key of the \cluster command.
type knob struct {
	name string
	help string
	set  func(c *Config, v string) error
	get  func(c *Config) string
}

var knobs = []knob{
	{"seed", "the seed of the run's one random source", func(c *Config, v string) error { return setUint(&c.Seed, v) }, func(c *Config) string { return strconv.FormatUint(c.Seed, 10) }},
	{"writers", "writer instances w1..wN (1 to 16; more than 1 is multi-master)", func(c *Config, v string) error { return setInt(&c.Writers, v) }, func(c *Config) string { return strconv.Itoa(c.Writers) }},
	{"replicas", "read replicas r1..rN (0 to 15)", func(c *Config, v string) error { return setInt(&c.Replicas, v) }, func(c *Config) string { return strconv.Itoa(c.Replicas) }},
	{"nodes_per_az", "storage nodes in each of the AZs a, b and c", func(c *Config, v string) error { return setInt(&c.NodesPerAZ, v) }, func(c *Config) string { return strconv.Itoa(c.NodesPerAZ) }},
	{"pgs", "protection groups at start", func(c *Config, v string) error { return setInt(&c.PGs, v) }, func(c *Config) string { return strconv.Itoa(c.PGs) }},
	{"tail", "1 for 3 full and 3 tail segments per PG (write 4/6 or 3/3 full, read 3/6 and 1/3 full)", func(c *Config, v string) error { return setBool(&c.TailSegments, v) }, func(c *Config) string { return fmtBool(c.TailSegments) }},
	{"pages_per_pg", "pages in one protection group (the model's 10 GB)", func(c *Config, v string) error { return setInt(&c.PagesPerPG, v) }, func(c *Config) string { return strconv.Itoa(c.PagesPerPG) }},
	{"rows_per_page", "rows a leaf page holds before it splits", func(c *Config, v string) error { return setInt(&c.RowsPerPage, v) }, func(c *Config) string { return strconv.Itoa(c.RowsPerPage) }},
	{"cache", "pages an instance's buffer cache holds", func(c *Config, v string) error { return setInt(&c.CachePages, v) }, func(c *Config) string { return strconv.Itoa(c.CachePages) }},
	{"latency", "one-way network delay within an AZ", func(c *Config, v string) error { return setTime(&c.LatencySameAZ, v) }, func(c *Config) string { return c.LatencySameAZ.String() }},
	{"latency_cross", "one-way network delay between AZs", func(c *Config, v string) error { return setTime(&c.LatencyCrossAZ, v) }, func(c *Config) string { return c.LatencyCrossAZ.String() }},
	{"jitter", "spread of each delay, in percent", func(c *Config, v string) error { return setFloat(&c.JitterPercent, v) }, func(c *Config) string { return fmtFloat(c.JitterPercent) }},
	{"loss", "chance that a message is lost, in percent", func(c *Config, v string) error { return setFloat(&c.LossPercent, v) }, func(c *Config) string { return fmtFloat(c.LossPercent) }},
	{"bandwidth", "capacity of each link in Mbit/s (0: unlimited)", func(c *Config, v string) error { return setInt64(&c.BandwidthMbps, v) }, func(c *Config) string { return strconv.FormatInt(c.BandwidthMbps, 10) }},
	{"persist", "time a storage node's disk takes to persist a batch", func(c *Config, v string) error { return setTime(&c.PersistLatency, v) }, func(c *Config) string { return c.PersistLatency.String() }},
	{"lal", "LSN allocation limit: no LSN above VDL+LAL", func(c *Config, v string) error { return setUint(&c.LAL, v) }, func(c *Config) string { return strconv.FormatUint(c.LAL, 10) }},
	{"timeout", "how long a statement waits before it fails", func(c *Config, v string) error { return setTime(&c.StatementTimeout, v) }, func(c *Config) string { return c.StatementTimeout.String() }},
	{"boxcar", "how long a PG's send buffer fills before it leaves", func(c *Config, v string) error { return setTime(&c.BoxcarDelay, v) }, func(c *Config) string { return c.BoxcarDelay.String() }},
	{"hedge", "how long a page read waits before also asking a second segment", func(c *Config, v string) error { return setTime(&c.HedgeAfter, v) }, func(c *Config) string { return c.HedgeAfter.String() }},
	{"failover_after", "how long the writer may be silent before a replica is promoted (0: only \\failover)", func(c *Config, v string) error { return setTime(&c.FailoverAfter, v) }, func(c *Config) string { return c.FailoverAfter.String() }},
	{"retry", "how long the writer waits before resending unacknowledged records", func(c *Config, v string) error { return setTime(&c.RetryInterval, v) }, func(c *Config) string { return c.RetryInterval.String() }},
}

// KnobNames returns the keys \cluster accepts, in their documented order.
func KnobNames() []string {
	names := make([]string, len(knobs))
	for i, k := range knobs {
		names[i] = k.name
	}
	return names
}

// KnobHelp returns one line of help per knob.
func KnobHelp() []string {
	out := make([]string, len(knobs))
	for i, k := range knobs {
		out[i] = fmt.Sprintf("%-13s %s", k.name, k.help)
	}
	return out
}

// IsKnob reports whether name is a key \cluster accepts.
func IsKnob(name string) bool {
	return slices.ContainsFunc(knobs, func(k knob) bool { return k.name == name })
}

// Set sets the knob name from its text value.
func (c *Config) Set(name, value string) error {
	for _, k := range knobs {
		if k.name == name {
			if err := k.set(c, value); err != nil {
				return fmt.Errorf("%s=%s: %v", name, value, err)
			}
			return nil
		}
	}
	return fmt.Errorf("unknown cluster setting %q (known: %s)", name, strings.Join(KnobNames(), ", "))
}

// String prints every knob as key=value, in the documented order: the
// canonical form of a configuration, which \cluster reads back.
func (c Config) String() string {
	parts := make([]string, len(knobs))
	for i, k := range knobs {
		parts[i] = k.name + "=" + k.get(&c)
	}
	return strings.Join(parts, " ")
}

func setInt(p *int, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("not a whole number")
	}
	*p = n
	return nil
}

func setInt64(p *int64, v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("not a whole number")
	}
	*p = n
	return nil
}

func setUint(p *uint64, v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("not a whole number")
	}
	*p = n
	return nil
}

func setFloat(p *float64, v string) error {
	v = strings.TrimSuffix(v, "%")
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return fmt.Errorf("not a number")
	}
	*p = f
	return nil
}

func setTime(p *sim.Time, v string) error {
	d, err := sim.ParseDuration(v)
	if err != nil {
		return err
	}
	*p = d
	return nil
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func setBool(p *bool, v string) error {
	switch v {
	case "1", "true", "on", "yes":
		*p = true
	case "0", "false", "off", "no":
		*p = false
	default:
		return fmt.Errorf("expected 1 or 0")
	}
	return nil
}

func fmtBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
