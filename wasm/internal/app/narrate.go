//go:build js && wasm

package app

import (
	"fmt"
	"strings"

	"aurora-lab/engine"
	"aurora-lab/wasm/internal/dom"
)

// Words for screen readers: a live region that says, in a sentence, where
// the volume's durability stands ("pg1: LSN 812 durable on 4 of 6
// segments; AZ c lagging"), and the cluster's state as tables. Both are
// read from the snapshot; the figures are the engine's.

// narrateEveryMS is the least wall time between two narrations while time
// runs, so the sentence can be heard out before the next.
const narrateEveryMS = 3000

// tablesEveryMS is the least wall time between two redraws of the tables
// while time runs.
const tablesEveryMS = 1000

// narrator keeps what the live region said last.
type narrator struct {
	said   string
	saidAt float64
	tables string
	tabAt  float64
}

// describe returns the sentence for snapshot s.
func describe(s *engine.Snapshot) string {
	var parts []string
	vol := &s.Volume
	if vol.Writer == "" {
		parts = append(parts, "No writer holds the volume")
	} else {
		parts = append(parts, fmt.Sprintf("VDL %d on writer %s", vol.VDL, vol.Writer))
	}
	ds := s.Durability()
	for i, d := range ds {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more protection groups", len(ds)-3))
			break
		}
		p := fmt.Sprintf("pg%d: LSN %d durable on %d of %d segments", d.PG, d.PGCL, d.Holding, d.Members)
		switch len(d.Lagging) {
		case 0:
		case 1:
			p += "; AZ " + d.Lagging[0] + " lagging"
		default:
			p += "; AZs " + strings.Join(d.Lagging, " and ") + " lagging"
		}
		if d.State != "read-write" {
			p += "; " + d.State
		}
		parts = append(parts, p)
	}
	var down []string
	for _, n := range s.Nodes {
		if !n.Up {
			down = append(down, n.Name)
		}
	}
	for _, in := range s.Instances {
		if !in.Up {
			down = append(down, in.Name)
		}
		if in.Role == "replica" && in.Up && in.Lag > 0 {
			parts = append(parts, fmt.Sprintf("%s lag %v", in.Name, in.Lag))
		}
	}
	if len(down) > 0 {
		parts = append(parts, "down: "+strings.Join(down, ", "))
	}
	if vol.Recovering != "" {
		parts = append(parts, "recovering: "+vol.Recovering)
	}
	return strings.Join(parts, ". ") + "."
}

// narrate updates the live narration and, when open, the tables.
func (a *App) narrate(s *engine.Snapshot) error {
	n, u := &a.narr, a.ui
	now := dom.Now()
	if text := describe(s); text != n.said && (!a.playing || now-n.saidAt >= narrateEveryMS) {
		n.said, n.saidAt = text, now
		if err := u.narration.SetText(text); err != nil {
			return err
		}
	}
	open := u.tables.JS().Get("open").Truthy()
	if !open || (a.playing && now-n.tabAt < tablesEveryMS) {
		return nil
	}
	h := tablesHTML(s)
	if h == n.tables {
		return nil
	}
	n.tables, n.tabAt = h, now
	if err := u.tablesBody.ReplaceChildren(); err != nil {
		return err
	}
	return u.tablesBody.InsertHTML("beforeend", h)
}

// tablesHTML draws the cluster's state as three tables.
func tablesHTML(s *engine.Snapshot) string {
	e := dom.Escape
	var h strings.Builder
	table := func(caption string, head []string, rows [][]string) {
		fmt.Fprintf(&h, `<div class="res-table"><table class="state"><caption>%s</caption><thead><tr>`, e(caption))
		for _, c := range head {
			fmt.Fprintf(&h, `<th scope="col">%s</th>`, e(c))
		}
		h.WriteString(`</tr></thead><tbody>`)
		for _, r := range rows {
			h.WriteString(`<tr>`)
			for i, c := range r {
				if i == 0 {
					fmt.Fprintf(&h, `<th scope="row">%s</th>`, e(c))
				} else {
					fmt.Fprintf(&h, `<td>%s</td>`, e(c))
				}
			}
			h.WriteString(`</tr>`)
		}
		h.WriteString(`</tbody></table></div>`)
	}
	word := func(up bool) string {
		if up {
			return "✓ up"
		}
		return "✕ down"
	}
	var rows [][]string
	for _, d := range s.Durability() {
		var pg *engine.PGState
		for i := range s.Volume.PGs {
			if s.Volume.PGs[i].ID == d.PG {
				pg = &s.Volume.PGs[i]
			}
		}
		lag := "none"
		if len(d.Lagging) > 0 {
			lag = strings.Join(d.Lagging, ", ")
		}
		rows = append(rows, []string{fmt.Sprintf("pg%d", d.PG), d.State, fmt.Sprint(d.PGCL),
			fmt.Sprintf("%d of %d", d.Holding, d.Members), fmt.Sprintf("%d of %d (write needs %d, read %d)", pg.Up, d.Members, engine.WriteQuorum, engine.ReadQuorum),
			lag, fmt.Sprint(pg.Epoch)})
	}
	table(fmt.Sprintf("Volume: VCL %d, VDL %d, next LSN %d, epoch %d", s.Volume.VCL, s.Volume.VDL, s.Volume.NextLSN, s.Volume.Epoch),
		[]string{"Protection group", "State", "PGCL", "Segments at PGCL", "Members up", "AZs lagging", "Membership epoch"}, rows)

	rows = rows[:0]
	for _, in := range s.Instances {
		lag := "–"
		if in.Role == "replica" && in.LagMax > 0 {
			lag = fmt.Sprintf("%v (max %v)", in.Lag, in.LagMax)
		}
		rows = append(rows, []string{in.Name, in.Role, in.AZ, word(in.Up), fmt.Sprint(in.VDL), lag, fmt.Sprint(in.Cached)})
	}
	table("Database instances", []string{"Instance", "Role", "AZ", "State", "Reads at VDL", "Lag", "Pages cached"}, rows)

	rows = rows[:0]
	for _, n := range s.Nodes {
		var segs []string
		for _, sg := range n.Segments {
			kind := "full"
			if !sg.Full {
				kind = "tail"
			}
			segs = append(segs, fmt.Sprintf("pg%d SCL %d (%s)", sg.PG, sg.SCL, kind))
		}
		state := word(n.Up)
		if n.Slow > 0 {
			state += ", slow +" + n.Slow.String()
		}
		rows = append(rows, []string{n.Name, n.AZ, state, strings.Join(segs, "; "), fmt.Sprint(n.Stats.Persisted), fmt.Sprint(n.Stats.Acks)})
	}
	table("Storage nodes", []string{"Node", "AZ", "State", "Segments", "Records persisted", "Acks sent"}, rows)
	return h.String()
}
