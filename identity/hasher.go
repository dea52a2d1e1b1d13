package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// HashParams are argon2id's parameters. The defaults are OWASP's and ASVS
// 5's (m=46 MiB, t=1, p=1; docs/security.md, Parameters).
type HashParams struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32
	KeyLength   uint32
}

// DefaultHashParams are the production parameters.
var DefaultHashParams = HashParams{Memory: 47104, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Validate checks the parameters are at least usable.
func (p HashParams) Validate() error {
	switch {
	case p.Memory < 8*uint32(max(p.Parallelism, 1)):
		return fmt.Errorf("argon2 memory %d KiB is below argon2's minimum of 8 KiB per lane", p.Memory)
	case p.Iterations < 1:
		return errors.New("argon2 iterations must be at least 1")
	case p.Parallelism < 1:
		return errors.New("argon2 parallelism must be at least 1")
	case p.SaltLength < 8 || p.KeyLength < 16:
		return errors.New("argon2 salt must be at least 8 bytes and the key at least 16")
	}
	return nil
}

// Hasher hashes and verifies passwords with argon2id in the PHC string
// format ($argon2id$v=19$m=…,t=…,p=…$salt$hash). At most Concurrency hashes
// run at once (REL-12): see slotPool for who waits and who is refused.
type Hasher struct {
	params HashParams
	slots  *slotPool
	wait   time.Duration

	dummyOnce sync.Once
	dummy     string

	// derived counts argon2id derivations (tests: the work an answer cost,
	// counted rather than timed).
	derived atomic.Int64
}

// NewHasher returns a hasher. concurrency < 1 means 1.
func NewHasher(p HashParams, concurrency int, wait time.Duration) *Hasher {
	return &Hasher{params: p, slots: newSlotPool(max(concurrency, 1)), wait: wait}
}

// WithParams returns a hasher with other parameters that shares h's slots,
// so that the concurrency cap holds across both.
func (h *Hasher) WithParams(p HashParams) *Hasher {
	return &Hasher{params: p, slots: h.slots, wait: h.wait}
}

// OnBusy makes fn hear when hashing starts (true: the first slot is
// taken) and stops (false: the last is given back), in order; fn runs
// under the slots' lock and must be quick. Hashers made with WithParams
// share it. cmd/portal uses it to run the garbage collector differently
// while argon2id's large buffers are live.
func (h *Hasher) OnBusy(fn func(busy bool)) {
	h.slots.mu.Lock()
	defer h.slots.mu.Unlock()
	h.slots.onBusy = fn
}

// OnWait makes fn hear, after each attempt to take a hashing slot, how
// long it waited and whether it was refused (ErrBusy: the 503). Hashers
// made with WithParams share it. Call it before hashing starts.
func (h *Hasher) OnWait(fn func(wait time.Duration, refused bool)) {
	h.slots.mu.Lock()
	defer h.slots.mu.Unlock()
	h.slots.onWait = fn
}

// ErrBusy is returned when no hashing slot frees up in time.
var ErrBusy = errKey(EUNAVAILABLE, "errors.busy")

// slotPool hands out the hashing slots (REL-12). A free slot is taken at
// once. Otherwise the request queues for at most the hasher's wait — but
// an ordinary request only when the queue ahead of it can drain within
// that wait (queue length × the running average hash time ÷ slots): past
// that it would only time out later, holding a connection meanwhile, so a
// flood gets its 503 at once instead of piling up. Priority requests (a
// sign-in from an address that has signed in to the account before; a
// signed-in user re-entering the password) are served first and never
// refused for a long queue, so owners still get in while anonymous traffic
// floods the login form. Priority is not absolute: while both lanes wait,
// grants alternate, so a steady stream of priority requests cannot starve
// the others into timeouts (an owner still waits for at most two hashes).
// Attackers cannot reach the priority lane: for them known and unknown
// accounts are served alike (AUTH-02).
type slotPool struct {
	mu       sync.Mutex
	slots    int
	free     int
	avg      time.Duration // moving average of the time a slot is held
	lastPrio bool          // the last grant went to the priority lane
	priority []waiter
	ordinary []waiter
	mem      memReturn
	// onBusy, when set, hears when the first slot is taken (true) and when
	// the last is given back (false), under mu, so in order.
	onBusy func(busy bool)
	// onWait, when set, hears how long each acquire waited and whether it
	// was refused (the metrics); set before the first hash.
	onWait func(wait time.Duration, refused bool)
}

// memReturn gives the memory of argon2id's buffers (46 MiB per running
// hash at the default parameters) back to the OS once the slots have been
// idle for delay: otherwise the runtime keeps a burst of sign-ins' peak
// while the server idles, because no collection runs (figures in
// docs/performance.md, "Hasher returns memory"). It runs at most once per
// idle period, never per hash: a steady stream of sign-ins keeps its
// buffers. Guarded
// by slotPool.mu; now, afterFunc and free are injected by tests.
type memReturn struct {
	delay     time.Duration
	now       func() time.Time
	afterFunc func(d time.Duration, f func()) // time.AfterFunc
	free      func()                          // debug.FreeOSMemory

	pending   bool      // a check is scheduled
	used      bool      // a slot was taken since the last free
	idleSince time.Time // when the last slot was given back
}

// memReturnDelay is how long the slots stay idle before their memory is
// returned.
const memReturnDelay = time.Second

type waiter struct {
	ch chan struct{} // release hands the slot over by sending
}

func newSlotPool(n int) *slotPool {
	return &slotPool{slots: n, free: n, mem: memReturn{
		delay:     memReturnDelay,
		now:       time.Now,
		afterFunc: func(d time.Duration, f func()) { time.AfterFunc(d, f) },
		free:      debug.FreeOSMemory,
	}}
}

// idleCheck runs delay after the slots went idle: it returns the memory
// when they have stayed idle since, waits the rest of delay when a hash ran
// meanwhile, and does nothing while one runs (its release schedules the
// next check).
func (p *slotPool) idleCheck() {
	p.mu.Lock()
	m := &p.mem
	m.pending = false
	if p.free != p.slots || !m.used {
		p.mu.Unlock()
		return
	}
	if rest := m.delay - m.now().Sub(m.idleSince); rest > 0 {
		m.pending = true
		m.afterFunc(rest, p.idleCheck)
		p.mu.Unlock()
		return
	}
	m.used = false
	free := m.free
	p.mu.Unlock()
	free() // outside the lock: a forced collection takes milliseconds
}

func (p *slotPool) acquire(ctx context.Context, wait time.Duration, priority bool) error {
	p.mu.Lock()
	if p.free > 0 {
		if p.free == p.slots && p.onBusy != nil {
			p.onBusy(true)
		}
		p.free--
		p.mem.used = true
		p.mu.Unlock()
		return nil
	}
	if !priority && time.Duration(len(p.ordinary)+len(p.priority)+1)*p.avg/time.Duration(p.slots) > wait {
		p.mu.Unlock()
		return ErrBusy
	}
	ch := make(chan struct{}, 1)
	q := &p.ordinary
	if priority {
		q = &p.priority
	}
	*q = append(*q, waiter{ch: ch})
	p.mu.Unlock()

	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-t.C:
	case <-ctx.Done():
	}
	p.mu.Lock()
	i := slices.IndexFunc(*q, func(w waiter) bool { return w.ch == ch })
	if i >= 0 {
		*q = slices.Delete(*q, i, i+1)
	}
	p.mu.Unlock()
	if i < 0 { // handed a slot just as we gave up: pass it on
		<-ch
		p.release(0)
	}
	return ErrBusy
}

