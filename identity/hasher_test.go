package identity

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var cheap = HashParams{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func TestHashProductionParametersPHC(t *testing.T) {
	h := NewHasher(DefaultHashParams, 1, time.Second)
	enc, err := h.Hash(context.Background(), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	// PWD-04: argon2id, OWASP/ASVS parameters, PHC string.
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=47104,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(enc) {
		t.Fatalf("hash %q is not a PHC argon2id string with m=47104,t=1,p=1", enc)
	}
	ok, rehash, err := h.Verify(context.Background(), "correct horse battery", enc)
	if err != nil || !ok || rehash {
		t.Fatalf("Verify(right)=%v,%v,%v; want true,false,nil", ok, rehash, err)
	}
}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap, 2, time.Second)
	a, _ := h.Hash(ctx, "s3cret-pass")
	b, _ := h.Hash(ctx, "s3cret-pass")
	if a == b {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	if ok, _, _ := h.Verify(ctx, "s3cret-pass", a); !ok {
		t.Fatal("right password refused")
	}
	for _, wrong := range []string{"s3cret-pas", "s3cret-pass ", "S3cret-pass", ""} {
		if ok, _, _ := h.Verify(ctx, wrong, a); ok {
			t.Fatalf("wrong password %q accepted", wrong)
		}
	}
	// PWD-01: no truncation — a 64-character password and its first 63.
	long := strings.Repeat("abcdefgh", 8)
	enc, _ := h.Hash(ctx, long)
	if ok, _, _ := h.Verify(ctx, long[:63], enc); ok {
		t.Fatal("a 63-character prefix of the password was accepted")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=x$a$b", "$argon2id$v=18$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"} {
		ok, rehash, err := h.Verify(ctx, "s3cret-pass", bad)
		if ok || rehash || err != nil {
			t.Fatalf("Verify(%q)=%v,%v,%v; want false,false,nil", bad, ok, rehash, err)
		}
	}
}

func TestRehashWhenParametersChange(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(cheap, 1, time.Second)
	enc, _ := old.Hash(ctx, "s3cret-pass")
	stronger := cheap
	stronger.Iterations = 2
	h := NewHasher(stronger, 1, time.Second)
	ok, rehash, err := h.Verify(ctx, "s3cret-pass", enc)
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify with old parameters=%v,%v,%v; want true,true,nil", ok, rehash, err)
	}
	if _, rehash, _ := h.Verify(ctx, "wrong-pass", enc); rehash {
		t.Fatal("a wrong password must not ask for a rehash")
	}
}

