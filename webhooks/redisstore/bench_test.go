package redisstore_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/socotra-go/sdk/webhooks/redisstore"
)

// BenchmarkDeduper measures what dedupe costs per event against the floor of one Redis round trip (PING):
// a new event takes two round trips (claim, complete), a duplicate one.
func BenchmarkDeduper(b *testing.B) {
	rdb := newClient(b)
	ctx := context.Background()
	dd, err := redisstore.NewDeduper(rdb, redisstore.WithPrefix(prefix(b)))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("floor=ping", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := rdb.Ping(ctx).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("new event", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			id := strconv.Itoa(i)
			i++
			if _, err := dd.Claim(ctx, id); err != nil {
				b.Fatal(err)
			}
			if err := dd.Complete(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := dd.Claim(ctx, "0"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