// release gives the slot to the first priority waiter — unless the last
// grant went to that lane too and an ordinary request waits — else to the
// first ordinary one, else back to the pool. held (when not 0) is how long
// the slot was used, for the average.
func (p *slotPool) release(held time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if held > 0 {
		if p.avg == 0 {
			p.avg = held
		} else {
			p.avg += (held - p.avg) / 8
		}
	}
	q := &p.priority
	if len(*q) == 0 || (p.lastPrio && len(p.ordinary) > 0) {
		q = &p.ordinary
	}
	p.lastPrio = q == &p.priority
	if len(*q) == 0 {
		p.free++
		if p.free == p.slots && p.onBusy != nil {
			p.onBusy(false)
		}
		if m := &p.mem; p.free == p.slots && m.used && m.free != nil {
			m.idleSince = m.now()
			if !m.pending {
				m.pending = true
				m.afterFunc(m.delay, p.idleCheck)
			}
		}
		return
	}
	w := (*q)[0]
	*q = slices.Delete(*q, 0, 1)
	w.ch <- struct{}{}
}

// acquire takes a hashing slot; the returned func gives it back.
func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	asked := time.Now()
	err = h.slots.acquire(ctx, h.wait, priorityFrom(ctx))
	start := time.Now()
	if h.slots.onWait != nil {
		h.slots.onWait(start.Sub(asked), errors.Is(err, ErrBusy))
	}
	if err != nil {
		return nil, err
	}
	return func() { h.slots.release(time.Since(start)) }, nil
}

