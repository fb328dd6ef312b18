package conformance_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/conformance"
)

// flaws breaks a hand-written receiver in one way each; the zero value is a receiver that conforms.
type flaws struct {
	sleep          time.Duration                // before answering anything
	noLimit        bool                         // reads the whole body whatever its size
	limit          int64                        // body limit; 0 means hmac.DefaultMaxBodyBytes
	singleRead     bool                         // reads the body with one Read call
	noVerify       bool                         // never checks the signature
	observeFirst   bool                         // processes before checking the signature
	malformed500   bool                         // answers 500 to a body Parse refuses
	panicMalformed bool                         // panics on a body Parse refuses
	unknownStatus  int                          // answer to an unknown event type; 0 means 200
	maxAge         time.Duration                // refuses (400) events older than this
	dropOlder      bool                         // acknowledges without processing events older than the newest seen
	noDedupe       bool                         // processes every delivery
	racyDedupe     bool                         // checks for a repeat, then claims later
	repeatStatus   int                          // answer to an event already processed; 0 means 200
	markDoneFirst  bool                         // records the event as done before processing it
	keepClaim      bool                         // keeps the in-progress claim when processing fails
	failStatus     int                          // answer when processing fails; 0 means 500
	observeID      func(*webhooks.Event) string // the id given to the probe; nil means the event id
	noObserve      bool                         // never calls the probe
	strict         bool                         // refuses (400) a body with members it does not know
}

// handler returns the receiver with f's flaws, reporting processing to probe (which may be nil).
func (f flaws) handler(secret []byte, probe *conformance.Probe) http.Handler {
	const (
		inProgress = 1
		done       = 2
	)
	var (
		mu     sync.Mutex
		state  = map[string]int{}
		newest time.Time
	)
	verifier, err := hmac.NewVerifier(secret)
	if err != nil {
		panic(err)
	}
	observe := func(ev *webhooks.Event) error {
		if probe == nil || f.noObserve {
			return nil
		}
		if f.observeID != nil {
			return probe.Observe(f.observeID(ev))
		}
		return probe.Observe(ev.ID)
	}
	status := func(code, dflt int) int {
		if code == 0 {
			return dflt
		}
		return code
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(f.sleep)
		limit := f.limit
		if limit == 0 {
			limit = hmac.DefaultMaxBodyBytes
		}
		var body []byte
		switch {
		case f.singleRead:
			buf := make([]byte, limit+1)
			n, _ := r.Body.Read(buf)
			body = buf[:n]
		case f.noLimit:
			body, _ = io.ReadAll(r.Body)
		default:
			var err error
			if body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit)); err != nil {
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				return
			}
		}
		ev, perr := webhooks.Parse(body)
		if f.strict && perr == nil {
			var known struct {
				Locator, RequestID, UserLocator, Timestamp, Type, ID, TransactionID, Username any
				Data                                                                          map[string]any
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if dec.Decode(&known) != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
		}
		if f.observeFirst && perr == nil {
			_ = observe(ev)
		}
		if !f.noVerify && verifier.Verify(body, r.Header) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch {
		case perr != nil && f.panicMalformed:
			panic(perr)
		case perr != nil && f.malformed500:
			w.WriteHeader(http.StatusInternalServerError)
			return
		case perr != nil:
			w.WriteHeader(http.StatusBadRequest)
			return
		case !ev.Type.Known():
			w.WriteHeader(status(f.unknownStatus, http.StatusOK))
			return
		case f.maxAge > 0 && time.Since(ev.Time) > f.maxAge:
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		if f.dropOlder && ev.Time.Before(newest) {
			mu.Unlock()
			return
		}
		if ev.Time.After(newest) {
			newest = ev.Time
		}
		if !f.noDedupe {
			switch state[ev.ID] {
			case done:
				mu.Unlock()
				w.WriteHeader(status(f.repeatStatus, http.StatusOK))
				return
			case inProgress:
				mu.Unlock()
				w.WriteHeader(http.StatusConflict)
				return
			}
			if f.racyDedupe {
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
				mu.Lock()
			}
			state[ev.ID] = inProgress
			if f.markDoneFirst {
				state[ev.ID] = done
			}
		}
		mu.Unlock()
		if f.observeFirst {
			return // processed already, before the signature was checked
		}
		if err := observe(ev); err != nil {
			if !f.keepClaim && !f.markDoneFirst {
				mu.Lock()
				delete(state, ev.ID)
				mu.Unlock()
			}
			w.WriteHeader(status(f.failStatus, http.StatusInternalServerError))
			return
		}
		mu.Lock()
		if !f.noDedupe {
			state[ev.ID] = done
		}
		mu.Unlock()
	})
}
