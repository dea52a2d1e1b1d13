package portal

import (
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestRedisPrefix: --sessions takes Portal's own prefix parameter out of
// the Redis URL, keeps the others for go-redis, and defaults to "portal:".
func TestRedisPrefix(t *testing.T) {
	tests := []struct {
		in, url, prefix string
	}{
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0", "portal:"},
		{"redis://127.0.0.1:6379/2?prefix=staging:", "redis://127.0.0.1:6379/2", "staging:"},
		{"rediss://u:p@cache:6380/1?prefix=a%2Fb&dial_timeout=3s", "rediss://u:p@cache:6380/1?dial_timeout=3s", "a/b"},
	}
	for _, tt := range tests {
		u, p, err := redisPrefix(tt.in)
		if err != nil || u != tt.url || p != tt.prefix {
			t.Errorf("redisPrefix(%q) = %q, %q, %v; want %q, %q", tt.in, u, p, err, tt.url, tt.prefix)
			continue
		}
		if _, err := redis.ParseURL(u); err != nil {
			t.Errorf("go-redis refuses %q: %v", u, err)
		}
	}
	if _, _, err := redisPrefix("redis://127.0.0.1:6379/0?prefix="); err == nil {
		t.Error("an empty prefix was accepted")
	}
}
