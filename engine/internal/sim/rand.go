package sim

import "math/rand/v2"

// Rand is the world's one source of randomness. Every random choice in the
// model draws from the Rand of its world, in a deterministic order, so the
// same seed gives the same run.
type Rand struct {
	r *rand.Rand
	// src is r's source. The draws on every message (jitter, loss) take
	// their floats from it directly, as rand.Rand would, without the
	// call through the Source interface.
	src *rand.PCG
}

// NewRand returns a source seeded from seed.
func NewRand(seed uint64) *Rand {
	src := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	return &Rand{r: rand.New(src), src: src}
}

// float64 is rand.Rand's Float64 over src: there are exactly 1<<53
// float64s in [0,1).
func (r *Rand) float64() float64 {
	return float64(r.src.Uint64()<<11>>11) / (1 << 53)
}

// IntN returns a uniform int in [0, n). n must be positive.
func (r *Rand) IntN(n int) int { return r.r.IntN(n) }

// Uint64 returns a uniform 64-bit value.
func (r *Rand) Uint64() uint64 { return r.src.Uint64() }

// Float64 returns a uniform float in [0, 1).
func (r *Rand) Float64() float64 { return r.float64() }

// Chance reports true with probability pct percent.
func (r *Rand) Chance(pct float64) bool {
	if pct <= 0 {
		return false
	}
	if pct >= 100 {
		return true
	}
	return r.float64()*100 < pct
}

// Jitter returns d spread uniformly by ±pct percent, never below zero.
func (r *Rand) Jitter(d Time, pct float64) Time {
	if pct <= 0 || d <= 0 {
		return d
	}
	span := float64(d) * pct / 100
	v := float64(d) + (r.float64()*2-1)*span
	if v < 0 {
		return 0
	}
	return Time(v)
}
