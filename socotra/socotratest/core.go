package socotratest

import (
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/coreapi"
)

// coreHook is a stored Core webhook.
type coreHook struct {
	seq         uint64
	locator     string
	name        string
	enabled     bool
	suspended   bool
	suspendedAt time.Time
	eventTypes  []string
	endpoint    coreEndpoint
	failure     *coreFailure // nil: the platform default
	automation  bool
	diverted    []*diverted
}

type coreEndpoint struct {
	url       string
	headers   map[string][]string
	secureSSL bool
	hmac      bool
	secret    string
	tag       string
}

type coreFailure struct {
	triggers []string
	retry    *coreRetry
	alert    *coreEndpoint
	divert   bool
	suspend  bool
}

type coreRetry struct {
	typ      string
	interval int64
	attempts int32
}

// defaultCoreTriggers are the triggers of a webhook created without failure handling.
var defaultCoreTriggers = []string{"4xx", "5xx", "timeout"}

func (f *coreFailure) orDefault() *coreFailure {
	if f != nil {
		return f
	}
	return &coreFailure{triggers: slices.Clone(defaultCoreTriggers)}
}

func (e *coreEndpoint) target() *target {
	return &target{url: e.url, headers: toHeader(e.headers), hmac: e.hmac, secret: e.secret, secureSSL: e.secureSSL}
}

func (h *coreHook) target() *target {
	t := h.endpoint.target()
	f := h.failure.orDefault()
	t.policy = policy{triggers: f.triggers, divert: f.divert, suspend: f.suspend}
	if f.retry != nil {
		t.policy.retries, t.policy.backoff, t.policy.interval = int(f.retry.attempts), f.retry.typ, f.retry.interval
	}
	if f.alert != nil {
		t.alert = f.alert.target()
	}
	return t
}

func (e *coreEndpoint) response(withSecret bool) *coreapi.EndpointResponse {
	r := &coreapi.EndpointResponse{
		Url: ptr(e.url), SecureSsl: ptr(e.secureSSL), HmacEnabled: ptr(e.hmac), Tag: ptr(e.tag),
		Headers: ptr(cloneHeaders(e.headers)),
	}
	if e.headers == nil {
		r.Headers = ptr(map[string][]string{})
	}
	if withSecret && e.secret != "" {
		r.Secret = ptr(e.secret)
	}
	return r
}

func (h *coreHook) response(withSecret bool) coreapi.WebhookResponse {
	f := h.failure.orDefault()
	fr := &coreapi.FailureHandlingResponse{
		Triggers: ptr(slices.Clone(f.triggers)), Divert: ptr(f.divert), Suspend: ptr(f.suspend),
	}
	if f.retry != nil {
		fr.RetryStrategy = &coreapi.RetryStrategyResponse{
			Type: ptr(f.retry.typ), Interval: ptr(f.retry.interval), Attempts: ptr(f.retry.attempts),
		}
	}
	if f.alert != nil {
		fr.AlertEndpoint = f.alert.response(withSecret)
	}
	r := coreapi.WebhookResponse{
		Locator: h.locator, Name: ptr(h.name), Enabled: ptr(h.enabled), Suspended: ptr(h.suspended),
		EventTypes: ptr(slices.Clone(h.eventTypes)), Endpoint: h.endpoint.response(withSecret), FailureHandling: fr,
	}
	if h.suspended {
		r.SuspendedAt = ptr(h.suspendedAt)
	}
	return r
}

// newCoreEndpoint validates and converts a create-endpoint request; field errors go under prefix.
func newCoreEndpoint(fe *fieldErrors, prefix string, r *coreapi.CreateEndpointRequest) *coreEndpoint {
	e := &coreEndpoint{
		url: r.Url, headers: cloneHeaders(deref(r.Headers)), secureSSL: r.SecureSsl == nil || *r.SecureSsl,
		hmac: deref(r.HmacEnabled), secret: deref(r.Secret), tag: deref(r.Tag),
	}
	checkEndpoint(fe, prefix, e)
	return e
}

// checkEndpoint refuses what the SDK refuses of a Core endpoint. Only the URL rule is the platform's;
// the secret rules are the SDK's reading (assumption: seed 001 states neither for Core, and seed 003
// states "a tag needs a secret" for Legacy's securitySpec only), so a request that passes here may be
// stricter than Socotra needs, never looser.
func checkEndpoint(fe *fieldErrors, prefix string, e *coreEndpoint) {
	if msg := checkURL(e.url); msg != "" {
		fe.add(prefix+".url", msg)
	}
	if e.hmac && e.secret == "" {
		fe.add(prefix+".secret", "is required when hmacEnabled is true")
	}
	if e.tag != "" && e.secret == "" {
		fe.add(prefix+".tag", "needs a secret")
	}
}

