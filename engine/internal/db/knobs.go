package db

import "aurora-lab/engine/internal/sim"

// SetStatementTimeout changes how long the instance's statements may wait
// from now on (\set timeout=...); statements already waiting keep theirs.
func (in *Instance) SetStatementTimeout(d sim.Time) { in.cfg.StatementTimeout = d }
