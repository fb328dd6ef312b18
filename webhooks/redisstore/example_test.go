package redisstore_test

import (
	"log"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/redisstore"
)

// Every instance of the service builds its receiver the same way; the Redis keys make an event that two
// instances receive run once.
func ExampleNewDeduper() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	dd, err := redisstore.NewDeduper(rdb, redisstore.WithPrefix("orders:dedupe:"), redisstore.WithLease(2*time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	h := webhooks.NewHandler(webhooks.WithDeduper(dd), webhooks.WithTimeout(time.Minute))
	rcv, err := webhooks.NewSecretReceiver([]byte("the webhook secret"), h)
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("POST /socotra", rcv)
}
