package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/accountportal/portal/store"
	"github.com/accountportal/portal/store/redis"
	"github.com/accountportal/portal/store/storetest"
)

// TestRateLimitsSuite runs the store suite's rate-limit part on Redis
// (PORTAL_TEST_REDIS_URL), each run under a fresh key prefix.
func TestRateLimitsSuite(t *testing.T) {
	url := os.Getenv("PORTAL_TEST_REDIS_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must set PORTAL_TEST_REDIS_URL")
		}
		t.Skip("PORTAL_TEST_REDIS_URL is not set")
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	client := goredis.NewClient(opts)
	t.Cleanup(func() { client.Close() })
	if err := client.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	storetest.RunRateLimits(t, func(t *testing.T) store.RateLimits {
		b := make([]byte, 8)
		rand.Read(b)
		return redis.NewRateLimits(client, "portal-test:"+hex.EncodeToString(b)+":")
	})
}
