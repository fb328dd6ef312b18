package socotra

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/coreapi"
)

// CoreClient calls a Core (Insurance Suite) tenant's webhook, diverted event
// and event stream APIs with a Personal Access Token. It is safe for
// concurrent use.
//
// Requests that are safe to repeat (GET, PUT, DELETE and the add/remove
// PATCH) are retried on connection failures and on 408, 429, 500, 502, 503 and
// 504; a POST is retried only when its connection failed before any of it was
// written. See [WithRetry].
type CoreClient struct {
	api    coreapi.ClientInterface
	tenant string
	tokens *tokenCache // behind a pointer, so that no %+v of the client reaches the token
	log    *slog.Logger
	httpc  *http.Client // see HTTPClient
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// NewCoreClient returns a client for the tenant tenantLocator (a UUID) at
// baseURL (such as https://api.sandbox.socotra.com), authorised by token, a
// Personal Access Token sent as "Authorization: Bearer <token>" (see
// [WithCoreAuthScheme]).
func NewCoreClient(baseURL, tenantLocator, token string, opts ...Option) (*CoreClient, error) {
	base, err := checkBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if !uuidPattern.MatchString(tenantLocator) {
		return nil, errorf("tenant locator %q is not a UUID such as 6f1c2d3e-0a1b-4c5d-8e9f-001122334455", tenantLocator)
	}
	if token == "" {
		return nil, errorf("empty token; pass the tenant's Personal Access Token")
	}
	s := newSettings(opts, Option.applyClient)
	if err := s.validate(); err != nil {
		return nil, err
	}
	tokens := &tokenCache{tok: token, now: s.now}
	t := newTransport(&s, tokens, s.authScheme, nil)
	api, err := coreapi.NewClient(base, coreapi.WithHTTPClient(t))
	if err != nil {
		return nil, fmt.Errorf("socotra: %w", err)
	}
	return &CoreClient{api: api, tenant: tenantLocator, tokens: tokens, log: s.logger, httpc: newHTTPClient(t, base)}, nil
}

func (c *CoreClient) secrets() []string { return []string{c.tokens.current()} }

// CreateWebhook creates a webhook and returns it as stored, with its locator.
// Names are not unique (assumption: no source states it): creating twice gives
// two webhooks (use [Registrar] for create-or-update by name). A nil Failure
// is sent as [DefaultFailureHandling], since seed 001 marks failureHandling
// required.
//
// It refuses, with an error matching [ErrInvalidInput], what would silently
// never deliver: Enabled false (the zero Webhook; to keep a webhook idle,
// create it and disable it with [CoreClient.UpdateWebhook]), an event type
// only Legacy sends (such as "claim.create"; the error names the event, the
// platform and the nearest Core name), a Secret without HMAC, HMAC without a
// Secret, a Tag without a Secret. Well-formed names the SDK does not know
// pass, with a warning on the client's logger.
func (c *CoreClient) CreateWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	if w.Name == "" || w.Endpoint.URL == "" {
		return Webhook{}, errorf("create webhook: Name and Endpoint.URL are required")
	}
	what := "create webhook " + strconv.Quote(w.Name)
	var errs []error
	if !w.Enabled {
		errs = append(errs, errorf("%s: Enabled is false, so it would never deliver; set Enabled: true (to keep it idle, create it and then disable it with UpdateWebhook)", what))
	}
	if len(w.Events) == 0 {
		errs = append(errs, errorf("%s: no EventTypes; list at least one event type", what))
	}
	errs = append(errs, checkSigning(what, w.Endpoint), checkPlatformEvents(ctx, c.log, events.Core, what, w.Events))
	if err := errors.Join(errs...); err != nil {
		return Webhook{}, err
	}
	return c.createWebhook(ctx, w)
}

