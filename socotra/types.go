package socotra

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/safeurl"
)

// Webhook is a Core webhook. As an argument to [CoreClient.CreateWebhook] or
// [CoreClient.Reconcile], Locator, Suspended and SuspendedAt are ignored.
// Printed with %v or logged, it hides the endpoint's secret.
type Webhook struct {
	Locator     string // ULID given by the platform
	Name        string // chosen by the caller; not unique on the platform (assumption: no source states it)
	Enabled     bool
	Suspended   bool      // the platform stopped deliveries after failures
	SuspendedAt time.Time // zero unless suspended
	Events      []events.Name
	Endpoint    Endpoint
	// Failure is what the platform does when a delivery fails; nil means the
	// platform default (see [DefaultFailureHandling]).
	Failure *FailureHandling
	// UseAutomationPlugin routes deliveries through the tenant's automation
	// plugin. Create only: the API neither returns nor updates it
	// (core-webhooks-openapi-subset.json, CreateWebhookRequest), so reading a
	// webhook gives false and [Diff] ignores it. Default false.
	UseAutomationPlugin bool
}

// Endpoint is where and how a webhook delivers. Secret and the values of
// Headers never print: see [Secret] and [Headers].
type Endpoint struct {
	URL     string
	Headers Headers // added to every delivery; values print as [Redacted]
	// InsecureSkipVerify turns off the platform's TLS certificate check of URL
	// (the API's secureSsl=false). Leave it false.
	InsecureSkipVerify bool
	HMAC               bool   // sign deliveries with Secret in the Socotra-Signature header
	Secret             Secret // shared signing secret; the platform may not return it
	Tag                string // names the secret in use, for rotation
}

// String prints the endpoint with its secret hidden, and its URL without
// userinfo, query or fragment values.
func (e Endpoint) String() string {
	return fmt.Sprintf("{URL:%s Headers:%v InsecureSkipVerify:%t HMAC:%t Secret:%s Tag:%s}",
		safeurl.String(e.URL), e.Headers, e.InsecureSkipVerify, e.HMAC, e.Secret, e.Tag)
}

// LogValue logs the endpoint with its secret hidden.
func (e Endpoint) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", safeurl.String(e.URL)), slog.Bool("hmac", e.HMAC),
		slog.Any("headers", e.Headers), slog.String("secret", e.Secret.String()), slog.String("tag", e.Tag))
}

// LogValue logs the webhook with its endpoint's secret hidden.
func (w Webhook) LogValue() slog.Value {
	return slog.GroupValue(slog.String("locator", w.Locator), slog.String("name", w.Name),
		slog.Bool("enabled", w.Enabled), slog.Bool("suspended", w.Suspended),
		slog.Any("eventTypes", w.Events), slog.Any("endpoint", w.Endpoint))
}

// hide returns [Redacted] for a non-empty credential held as a plain string.
func hide(secret string) string { return Secret(secret).String() }

// FailureHandling is what the Core platform does when a delivery fails.
type FailureHandling struct {
	// Triggers are the outcomes that count as failure: a status code ("503"),
	// a class ("4xx") or "timeout".
	Triggers      []string
	Retry         *RetryStrategy // nil: no retry
	AlertEndpoint *Endpoint      // nil: nobody is alerted
	Divert        bool           // keep failed deliveries for the diverted events API
	Suspend       bool           // suspend the webhook after a failure
}

// DefaultFailureHandling returns what the platform applies when a webhook
// has no failure handling: triggers 4xx, 5xx and timeout; nothing else.
func DefaultFailureHandling() FailureHandling {
	return FailureHandling{Triggers: []string{"4xx", "5xx", "timeout"}}
}

// RetryType says how the wait between the platform's delivery retries grows.
type RetryType string

// Retry types.
const (
	RetryLinear      RetryType = "linear"
	RetryExponential RetryType = "exponential"
)

// RetryStrategy is how the platform retries a failed delivery.
type RetryStrategy struct {
	Type     RetryType
	Interval int64 // base wait; the platform does not publish its unit
	Attempts int   // 1..10; 0 lets the platform choose (3)
}

// DivertedEvent is a delivery that failed and was kept. Its members are
// named as in [StreamEvent] and webhooks.Event: ID is the event's id and
// RequestID the request's. Resend and delete take the ID on Core
// ([CoreClient.ResendDivertedEvent]) and the RequestID, the transaction id,
// on Legacy ([LegacyClient.ResendDivertedEvent]).
type DivertedEvent struct {
	ID        string      // the event's id: Core locator, Legacy eventId (may be empty)
	RequestID string      // Core requestLocator; Legacy transactionId (never empty)
	Type      events.Name // Legacy only
	User      string      // Legacy only
	Time      time.Time   // when it failed (Core) or happened (Legacy)
	Trigger   string      // Core: which failure trigger matched
	Message   string      // Core: what went wrong
	Data      json.RawMessage
}

// StreamEvent is one event of a Core or Legacy event stream. Webhook
// deliveries carry the same members, so ID is the key for removing
// duplicates on both platforms.
type StreamEvent struct {
	Platform  events.Platform // events.Core or events.Legacy
	ID        string          // Core locator; Legacy id
	RequestID string          // Core requestId; Legacy transactionId
	User      string          // Core userLocator; Legacy username
	Time      time.Time
	Type      events.Name
	Data      json.RawMessage // Core: decode with events.NewData(Type)
}
