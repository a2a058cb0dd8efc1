// Package storage models an Aurora storage node and the segments it holds:
// the eight-step pipeline of SIGMOD'17 §3.3 (Fig. 4), of which only the
// first two steps are in the foreground.
//
//  1. Receive a Write batch into the in-memory queue. Refuse it if its
//     volume epoch or membership epoch is stale, if the node holds no such
//     segment, or if its records lie in a truncation range.
//  2. Persist it — the disk takes one batch at a time — then add it to the
//     hot log and acknowledge with the segment's SCL.
//  3. Sort and find gaps: the SCL is the end of the longest gap-free
//     prefix of the PG backlink chain, one chain per writer stream.
//  4. Gossip with the PG's peers to fill gaps (gossip.go).
//  5. Coalesce records into base pages on full segments, up to
//     min(PGMRPL, SCL, known VDL).
//  6. Stage durable records to the backup store (package backup).
//  7. Garbage-collect records that are coalesced (or, on a tail, below
//     PGMRPL) and staged.
//  8. Scrub: check stored records and pages against their checksums and
//     repair damage from a peer.
//
// Besides the pipeline a segment serves reads at a read point (SIGMOD'17
// §4.2.3), answers crash recovery (RecoverQuery, Truncate; SIGMOD'17 §4.3),
// installs membership epochs (SetMembership; SIGMOD'18 §4.1), and fills a
// new segment from a peer (Hydrate; SIGMOD'18 §4.2). The peer copied may
// have been behind the others, so a segment that has installed a copy
// then gossips with each of its peers in turn: one ahead fills it, or has
// it refill from that peer's newer copy. The control plane completes a
// membership change only once the newcomer's SCL shows it caught up.
//
// # Durable state
//
// Everything that survives a crash goes through a [Store], one [Change] at
// a time, at the instant the simulated disk finishes: records, base pages,
// segment metadata, the node's volume epoch and truncation ranges. Crash
// discards everything else and reloads the segments from the store. The
// model's store, a [MemStore], keeps no second copy of a segment's hot
// log: it reads the node's own, which the node changes only with a change
// it writes (see MemStore.share). The page saves what the stores hold in
// IndexedDB (Load, through the engine's disk snapshots); a [Journal]
// hands out the changes one by one instead.
//
// # Volume epochs and truncations
//
// A node holds two volume epochs. VolumeEpoch is the lock on the door: a
// write of an older epoch is refused. CleanEpoch is the epoch up to which
// the node knows every truncation range, and so holds no record a
// recovery annulled. They differ only while a node that missed a recovery
// learns its ranges from a peer. Three rules keep an annulled record from
// ever coming back:
//
//   - a record inside a known truncation range is dropped wherever it
//     comes from;
//   - storage nodes gossip with their clean epoch, and take records only
//     from a peer whose clean epoch is at least their own (a peer that
//     missed a recovery may still hold what it annulled);
//   - the known VDL is learned only from a writer of the node's own clean
//     epoch, and coalescing and staging never go above it, so an annulled
//     record — which lies above the recovered VDL — is never made part of
//     a page or of the backup.
//
// Epoch 1 is the volume's first and has no truncation; every later epoch
// comes from a recovery that writes one.
package storage
