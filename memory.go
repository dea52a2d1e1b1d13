package portal

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/accountportal/portal/store/sqlite"
)

// idleMemoryTick is how often Serve looks whether requests came in.
const idleMemoryTick = 500 * time.Millisecond

// idleMemory gives the heap's free memory back to the operating system
// once the server has been idle for a tick after serving requests. An
// account portal idles most of the time; without this the runtime keeps
// the peak of the last burst of traffic resident for minutes, since no
// collection runs while nothing allocates (the idle-RSS budget of
// docs/performance.md).
// It frees at most once per idle period, so a steady trickle of requests
// never pays for it, and a burst pays one collection of a small heap
// afterwards. (identity's hashing slots return argon2id's much larger
// buffers on their own, even while other requests go on.) A store with
// caches of its own outside the Go heap (SQLite's page caches) releases
// them first.
type idleMemory struct {
	served func() uint64 // the requests served so far
	free   func()        // debug.FreeOSMemory

	last  uint64
	dirty bool // requests came in since the last free
}

// tick runs once per idleMemoryTick.
func (m *idleMemory) tick() {
	if n := m.served(); n != m.last {
		m.last, m.dirty = n, true
		return
	}
	if m.dirty {
		m.dirty = false
		m.free()
	}
}

// run ticks until ctx is done.
func (m *idleMemory) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.tick()
		}
	}
}

// memoryReleaser is a store that can give back memory of its own (the
// SQLite store's page caches, C memory the Go runtime cannot return).
type memoryReleaser interface {
	ReleaseMemory(ctx context.Context)
}

var _ memoryReleaser = (*sqlite.Store)(nil)

func newIdleMemory(ctx context.Context, served func() uint64, st any) *idleMemory {
	free := debug.FreeOSMemory
	if r, ok := st.(memoryReleaser); ok {
		free = func() {
			r.ReleaseMemory(ctx)
			debug.FreeOSMemory()
		}
	}
	return &idleMemory{served: served, free: free}
}
