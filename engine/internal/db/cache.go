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
	// lru is the sentinel of the recency list: lru.next is the most
	// recently used entry, lru.prev the least. Every get and put moves its
	// entry to the front, so eviction walks from the back and never sorts.
	// An entry deleted from pages directly (a page dropped because it no
	// longer follows the log) stays in the list until eviction meets it
	// and sees that pages no longer holds it.
	lru   entry
	stats CacheStats
}

type entry struct {
	id         redo.PageID
	pg         *page.Page
	pins       int  // requests in progress that need the page
	sticky     bool // never evicted (catalog and transaction pages)
	prev, next *entry
}

// CacheStats counts cache traffic.
type CacheStats struct {
	Hits      int64
	Misses    int64
	Evictions int64
}

func newCache(capacity int) *cache {
	c := &cache{capacity: capacity, pages: make(map[redo.PageID]*entry)}
	c.lru.prev, c.lru.next = &c.lru, &c.lru
	return c
}

// unlink takes e out of the recency list.
func (c *cache) unlink(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

// front puts e at the head of the recency list, as the most recently used.
func (c *cache) front(e *entry) {
	if e.prev != nil {
		if c.lru.next == e {
			return
		}
		c.unlink(e)
	}
	e.prev, e.next = &c.lru, c.lru.next
	c.lru.next.prev = e
	c.lru.next = e
}

// get returns the cached page id, counting a hit or a miss.
func (c *cache) get(id redo.PageID) (*page.Page, bool) {
	e, ok := c.pages[id]
	if !ok {
		c.stats.Misses++
		return nil, false
	}
	c.stats.Hits++
	c.front(e)
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
	if e, ok := c.pages[p.ID]; ok {
		e.pg = p
		e.sticky = e.sticky || sticky
		c.front(e)
		return
	}
	e := &entry{id: p.ID, pg: p, sticky: sticky}
	c.pages[p.ID] = e
	c.front(e)
}

// putNew installs an empty page id, unless a version of it is held: a
// page an MTR creates. One lookup, where peek and put take two.
func (c *cache) putNew(id redo.PageID, sticky bool) {
	if _, ok := c.pages[id]; ok {
		return
	}
	e := &entry{id: id, pg: page.New(id), sticky: sticky}
	c.pages[id] = e
	c.front(e)
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
	for e := c.lru.next; e != &c.lru; {
		next := e.next
		e.prev, e.next = nil, nil
		e = next
	}
	c.lru.prev, c.lru.next = &c.lru, &c.lru
}

// evict removes least recently used pages until the cache fits its
// capacity, skipping pinned and sticky pages and pages with changes above
// vdl, which must stay until they are durable.
func (c *cache) evict(vdl redo.LSN) {
	over := len(c.pages) - c.capacity
	for e := c.lru.prev; over > 0 && e != &c.lru; {
		prev := e.prev
		switch {
		case c.pages[e.id] != e:
			c.unlink(e) // deleted from pages directly
		case e.pins == 0 && !e.sticky && e.pg.LSN <= vdl:
			c.unlink(e)
			delete(c.pages, e.id)
			c.stats.Evictions++
			over--
		}
		e = prev
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