type priorityKey struct{}

// WithHashPriority marks ctx's hashing as the priority lane (see
// slotPool).
func WithHashPriority(ctx context.Context) context.Context {
	return context.WithValue(ctx, priorityKey{}, true)
}

func priorityFrom(ctx context.Context) bool {
	v, _ := ctx.Value(priorityKey{}).(bool)
	return v
}

// Hash returns the PHC string of password with fresh salt and the current
// parameters.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return encodePHC(h.params, salt, h.key(h.params, password, salt)), nil
}

func (h *Hasher) key(p HashParams, password string, salt []byte) []byte {
	h.derived.Add(1)
	return argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
}

// Verify reports whether password matches encoded, and whether encoded was
// made with other parameters than the current ones (so the caller rehashes
// it, PWD-04). An empty or malformed encoded hash never matches,
// but costs the same work as a real one, so timing does not tell.
//
// A hash of another system that `portal users import` brought in (ASP.NET
// Core Identity V2/V3, bcrypt, scrypt, Django's PBKDF2; legacyhash.go)
// verifies too, and always asks for a rehash: the first sign-in replaces it
// with argon2id (issue 23). A wrong password against one then also spends
// an argon2id verification, so it takes no less time than against a
// Portal hash or an unknown account (AUTH-02).
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	p, salt, want, perr := decodePHC(encoded)
	if perr != nil {
		if lh, lerr := parseLegacyHash(encoded); lerr == nil {
			return h.verifyLegacy(ctx, password, lh)
		}
		return false, false, h.VerifyDummy(ctx, password)
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	got := h.key(p, password, salt)
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, ok && p != h.params, nil
}

// verifyLegacy checks password against another system's hash, in a
// hashing slot like argon2id (PBKDF2 at 100,000 iterations or scrypt are
// not free either: REL-12 caps them the same way).
func (h *Hasher) verifyLegacy(ctx context.Context, password string, lh *legacyHash) (ok, rehash bool, err error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	ok = lh.verify(password)
	release()
	if !ok {
		return false, false, h.VerifyDummy(ctx, password)
	}
	return true, true, nil
}

// VerifyDummy spends the work of one verification against a fixed hash, for
// an unknown user, so that "no such account" takes as long as "wrong
// password" (AUTH-02).
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	h.dummyOnce.Do(func() {
		salt := make([]byte, h.params.SaltLength)
		h.dummy = encodePHC(h.params, salt, h.key(h.params, "portal-dummy-password", salt))
	})
	_, salt, _, _ := decodePHC(h.dummy)
	release, err := h.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	h.key(h.params, password, salt)
	return nil
}

func encodePHC(p HashParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errBadHash = errors.New("identity: not an argon2id PHC string")

func decodePHC(s string) (p HashParams, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Iterations, &p.Parallelism); err != nil {
		return p, nil, nil, errBadHash
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return p, nil, nil, errBadHash
	}
	p.SaltLength, p.KeyLength = uint32(len(salt)), uint32(len(key))
	if p.Validate() != nil {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}
