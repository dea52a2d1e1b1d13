package identity

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/store"
)

// Mail queue policy.
const (
	mailLease       = 2 * time.Minute  // a claimed message is not claimed again for this long
	mailBatch       = 10               // messages claimed at once
	mailSendTimeout = 30 * time.Second // one delivery attempt
	mailMaxAttempts = 12               // then the message is dropped (and logged)
	mailPoll        = 5 * time.Second  // how often the worker looks without being woken
)

// mailRetryDelay is the wait after the n-th failed attempt: 30 s doubling
// up to an hour (about 7 hours over all attempts).
func mailRetryDelay(n int) time.Duration {
	d := 30 * time.Second
	for range n - 1 {
		d *= 2
		if d >= time.Hour {
			return time.Hour
		}
	}
	return d
}

// MailQueue delivers the outbox. Requests enqueue a rendered message in
// the database and return; the queue's worker sends it, retrying with
// back-off when the sender fails, so that neither SMTP latency nor an SMTP
// outage shows in a response or loses a message (RST-01, REL-13).
type MailQueue struct {
	store  store.Outbox
	sender mail.Sender
	log    *slog.Logger
	now    func() time.Time
	wake   chan struct{}
	obs    Observer // mail queued, sent, failed

	mu   sync.Mutex // one delivery pass at a time in this process
	stop context.CancelFunc
	done chan struct{}

	// jobs run outbox rows whose Kind is set; they may enqueue mail.
	jobs map[string]func(ctx context.Context, m *store.OutboxMessage) error
}

func newMailQueue(st store.Outbox, sender mail.Sender, log *slog.Logger, now func() time.Time) *MailQueue {
	return &MailQueue{store: st, sender: sender, log: log, now: now, wake: make(chan struct{}, 1), obs: nopObserver{},
		jobs: map[string]func(context.Context, *store.OutboxMessage) error{}}
}

// enqueueJob stores a job for the worker: kind names a registered job, to
// and payload are its arguments.
func (q *MailQueue) enqueueJob(ctx context.Context, kind, to, payload string) error {
	now := q.now()
	err := q.store.EnqueueMail(ctx, &store.OutboxMessage{Kind: kind, To: to, Text: payload, CreatedAt: now, NextAttemptAt: now})
	if err != nil {
		return internal(err)
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// enqueue stores m for delivery and wakes the worker.
func (q *MailQueue) enqueue(ctx context.Context, m mail.Message) error {
	now := q.now()
	err := q.store.EnqueueMail(ctx, &store.OutboxMessage{
		To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, CreatedAt: now, NextAttemptAt: now,
	})
	if err != nil {
		return internal(err)
	}
	q.obs.MailQueued()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// Start runs the worker until Stop.
func (q *MailQueue) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	q.stop, q.done = cancel, make(chan struct{})
	go func() {
		defer close(q.done)
		t := time.NewTicker(mailPoll)
		defer t.Stop()
		for {
			if err := q.Flush(ctx); err != nil && ctx.Err() == nil {
				q.log.Error("mail queue", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
			case <-t.C:
			}
		}
	}()
}

// Stop ends the worker after the message it is sending, then tries once
// more, for at most drain, to send what is due (REL-14).
func (q *MailQueue) Stop(drain time.Duration) {
	if q.stop == nil {
		return
	}
	q.stop()
	<-q.done
	q.stop = nil
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := q.Flush(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		q.log.Error("mail queue drain", "err", err)
	}
}

// Flush sends every message that is due now and returns when none is
// left (or ctx ends). Failed messages are rescheduled, not returned as
// errors; the error is for the store.
func (q *MailQueue) Flush(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// The claim must not be cut off half-way by ctx: a claim committed
		// in the database but never returned would keep its messages
		// leased (unsendable) for mailLease.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		batch, err := q.store.ClaimMail(cctx, q.now(), mailLease, mailBatch)
		cancel()
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, m := range batch {
			q.deliver(ctx, m)
		}
	}
}

func (q *MailQueue) deliver(ctx context.Context, m *store.OutboxMessage) {
	// A claimed message is sent even when the worker is stopping: Stop
	// waits for it (bounded by mailSendTimeout).
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailSendTimeout)
	var err error
	if m.Kind == "" {
		err = q.sender.Send(sendCtx, mail.Message{To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML})
	} else if job, ok := q.jobs[m.Kind]; ok {
		err = job(sendCtx, m)
	} else {
		err = errors.New("unknown outbox job " + m.Kind)
	}
	cancel()
	// Bookkeeping must happen even when ctx is ending.
	bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer bcancel()
	if m.Kind == "" { // jobs are counted by the mail they queue
		if err == nil {
			q.obs.MailSent()
		} else {
			q.obs.MailFailed(m.Attempts+1 >= mailMaxAttempts)
		}
	}
	if err == nil {
		if derr := q.store.DeleteMail(bctx, m.ID); derr != nil {
			q.log.Error("mail sent but not removed from the outbox", "id", m.ID, "err", derr)
		}
		return
	}
	attempts := m.Attempts + 1
	if attempts >= mailMaxAttempts {
		q.log.Error("mail dropped after repeated failures", "id", m.ID, "kind", m.Kind, "subject", m.Subject, "attempts", attempts, "err", err)
		if derr := q.store.DeleteMail(bctx, m.ID); derr != nil {
			q.log.Error("mail queue", "id", m.ID, "err", derr)
		}
		return
	}
	next := q.now().Add(mailRetryDelay(attempts))
	q.log.Warn("mail not sent; will retry", "id", m.ID, "subject", m.Subject, "attempt", attempts, "retry_at", next, "err", err)
	if rerr := q.store.RetryMail(bctx, m.ID, next, err.Error()); rerr != nil {
		q.log.Error("mail queue", "id", m.ID, "err", rerr)
	}
}

// Backlog is the outbox's depth (messages and jobs waiting, retries
// included) and the age of its oldest entry (0 when empty), for the
// metrics.
func (q *MailQueue) Backlog(ctx context.Context) (int, time.Duration, error) {
	n, oldest, err := q.store.OutboxStats(ctx)
	if err != nil || n == 0 {
		return n, 0, err
	}
	return n, max(q.now().Sub(oldest), 0), nil
}
