package socotratest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/legacyapi"
)

// The Legacy event stream, GET /eventstream/events. Its shape comes from Socotra's own tools
// (socotra/public, socotratools/socotratools/client.py get_events and event_test.py): the first call sends
// startTimestamp (and optionally endTimestamp and pageSize), each later call only the pagingToken of the
// previous page, and the caller stops at an empty page. Socotra documents that a token comes with every page
// and stays valid after the end (reference/socotra-facts.md, section 6), so this fake always returns one, also
// when caught up, and the token of a caught-up page picks up events emitted later.
//
// Assumptions (no source confirms them): the bounds and default of pageSize (those of the Core stream here),
// that pagingToken must come alone (documented for Core, and what Socotra's tools do), and that an event
// carries the members of the webhook payload besides id, type and timestamp.

// legacyCursor is the content of a Legacy paging token: the first call's range and page size, and the
// position of the last event returned. L marks it as a Legacy token, so a Core token is refused here.
type legacyCursor struct {
	L     int    `json:"l"`
	Time  int64  `json:"t"`
	Seq   uint64 `json:"s"`
	Start *int64 `json:"a,omitempty"` // epoch ms
	End   *int64 `json:"b,omitempty"` // epoch ms
	Size  int    `json:"n"`
}

func (c *legacyCursor) token() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseLegacyToken(s string) (*legacyCursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	c := new(legacyCursor)
	if err != nil || json.Unmarshal(b, c) != nil || c.L != 1 || c.Size < 1 || c.Size > maxPageSize {
		return nil, false
	}
	return c, true
}

// after reports whether e comes after the cursor position in stream order.
func (c *legacyCursor) after(e *event) bool {
	t := e.time.UnixNano()
	return t > c.Time || t == c.Time && e.seq > c.Seq
}

func (c *legacyCursor) matches(e *event) bool {
	ms := e.time.UnixMilli()
	return e.platform == events.Legacy && (c.Start == nil || ms >= *c.Start) && (c.End == nil || ms < *c.End)
}

func (a *legacyAPI) ListEvents(w http.ResponseWriter, r *http.Request, p legacyapi.ListEventsParams) {
	var c *legacyCursor
	if p.PagingToken != nil {
		if len(r.URL.Query()) > 1 {
			writeLegacyError(w, r, http.StatusBadRequest,
				"pagingToken cannot be combined with other query parameters: pass it alone")
			return
		}
		var ok bool
		if c, ok = parseLegacyToken(*p.PagingToken); !ok {
			writeLegacyError(w, r, http.StatusBadRequest, "pagingToken is not a token from a previous page")
			return
		}
	} else {
		var fe fieldErrors
		c = &legacyCursor{L: 1, Time: minTime, Start: p.StartTimestamp, End: p.EndTimestamp, Size: 100}
		if p.PageSize != nil {
			if c.Size = int(*p.PageSize); c.Size < 1 || c.Size > maxPageSize {
				fe.add("pageSize", "must be between 1 and "+strconv.Itoa(maxPageSize))
			}
		}
		if c.Start != nil && c.End != nil && *c.Start >= *c.End {
			fe.add("endTimestamp", "must be after startTimestamp")
		}
		if fe != nil {
			writeLegacyFieldErrors(w, r, fe)
			return
		}
	}
	s := a.s
	s.mu.Lock()
	page := []legacyStreamEvent{}
	for _, e := range s.stream {
		if len(page) == c.Size {
			break
		}
		if !c.after(e) || !c.matches(e) {
			continue
		}
		page = append(page, legacyStreamEventOf(e))
		c.Time, c.Seq = e.time.UnixNano(), e.seq
	}
	s.mu.Unlock()
	// Always a token: after the last event returned, or where the caller was when there is none yet.
	writeJSON(w, http.StatusOK, struct {
		Events      []legacyStreamEvent `json:"events"`
		PagingToken string              `json:"pagingToken"`
	}{page, c.token()})
}

// legacyStreamEvent is an event as the Legacy stream sends it. Its timestamp is a string of epoch
// milliseconds: Socotra's event_test.py concatenates it with strings, which only works for a string.
type legacyStreamEvent struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	Timestamp     string          `json:"timestamp"`
	TransactionID string          `json:"transactionId"`
	Username      string          `json:"username"`
	Data          json.RawMessage `json:"data"`
}

func legacyStreamEventOf(e *event) legacyStreamEvent {
	return legacyStreamEvent{
		ID: e.id, Type: string(e.typ), Timestamp: strconv.FormatInt(e.time.UnixMilli(), 10),
		TransactionID: e.request, Username: e.user, Data: e.data,
	}
}
