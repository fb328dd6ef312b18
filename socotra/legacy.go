package socotra

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/legacyapi"
)

// LegacyCredentials authorise a [LegacyClient]. Give Username, Password and
// HostName (exchanged at POST /account/authenticate for a token that the
// client renews), or a ready Token, or both (the Token is used until it is
// refused, then the credentials renew it). AdminUsername and AdminPassword are
// exchanged at POST /account/authenticateAdmin for the integrations API; when
// absent the integrations API is called with the user token.
type LegacyCredentials struct {
	Username, Password, HostName string
	AdminUsername, AdminPassword string
	Token                        string
}

// String prints the credentials with passwords and token hidden.
func (c LegacyCredentials) String() string {
	return fmt.Sprintf("{Username:%s Password:%s HostName:%s AdminUsername:%s AdminPassword:%s Token:%s}",
		c.Username, hide(c.Password), c.HostName, c.AdminUsername, hide(c.AdminPassword), hide(c.Token))
}

// LogValue logs the credentials with passwords and token hidden.
func (c LegacyCredentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", c.Username), slog.String("password", hide(c.Password)),
		slog.String("hostName", c.HostName), slog.String("adminUsername", c.AdminUsername),
		slog.String("adminPassword", hide(c.AdminPassword)), slog.String("token", hide(c.Token)))
}

func (c LegacyCredentials) validate() error {
	user := c.Username != "" || c.Password != "" || c.HostName != ""
	if user && (c.Username == "" || c.Password == "" || c.HostName == "") {
		return errorf("legacy credentials: give all of Username, Password and HostName, or none")
	}
	if !user && c.Token == "" {
		return errorf("legacy credentials: give Username, Password and HostName, or a Token")
	}
	if (c.AdminUsername == "") != (c.AdminPassword == "") {
		return errorf("legacy credentials: give both AdminUsername and AdminPassword, or neither")
	}
	return nil
}

// LegacyClient calls a Legacy (Connected Core) tenant's webhook,
// integration and event stream APIs. Its token is cached, renewed a minute before it expires,
// and renewed once when the server refuses it (the request is then sent once
// more); concurrent callers share one renewal. It is safe for concurrent use
// and retries like [CoreClient].
type LegacyClient struct {
	api, admin legacyapi.ClientInterface
	creds      *LegacyCredentials // behind a pointer, so that no %+v of the client reaches them
	log        *slog.Logger
	httpc      *http.Client // see HTTPClient
}

// NewLegacyClient returns a client for the Legacy API at baseURL, such as
// https://api.sandbox.socotra.com. Nothing is sent until the first call.
func NewLegacyClient(baseURL string, creds LegacyCredentials, opts ...Option) (*LegacyClient, error) {
	base, err := checkBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if err := creds.validate(); err != nil {
		return nil, err
	}
	for _, o := range opts {
		if c, ok := o.(coreOnly); ok {
			return nil, errorf("NewLegacyClient: %s configures a Core client only; the Legacy client sends its token bare", c.name)
		}
	}
	s := newSettings(opts, Option.applyClient)
	if err := s.validate(); err != nil {
		return nil, err
	}
	c := &LegacyClient{creds: &creds, log: s.logger}
	plain, err := legacyapi.NewClient(base, legacyapi.WithHTTPClient(newTransport(&s, nil, "", c.secrets)))
	if err != nil {
		return nil, fmt.Errorf("socotra: %w", err)
	}
	user := &tokenCache{tok: creds.Token, now: s.now}
	if creds.Username != "" {
		user.fetch = func(ctx context.Context) (string, time.Time, error) {
			return c.authenticate(plain.Authenticate(ctx, legacyapi.UserCredentials{
				Username: creds.Username, Password: creds.Password, HostName: creds.HostName,
			}))
		}
	}
	admin := user
	if creds.AdminUsername != "" {
		admin = &tokenCache{now: s.now, fetch: func(ctx context.Context) (string, time.Time, error) {
			return c.authenticate(plain.AuthenticateAdmin(ctx, legacyapi.AdminCredentials{
				Username: creds.AdminUsername, Password: creds.AdminPassword,
			}))
		}}
	}
	userTransport := newTransport(&s, user, "", c.secrets)
	if c.api, err = legacyapi.NewClient(base, legacyapi.WithHTTPClient(userTransport)); err != nil {
		return nil, fmt.Errorf("socotra: %w", err)
	}
	c.httpc = newHTTPClient(userTransport, base)
	if c.admin, err = legacyapi.NewClient(base, legacyapi.WithHTTPClient(newTransport(&s, admin, "", c.secrets))); err != nil {
		return nil, fmt.Errorf("socotra: %w", err)
	}
	return c, nil
}

