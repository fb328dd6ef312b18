package bench

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/oklog/ulid/v2"
)

func TestCoreEventShape(t *testing.T) {
	t.Parallel()
	for _, s := range Sizes {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			loc := Locator(7)
			body := CoreEvent(s.Bytes, loc)
			if len(body) != s.Bytes {
				t.Fatalf("len = %d, want %d", len(body), s.Bytes)
			}
			var ev struct {
				Locator, RequestID, UserLocator, Timestamp, Type string
				Data                                             struct {
					InvoiceLocator string
					PolicyLocators struct {
						ListCompleted bool
						Items         []string
					}
					Charges []map[string]string
				}
			}
			if err := json.Unmarshal(body, &ev); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			if ev.Locator != loc || string(body[LocatorOffset:LocatorOffset+len(loc)]) != loc {
				t.Errorf("locator %q not at offset %d", loc, LocatorOffset)
			}
			if ev.Type != EventType || ev.Timestamp == "" || ev.Data.InvoiceLocator == "" ||
				len(ev.Data.PolicyLocators.Items) == 0 || (s.Bytes > 512 && len(ev.Data.Charges) == 0) {
				t.Errorf("missing Core fields: %+v", ev)
			}
			stripe := StripeEvent(s.Bytes, "2026-02-25.clover")
			if len(stripe) != s.Bytes || !json.Valid(stripe) {
				t.Errorf("stripe body: len %d, valid %v", len(stripe), json.Valid(stripe))
			}
		})
	}
}

func TestLocatorsDistinctULIDs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, n := range []uint64{0, 1, 2, 1 << 40, 1<<64 - 1} {
		s := Locator(n)
		if _, err := ulid.ParseStrict(s); err != nil {
			t.Errorf("Locator(%d) = %q: %v", n, s, err)
		}
		if seen[s] {
			t.Errorf("Locator(%d) = %q repeats", n, s)
		}
		seen[s] = true
	}
}

func TestCoreEventPanicsWhenTooSmall(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a 100-byte event")
		}
	}()
	CoreEvent(100, Locator(0))
}

func TestSignHexMatchesKnownVector(t *testing.T) {
	t.Parallel()
	// RFC 4231 test case 2.
	got := SignHex([]byte("Jefe"), []byte("what do ya want for nothing?"))
	want := "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got != want {
		t.Fatalf("SignHex = %s, want %s", got, want)
	}
	if bytes.Equal(CoreEvent(512, Locator(1)), CoreEvent(512, Locator(2))) {
		t.Fatal("different locators gave the same body")
	}
}