// createWebhook sends w as checked by CreateWebhook or the Registrar.
func (c *CoreClient) createWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	// Seed 001 marks failureHandling required: a nil Failure is sent as the
	// default the platform applies when it is left out (socotra-facts.md).
	failure := DefaultFailureHandling()
	if w.Failure != nil {
		failure = *w.Failure
	}
	body := coreapi.CreateWebhookRequest{
		Name:            w.Name,
		Enabled:         w.Enabled,
		Endpoint:        createEndpoint(w.Endpoint),
		EventTypes:      names(w.Events),
		FailureHandling: createFailure(failure),
	}
	if w.UseAutomationPlugin {
		body.UseAutomationPlugin = ptr(true)
	}
	return c.webhook(c.api.CreateWebhook(ctx, c.tenant, body))
}

// Webhook returns the webhook with this locator.
func (c *CoreClient) Webhook(ctx context.Context, locator string) (Webhook, error) {
	if err := needULID("webhook locator", locator); err != nil {
		return Webhook{}, err
	}
	return c.webhook(c.api.GetWebhook(ctx, c.tenant, locator))
}

// UpdateWebhook sends u as one add/remove PATCH and returns the webhook after
// it. The platform applies removals before additions, so an item in both lists
// ends up present. See [CoreClient.Reconcile] for "make it look like this".
//
// The PATCH must carry the webhook's name, enabled flag and endpoint URL even
// when u leaves them alone (seed 001 marks them required), so UpdateWebhook
// first GETs the webhook: one more round trip. A change another client makes
// between that GET and the PATCH to a member u does not change is undone.
func (c *CoreClient) UpdateWebhook(ctx context.Context, locator string, u WebhookUpdate) (Webhook, error) {
	cur, err := c.Webhook(ctx, locator)
	if err != nil {
		return Webhook{}, err
	}
	return c.updateWebhook(ctx, cur, u)
}

// updateWebhook sends u as the PATCH of cur, the webhook as just read.
func (c *CoreClient) updateWebhook(ctx context.Context, cur Webhook, u WebhookUpdate) (Webhook, error) {
	return c.webhook(c.api.UpdateWebhook(ctx, c.tenant, cur.Locator, u.request(cur)))
}

// Reconcile makes the webhook look like desired: it reads the webhook,
// computes the add/remove update with [Diff] and sends it as one PATCH (none
// when nothing differs). It returns the webhook as stored afterwards.
func (c *CoreClient) Reconcile(ctx context.Context, locator string, desired Webhook) (Webhook, error) {
	cur, err := c.Webhook(ctx, locator)
	if err != nil {
		return Webhook{}, err
	}
	u := Diff(cur, desired)
	if u.IsZero() {
		return cur, nil
	}
	return c.updateWebhook(ctx, cur, u)
}

// DeleteWebhook deletes the webhook with this locator.
func (c *CoreClient) DeleteWebhook(ctx context.Context, locator string) error {
	if err := needULID("webhook locator", locator); err != nil {
		return err
	}
	return done(c.api.DeleteWebhook(ctx, c.tenant, locator))
}

// UnsuspendWebhook resumes deliveries to a webhook the platform suspended.
func (c *CoreClient) UnsuspendWebhook(ctx context.Context, locator string) error {
	if err := needULID("webhook locator", locator); err != nil {
		return err
	}
	return done(c.api.UnsuspendWebhook(ctx, c.tenant, locator))
}

// WebhookFilter narrows [CoreClient.Webhooks]; zero members do not filter.
type WebhookFilter struct {
	Name      string        // exactly this name
	Enabled   *bool         // enabled (true) or disabled (false) only
	Suspended *bool         // suspended (true) or not (false) only
	Active    *bool         // active (true) or inactive (false) only
	Events    []events.Name // subscribed to at least one of these
	Extended  bool          // ask for the extended form of each webhook
	PageSize  int           // webhooks per request; 0 means 100
}

