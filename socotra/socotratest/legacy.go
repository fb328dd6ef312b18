package socotratest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/legacyapi"
)

// legacyHook is a stored Legacy webhook, keyed by name.
type legacyHook struct {
	seq         uint64
	name        string
	displayName string
	enabled     bool
	events      []string
	integration string
	alert       string
	retry       legacyapi.RetryStrategy
	failure     *legacyapi.FailureHandlingRequest // nil: the platform default
	suspended   bool
	suspendedAt time.Time
	diverted    []*diverted
}

// integration is a stored External Service Integration.
type integration struct {
	name     string
	url      string
	typ      legacyapi.IntegrationType
	headers  map[string]string
	security *legacyapi.SecuritySpecification
}

var legacyRetries = map[legacyapi.RetryStrategy]int{
	legacyapi.RetryStrategyNone: 0, legacyapi.RetryStrategyOne: 1, legacyapi.RetryStrategyThree: 3,
}

func (in *integration) target() *target {
	t := &target{url: in.url, headers: http.Header{}, secureSSL: true}
	for k, v := range in.headers {
		t.headers.Set(k, v)
	}
	if sec := in.security; sec != nil {
		t.hmac, t.secret = deref(sec.HmacEnabled), deref(sec.Secret)
		t.secureSSL = sec.SecureSSL == nil || *sec.SecureSSL
	}
	return t
}

// target returns the delivery target, or nil when the integration is gone; s.mu must be held.
func (s *Server) legacyTarget(h *legacyHook) *target {
	in := s.integrations[h.integration]
	if in == nil {
		return nil
	}
	t := in.target()
	t.policy = policy{retries: legacyRetries[h.retry], backoff: "linear", interval: 1}
	if f := h.failure; f != nil {
		t.policy.triggers = slices.Clone(deref(f.ActOnStatusCodes))
		if len(t.policy.triggers) == 0 {
			t.policy.triggers = []string{"1xx", "3xx", "4xx", "5xx"}
		}
		if deref(f.ActOnTimeout) {
			t.policy.triggers = append(t.policy.triggers, "timeout")
		}
		t.policy.divert = deref(f.Mode) == legacyapi.FailureModeDivert
		t.policy.suspend = deref(f.Mode) == legacyapi.FailureModeSuspend
	}
	if a := s.integrations[h.alert]; a != nil {
		t.alert = a.target()
	}
	return t
}

func (h *legacyHook) response() legacyapi.WebhookResponse {
	evs := make([]legacyapi.EventType, len(h.events))
	for i, e := range h.events {
		evs[i] = legacyapi.EventType(e)
	}
	r := legacyapi.WebhookResponse{
		Name: h.name, DisplayName: ptr(h.displayName), Enabled: ptr(h.enabled), Events: &evs,
		IntegrationName: ptr(h.integration), RetryStrategy: ptr(h.retry), Suspended: ptr(h.suspended),
	}
	if h.alert != "" {
		r.AlertIntegrationName = ptr(h.alert)
	}
	if f := h.failure; f != nil {
		r.FailureHandling = &legacyapi.FailureHandlingResponse{
			ActOnStatusCodes: ptr(slices.Clone(deref(f.ActOnStatusCodes))), ActOnTimeout: ptr(deref(f.ActOnTimeout)),
			Mode: ptr(deref(f.Mode)),
		}
	}
	if h.suspended {
		r.SuspendedTimestamp = epochMillis(h.suspendedAt)
	}
	return r
}

func epochMillis(t time.Time) legacyapi.EpochMillis {
	return legacyapi.EpochMillis(strconv.FormatInt(t.UnixMilli(), 10))
}

type legacyAPI struct{ s *Server }

func (a *legacyAPI) Authenticate(w http.ResponseWriter, r *http.Request) {
	var req legacyapi.UserCredentials
	if fe := decodeBody(r, &req); fe != nil {
		writeLegacyFieldErrors(w, r, fe)
		return
	}
	if req.Username != a.s.user.username || req.Password != a.s.user.password || req.HostName != a.s.hostName {
		writeLegacyError(w, r, http.StatusUnauthorized, "invalid username, password or hostName")
		return
	}
	a.writeToken(w, false)
}

