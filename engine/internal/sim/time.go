// Package sim is the deterministic ground the model stands on: simulated
// time, the one seeded random source, the event queue ordered by (time,
// sequence), and the network that carries every message between nodes.
//
// Nothing in this package reads the wall clock, starts a goroutine or uses a
// global random source, so a run is a pure function of its seed and the
// commands fed to it.
package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// Time is simulated time in nanoseconds since the world began. It doubles as
// a duration.
type Time int64

// Units of simulated time.
const (
	Nanosecond  Time = 1
	Microsecond Time = 1000 * Nanosecond
	Millisecond Time = 1000 * Microsecond
	Second      Time = 1000 * Millisecond
	Minute      Time = 60 * Second
)

// Never is a time later than any event.
const Never Time = 1<<63 - 1

// String formats t with the largest unit that keeps it readable and at most
// three decimals: 250us, 1.5ms, 3s. The format is stable: transcripts and
// golden files depend on it.
func (t Time) String() string {
	if t == Never {
		return "never"
	}
	var buf [32]byte
	return string(t.Append(buf[:0]))
}

// Append appends t to b as String formats it. A console prints a time with
// every statement: built in the caller's buffer, it costs no allocation of
// its own.
func (t Time) Append(b []byte) []byte {
	if t == Never {
		return append(b, "never"...)
	}
	if t < 0 {
		b = append(b, '-')
		t = -t
	}
	switch {
	case t == 0:
		return append(b, "0s"...)
	case t < Microsecond:
		return append(strconv.AppendInt(b, int64(t), 10), "ns"...)
	case t < Millisecond:
		return append(appendDecimal(b, int64(t), int64(Microsecond)), "us"...)
	case t < Second:
		return append(appendDecimal(b, int64(t), int64(Millisecond)), "ms"...)
	}
	return append(appendDecimal(b, int64(t), int64(Second)), 's')
}

// appendDecimal appends v/unit with up to three decimals and no trailing
// zeros.
func appendDecimal(b []byte, v, unit int64) []byte {
	b = strconv.AppendInt(b, v/unit, 10)
	frac := (v % unit) * 1000 / unit
	if frac == 0 {
		return b
	}
	b = append(b, '.', byte('0'+frac/100))
	if frac%100 != 0 {
		b = append(b, byte('0'+frac/10%10))
		if frac%10 != 0 {
			b = append(b, byte('0'+frac%10))
		}
	}
	return b
}

// Millis reports t in milliseconds as a float, for figures and charts.
func (t Time) Millis() float64 { return float64(t) / float64(Millisecond) }

var units = []struct {
	name string
	t    Time
}{
	{"ns", Nanosecond}, {"us", Microsecond}, {"µs", Microsecond},
	{"ms", Millisecond}, {"s", Second}, {"m", Minute},
}

// ParseDuration reads a duration such as 500us, 20ms, 1.5s or 2m. A number
// other than 0 needs its unit; negative durations are refused.
func ParseDuration(s string) (Time, error) {
	if s == "0" {
		return 0, nil // zero needs no unit
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], s[i:]
	if num == "" {
		return 0, fmt.Errorf("invalid duration %q: expected a number with a unit, such as 20ms", s)
	}
	if unit == "" {
		return 0, fmt.Errorf("invalid duration %q: missing unit (ns, us, ms, s or m)", s)
	}
	var scale Time
	for _, u := range units {
		if u.name == unit {
			scale = u.t
		}
	}
	if scale == 0 {
		return 0, fmt.Errorf("invalid duration %q: unknown unit %q (use ns, us, ms, s or m)", s, unit)
	}
	whole, frac, hasFrac := strings.Cut(num, ".")
	if whole == "" && !hasFrac || strings.Contains(frac, ".") {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	var t Time
	if whole != "" {
		w, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || w > int64(Never/scale) {
			return 0, fmt.Errorf("invalid duration %q: out of range", s)
		}
		t = Time(w) * scale
	}
	if hasFrac {
		if frac == "" {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		div := Time(1)
		var f Time
		for _, c := range frac {
			if div > scale {
				break // below a nanosecond
			}
			f = f*10 + Time(c-'0')
			div *= 10
		}
		t += f * scale / div
	}
	return t, nil
}