func checkTriggers(fe *fieldErrors, field string, triggers []string) {
	for i, t := range triggers {
		if !triggerPattern.MatchString(t) {
			fe.add(field+"["+strconv.Itoa(i)+"]", strconv.Quote(t)+` is not a trigger (want "timeout", a class such as "5xx" or a code such as "503")`)
		}
	}
}

// applyRetry merges a retry strategy request into r (nil for a new one) and validates it.
func applyRetry(fe *fieldErrors, field string, r *coreRetry, typ *coreapi.RetryType, interval *int64, attempts *int32) *coreRetry {
	if r == nil {
		r = &coreRetry{typ: string(coreapi.RetryTypeLinear), interval: 1, attempts: 3}
	} else {
		c := *r
		r = &c
	}
	if typ != nil {
		if !typ.Valid() {
			fe.add(field+".type", strconv.Quote(string(*typ))+` is not a retry type (want "linear" or "exponential")`)
		}
		r.typ = string(*typ)
	}
	if interval != nil {
		if *interval < 0 {
			fe.add(field+".interval", "must not be negative")
		}
		r.interval = *interval
	}
	if attempts != nil {
		if *attempts < 1 || *attempts > 10 {
			fe.add(field+".attempts", "must be between 1 and 10, got "+strconv.Itoa(int(*attempts)))
		}
		r.attempts = *attempts
	}
	return r
}

func newCoreFailure(fe *fieldErrors, r *coreapi.FailureHandlingCreateRequest) *coreFailure {
	f := &coreFailure{triggers: slices.Clone(defaultCoreTriggers), divert: deref(r.Divert), suspend: deref(r.Suspend)}
	if r.Triggers != nil {
		f.triggers = addRemove(nil, nil, *r.Triggers)
		checkTriggers(fe, "failureHandling.triggers", f.triggers)
	}
	if rs := r.RetryStrategy; rs != nil {
		f.retry = applyRetry(fe, "failureHandling.retryStrategy", nil, rs.Type, rs.Interval, rs.Attempts)
	}
	if r.AlertEndpoint != nil {
		f.alert = newCoreEndpoint(fe, "failureHandling.alertEndpoint", r.AlertEndpoint)
	}
	return f
}

type coreAPI struct{ s *Server }

// Seed 001 marks these members required (CreateWebhookRequest, CreateEndpointRequest,
// UpdateWebhookRequest, UpdateEndpointRequest); the fake refuses a request without one of them.
// It gives FailureHandlingCreateRequest and FailureHandlingUpdateRequest no required list, so
// their members stay optional, but an alertEndpoint inside them is an endpoint request like any
// other.
var (
	coreCreateRequired         = []string{"name", "enabled", "endpoint", "failureHandling", "eventTypes"}
	coreCreateEndpointRequired = []string{"url"}
	coreUpdateRequired         = []string{"name", "enabled", "endpoint", "failureHandling", "removeFailureHandling", "addEventTypes", "removeEventTypes"}
	coreUpdateEndpointRequired = []string{"url", "addHeaders", "removeHeaders"}
)

// decodeCore reads a Core request body into v. Malformed JSON is a field error on "body"; then
// every member in required (nil for none) and, when present, every member of the body's endpoint
// and failureHandling.alertEndpoint in endpoint, must be in the body: a member that is absent or
// null is a field error, while a zero value ("", false, [], {}) is present.
func decodeCore(r *http.Request, v any, required, endpoint []string) fieldErrors {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		return fieldErrors{{"body", "malformed JSON: " + err.Error()}}
	}
	var fe fieldErrors
	top := requireMembers(&fe, "", body, required)
	requireMembers(&fe, "endpoint.", top["endpoint"], endpoint)
	if f := top["failureHandling"]; present(f) {
		var fm map[string]json.RawMessage
		_ = json.Unmarshal(f, &fm)
		requireMembers(&fe, "failureHandling.alertEndpoint.", fm["alertEndpoint"], endpoint)
	}
	return fe
}

