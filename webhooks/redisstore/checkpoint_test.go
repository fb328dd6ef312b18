package redisstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/socotra-go/sdk/webhooks/redisstore"
)

func TestNewCheckpointRejectsBadArguments(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	if _, err := redisstore.NewCheckpoint(nil, "k"); err == nil || !strings.Contains(err.Error(), "nil Redis client") {
		t.Errorf("nil client: %v", err)
	}
	if _, err := redisstore.NewCheckpoint(rdb, ""); err == nil || !strings.Contains(err.Error(), "empty checkpoint key") {
		t.Errorf("empty key: %v", err)
	}
}

func TestCheckpointSaveLoad(t *testing.T) {
	t.Parallel()
	rdb := newClient(t)
	a, _ := redisstore.NewCheckpoint(rdb, prefix(t)+"a")
	b, _ := redisstore.NewCheckpoint(rdb, prefix(t)+"b")
	ctx := t.Context()
	if tok, err := a.Load(ctx); tok != "" || err != nil {
		t.Fatalf("Load before Save = %q, %v; want empty, nil", tok, err)
	}
	for _, tok := range []string{"page-1", "page-2"} {
		if err := a.Save(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if got, err := a.Load(ctx); got != tok || err != nil {
			t.Fatalf("Load after Save(%q) = %q, %v", tok, got, err)
		}
	}
	if tok, _ := b.Load(ctx); tok != "" {
		t.Errorf("another key sees %q", tok)
	}
	// Another instance (a new client on the same Redis) resumes from the same position.
	again, _ := redisstore.NewCheckpoint(newClient(t), a.Key())
	if tok, _ := again.Load(ctx); tok != "page-2" {
		t.Errorf("second instance loads %q, want page-2", tok)
	}
	if ttl := rdb.TTL(ctx, a.Key()).Val(); ttl != -1 {
		t.Errorf("checkpoint key TTL = %s, want none (-1)", ttl)
	}
}

func TestCheckpointReportsRedisFailures(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	c, _ := redisstore.NewCheckpoint(rdb, "k")
	if _, err := c.Load(t.Context()); err == nil || !strings.HasPrefix(err.Error(), `redisstore: load checkpoint "k": `) {
		t.Errorf("Load = %v", err)
	}
	if err := c.Save(t.Context(), "x"); err == nil || !strings.HasPrefix(err.Error(), `redisstore: save checkpoint "k": `) {
		t.Errorf("Save = %v", err)
	}
}