// Webhooks iterates over the tenant's webhooks, fetching pages with offset
// and count until the platform says the list is complete. It accepts both the
// {listCompleted, items} envelope and a bare array. Iteration stops at the
// first error, which is yielded.
func (c *CoreClient) Webhooks(ctx context.Context, f WebhookFilter) iter.Seq2[Webhook, error] {
	return func(yield func(Webhook, error) bool) {
		size := f.PageSize
		if size <= 0 {
			size = 100
		}
		for offset := 0; ; {
			params := &coreapi.ListWebhooksParams{
				Offset: ptr(int32(offset)), Count: ptr(int32(size)), Name: ptrIf(f.Name),
				Enabled: f.Enabled, Suspended: f.Suspended, Active: f.Active,
				EventTypes: sliceIf(names(f.Events)), Extended: ptrIf(f.Extended),
			}
			page, complete, err := c.webhookPage(ctx, params, size)
			if err != nil {
				yield(Webhook{}, err)
				return
			}
			for _, w := range page {
				if !yield(w, nil) {
					return
				}
			}
			// An incomplete page may be empty; stop then rather than spin.
			if complete || len(page) == 0 {
				return
			}
			offset += len(page)
		}
	}
}

func (c *CoreClient) webhookPage(ctx context.Context, p *coreapi.ListWebhooksParams, size int) ([]Webhook, bool, error) {
	resp, err := c.api.ListWebhooks(ctx, c.tenant, p)
	if err != nil {
		return nil, false, err
	}
	return parseWebhookPage(resp, size, c.secrets())
}

// parseWebhookPage reads one page of the webhook list in either shape and
// reports whether the list is complete.
func parseWebhookPage(resp *http.Response, size int, secrets []string) ([]Webhook, bool, error) {
	raw, err := decode[coreapi.WebhookListResult](resp, secrets, nil)
	if err != nil {
		return nil, false, err
	}
	var items []coreapi.WebhookResponse
	complete := false
	if arr, aerr := raw.AsWebhookArray(); aerr == nil {
		items, complete = arr, len(arr) < size
	} else if env, eerr := raw.AsWebhookListResponse(); eerr == nil && (env.ListCompleted != nil || env.Items != nil) {
		items = deref(env.Items)
		complete = len(items) < size
		if env.ListCompleted != nil {
			complete = *env.ListCompleted
		}
	} else {
		return nil, false, newAPIError(resp, nil, "webhook list is neither {listCompleted, items} nor an array", secrets)
	}
	out := make([]Webhook, 0, len(items))
	for _, it := range items {
		if it.Locator == "" {
			return nil, false, newAPIError(resp, nil, "webhook list item without a locator", secrets)
		}
		out = append(out, webhookFrom(it))
	}
	return out, complete, nil
}

func (c *CoreClient) webhook(resp *http.Response, err error) (Webhook, error) {
	if err != nil {
		return Webhook{}, err
	}
	w, err := decode(resp, c.secrets(), func(w *coreapi.WebhookResponse) error {
		if w.Locator == "" {
			return errors.New("webhook without a locator")
		}
		return nil
	})
	if err != nil {
		return Webhook{}, err
	}
	return webhookFrom(w), nil
}

// DivertedEvents iterates over the deliveries to this webhook that failed and
// were kept (failure handling with Divert), 100 per request.
func (c *CoreClient) DivertedEvents(ctx context.Context, webhookLocator string) iter.Seq2[DivertedEvent, error] {
	const size = 100
	return func(yield func(DivertedEvent, error) bool) {
		if err := needULID("webhook locator", webhookLocator); err != nil {
			yield(DivertedEvent{}, err)
			return
		}
		for offset := 0; ; {
			p := &coreapi.ListDivertedEventsParams{Offset: ptr(int32(offset)), Count: ptr(int32(size))}
			resp, err := c.api.ListDivertedEvents(ctx, c.tenant, webhookLocator, p)
			var page coreapi.DivertedEventList
			if err == nil {
				page, err = decode(resp, c.secrets(), checkDiverted)
			}
			if err != nil {
				yield(DivertedEvent{}, err)
				return
			}
			for _, d := range page {
				if !yield(divertedFrom(d), nil) {
					return
				}
			}
			if len(page) < size {
				return
			}
			offset += len(page)
		}
	}
}

