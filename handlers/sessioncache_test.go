package handlers

import (
	"context"
	"reflect"
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

// TestDecodedCodec: a session's bytes decoded again come from the cache,
// as a map of their own — a change scs makes in one request's map (Put,
// Remove, a []byte changed in place) never reaches the next decode — and
// other bytes never get another session's values.
func TestDecodedCodec(t *testing.T) {
	c := newDecodedCodec()
	deadline := time.Date(2026, 12, 3, 12, 0, 0, 5, time.UTC)
	enc, err := c.Encode(deadline, sampleSessionValues())
	if err != nil {
		t.Fatal(err)
	}
	want := sampleSessionValues()
	for i := range 3 {
		d, v, err := c.Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Equal(deadline) || !reflect.DeepEqual(v, want) {
			t.Fatalf("decode %d: %v %v, want %v %v", i, d, v, deadline, want)
		}
		// What a request may do to its own map.
		v[keySessionID] = "changed"
		delete(v, keyCSRF)
		v["raw"].([]byte)[0] = 9
		v["new"] = true
	}
	if len(c.m) != 1 {
		t.Errorf("%d cached sessions, want 1", len(c.m))
	}
	other := sampleSessionValues()
	other[keySessionID] = "another-session"
	enc2, err := c.Encode(deadline, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, v, err := c.Decode(enc2); err != nil || v[keySessionID] != "another-session" {
		t.Errorf("other bytes: %v, %v", v[keySessionID], err)
	}
	// Malformed bytes stay an error, and are not kept.
	if _, _, err := c.Decode(enc[:len(enc)-1]); err == nil {
		t.Error("truncated session: no error")
	}
	if len(c.m) != 2 {
		t.Errorf("%d cached sessions, want 2", len(c.m))
	}
}

// TestDecodedCodecAllocs: a cached session costs the copy of its map, not
// a decode (issue 19's budget; sessionCodec.Decode allocates per key and
// per value).
func TestDecodedCodecAllocs(t *testing.T) {
	c := newDecodedCodec()
	values := map[string]any{keySessionID: "q3v1Xw0bYy7m2lS9cXoP4k", keyCSRF: "V8nJ5hT6rA1dE0fG2hI3jq", keyAMR: "pwd mfa", keyRemember: true}
	enc, err := c.Encode(time.Now(), values)
	if err != nil {
		t.Fatal(err)
	}
	uncached := testing.AllocsPerRun(100, func() { _, _, _ = sessionCodec{}.Decode(enc) })
	cached := testing.AllocsPerRun(100, func() { _, _, _ = c.Decode(enc) })
	if cached > 2 || cached >= uncached {
		t.Errorf("cached decode: %.0f allocations, uncached %.0f; want at most 2", cached, uncached)
	}
}
