// Package redisstore keeps the state that makes webhook processing exactly-once in Redis, so that several
// instances of a receiver behind a load balancer share it: a [Deduper] for [webhooks.WithDeduper], and a
// [Checkpoint] for the event-stream position of a backfill (see package
// github.com/socotra-go/sdk/webhooks/backfill).
//
// It is a module of its own so that the SDK's root module does not depend on a Redis client. It uses
// github.com/redis/go-redis/v9 and accepts any of its clients (a *redis.Client, a *redis.ClusterClient, a
// *redis.Ring) through [redis.Cmdable].
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	dd, err := redisstore.NewDeduper(rdb, redisstore.WithLease(2*time.Minute))
//	if err != nil {
//		return err
//	}
//	h := webhooks.NewHandler(webhooks.WithDeduper(dd), webhooks.WithTimeout(time.Minute))
//
// # How the Deduper works
//
// Each event id has one key. [Deduper.Claim] sets it to a claim marker with SET NX and an expiry (the lease),
// so that of several instances receiving the same event at once exactly one processes it, and a claim held
// by an instance that died expires. [Deduper.Complete] replaces the marker with a done marker that lives
// for the done TTL; [Deduper.Release] deletes the marker, but only if the claim is still this Deduper's, so
// an instance whose lease ran out cannot drop the claim another instance took over since. Claim and Release
// are Lua scripts, atomic on the server.
//
// Keep the lease longer than the longest a handler may run (bound it with [webhooks.WithTimeout]): once a
// lease expires another delivery of the same event may run the handlers while the first still does.
package redisstore