func (a *legacyAPI) AuthenticateAdmin(w http.ResponseWriter, r *http.Request) {
	var req legacyapi.AdminCredentials
	if fe := decodeBody(r, &req); fe != nil {
		writeLegacyFieldErrors(w, r, fe)
		return
	}
	if req.Username != a.s.admin.username || req.Password != a.s.admin.password {
		writeLegacyError(w, r, http.StatusUnauthorized, "invalid administrator username or password")
		return
	}
	a.writeToken(w, true)
}

func (a *legacyAPI) writeToken(w http.ResponseWriter, admin bool) {
	tok, exp := a.s.issueToken(admin)
	writeJSON(w, http.StatusOK, legacyapi.AuthorizationToken{AuthorizationToken: tok, ExpiresTimestamp: epochMillis(exp)})
}

func (a *legacyAPI) PutWebhook(w http.ResponseWriter, r *http.Request) {
	var req legacyapi.WebhookRequest
	fe := decodeBody(r, &req)
	if fe != nil {
		writeLegacyFieldErrors(w, r, fe)
		return
	}
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.Name == "" {
		fe.add("name", "is required")
	}
	names := make([]string, 0, len(deref(req.Events)))
	for _, e := range deref(req.Events) {
		names = append(names, string(e))
	}
	checkEventTypes(&fe, "events", names, events.Legacy)
	// Seed 003's WebhookRequest requires only name, so integrationName may be left out; such a webhook
	// has nowhere to post and gets no deliveries (what Socotra does with it is not published).
	checkIntegrationRef(&fe, s, "integrationName", deref(req.IntegrationName))
	checkIntegrationRef(&fe, s, "alertIntegrationName", deref(req.AlertIntegrationName))
	if rs := req.RetryStrategy; rs != nil && !rs.Valid() {
		fe.add("retryStrategy", strconv.Quote(string(*rs))+` is not a retry strategy (want "none", "one" or "three")`)
	}
	if f := req.FailureHandling; f != nil {
		if f.Mode != nil && !f.Mode.Valid() {
			fe.add("failureHandling.mode", strconv.Quote(string(*f.Mode))+` is not a mode (want "none", "divert" or "suspend")`)
		}
		for i, c := range deref(f.ActOnStatusCodes) {
			// Seed 003 types these as strings and shows no class such as "5xx"; the SDK reads them as codes
			// only (socotra.LegacyStatusCodes expands a class), so the fake refuses a class as well
			// (assumption: no source says whether Legacy takes one).
			if !statusCode.MatchString(c) {
				fe.add("failureHandling.actOnStatusCodes["+strconv.Itoa(i)+"]", strconv.Quote(c)+` is not an HTTP status code such as "503" (list each code of a class; socotra.LegacyStatusCodes expands "5xx")`)
			}
		}
	}
	if fe != nil {
		writeLegacyFieldErrors(w, r, fe)
		return
	}
	h := s.legacyHooks[req.Name]
	if h == nil {
		s.seq++
		h = &legacyHook{seq: s.seq, name: req.Name}
		s.legacyHooks[req.Name] = h
	}
	h.displayName, h.enabled, h.events = deref(req.DisplayName), req.Enabled == nil || *req.Enabled, addRemove(nil, nil, names)
	h.integration, h.retry, h.failure = deref(req.IntegrationName), legacyapi.RetryStrategyNone, req.FailureHandling
	if req.RetryStrategy != nil {
		h.retry = *req.RetryStrategy
	}
	if req.AlertIntegrationName != nil {
		h.alert = *req.AlertIntegrationName
	}
	if deref(req.ResetAlertIntegrationName) {
		h.alert = ""
	}
	writeJSON(w, http.StatusOK, h.response())
}

// checkIntegrationRef reports a reference to an integration that does not exist; s.mu must be held.
func checkIntegrationRef(fe *fieldErrors, s *Server, field, name string) {
	if name != "" && s.integrations[name] == nil {
		fe.add(field, "no integration named "+strconv.Quote(name)+": create it with POST /integrations first")
	}
}