func checkDiverted(l *coreapi.DivertedEventList) error {
	for _, d := range *l {
		if d.EventLocator == "" {
			return errors.New("diverted event without an eventLocator")
		}
	}
	return nil
}

// DivertedEvent returns one diverted event of a webhook.
func (c *CoreClient) DivertedEvent(ctx context.Context, webhookLocator, eventLocator string) (DivertedEvent, error) {
	if err := errors.Join(needULID("webhook locator", webhookLocator), needULID("event locator", eventLocator)); err != nil {
		return DivertedEvent{}, err
	}
	resp, err := c.api.GetDivertedEvent(ctx, c.tenant, webhookLocator, eventLocator)
	if err != nil {
		return DivertedEvent{}, err
	}
	d, err := decode(resp, c.secrets(), func(d *coreapi.DivertedEventResponse) error {
		return checkDiverted(&coreapi.DivertedEventList{*d})
	})
	return divertedFrom(d), err
}

// ResendDivertedEvent asks the platform to deliver a diverted event again;
// eventLocator is its [DivertedEvent].ID.
func (c *CoreClient) ResendDivertedEvent(ctx context.Context, webhookLocator, eventLocator string) error {
	if err := errors.Join(needULID("webhook locator", webhookLocator), needULID("event locator", eventLocator)); err != nil {
		return err
	}
	return done(c.api.ResendDivertedEvent(ctx, c.tenant, webhookLocator, eventLocator))
}

// DeleteDivertedEvent forgets a diverted event without delivering it;
// eventLocator is its [DivertedEvent].ID.
func (c *CoreClient) DeleteDivertedEvent(ctx context.Context, webhookLocator, eventLocator string) error {
	if err := errors.Join(needULID("webhook locator", webhookLocator), needULID("event locator", eventLocator)); err != nil {
		return err
	}
	return done(c.api.DeleteDivertedEvent(ctx, c.tenant, webhookLocator, eventLocator))
}

// Event returns one event of the stream by its locator.
func (c *CoreClient) Event(ctx context.Context, locator string) (StreamEvent, error) {
	if err := needULID("event locator", locator); err != nil {
		return StreamEvent{}, err
	}
	resp, err := c.api.GetEvent(ctx, c.tenant, locator)
	if err != nil {
		return StreamEvent{}, err
	}
	e, err := decode(resp, c.secrets(), func(e *coreapi.EventResponse) error { return checkEvents([]coreapi.EventResponse{*e}) })
	return eventFrom(e), err
}

// EventsForRequest returns every event one API request produced;
// requestLocator is a ULID (core-webhooks-openapi-subset.json,
// /events/request/{locator}: format ulid), such as a [StreamEvent]'s RequestID.
func (c *CoreClient) EventsForRequest(ctx context.Context, requestLocator string) ([]StreamEvent, error) {
	if err := needULID("request locator", requestLocator); err != nil {
		return nil, err
	}
	resp, err := c.api.ListEventsForRequest(ctx, c.tenant, requestLocator)
	if err != nil {
		return nil, err
	}
	list, err := decode(resp, c.secrets(), func(l *coreapi.EventList) error { return checkEvents(*l) })
	if err != nil {
		return nil, err
	}
	out := make([]StreamEvent, len(list))
	for i, e := range list {
		out[i] = eventFrom(e)
	}
	return out, nil
}

func checkEvents(l []coreapi.EventResponse) error {
	for _, e := range l {
		if e.Locator == "" || e.Type == "" {
			return errors.New("event without a locator or type")
		}
	}
	return nil
}