func (c *LegacyClient) secrets() []string {
	return []string{c.creds.Password, c.creds.AdminPassword, c.creds.Token}
}

func (c *LegacyClient) authenticate(resp *http.Response, err error) (string, time.Time, error) {
	if err != nil {
		return "", time.Time{}, err
	}
	tok, err := decode(resp, c.secrets(), func(t *legacyapi.AuthorizationToken) error {
		if t.AuthorizationToken == "" {
			return errors.New("no authorizationToken in the answer")
		}
		return nil
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return tok.AuthorizationToken, epochMillis(tok.ExpiresTimestamp), nil
}

// epochMillis turns a Legacy timestamp (epoch ms, number or string) into a
// time; absent or malformed gives the zero time.
func epochMillis(n legacyapi.EpochMillis) time.Time {
	ms, err := n.Int64()
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// LegacyWebhook is a Legacy webhook, keyed by Name. It delivers to the
// External Service Integration named IntegrationName (see [Integration]).
type LegacyWebhook struct {
	Name                 string
	DisplayName          string
	IntegrationName      string
	AlertIntegrationName string
	Enabled              bool
	Events               []events.Name
	Failure              *LegacyFailureHandling // nil: platform default
	Retry                LegacyRetry            // "" lets the platform choose
	// ResetAlertIntegration stops failure alerts: PutWebhook sends
	// resetAlertIntegrationName (seed 003), which clears the stored
	// AlertIntegrationName. Write only; default false.
	ResetAlertIntegration bool
	Suspended             bool      // read only
	SuspendedAt           time.Time // read only
}

// LegacyRetry is how many times the Legacy platform retries a delivery.
type LegacyRetry string

// Legacy retry strategies.
const (
	LegacyRetryNone  LegacyRetry = "none"
	LegacyRetryOne   LegacyRetry = "one"
	LegacyRetryThree LegacyRetry = "three"
)

// LegacyFailureMode is what the Legacy platform does after a failed delivery.
type LegacyFailureMode string

// Legacy failure modes.
const (
	FailureNone    LegacyFailureMode = "none"
	FailureDivert  LegacyFailureMode = "divert"
	FailureSuspend LegacyFailureMode = "suspend"
)

// LegacyFailureHandling says which outcomes count as failure and what then.
type LegacyFailureHandling struct {
	// StatusCodes are HTTP status codes such as "500" (actOnStatusCodes,
	// seed 003); Core's classes such as "5xx" are not codes: expand them with
	// [LegacyStatusCodes]. Empty: the platform's default.
	StatusCodes []string
	OnTimeout   bool
	Mode        LegacyFailureMode
}

// PutWebhook creates the webhook w.Name or replaces its settings, and returns
// it as stored. It refuses, with an error matching [ErrInvalidInput], an
// event only Core sends (such as "claim.fnol.create"; the error names the
// event, the platform and the nearest Legacy name) and a failure status code
// that is not a code ("5xx": see [LegacyStatusCodes]). Well-formed names the
// SDK does not know pass, with a warning on the client's logger.
func (c *LegacyClient) PutWebhook(ctx context.Context, w LegacyWebhook) (LegacyWebhook, error) {
	if w.Name == "" || w.IntegrationName == "" {
		return LegacyWebhook{}, errorf("put webhook: Name and IntegrationName are required")
	}
	what := "put webhook " + strconv.Quote(w.Name)
	errs := []error{checkPlatformEvents(ctx, c.log, events.Legacy, what, w.Events)}
	if f := w.Failure; f != nil {
		for _, code := range f.StatusCodes {
			if !isStatusCode(code) {
				errs = append(errs, errorf("%s: failure status code %q is not an HTTP status code; Legacy takes codes such as \"503\" (LegacyStatusCodes expands classes such as \"5xx\")", what, code))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return LegacyWebhook{}, err
	}
	body := legacyapi.WebhookRequest{
		Name:                 w.Name,
		DisplayName:          ptrIf(w.DisplayName),
		IntegrationName:      ptr(w.IntegrationName),
		AlertIntegrationName: ptrIf(w.AlertIntegrationName),
		Enabled:              ptr(w.Enabled),
		RetryStrategy:        ptrIf(legacyapi.RetryStrategy(w.Retry)),
	}
	if w.ResetAlertIntegration {
		body.ResetAlertIntegrationName = ptr(true)
	}
	evs := make(legacyapi.EventTypeList, len(w.Events))
	for i, e := range w.Events {
		evs[i] = legacyapi.EventType(e)
	}
	body.Events = &evs
	if f := w.Failure; f != nil {
		body.FailureHandling = &legacyapi.FailureHandlingRequest{
			ActOnStatusCodes: sliceIf(f.StatusCodes), ActOnTimeout: ptr(f.OnTimeout), Mode: ptrIf(legacyapi.FailureMode(f.Mode)),
		}
	}
	return c.webhook(c.api.PutWebhook(ctx, body))
}

// Webhook returns the webhook with this name.
func (c *LegacyClient) Webhook(ctx context.Context, name string) (LegacyWebhook, error) {
	if err := needName("webhook name", name); err != nil {
		return LegacyWebhook{}, err
	}
	return c.webhook(c.api.GetWebhook(ctx, name))
}

// Webhooks iterates over every webhook of the tenant, as [CoreClient.Webhooks]
// does on Core. The Legacy API does not page: the whole list is fetched
// when iteration starts, and an error (then the only value yielded) means
// no webhook was read.
func (c *LegacyClient) Webhooks(ctx context.Context) iter.Seq2[LegacyWebhook, error] {
	return func(yield func(LegacyWebhook, error) bool) {
		list, err := c.webhookList(ctx)
		if err != nil {
			yield(LegacyWebhook{}, err)
			return
		}
		for _, w := range list {
			if !yield(legacyWebhookFrom(w), nil) {
				return
			}
		}
	}
}

func (c *LegacyClient) webhookList(ctx context.Context) ([]legacyapi.WebhookResponse, error) {
	resp, err := c.api.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	list, err := decode(resp, c.secrets(), func(r *legacyapi.WebhooksResponse) error {
		if r.Webhooks == nil {
			return errors.New("no webhooks member in the answer")
		}
		for _, w := range *r.Webhooks {
			if w.Name == "" {
				return errors.New("webhook without a name")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return *list.Webhooks, nil
}

// DeleteWebhook deletes the webhook with this name; its integration stays.
func (c *LegacyClient) DeleteWebhook(ctx context.Context, name string) error {
	if err := needName("webhook name", name); err != nil {
		return err
	}
	return done(c.api.DeleteWebhook(ctx, name))
}

// UnsuspendWebhook resumes deliveries to a webhook the platform suspended.
func (c *LegacyClient) UnsuspendWebhook(ctx context.Context, name string) error {
	if err := needName("webhook name", name); err != nil {
		return err
	}
	return done(c.api.UnsuspendWebhook(ctx, name))
}

// DivertedEvents iterates over the failed deliveries kept for this webhook
// (failure mode divert), 100 per request.
func (c *LegacyClient) DivertedEvents(ctx context.Context, name string) iter.Seq2[DivertedEvent, error] {
	const size = 100
	return func(yield func(DivertedEvent, error) bool) {
		if err := needName("webhook name", name); err != nil {
			yield(DivertedEvent{}, err)
			return
		}
		for offset := 0; ; {
			resp, err := c.api.ListDivertedEvents(ctx, name, &legacyapi.ListDivertedEventsParams{
				Limit: ptr(int32(size)), Offset: ptr(int32(offset)),
			})
			var page legacyapi.WebhookDivertedEventsResponse
			if err == nil {
				page, err = decode(resp, c.secrets(), func(r *legacyapi.WebhookDivertedEventsResponse) error {
					for _, e := range deref(r.Events) {
						if deref(e.TransactionId) == "" {
							return errors.New("diverted event without a transactionId")
						}
					}
					return nil
				})
			}
			if err != nil {
				yield(DivertedEvent{}, err)
				return
			}
			evs := deref(page.Events)
			for _, e := range evs {
				d := DivertedEvent{
					ID: deref(e.EventId), RequestID: deref(e.TransactionId), Type: events.Name(deref(e.EventType)),
					User: deref(e.Username), Time: epochMillis(e.Timestamp), Data: e.Data,
				}
				if !yield(d, nil) {
					return
				}
			}
			if len(evs) < size {
				return
			}
			offset += len(evs)
		}
	}
}

// DeleteDivertedEvent forgets a diverted event without delivering it;
// transactionID is its [DivertedEvent].RequestID.
func (c *LegacyClient) DeleteDivertedEvent(ctx context.Context, name, transactionID string) error {
	if err := errors.Join(needName("webhook name", name), needName("transaction id", transactionID)); err != nil {
		return err
	}
	return done(c.api.DeleteDivertedEvent(ctx, name, transactionID))
}

// ResendDivertedEvent asks the platform to deliver a diverted event again;
// transactionID is its [DivertedEvent].RequestID.
func (c *LegacyClient) ResendDivertedEvent(ctx context.Context, name, transactionID string) error {
	if err := errors.Join(needName("webhook name", name), needName("transaction id", transactionID)); err != nil {
		return err
	}
	return done(c.api.ResendDivertedEvent(ctx, name, transactionID))
}

func (c *LegacyClient) webhook(resp *http.Response, err error) (LegacyWebhook, error) {
	if err != nil {
		return LegacyWebhook{}, err
	}
	w, err := decode(resp, c.secrets(), func(w *legacyapi.WebhookResponse) error {
		if w.Name == "" {
			return errors.New("webhook without a name")
		}
		return nil
	})
	return legacyWebhookFrom(w), err
}

func legacyWebhookFrom(w legacyapi.WebhookResponse) LegacyWebhook {
	out := LegacyWebhook{
		Name:                 w.Name,
		DisplayName:          deref(w.DisplayName),
		IntegrationName:      deref(w.IntegrationName),
		AlertIntegrationName: deref(w.AlertIntegrationName),
		Enabled:              deref(w.Enabled),
		Retry:                LegacyRetry(deref(w.RetryStrategy)),
		Suspended:            deref(w.Suspended),
		SuspendedAt:          epochMillis(w.SuspendedTimestamp),
	}
	for _, e := range deref(w.Events) {
		out.Events = append(out.Events, events.Name(e))
	}
	if f := w.FailureHandling; f != nil {
		out.Failure = &LegacyFailureHandling{
			StatusCodes: deref(f.ActOnStatusCodes), OnTimeout: deref(f.ActOnTimeout), Mode: LegacyFailureMode(deref(f.Mode)),
		}
	}
	return out
}
