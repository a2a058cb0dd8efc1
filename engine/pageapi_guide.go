package engine

import (
	"slices"
	"strings"

	"aurora-lab/engine/internal/script"
)

// This file continues pageapi.go: what the page's guided scenarios and its
// screen-reader narration need from the facade, as plain data. It reads
// the console language and snapshots; it adds no model logic.

// Guide is the outline of a guided scenario: what its narration says, in
// order, read from the script without running it, so the page can show
// "step 2 of 5" and the whole list of steps before they run.
type Guide struct {
	Title string `json:"title"`
	// Intro is the comment block before the first \step, its lines joined
	// with spaces ("" when there is none).
	Intro string `json:"intro,omitempty"`
	// Steps are the texts of the \step commands, in order.
	Steps []string `json:"steps"`
	// Try is the text of the closing \try ("" when there is none).
	Try string `json:"try,omitempty"`
}

// GuideOutline reads the narration of a scenario: its \title, the comments
// before its first \step, its \steps and its \try. A script that does not
// parse returns the *ParseError and no outline.
func GuideOutline(src string) (Guide, error) {
	items, err := script.Parse(src)
	if err != nil {
		return Guide{}, err
	}
	var g Guide
	var intro []string
	for _, it := range items {
		switch {
		case it.Kind == script.Comment && len(g.Steps) == 0:
			if t := strings.TrimSpace(strings.TrimPrefix(it.Text, "--")); t != "" {
				intro = append(intro, t)
			}
		case it.Kind != script.Meta:
		case it.Cmd.Name == "title":
			g.Title = it.Cmd.Rest
		case it.Cmd.Name == "step":
			g.Steps = append(g.Steps, it.Cmd.Rest)
		case it.Cmd.Name == "try":
			g.Try = it.Cmd.Rest
		}
	}
	g.Intro = strings.Join(intro, " ")
	return g, nil
}

// PGDurability says how far one protection group's segments have what the
// writer sent it, for words a screen reader can speak: "pg1: 4 of 6
// segments hold everything up to PGCL 812; AZ c lagging".
type PGDurability struct {
	PG   uint32 `json:"pg"`
	PGCL uint64 `json:"pgcl"`
	// Holding counts the members that are up with an SCL at or above the
	// PGCL; Members counts them all.
	Holding int `json:"holding"`
	Members int `json:"members"`
	// Lagging names, in order, the AZs with a member that is down or whose
	// SCL is below the PGCL.
	Lagging []string `json:"lagging,omitempty"`
	State   string   `json:"state"`
}

// Durability returns, for each protection group of s, how many of its
// segments hold everything up to its PGCL and which AZs lag behind it.
func (s *Snapshot) Durability() []PGDurability {
	az := map[string]string{}
	for _, n := range s.Nodes {
		az[n.Name] = n.AZ
	}
	out := make([]PGDurability, 0, len(s.Volume.PGs))
	for _, pg := range s.Volume.PGs {
		d := PGDurability{PG: pg.ID, PGCL: pg.PGCL, Members: len(pg.Members), State: pg.State}
		for _, m := range pg.Members {
			if m.Up && m.SCL >= pg.PGCL {
				d.Holding++
				continue
			}
			if z := az[m.Node]; z != "" && !slices.Contains(d.Lagging, z) {
				d.Lagging = append(d.Lagging, z)
			}
		}
		slices.Sort(d.Lagging)
		out = append(out, d)
	}
	return out
}

// Pending reports whether console name still has something to do: a
// statement running, items queued, or a \run not yet over. A guided
// scenario is over when its console has nothing pending.
func (l *Lab) Pending(name string) bool {
	for _, con := range l.consoles {
		if con.name == name {
			return con.busy(l.c.Now())
		}
	}
	return false
}