func TestHasherBoundsConcurrency(t *testing.T) {
	h := NewHasher(cheap, 1, 20*time.Millisecond)
	h.slots.free = 0 // the only slot is taken
	_, err := h.Hash(context.Background(), "s3cret-pass")
	if !errors.Is(err, ErrBusy) || ErrorCode(err) != EUNAVAILABLE {
		t.Fatalf("Hash with no free slot err=%v, want ErrBusy (EUNAVAILABLE)", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.VerifyDummy(ctx, "x"); !errors.Is(err, ErrBusy) {
		t.Fatalf("VerifyDummy with a cancelled context err=%v, want ErrBusy", err)
	}
	h.slots.release(0)
	if _, err := h.Hash(context.Background(), "s3cret-pass"); err != nil {
		t.Fatalf("Hash with a free slot: %v", err)
	}
}

// REL-12: an ordinary request that could not be served within the wait
// (queue × average hash time ÷ slots) is refused at once rather than after
// the wait; a priority request still queues, and is served before ordinary
// waiters.
func TestSlotPoolBoundsQueueAndServesPriorityFirst(t *testing.T) {
	p := newSlotPool(1)
	p.avg = 4 * time.Second // with a 10 s wait: room for two waiters
	ctx := context.Background()
	if err := p.acquire(ctx, time.Second, false); err != nil { // takes the slot
		t.Fatal(err)
	}
	order := make(chan string, 3)
	var wg sync.WaitGroup
	enqueue := func(name string, priority bool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.acquire(ctx, 10*time.Second, priority); err != nil {
				order <- name + ": " + err.Error()
				return
			}
			order <- name
			p.release(0)
		}()
	}
	waitQueued := func(ordinary, priority int) {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			p.mu.Lock()
			o, q := len(p.ordinary), len(p.priority)
			p.mu.Unlock()
			if o == ordinary && q == priority {
				return
			}
		}
		t.Fatalf("queue never reached %d ordinary, %d priority", ordinary, priority)
	}
	enqueue("ordinary-1", false)
	waitQueued(1, 0)
	enqueue("ordinary-2", false)
	waitQueued(2, 0)

	// The queue is full: an ordinary request is refused without waiting.
	start := time.Now()
	if err := p.acquire(ctx, 10*time.Second, false); !errors.Is(err, ErrBusy) {
		t.Fatalf("ordinary request past a full queue: err=%v, want ErrBusy", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("refusal took %v: a full queue must refuse at once, not after the wait", d)
	}
	// A priority request still queues, and goes first.
	enqueue("priority", true)
	waitQueued(2, 1)
	p.release(0)
	wg.Wait()
	close(order)
	var got []string
	for name := range order {
		got = append(got, name)
	}
	if want := []string{"priority", "ordinary-1", "ordinary-2"}; !slices.Equal(got, want) {
		t.Fatalf("served %v, want %v", got, want)
	}
	if p.free != 1 {
		t.Fatalf("free slots after all released: %d, want 1", p.free)
	}
}

// A waiter that times out leaves the queue; a slot handed to it as it gave
// up is passed on, never lost.
func TestSlotPoolTimeoutKeepsSlots(t *testing.T) {
	p := newSlotPool(2)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p.acquire(ctx, time.Duration(i%3)*time.Millisecond, i%5 == 0) == nil {
				time.Sleep(time.Duration(i%2) * time.Millisecond)
				p.release(time.Duration(i%2) * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if p.free != 2 || len(p.ordinary) != 0 || len(p.priority) != 0 {
		t.Fatalf("after the storm: free=%d ordinary=%d priority=%d, want 2, 0, 0", p.free, len(p.ordinary), len(p.priority))
	}
}

// Priority is not starvation: while both lanes wait, grants alternate.
func TestSlotPoolAlternatesWhenBothWait(t *testing.T) {
	p := newSlotPool(1)
	ctx := context.Background()
	if err := p.acquire(ctx, time.Second, false); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 4)
	var wg sync.WaitGroup
	queued := func(o, q int) {
		for {
			p.mu.Lock()
			a, b := len(p.ordinary), len(p.priority)
			p.mu.Unlock()
			if a == o && b == q {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	run := func(name string, priority bool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.acquire(ctx, 10*time.Second, priority); err != nil {
				order <- name + ": " + err.Error()
				return
			}
			order <- name
			p.release(0)
		}()
	}
	run("o1", false)
	queued(1, 0)
	run("o2", false)
	queued(2, 0)
	run("p1", true)
	queued(2, 1)
	run("p2", true)
	queued(2, 2)
	p.release(0)
	wg.Wait()
	close(order)
	var got []string
	for name := range order {
		got = append(got, name)
	}
	if want := []string{"p1", "o1", "p2", "o2"}; !slices.Equal(got, want) {
		t.Fatalf("served %v, want %v", got, want)
	}
}

// The memory of a burst of hashes is returned once the slots have been idle
// for memReturnDelay: once per idle period, not per hash, and not while a
// hash runs. The clock and the timer are fakes: nothing waits.
func TestSlotPoolReturnsMemoryWhenIdle(t *testing.T) {
	p := newSlotPool(2)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	type timer struct {
		d  time.Duration
		at time.Time
		f  func()
	}
	var timers []timer
	frees := 0
	p.mem.now = func() time.Time { return now }
	p.mem.afterFunc = func(d time.Duration, f func()) { timers = append(timers, timer{d, now.Add(d), f}) }
	p.mem.free = func() { frees++ }
	ctx := context.Background()
	hash := func() {
		t.Helper()
		if err := p.acquire(ctx, time.Second, false); err != nil {
			t.Fatal(err)
		}
		p.release(30 * time.Millisecond)
	}
	fire := func() (d time.Duration) {
		t.Helper()
		if len(timers) != 1 {
			t.Fatalf("%d timers pending, want 1", len(timers))
		}
		tm := timers[0]
		timers = timers[1:]
		now = tm.at
		tm.f()
		return tm.d
	}

	// One hash, then idle: one check after the delay, one free.
	hash()
	if got, want := fire(), memReturnDelay; got != want {
		t.Fatalf("first check after %v, want %v", got, want)
	}
	if got, want := frees, 1; got != want {
		t.Fatalf("frees=%d, want %d", got, want)
	}
	if len(timers) != 0 {
		t.Fatalf("%d timers pending after the free, want 0", len(timers))
	}

	// A burst of hashes sets one timer; a hash 400 ms into the wait moves
	// the free to a full delay after it.
	hash()
	hash()
	now = now.Add(400 * time.Millisecond)
	hash()
	if got, want := fire(), memReturnDelay; got != want {
		t.Fatalf("check after %v, want %v", got, want)
	}
	if got, want := frees, 1; got != want {
		t.Fatalf("frees=%d after a check 600 ms into the idle time, want %d", got, want)
	}
	if got, want := fire(), 400*time.Millisecond; got != want {
		t.Fatalf("re-check after %v, want %v", got, want)
	}
	if got, want := frees, 2; got != want {
		t.Fatalf("frees=%d, want %d", got, want)
	}

	// A hash running when the check fires: no free, no timer until its
	// release, which schedules the next check.
	hash()
	if err := p.acquire(ctx, time.Second, false); err != nil {
		t.Fatal(err)
	}
	fire()
	if got, want := frees, 2; got != want || len(timers) != 0 {
		t.Fatalf("frees=%d timers=%d with a hash running, want %d, 0", got, len(timers), want)
	}
	p.release(30 * time.Millisecond)
	fire()
	if got, want := frees, 3; got != want {
		t.Fatalf("frees=%d, want %d", got, want)
	}

	// One slot still held: releasing the other does not schedule a check.
	if err := p.acquire(ctx, time.Second, false); err != nil {
		t.Fatal(err)
	}
	hash()
	if len(timers) != 0 {
		t.Fatalf("%d timers with a slot held, want 0", len(timers))
	}
	p.release(30 * time.Millisecond)
	fire()
	if got, want := frees, 4; got != want {
		t.Fatalf("frees=%d, want %d", got, want)
	}
}

// OnBusy hears hashing start with the first slot taken and stop with the
// last given back — not for each slot, nor when a slot passes from one
// hash straight to a waiting one.
func TestSlotPoolOnBusy(t *testing.T) {
	h := NewHasher(HashParams{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 2, time.Second)
	var events []bool
	h.OnBusy(func(busy bool) { events = append(events, busy) }) // called under the slots' lock
	p := h.slots
	ctx := context.Background()
	take := func() {
		if err := p.acquire(ctx, 5*time.Second, false); err != nil {
			t.Fatal(err)
		}
	}
	take()
	take()
	waiting := make(chan error, 1)
	go func() { waiting <- p.acquire(ctx, 5*time.Second, false) }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		p.mu.Lock()
		n := len(p.ordinary)
		p.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the third request never queued")
		}
	}
	p.release(0) // handed straight to the waiter: still busy
	if err := <-waiting; err != nil {
		t.Fatal(err)
	}
	p.release(0)
	p.mu.Lock()
	mid := slices.Clone(events)
	p.mu.Unlock()
	if !slices.Equal(mid, []bool{true}) {
		t.Fatalf("while one slot is still held: events %v, want [true]", mid)
	}
	p.release(0)
	// A real hash through WithParams' shared slots: busy, then idle again.
	if _, err := h.WithParams(h.params).Hash(ctx, "a password"); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if want := []bool{true, false, true, false}; !slices.Equal(events, want) {
		t.Fatalf("events %v, want %v", events, want)
	}
}