// requireMembers adds a field error, named prefix+member, for each member of required that the
// JSON object raw lacks, and returns raw's members. Nothing is required of an absent raw.
func requireMembers(fe *fieldErrors, prefix string, raw json.RawMessage, required []string) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if !present(raw) {
		return m
	}
	_ = json.Unmarshal(raw, &m) // raw decoded into the request already, so it is an object
	for _, k := range required {
		if !present(m[k]) {
			fe.add(prefix+k, "is required")
		}
	}
	return m
}

func present(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

func (a *coreAPI) CreateWebhook(w http.ResponseWriter, r *http.Request, _ coreapi.TenantLocator) {
	var req coreapi.CreateWebhookRequest
	if fe := decodeCore(r, &req, coreCreateRequired, coreCreateEndpointRequired); fe != nil {
		writeCoreFieldErrors(w, fe)
		return
	}
	resp, fe := a.s.createCore(&req)
	if fe != nil {
		writeCoreFieldErrors(w, fe)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// createCore validates and stores a new Core webhook.
func (s *Server) createCore(req *coreapi.CreateWebhookRequest) (coreapi.WebhookResponse, fieldErrors) {
	var fe fieldErrors
	if req.Name == "" {
		fe.add("name", "is required")
	}
	if len(req.EventTypes) == 0 {
		fe.add("eventTypes", "needs at least one event type")
	}
	checkEventTypes(&fe, "eventTypes", req.EventTypes, events.Core)
	h := &coreHook{
		name: req.Name, enabled: req.Enabled, eventTypes: addRemove(nil, nil, req.EventTypes),
		endpoint: *newCoreEndpoint(&fe, "endpoint", &req.Endpoint), failure: newCoreFailure(&fe, &req.FailureHandling),
		automation: deref(req.UseAutomationPlugin),
	}
	if fe != nil {
		return coreapi.WebhookResponse{}, fe
	}
	s.mu.Lock()
	s.seq++
	h.seq, h.locator = s.seq, s.newULID()
	s.coreHooks[h.locator] = h
	resp := h.response(true)
	s.mu.Unlock()
	s.cfg.log.Info("socotratest: core webhook created", "locator", h.locator, "name", h.name, "url", h.endpoint.url)
	return resp, nil
}

// AddCoreWebhook registers an enabled Core webhook that sends types to url, signed with secret
// when secret is not empty, with the default failure handling; it returns the webhook's
// locator. It is a shortcut for tests that do not go through the Core API.
func (s *Server) AddCoreWebhook(url, secret string, types ...events.Name) (string, error) {
	req := coreapi.CreateWebhookRequest{Name: "socotratest", Enabled: true, Endpoint: coreapi.CreateEndpointRequest{Url: url}}
	for _, t := range types {
		req.EventTypes = append(req.EventTypes, string(t))
	}
	if secret != "" {
		req.Endpoint.HmacEnabled, req.Endpoint.Secret = ptr(true), &secret
	}
	resp, fe := s.createCore(&req)
	if fe != nil {
		return "", errors.New("socotratest: add core webhook: " + fe.message())
	}
	return resp.Locator, nil
}

// hook returns the webhook or writes a 404; s.mu must be held.
func (a *coreAPI) hook(w http.ResponseWriter, locator string) *coreHook {
	h := a.s.coreHooks[locator]
	if h == nil {
		writeCoreError(w, http.StatusNotFound, "webhook "+strconv.Quote(locator)+" not found")
	}
	return h
}

func (a *coreAPI) GetWebhook(w http.ResponseWriter, _ *http.Request, _ coreapi.TenantLocator, loc coreapi.WebhookLocator) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if h := a.hook(w, loc); h != nil {
		writeJSON(w, http.StatusOK, h.response(true))
	}
}

func (a *coreAPI) DeleteWebhook(w http.ResponseWriter, _ *http.Request, _ coreapi.TenantLocator, loc coreapi.WebhookLocator) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if h := a.hook(w, loc); h != nil {
		delete(a.s.coreHooks, loc)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *coreAPI) UnsuspendWebhook(w http.ResponseWriter, _ *http.Request, _ coreapi.TenantLocator, loc coreapi.WebhookLocator) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if h := a.hook(w, loc); h != nil {
		h.suspended, h.suspendedAt = false, time.Time{}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *coreAPI) UpdateWebhook(w http.ResponseWriter, r *http.Request, _ coreapi.TenantLocator, loc coreapi.WebhookLocator) {
	var req coreapi.UpdateWebhookRequest
	if fe := decodeCore(r, &req, coreUpdateRequired, coreUpdateEndpointRequired); fe != nil {
		writeCoreFieldErrors(w, fe)
		return
	}
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	h := a.hook(w, loc)
	if h == nil {
		return
	}
	next, fe := updateCoreHook(*h, &req)
	if fe != nil {
		writeCoreFieldErrors(w, fe)
		return
	}
	*h = next
	writeJSON(w, http.StatusOK, h.response(true))
}

// updateCoreHook applies an update to a copy of h: every removal first, then every addition.
func updateCoreHook(h coreHook, req *coreapi.UpdateWebhookRequest) (coreHook, fieldErrors) {
	var fe fieldErrors
	if req.Name == "" {
		fe.add("name", "must not be empty")
	}
	h.name, h.enabled = req.Name, req.Enabled
	checkEventTypes(&fe, "addEventTypes", req.AddEventTypes, events.Core)
	h.eventTypes = addRemove(h.eventTypes, req.RemoveEventTypes, req.AddEventTypes)
	h.endpoint = updateCoreEndpoint(&fe, "endpoint", h.endpoint, &req.Endpoint)
	if req.RemoveFailureHandling {
		h.failure = nil
	}
	h.failure = updateCoreFailure(&fe, h.failure, &req.FailureHandling)
	return h, fe
}

// updateCoreFailure applies u to a copy of cur (nil: the default) and returns it.
func updateCoreFailure(fe *fieldErrors, cur *coreFailure, u *coreapi.FailureHandlingUpdateRequest) *coreFailure {
	f := *cur.orDefault()
	f.triggers = addRemove(f.triggers, deref(u.RemoveTriggers), deref(u.AddTriggers))
	checkTriggers(fe, "failureHandling.addTriggers", deref(u.AddTriggers))
	if deref(u.RemoveRetryStrategy) {
		f.retry = nil
	}
	if rs := u.RetryStrategy; rs != nil {
		f.retry = applyRetry(fe, "failureHandling.retryStrategy", f.retry, rs.Type, rs.Interval, rs.Attempts)
	}
	if deref(u.RemoveAlertEndpoint) {
		f.alert = nil
	}
	if u.AlertEndpoint != nil {
		var base coreEndpoint
		if f.alert != nil {
			base = *f.alert
		} else {
			base.secureSSL = true
		}
		f.alert = ptr(updateCoreEndpoint(fe, "failureHandling.alertEndpoint", base, u.AlertEndpoint))
	}
	if u.Divert != nil {
		f.divert = *u.Divert
	}
	if u.Suspend != nil {
		f.suspend = *u.Suspend
	}
	return &f
}

func updateCoreEndpoint(fe *fieldErrors, prefix string, e coreEndpoint, u *coreapi.UpdateEndpointRequest) coreEndpoint {
	e.url = u.Url
	headers := cloneHeaders(e.headers)
	for _, name := range u.RemoveHeaders {
		for k := range headers {
			if http.CanonicalHeaderKey(k) == http.CanonicalHeaderKey(name) {
				delete(headers, k)
			}
		}
	}
	for k, v := range u.AddHeaders {
		if headers == nil {
			headers = map[string][]string{}
		}
		headers[k] = slices.Clone(v)
	}
	e.headers = headers
	if u.SecureSsl != nil {
		e.secureSSL = *u.SecureSsl
	}
	if u.HmacEnabled != nil {
		e.hmac = *u.HmacEnabled
	}
	if u.Secret != nil {
		e.secret = *u.Secret
	}
	if u.Tag != nil {
		e.tag = *u.Tag
	}
	checkEndpoint(fe, prefix, &e)
	return e
}

func (a *coreAPI) ListWebhooks(w http.ResponseWriter, _ *http.Request, _ coreapi.TenantLocator, p coreapi.ListWebhooksParams) {
	offset, count, fe := page(p.Offset, p.Count, "count")
	if fe != nil {
		writeCoreFieldErrors(w, fe)
		return
	}
	s := a.s
	s.mu.Lock()
	hooks := make([]*coreHook, 0, len(s.coreHooks))
	for _, h := range s.coreHooks {
		if matchesFilter(h, &p) {
			hooks = append(hooks, h)
		}
	}
	slices.SortFunc(hooks, func(x, y *coreHook) int { return cmp.Compare(x.seq, y.seq) })
	items := []coreapi.WebhookResponse{}
	for _, h := range window(hooks, offset, count) {
		items = append(items, h.response(deref(p.Extended)))
	}
	bare := s.cfg.bareList
	s.mu.Unlock()
	if bare {
		writeJSON(w, http.StatusOK, items)
		return
	}
	writeJSON(w, http.StatusOK, coreapi.WebhookListResponse{
		ListCompleted: ptr(offset+count >= len(hooks)), Items: &items,
	})
}

// matchesFilter applies the list filters: name is exact, active means enabled and not suspended,
// and eventTypes matches a webhook subscribed to any of them (assumption: no source states it).
func matchesFilter(h *coreHook, p *coreapi.ListWebhooksParams) bool {
	switch {
	case p.Name != nil && h.name != *p.Name,
		p.Enabled != nil && h.enabled != *p.Enabled,
		p.Suspended != nil && h.suspended != *p.Suspended,
		p.Active != nil && (h.enabled && !h.suspended) != *p.Active:
		return false
	case p.EventTypes != nil && len(*p.EventTypes) > 0:
		return slices.ContainsFunc(*p.EventTypes, func(t string) bool { return slices.Contains(h.eventTypes, t) })
	}
	return true
}

// page checks offset and count parameters and applies the defaults (0 and 100).
func page(offset, count *int32, countName string) (int, int, fieldErrors) {
	var fe fieldErrors
	o, c := int(deref(offset)), 100
	if o < 0 {
		fe.add("offset", "must not be negative")
	}
	if count != nil {
		if c = int(*count); c < 1 {
			fe.add(countName, "must be at least 1")
		}
	}
	return o, c, fe
}

func (a *coreAPI) ListDivertedEvents(w http.ResponseWriter, _ *http.Request, _ coreapi.TenantLocator, loc coreapi.WebhookLocator, p coreapi.ListDivertedEventsParams) {
	offset, count, fe := page(p.Offset, p.Count, "count")
	if fe != nil {
		writeCoreFieldErrors(w, fe)
		return
	}
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	h := a.hook(w, loc)
	if h == nil {
		return
	}
	list := coreapi.DivertedEventList{}
	for _, d := range window(h.diverted, offset, count) {
		list = append(list, coreDiverted(d))
	}
	writeJSON(w, http.StatusOK, list)
}

func coreDiverted(d *diverted) coreapi.DivertedEventResponse {
	r := coreapi.DivertedEventResponse{
		EventLocator: d.ev.id, FailureTrigger: ptr(d.trigger), FailureMessage: ptr(d.message),
		FailureTimestamp: ptr(d.at.UTC()),
	}
	if d.ev.request != "" {
		r.RequestLocator = ptr(d.ev.request)
	}
	return r
}

// divertedEvent returns the diverted record or writes a 404; s.mu must be held.
func (a *coreAPI) divertedEvent(w http.ResponseWriter, loc, event string) (*coreHook, int) {
	h := a.hook(w, loc)
	if h == nil {
		return nil, -1
	}
	i := slices.IndexFunc(h.diverted, func(d *diverted) bool { return d.ev.id == event })
	if i < 0 {
		writeCoreError(w, http.StatusNotFound, "no diverted event "+strconv.Quote(event)+" on webhook "+strconv.Quote(loc))
	}
	return h, i
}

func (a *coreAPI) GetDivertedEvent(w http.ResponseWriter, _ *http.Request, _ coreapi.TenantLocator, loc coreapi.WebhookLocator, ev coreapi.EventLocator) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if h, i := a.divertedEvent(w, loc, ev); i >= 0 {
		writeJSON(w, http.StatusOK, coreDiverted(h.diverted[i]))
	}
}

func (a *coreAPI) DeleteDivertedEvent(w http.ResponseWriter, _ *http.Request, _ coreapi.TenantLocator, loc coreapi.WebhookLocator, ev coreapi.EventLocator) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if h, i := a.divertedEvent(w, loc, ev); i >= 0 {
		h.diverted = slices.Delete(h.diverted, i, i+1)
		writeJSON(w, http.StatusOK, struct{}{})
	}
}

func (a *coreAPI) ResendDivertedEvent(w http.ResponseWriter, _ *http.Request, _ coreapi.TenantLocator, loc coreapi.WebhookLocator, ev coreapi.EventLocator) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	h, i := a.divertedEvent(w, loc, ev)
	if i < 0 {
		return
	}
	d := h.diverted[i]
	h.diverted = slices.Delete(h.diverted, i, i+1)
	if err := s.startLocked(d.ev, loc, true); err != nil {
		writeCoreError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}
