// Package redis keeps Portal's rate-limit windows in Redis, for
// installations that run sessions in Redis (--sessions redis://…): counting
// then costs no database write. The semantics are store.RateLimits' exactly,
// including the caller's clock (each window stores its own end).
package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/accountportal/portal/store"
)

// RateLimits implements store.RateLimits on Redis.
type RateLimits struct {
	client *goredis.Client
	prefix string
}

var _ store.RateLimits = (*RateLimits)(nil)

// NewRateLimits keeps windows under keys prefix+key.
func NewRateLimits(client *goredis.Client, prefix string) *RateLimits {
	return &RateLimits{client: client, prefix: prefix}
}

// hit counts one event atomically: a window is a hash {n: count, e: end in
// unix ms}; a hit after its end starts a new one. The key also expires in
// Redis a minute after its window, so nothing piles up.
var hit = goredis.NewScript(`
local e = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
local now = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
if e <= now then
  e = now + win
  redis.call('HSET', KEYS[1], 'n', 1, 'e', e)
  redis.call('PEXPIRE', KEYS[1], win + 60000)
  return {1, e}
end
return {redis.call('HINCRBY', KEYS[1], 'n', 1), e}
`)

// HitRateLimit counts one event for key.
func (r *RateLimits) HitRateLimit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	res, err := hit.Run(ctx, r.client, []string{r.prefix + key}, now.UnixMilli(), window.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, time.Time{}, err
	}
	return int(res[0]), time.UnixMilli(res[1]).UTC(), nil
}

// PeekRateLimit reads key's current window without counting.
func (r *RateLimits) PeekRateLimit(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	vals, err := r.client.HMGet(ctx, r.prefix+key, "n", "e").Result()
	if err != nil {
		return 0, time.Time{}, err
	}
	n, e := toInt(vals[0]), toInt(vals[1])
	if e <= now.UnixMilli() {
		return 0, time.Time{}, nil
	}
	return int(n), time.UnixMilli(e).UTC(), nil
}

// DeleteExpiredRateLimits forgets windows that ended before t (by the
// caller's clock; Redis also expires each key a minute after its window by
// its own). Portal calls it about once an hour.
func (r *RateLimits) DeleteExpiredRateLimits(ctx context.Context, t time.Time) error {
	iter := r.client.Scan(ctx, 0, r.prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		e, err := r.client.HGet(ctx, key, "e").Int64()
		if err != nil && err != goredis.Nil {
			return err
		}
		if e < t.UnixMilli() {
			if err := r.client.Del(ctx, key).Err(); err != nil {
				return err
			}
		}
	}
	return iter.Err()
}

func toInt(v any) int64 {
	s, ok := v.(string)
	if !ok {
		return 0
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// ResetRateLimit forgets key's window.
func (r *RateLimits) ResetRateLimit(ctx context.Context, key string) error {
	return r.client.Del(ctx, r.prefix+key).Err()
}
