package identity

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/accountportal/portal/mail"
)

// flakyMailer fails the first n sends.
type flakyMailer struct {
	mu    sync.Mutex
	fails int
	calls int
	sent  []mail.Message
}

func (m *flakyMailer) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fails > 0 {
		m.fails--
		return errors.New("421 try later")
	}
	m.sent = append(m.sent, msg)
	return nil
}

func TestMailQueueRetriesWithBackoff(t *testing.T) {
	f := newFixture(t)
	fm := &flakyMailer{fails: 2}
	q := newMailQueue(f.store, fm, f.svc.log, f.clock.Now)
	ctx := context.Background()
	if err := q.enqueue(ctx, mail.Message{To: "a@example.com", Subject: "S", Text: "T"}); err != nil {
		t.Fatal(err)
	}
	if err := q.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if fm.calls != 1 || len(fm.sent) != 0 {
		t.Fatalf("after first flush calls=%d sent=%d, want 1 and 0 (a failure waits, it does not spin)", fm.calls, len(fm.sent))
	}
	f.clock.Advance(29 * time.Second)
	q.Flush(ctx)
	if fm.calls != 1 {
		t.Fatalf("retried before the back-off (30 s): calls=%d", fm.calls)
	}
	f.clock.Advance(time.Second)
	q.Flush(ctx) // second failure: next try after 60 s
	f.clock.Advance(60 * time.Second)
	q.Flush(ctx)
	if fm.calls != 3 || len(fm.sent) != 1 || fm.sent[0].To != "a@example.com" {
		t.Fatalf("calls=%d sent=%v, want delivery on the third attempt", fm.calls, fm.sent)
	}
	f.clock.Advance(time.Hour)
	q.Flush(ctx)
	if fm.calls != 3 {
		t.Fatalf("a delivered message was sent again: calls=%d", fm.calls)
	}
}

func TestMailQueueDropsAfterMaxAttempts(t *testing.T) {
	f := newFixture(t)
	fm := &flakyMailer{fails: 1000}
	q := newMailQueue(f.store, fm, f.svc.log, f.clock.Now)
	ctx := context.Background()
	q.enqueue(ctx, mail.Message{To: "a@example.com", Subject: "S", Text: "T"})
	for range 50 {
		q.Flush(ctx)
		f.clock.Advance(time.Hour)
	}
	if got, want := fm.calls, mailMaxAttempts; got != want {
		t.Fatalf("attempts=%d, want %d then give up", got, want)
	}
}

func TestMailRetryDelay(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 8: time.Hour, 11: time.Hour} {
		if got := mailRetryDelay(n); got != want {
			t.Errorf("mailRetryDelay(%d)=%v, want %v", n, got, want)
		}
	}
}

func TestMailQueueWorkerDeliversAndStops(t *testing.T) {
	f := newFixture(t)
	fm := &flakyMailer{}
	q := newMailQueue(f.store, fm, f.svc.log, f.clock.Now)
	q.Start()
	ctx := context.Background()
	for range 3 {
		q.enqueue(ctx, mail.Message{To: "a@example.com", Subject: "S", Text: "T"})
	}
	// Stop drains what is due, so all three are sent by the time it returns.
	q.Stop(5 * time.Second)
	fm.mu.Lock()
	defer fm.mu.Unlock()
	if len(fm.sent) != 3 {
		t.Fatalf("sent %d of 3", len(fm.sent))
	}
}
