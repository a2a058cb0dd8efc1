package cluster

import "aurora-lab/engine/internal/sim"

// SetStatementTimeout changes the statement timeout of every instance, for
// the statements submitted from now on, and of the instances a failover or
// a restart brings up later.
func (c *Cluster) SetStatementTimeout(d sim.Time) {
	c.cfg.StatementTimeout = d
	for _, in := range c.Instances {
		in.SetStatementTimeout(d)
	}
}
