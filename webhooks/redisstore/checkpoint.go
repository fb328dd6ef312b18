package redisstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Checkpoint keeps a backfill's position in the Core event stream (its paging token) under one Redis key,
// so that whichever instance runs the next backfill resumes where the last one stopped. It implements the
// Checkpoint interface of package github.com/socotra-go/sdk/webhooks/backfill and is safe for concurrent
// use; the key never expires.
type Checkpoint struct {
	rdb redis.Cmdable
	key string
}

// NewCheckpoint returns a Checkpoint stored under key in rdb. It fails when rdb is nil or key is empty; it
// does not contact Redis.
func NewCheckpoint(rdb redis.Cmdable, key string) (*Checkpoint, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: nil Redis client; pass one made with redis.NewClient")
	}
	if key == "" {
		return nil, errors.New(`redisstore: empty checkpoint key; name it after the webhook it follows, e.g. "socotra:backfill:orders"`)
	}
	return &Checkpoint{rdb: rdb, key: key}, nil
}

// Key returns the Redis key the checkpoint is stored under.
func (c *Checkpoint) Key() string { return c.key }

// Load returns the saved paging token, or "" when none was saved.
func (c *Checkpoint) Load(ctx context.Context) (string, error) {
	tok, err := c.rdb.Get(ctx, c.key).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("redisstore: load checkpoint %q: %w", c.key, err)
	}
	return tok, nil
}

// Save stores token, replacing the one saved before.
func (c *Checkpoint) Save(ctx context.Context, token string) error {
	if err := c.rdb.Set(ctx, c.key, token, 0).Err(); err != nil {
		return fmt.Errorf("redisstore: save checkpoint %q: %w", c.key, err)
	}
	return nil
}
