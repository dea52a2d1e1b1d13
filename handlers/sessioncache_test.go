package handlers

import (
	"context"
	"sync"
	"testing"
	"time"
)

// countingStore is an in-memory scs store that counts its reads.
type countingStore struct {
	mu    sync.Mutex
	rows  map[string][]byte
	finds int
}

func (s *countingStore) Find(token string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finds++
	b, ok := s.rows[token]
	return b, ok, nil
}

func (s *countingStore) Commit(token string, b []byte, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows[token] = b
	return nil
}

func (s *countingStore) Delete(token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.rows, token)
	return nil
}

// TestReadCache (issue 19 §2, SES-03): only read-only loads are answered
// from the cache, for at most readCacheTTL; a write or delete through the
// instance drops the entry at once; pages always read the store.
func TestReadCache(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	next := &countingStore{rows: map[string][]byte{"t1": []byte("v1")}}
	c := newReadCache(next, func() time.Time { return now })
	ro := withReadOnlySession(context.Background())
	page := context.Background()

	find := func(ctx context.Context, token string) string {
		t.Helper()
		b, found, err := c.FindCtx(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if !found {
			return "<none>"
		}
		return string(b)
	}
	if got := find(ro, "t1"); got != "v1" || next.finds != 1 {
		t.Fatalf("first API read: %q after %d store reads", got, next.finds)
	}
	if got := find(ro, "t1"); got != "v1" || next.finds != 1 {
		t.Fatalf("second API read: %q after %d store reads, want 1 (cached)", got, next.finds)
	}
	if got := find(page, "t1"); got != "v1" || next.finds != 2 {
		t.Fatalf("page read: %q after %d store reads, want 2 (pages always read)", got, next.finds)
	}

	// A write through this instance is seen by the next API read.
	if err := c.CommitCtx(page, "t1", []byte("v2"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := find(ro, "t1"); got != "v2" {
		t.Fatalf("after a commit: %q, want v2", got)
	}
	// A delete (sign-out, ended session) too.
	if err := c.DeleteCtx(page, "t1"); err != nil {
		t.Fatal(err)
	}
	if got := find(ro, "t1"); got != "<none>" {
		t.Fatalf("after a delete: %q, want none", got)
	}

	// A change on another instance (straight into the store) shows after
	// the TTL at the latest.
	next.Commit("t2", []byte("a"), now.Add(time.Hour))
	find(ro, "t2")
	next.Commit("t2", []byte("b"), now.Add(time.Hour))
	if got := find(ro, "t2"); got != "a" {
		t.Fatalf("within the TTL: %q, want the cached a", got)
	}
	now = now.Add(readCacheTTL)
	if got := find(ro, "t2"); got != "b" {
		t.Fatalf("after the TTL: %q, want b", got)
	}
	// Unknown tokens are not remembered.
	find(ro, "nope")
	if _, ok := c.m["nope"]; ok {
		t.Fatal("an unknown token was cached")
	}
}

// TestReadCacheBounded: the cache never holds more than readCacheMax rows.
func TestReadCacheBounded(t *testing.T) {
	next := &countingStore{rows: map[string][]byte{}}
	c := newReadCache(next, time.Now)
	ro := withReadOnlySession(context.Background())
	for i := range readCacheMax + 10 {
		tok := string(rune('a'+i%26)) + time.Duration(i).String()
		next.rows[tok] = []byte("x")
		if _, _, err := c.FindCtx(ro, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.m); n > readCacheMax {
		t.Fatalf("%d cached rows, want at most %d", n, readCacheMax)
	}
}

// slowStore lets a test write while a read is in flight.
type slowStore struct {
	*countingStore
	reading chan struct{} // closed when a Find has read its row
	goOn    chan struct{} // the Find returns once this is closed
}

func (s *slowStore) Find(token string) ([]byte, bool, error) {
	b, ok, err := s.countingStore.Find(token)
	close(s.reading)
	<-s.goOn
	return b, ok, err
}

// TestReadCacheKeepsNoReadThatOverlappedAWrite: a read that began before
// a write through this instance finished (it may hold the old row) is
// answered but not kept: the next read sees the new row, not the old one
// for readCacheTTL (a re-authentication's amr at once on this instance).
func TestReadCacheKeepsNoReadThatOverlappedAWrite(t *testing.T) {
	next := &slowStore{countingStore: &countingStore{rows: map[string][]byte{"t": []byte("old")}},
		reading: make(chan struct{}), goOn: make(chan struct{})}
	c := newReadCache(next, time.Now)
	ro := withReadOnlySession(context.Background())
	done := make(chan string)
	go func() {
		b, _, _ := c.FindCtx(ro, "t")
		done <- string(b)
	}()
	<-next.reading // the read has the old row
	if err := c.CommitCtx(context.Background(), "t", []byte("new"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	close(next.goOn)
	if got := <-done; got != "old" {
		t.Fatalf("the overlapping read: %q", got)
	}
	next.reading, next.goOn = make(chan struct{}), make(chan struct{})
	close(next.goOn)
	if b, _, _ := c.FindCtx(ro, "t"); string(b) != "new" {
		t.Fatalf("after the write: %q, want new (the overlapping read was kept)", b)
	}
}
