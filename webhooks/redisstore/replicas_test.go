package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/redisstore"
)

// Two receivers, each with its own Handler and its own Deduper on the same Redis, get a stream in which
// every event is delivered up to three times, concurrently, to either receiver, and some handler runs fail
// once. Every event must be processed exactly once.
func TestTwoReceiversShareDedupe(t *testing.T) {
	t.Parallel()
	rdb := newClient(t)
	secret := []byte("replica-secret")
	const events = 400

	var mu sync.Mutex
	processed := map[string]int{} // successful handler runs per event id
	failedOnce := map[string]bool{}
	var urls []string
	for range 2 {
		dd, err := redisstore.NewDeduper(rdb, redisstore.WithPrefix(prefix(t)))
		if err != nil {
			t.Fatal(err)
		}
		h := webhooks.NewHandler(webhooks.WithDeduper(dd))
		h.On("*", func(_ context.Context, ev *webhooks.Event) error {
			time.Sleep(time.Millisecond) // widen the window in which a duplicate can race
			mu.Lock()
			defer mu.Unlock()
			if ev.ID[len(ev.ID)-1] == '7' && !failedOnce[ev.ID] {
				failedOnce[ev.ID] = true
				return errors.New("transient failure")
			}
			processed[ev.ID]++
			return nil
		})
		rcv, err := webhooks.NewSecretReceiver(secret, h)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(rcv)
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}

	// The deliveries: each event one to three times, in a shuffled order.
	var queue []string
	for i := range events {
		id := fmt.Sprintf("01JD%022d", i)
		for range 1 + i%3 {
			queue = append(queue, id)
		}
	}
	rand.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })

	work := make(chan string)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for id := range work {
				deliver(t, urls[rng.IntN(len(urls))], urls, id, secret)
			}
		})
	}
	for _, id := range queue {
		work <- id
	}
	close(work)
	wg.Wait()

	if len(processed) != events {
		t.Fatalf("%d events processed, want %d", len(processed), events)
	}
	for id, n := range processed {
		if n != 1 {
			t.Errorf("event %s processed %d times, want once", id, n)
		}
	}
	if len(failedOnce) == 0 {
		t.Error("no handler run failed; the test does not exercise Release")
	}
}

// deliver posts one Core delivery of id to url until a receiver answers 200, trying the other receivers
// after a failure, as a load balancer in front of retries would.
func deliver(t *testing.T, url string, urls []string, id string, secret []byte) {
	body := fmt.Appendf(nil, `{"locator":%q,"type":"policy.create","timestamp":"2026-11-23T10:00:00Z","data":{}}`, id)
	deadline := time.Now().Add(30 * time.Second) // patience for a loaded machine; a healthy run needs a few tries
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		req, err := hmac.NewSignedRequest(http.MethodPost, url, body, secret)
		if err != nil {
			t.Error(err)
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
		url = urls[(attempt+1)%len(urls)]
		time.Sleep(2 * time.Millisecond)
	}
	t.Errorf("event %s: no receiver accepted it within 30s", id)
}