func (a *legacyAPI) ListWebhooks(w http.ResponseWriter, _ *http.Request) {
	s := a.s
	s.mu.Lock()
	hooks := make([]*legacyHook, 0, len(s.legacyHooks))
	for _, h := range s.legacyHooks {
		hooks = append(hooks, h)
	}
	slices.SortFunc(hooks, func(x, y *legacyHook) int { return strings.Compare(x.name, y.name) })
	list := make([]legacyapi.WebhookResponse, len(hooks))
	for i, h := range hooks {
		list[i] = h.response()
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, legacyapi.WebhooksResponse{Webhooks: &list})
}

// hook returns the webhook or writes a 404; s.mu must be held.
func (a *legacyAPI) hook(w http.ResponseWriter, r *http.Request, name string) *legacyHook {
	h := a.s.legacyHooks[name]
	if h == nil {
		writeLegacyError(w, r, http.StatusNotFound, "webhook "+strconv.Quote(name)+" not found")
	}
	return h
}

func (a *legacyAPI) GetWebhook(w http.ResponseWriter, r *http.Request, name legacyapi.WebhookName) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if h := a.hook(w, r, name); h != nil {
		writeJSON(w, http.StatusOK, h.response())
	}
}

func (a *legacyAPI) DeleteWebhook(w http.ResponseWriter, r *http.Request, name legacyapi.WebhookName) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if h := a.hook(w, r, name); h != nil {
		delete(a.s.legacyHooks, name)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *legacyAPI) UnsuspendWebhook(w http.ResponseWriter, r *http.Request, name legacyapi.WebhookName) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if h := a.hook(w, r, name); h != nil {
		h.suspended, h.suspendedAt = false, time.Time{}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *legacyAPI) ListDivertedEvents(w http.ResponseWriter, r *http.Request, name legacyapi.WebhookName, p legacyapi.ListDivertedEventsParams) {
	offset, limit, fe := page(p.Offset, p.Limit, "limit")
	if fe != nil {
		writeLegacyFieldErrors(w, r, fe)
		return
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	h := a.hook(w, r, name)
	if h == nil {
		return
	}
	list := []legacyapi.WebhookDivertedEventResponse{}
	for _, d := range window(h.diverted, offset, limit) {
		e := d.ev
		list = append(list, legacyapi.WebhookDivertedEventResponse{
			EventId: ptr(e.id), EventType: ptr(legacyapi.EventType(e.typ)), TransactionId: ptr(e.request),
			Timestamp: epochMillis(e.time), Username: ptr(e.user), Data: e.data,
		})
	}
	writeJSON(w, http.StatusOK, legacyapi.WebhookDivertedEventsResponse{WebhookName: ptr(name), Events: &list})
}

// divertedEvent returns the diverted record's index or writes a 404; s.mu must be held.
func (a *legacyAPI) divertedEvent(w http.ResponseWriter, r *http.Request, name, tx string) (*legacyHook, int) {
	h := a.hook(w, r, name)
	if h == nil {
		return nil, -1
	}
	i := slices.IndexFunc(h.diverted, func(d *diverted) bool { return d.ev.request == tx })
	if i < 0 {
		writeLegacyError(w, r, http.StatusNotFound, "no diverted event with transactionId "+strconv.Quote(tx)+" on webhook "+strconv.Quote(name))
	}
	return h, i
}

func (a *legacyAPI) DeleteDivertedEvent(w http.ResponseWriter, r *http.Request, name legacyapi.WebhookName, tx legacyapi.TransactionId) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if h, i := a.divertedEvent(w, r, name, tx); i >= 0 {
		h.diverted = slices.Delete(h.diverted, i, i+1)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *legacyAPI) ResendDivertedEvent(w http.ResponseWriter, r *http.Request, name legacyapi.WebhookName, tx legacyapi.TransactionId) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	h, i := a.divertedEvent(w, r, name, tx)
	if i < 0 {
		return
	}
	d := h.diverted[i]
	h.diverted = slices.Delete(h.diverted, i, i+1)
	if err := s.startLocked(d.ev, name, true); err != nil {
		writeLegacyError(w, r, http.StatusServiceUnavailable, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *legacyAPI) ListIntegrations(w http.ResponseWriter, _ *http.Request) {
	s := a.s
	s.mu.Lock()
	list := make([]legacyapi.ExternalServiceIntegration, 0, len(s.integrations))
	for _, in := range s.integrations {
		list = append(list, in.response())
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(x, y legacyapi.ExternalServiceIntegration) int { return strings.Compare(x.Name, y.Name) })
	writeJSON(w, http.StatusOK, legacyapi.ExternalServiceIntegrationsResponse{ExternalServiceIntegrations: &list})
}

func (in *integration) response() legacyapi.ExternalServiceIntegration {
	h := legacyapi.IntegrationHeaders{}
	for k, v := range in.headers {
		h[k] = v
	}
	r := legacyapi.ExternalServiceIntegration{
		Name: in.name, Url: ptr(in.url), Type: ptr(string(in.typ)), Headers: ptr(map[string]string(h)),
	}
	if in.security != nil {
		sec := *in.security
		r.SecuritySpec = &sec
	}
	return r
}

// checkIntegration validates an integration's URL and security specification.
func checkIntegration(fe *fieldErrors, rawURL string, sec *legacyapi.SecuritySpecification) {
	if msg := checkURL(rawURL); msg != "" {
		fe.add("url", msg)
	}
	if sec == nil {
		return
	}
	if u, err := url.Parse(rawURL); err == nil && u.Scheme != "https" {
		fe.add("securitySpec", "is only allowed for https URLs")
	}
	if deref(sec.Tag) != "" && deref(sec.Secret) == "" {
		fe.add("securitySpec.tag", "needs a secret")
	}
	if deref(sec.HmacEnabled) && deref(sec.Secret) == "" {
		fe.add("securitySpec.secret", "is required when hmacEnabled is true")
	}
}

func (a *legacyAPI) CreateIntegration(w http.ResponseWriter, r *http.Request) {
	var req legacyapi.IntegrationCreateRequest
	fe := decodeBody(r, &req)
	if fe != nil {
		writeLegacyFieldErrors(w, r, fe)
		return
	}
	if req.Name == "" {
		fe.add("name", "is required")
	}
	if !req.Type.Valid() {
		fe.add("type", strconv.Quote(string(req.Type))+` is not an integration type (want "webhook", "external_rater", "data_autofill" or "fe-plugins")`)
	}
	checkIntegration(&fe, req.Url, req.SecuritySpec)
	if fe != nil {
		writeLegacyFieldErrors(w, r, fe)
		return
	}
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.integrations[req.Name] != nil {
		writeLegacyError(w, r, http.StatusConflict, "integration "+strconv.Quote(req.Name)+" already exists: replace it with PUT /integrations/{name}")
		return
	}
	in := &integration{name: req.Name, url: req.Url, typ: req.Type, headers: deref(req.Headers), security: req.SecuritySpec}
	s.integrations[in.name] = in
	writeJSON(w, http.StatusOK, in.response())
}

func (a *legacyAPI) ReplaceIntegration(w http.ResponseWriter, r *http.Request, name string) {
	var req legacyapi.IntegrationUpdateRequest
	fe := decodeBody(r, &req)
	if fe == nil {
		checkIntegration(&fe, req.Url, req.SecuritySpec)
	}
	if fe != nil {
		writeLegacyFieldErrors(w, r, fe)
		return
	}
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.integrations[name]
	if in == nil {
		writeLegacyError(w, r, http.StatusNotFound, "integration "+strconv.Quote(name)+" not found")
		return
	}
	in.url, in.headers, in.security = req.Url, deref(req.Headers), req.SecuritySpec
	writeJSON(w, http.StatusOK, in.response())
}

func (a *legacyAPI) DeleteIntegration(w http.ResponseWriter, r *http.Request, name string) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.integrations[name] == nil {
		writeLegacyError(w, r, http.StatusNotFound, "integration "+strconv.Quote(name)+" not found")
		return
	}
	delete(s.integrations, name)
	w.WriteHeader(http.StatusNoContent)
}
