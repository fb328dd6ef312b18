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
// Each event id has one key. [Deduper.ClaimLease], which a [webhooks.Handler] calls, sets it with SET NX and
// an expiry (the lease) to a token naming this claim alone, so that of several instances receiving the same
// event at once exactly one processes it, and a claim held by an instance that died expires.
// [Deduper.CompleteLease] replaces the token with a done marker that lives for the done TTL, and
// [Deduper.ReleaseLease] deletes the key, both only while the token still holds it: a delivery whose lease
// ran out, in another instance or in this one, cannot drop or finish the claim a later delivery took over
// since. The scripts are Lua, atomic on the server. The plain [Deduper.Claim], [Deduper.Complete] and
// [Deduper.Release] remain for other callers; their claims share one token per Deduper.
//
// Keep the lease longer than the longest a handler may run (bound it with [webhooks.WithTimeout]): once a
// lease expires another instance may run the handlers while the first still does. Within one instance a
// Handler never runs an event twice at once, whatever the lease.
package redisstore
