package portal

import (
	"context"
	"testing"
)

// Memory goes back to the OS once per idle period: on the first tick
// without new requests after some, not while requests keep coming, and
// not again until more come (idle RSS, docs/performance.md).
func TestIdleMemory(t *testing.T) {
	var served uint64
	frees := 0
	m := &idleMemory{served: func() uint64 { return served }, free: func() { frees++ }}
	step := func(requests uint64, wantFrees int) {
		t.Helper()
		served += requests
		m.tick()
		if frees != wantFrees {
			t.Fatalf("after %d more requests: %d frees, want %d", requests, frees, wantFrees)
		}
	}
	step(0, 0) // idle from the start: nothing to give back
	step(5, 0) // busy
	step(3, 0) // still busy
	step(0, 1) // idle for a tick: free
	step(0, 1) // still idle: not again
	step(0, 1) //
	step(1, 1) // a request
	step(0, 2) // idle again: free once more
	step(7, 2) // a steady trickle
	step(1, 2) //
	step(2, 2) //
	step(0, 3) //
}

type releaser struct{ n *int }

func (r releaser) ReleaseMemory(context.Context) { *r.n++ }

// A store with memory of its own is asked to release it when the server
// goes idle; one without is fine.
func TestIdleMemoryReleasesStore(t *testing.T) {
	n := 0
	served := uint64(0)
	m := newIdleMemory(context.Background(), func() uint64 { return served }, releaser{&n})
	served = 3
	m.tick()
	m.tick()
	if n != 1 {
		t.Fatalf("the store released %d times, want 1", n)
	}
	newIdleMemory(context.Background(), func() uint64 { return 0 }, struct{}{}).tick()
}
