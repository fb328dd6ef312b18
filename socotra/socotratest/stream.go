package socotratest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/coreapi"
)

// cursor is the content of a paging token: the query of the first call and the last event returned.
type cursor struct {
	Time  int64      `json:"t"`
	Seq   uint64     `json:"s"`
	Start *time.Time `json:"a,omitempty"`
	End   *time.Time `json:"b,omitempty"`
	Type  string     `json:"y,omitempty"`
	Size  int        `json:"n"`
}

func (c *cursor) token() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseToken(s string) (*cursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	c := new(cursor)
	if err != nil || json.Unmarshal(b, c) != nil || c.Size < 1 || c.Size > maxPageSize {
		return nil, false
	}
	return c, true
}

// after reports whether e comes after the cursor position in stream order.
func (c *cursor) after(e *event) bool {
	t := e.time.UnixNano()
	return t > c.Time || t == c.Time && e.seq > c.Seq
}

// matches applies the query of the first call; endTimestamp is exclusive (assumption: no source
// states it).
func (c *cursor) matches(e *event) bool {
	return e.platform == events.Core && (c.Start == nil || !e.time.Before(*c.Start)) &&
		(c.End == nil || e.time.Before(*c.End)) && (c.Type == "" || string(e.typ) == c.Type)
}

// maxPageSize bounds pageSize, which is 1..1000 and 100 when left out (assumption: no source
// states it).
const maxPageSize = 1000

func (a *coreAPI) ListEvents(w http.ResponseWriter, r *http.Request, _ coreapi.TenantLocator, p coreapi.ListEventsParams) {
	var c *cursor
	var fe fieldErrors
	if p.PagingToken != nil {
		if len(r.URL.Query()) > 1 {
			writeCoreError(w, http.StatusBadRequest, "pagingToken cannot be combined with other query parameters: pass it alone")
			return
		}
		var ok bool
		if c, ok = parseToken(*p.PagingToken); !ok {
			writeCoreError(w, http.StatusBadRequest, "pagingToken is not a token from a previous page")
			return
		}
	} else {
		c = &cursor{Time: minTime, Start: p.StartTimestamp, End: p.EndTimestamp, Type: deref(p.Type), Size: 100}
		if p.PageSize != nil {
			if c.Size = int(*p.PageSize); c.Size < 1 || c.Size > maxPageSize {
				fe.add("pageSize", "must be between 1 and "+strconv.Itoa(maxPageSize))
			}
		}
		if c.Start != nil && c.End != nil && !c.Start.Before(*c.End) {
			fe.add("endTimestamp", "must be after startTimestamp")
		}
		if fe != nil {
			writeCoreFieldErrors(w, fe)
			return
		}
	}
	s := a.s
	s.mu.Lock()
	page := []coreapi.EventResponse{}
	more := false
	for _, e := range s.stream {
		if !c.after(e) || !c.matches(e) {
			continue
		}
		if len(page) == c.Size {
			more = true
			break
		}
		page = append(page, coreEvent(e))
		c.Time, c.Seq = e.time.UnixNano(), e.seq
	}
	s.mu.Unlock()
	// Every page carries a token, the last one too: it stays valid after the end, so polling it
	// later returns the events emitted since. Socotra documents this for the Legacy stream; that
	// Core does the same is an assumption (seed 002 does not say).
	resp := coreapi.EventStreamResponse{Events: &page, PagingToken: ptr(c.token())}
	if !more && s.cfg.noEndToken {
		resp.PagingToken = nil
	}
	writeJSON(w, http.StatusOK, resp)
}

// minTime sorts before every event time.
const minTime = -1 << 63

func coreEvent(e *event) coreapi.EventResponse {
	r := coreapi.EventResponse{Locator: e.id, Type: string(e.typ), Timestamp: e.time.UTC(), Data: e.data}
	if e.request != "" {
		r.RequestId = ptr(e.request)
	}
	if e.user != "" {
		r.UserLocator = ptr(e.user)
	}
	return r
}

func (a *coreAPI) GetEvent(w http.ResponseWriter, _ *http.Request, _ coreapi.TenantLocator, loc string) {
	a.s.mu.Lock()
	e := a.s.byID[loc]
	a.s.mu.Unlock()
	if e == nil || e.platform != events.Core {
		writeCoreError(w, http.StatusNotFound, "event "+strconv.Quote(loc)+" not found")
		return
	}
	writeJSON(w, http.StatusOK, coreEvent(e))
}

func (a *coreAPI) ListEventsForRequest(w http.ResponseWriter, _ *http.Request, _ coreapi.TenantLocator, loc string) {
	// The request locator is a ULID (core-webhooks-openapi-subset.json: format ulid).
	if _, err := ulid.ParseStrict(loc); err != nil {
		writeCoreFieldErrors(w, fieldErrors{{"locator", strconv.Quote(loc) + " is not a ULID"}})
		return
	}
	list := coreapi.EventList{}
	a.s.mu.Lock()
	for _, e := range a.s.stream {
		if e.platform == events.Core && e.request == loc {
			list = append(list, coreEvent(e))
		}
	}
	a.s.mu.Unlock()
	writeJSON(w, http.StatusOK, list)
}
