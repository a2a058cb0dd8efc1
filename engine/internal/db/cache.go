package db

import (
	"slices"

	"aurora-lab/engine/internal/page"
	"aurora-lab/engine/internal/redo"
)

// cache is an instance's buffer cache: page images at their latest version
// the instance knows. The writer changes its pages as it generates redo;
// a replica applies the log stream to the pages it holds.
//
// The eviction rule is the paper's (SIGMOD'17 §4.2.3, with its typo
// corrected as SIGMOD'18 words it): a page may leave the cache only when
// every change to it is durable, page LSN ≤ VDL, so a later read at a read
// point ≥ VDL finds the same version on storage.
type cache struct {
	capacity int
	pages    map[redo.PageID]*entry
	clock    uint64 // advanced on every use, for least-recently-used order
	stats    CacheStats
}

type entry struct {
	pg      *page.Page
	lastUse uint64
	pins    int  // requests in progress that need the page
	sticky  bool // never evicted (catalog and transaction pages)
}

// CacheStats counts cache traffic.
type CacheStats struct {
	Hits      int64
	Misses    int64
	Evictions int64
}

func newCache(capacity int) *cache {
	return &cache{capacity: capacity, pages: make(map[redo.PageID]*entry)}
}

// get returns the cached page id, counting a hit or a miss.
func (c *cache) get(id redo.PageID) (*page.Page, bool) {
	e, ok := c.pages[id]
	if !ok {
		c.stats.Misses++
		return nil, false
	}
	c.stats.Hits++
	c.clock++
	e.lastUse = c.clock
	return e.pg, true
}

// peek returns the cached page id without counting a use.
func (c *cache) peek(id redo.PageID) (*page.Page, bool) {
	e, ok := c.pages[id]
	if !ok {
		return nil, false
	}
	return e.pg, true
}

// put installs p, replacing any version held.
func (c *cache) put(p *page.Page, sticky bool) {
	c.clock++
	if e, ok := c.pages[p.ID]; ok {
		e.pg, e.lastUse = p, c.clock
		e.sticky = e.sticky || sticky
		return
	}
	c.pages[p.ID] = &entry{pg: p, lastUse: c.clock, sticky: sticky}
}

func (c *cache) pin(id redo.PageID) {
	if e, ok := c.pages[id]; ok {
		e.pins++
	}
}

func (c *cache) unpin(id redo.PageID) {
	if e, ok := c.pages[id]; ok && e.pins > 0 {
		e.pins--
	}
}

// drop removes every page.
func (c *cache) drop() {
	clear(c.pages)
}

// evict removes least recently used pages until the cache fits its
// capacity, skipping pinned and sticky pages and pages with changes above
// vdl, which must stay until they are durable.
func (c *cache) evict(vdl redo.LSN) {
	over := len(c.pages) - c.capacity
	if over <= 0 {
		return
	}
	type cand struct {
		id  redo.PageID
		use uint64
	}
	var cands []cand
	for id, e := range c.pages {
		if e.pins == 0 && !e.sticky && e.pg.LSN <= vdl {
			cands = append(cands, cand{id, e.lastUse})
		}
	}
	// lastUse values are distinct, so the order is total and the map's
	// iteration order does not leak.
	slices.SortFunc(cands, func(a, b cand) int {
		switch {
		case a.use < b.use:
			return -1
		case a.use > b.use:
			return 1
		}
		return 0
	})
	for _, cd := range cands {
		if over <= 0 {
			break
		}
		delete(c.pages, cd.id)
		c.stats.Evictions++
		over--
	}
}

// ids returns the cached page ids in order.
func (c *cache) ids() []redo.PageID {
	out := make([]redo.PageID, 0, len(c.pages))
	for id := range c.pages {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
