package socotra

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/safeurl"
)

// Registration is one named webhook an app wants on a tenant, the unit of
// [Registrar]. Secret and the values of Headers never print: a Registration
// hides them in String, every fmt verb, slog and JSON (see [Secret] and
// [Headers]). Secret is a plain string so that code written against it
// as one keeps compiling.
type Registration struct {
	Name    string        // unique per app instance and path; the key
	URL     string        // where deliveries go
	Events  []events.Name // event types to deliver
	Secret  string        // optional; deliveries are signed when set
	Tag     string        // optional; names the secret, for rotation
	Headers Headers       // optional; added to each delivery
	// Failure is what the platform does when a delivery fails. Default (nil):
	// [RecommendedFailureHandling], which retries and then diverts, so that
	// nothing is lost; the platform's own default drops a failed delivery.
	Failure *FailureHandling
}

// registrationView is Registration with its secret in the self-redacting
// [Secret] type; Registration prints and marshals through it.
type registrationView struct {
	Name    string
	URL     string
	Events  []events.Name
	Secret  Secret
	Tag     string
	Headers Headers
	Failure *FailureHandling
}

func (r Registration) view() registrationView {
	return registrationView{Name: r.Name, URL: safeurl.String(r.URL), Events: r.Events, Secret: Secret(r.Secret), Tag: r.Tag,
		Headers: r.Headers, Failure: r.Failure}
}

// String prints the registration with its secret hidden, and its URL without
// userinfo, query or fragment values.
func (r Registration) String() string {
	return fmt.Sprintf("{Name:%s URL:%s Events:%v Secret:%s Tag:%s Headers:%v}",
		r.Name, safeurl.String(r.URL), r.Events, Secret(r.Secret), r.Tag, r.Headers)
}

// GoString prints the registration as Go syntax with its secret replaced by
// [Redacted].
func (r Registration) GoString() string {
	return strings.Replace(fmt.Sprintf("%#v", r.view()), "socotra.registrationView", "socotra.Registration", 1)
}

// Format writes the registration with its secret hidden, whatever the verb.
func (r Registration) Format(f fmt.State, verb rune) { formatHidden(f, verb, r) }

// MarshalJSON writes the registration with its secret replaced by
// [Redacted]. Requests to the platform are built from the fields, not
// through this method.
func (r Registration) MarshalJSON() ([]byte, error) { return json.Marshal(r.view()) }

// LogValue logs the registration with its secret hidden.
func (r Registration) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", r.Name), slog.String("url", safeurl.String(r.URL)), slog.Any("events", r.Events),
		slog.String("secret", Secret(r.Secret).String()), slog.String("tag", r.Tag), slog.Any("headers", r.Headers))
}

// check validates r for platform p: besides the shape, an event only the
// other platform sends is refused (the webhook would never fire), and an
// unknown one is logged at warn on log.
func (r Registration) check(ctx context.Context, log *slog.Logger, p events.Platform) error {
	var errs []error
	if r.Name == "" {
		errs = append(errs, errorf("registration: empty Name"))
	}
	if u, err := url.Parse(r.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errorf("registration %q: URL %s is not an absolute http(s) URL", r.Name, shownURL(r.URL)))
	} else if u.User != nil {
		errs = append(errs, errorf("registration %q: URL %s carries userinfo (user:password@), which would print wherever the URL does; send credentials in Headers, which never print",
			r.Name, shownURL(r.URL)))
	}
	if len(r.Events) == 0 {
		errs = append(errs, errorf("registration %q: no Events; list at least one event type", r.Name))
	}
	errs = append(errs, checkPlatformEvents(ctx, log, p, fmt.Sprintf("registration %q", r.Name), r.Events))
	if r.Tag != "" && r.Secret == "" {
		errs = append(errs, errorf("registration %q: a Tag needs a Secret", r.Name))
	}
	return errors.Join(errs...)
}

// shownURL quotes raw for a message with what may carry a credential hidden
// (see [safeurl.Show]); a URL it cannot take apart is shown unquoted.
func shownURL(raw string) string {
	s, parsed := safeurl.Show(raw)
	if !parsed && s == safeurl.NotShown {
		return s
	}
	return strconv.Quote(s)
}

// Registrar registers an app's named webhooks on a tenant; [CoreClient] and
// [LegacyClient] both provide one.
type Registrar interface {
	// Register creates the named webhook or updates it in place; idempotent;
	// when several webhooks carry the name (two instances raced), it keeps one
	// (lowest locator) and deletes the rest.
	Register(ctx context.Context, r Registration) error
	// Registrations lists the registered webhooks whose name starts with prefix.
	Registrations(ctx context.Context, prefix string) ([]Registration, error)
	// Unregister removes the named webhook (and, on Legacy, its integration);
	// absent is not an error.
	Unregister(ctx context.Context, name string) error
}

// Registrar returns the Core [Registrar]: a registration is the webhook
// carrying its name, created enabled or reconciled with one PATCH (see
// [CoreClient.Reconcile]). On both platforms Register also unsuspends a
// webhook the platform suspended, since registering says it should deliver.
func (c *CoreClient) Registrar() Registrar { return coreRegistrar{c} }

type coreRegistrar struct{ c *CoreClient }

// named returns the webhooks whose name is exactly name, lowest locator first.
func (r coreRegistrar) named(ctx context.Context, name string) ([]Webhook, error) {
	var out []Webhook
	for w, err := range r.c.Webhooks(ctx, WebhookFilter{Name: name}) {
		if err != nil {
			return nil, err
		}
		if w.Name == name { // do not rely on the server applying the filter
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b Webhook) int { return cmp.Compare(a.Locator, b.Locator) })
	return out, nil
}

func (r coreRegistrar) Register(ctx context.Context, reg Registration) error {
	if err := reg.check(ctx, r.c.log, events.Core); err != nil {
		return err
	}
	if reg.Failure == nil {
		f := RecommendedFailureHandling()
		reg.Failure = &f
	}
	desired := Webhook{
		Name: reg.Name, Enabled: true, Events: reg.Events, Failure: reg.Failure,
		Endpoint: Endpoint{URL: reg.URL, Headers: reg.Headers, HMAC: reg.Secret != "", Secret: Secret(reg.Secret), Tag: reg.Tag},
	}
	found, err := r.named(ctx, reg.Name)
	if err != nil {
		return fmt.Errorf("socotra: register %q: %w", reg.Name, err)
	}
	if len(found) == 0 {
		if _, err := r.c.createWebhook(ctx, desired); err != nil {
			return fmt.Errorf("socotra: register %q: %w", reg.Name, err)
		}
		return nil
	}
	w, err := r.c.Reconcile(ctx, found[0].Locator, desired)
	if err != nil {
		return fmt.Errorf("socotra: register %q: %w", reg.Name, err)
	}
	if w.Suspended {
		if err := r.c.UnsuspendWebhook(ctx, w.Locator); err != nil {
			return fmt.Errorf("socotra: register %q: %w", reg.Name, err)
		}
	}
	for _, dup := range found[1:] {
		if err := r.c.DeleteWebhook(ctx, dup.Locator); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("socotra: register %q: delete duplicate %s: %w", reg.Name, dup.Locator, err)
		}
	}
	return nil
}

func (r coreRegistrar) Registrations(ctx context.Context, prefix string) ([]Registration, error) {
	var all []Webhook
	for w, err := range r.c.Webhooks(ctx, WebhookFilter{}) {
		if err != nil {
			return nil, fmt.Errorf("socotra: registrations %q: %w", prefix, err)
		}
		if strings.HasPrefix(w.Name, prefix) {
			all = append(all, w)
		}
	}
	slices.SortFunc(all, func(a, b Webhook) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Locator, b.Locator))
	})
	all = slices.CompactFunc(all, func(a, b Webhook) bool { return a.Name == b.Name })
	out := make([]Registration, len(all))
	for i, w := range all {
		out[i] = Registration{
			Name: w.Name, URL: w.Endpoint.URL, Events: w.Events, Secret: w.Endpoint.Secret.Reveal(),
			Tag: w.Endpoint.Tag, Headers: w.Endpoint.Headers, Failure: w.Failure,
		}
	}
	return out, nil
}

func (r coreRegistrar) Unregister(ctx context.Context, name string) error {
	if name == "" {
		return errorf("unregister: empty name")
	}
	found, err := r.named(ctx, name)
	if err != nil {
		return fmt.Errorf("socotra: unregister %q: %w", name, err)
	}
	for _, w := range found {
		if err := r.c.DeleteWebhook(ctx, w.Locator); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("socotra: unregister %q: %w", name, err)
		}
	}
	return nil
}

// Registrar returns the Legacy [Registrar]. A registration is an integration
// of type webhook named like it (URL, headers joined with ", ", and the
// security spec when the URL is https) plus the webhook of that name pointing
// at it. The platform refuses a security spec for http URLs (seed 003), so a
// registration with a Secret and an http URL is refused rather than silently
// unsigned, and an event only Core sends is refused. Core failure handling
// maps to the closest Legacy setting: status codes (classes expanded by
// [LegacyStatusCodes]), "timeout", divert or suspend mode, and none, one or
// three retries.
func (c *LegacyClient) Registrar() Registrar { return legacyRegistrar{c} }

type legacyRegistrar struct{ c *LegacyClient }

func (r legacyRegistrar) Register(ctx context.Context, reg Registration) error {
	if err := reg.check(ctx, r.c.log, events.Legacy); err != nil {
		return err
	}
	if reg.Secret != "" && !strings.HasPrefix(reg.URL, "https:") {
		return errorf("registration %q: Legacy accepts a secret for https URLs only (seed 003), so deliveries to %s would not be signed; use an https URL, or register without a Secret to receive unsigned deliveries",
			reg.Name, shownURL(reg.URL))
	}
	if reg.Failure == nil {
		f := RecommendedFailureHandling()
		reg.Failure = &f
	}
	in := Integration{Name: reg.Name, Type: IntegrationWebhook, URL: reg.URL}
	if len(reg.Headers) > 0 {
		in.Headers = make(map[string]string, len(reg.Headers))
		for k, v := range reg.Headers {
			in.Headers[k] = strings.Join(v, ", ")
		}
	}
	if strings.HasPrefix(reg.URL, "https:") {
		in.Security = &SecuritySpec{HMAC: reg.Secret != "", Secret: Secret(reg.Secret), Tag: reg.Tag}
	}
	if err := r.upsert(ctx, in); err != nil {
		return fmt.Errorf("socotra: register %q: %w", reg.Name, err)
	}
	w := LegacyWebhook{Name: reg.Name, IntegrationName: reg.Name, Enabled: true, Events: reg.Events}
	var err error
	if w.Failure, w.Retry, err = legacyFailure(*reg.Failure); err != nil {
		return fmt.Errorf("socotra: register %q: %w", reg.Name, err)
	}
	got, err := r.c.PutWebhook(ctx, w)
	if err != nil {
		return fmt.Errorf("socotra: register %q: %w", reg.Name, err)
	}
	if got.Suspended {
		if err := r.c.UnsuspendWebhook(ctx, reg.Name); err != nil {
			return fmt.Errorf("socotra: register %q: %w", reg.Name, err)
		}
	}
	return nil
}

// upsert replaces the integration, or creates it when it does not exist.
func (r legacyRegistrar) upsert(ctx context.Context, in Integration) error {
	list, err := r.c.Integrations(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(list, func(x Integration) bool { return x.Name == in.Name }) {
		_, err = r.c.CreateIntegration(ctx, in)
		if !errors.Is(err, ErrConflict) { // a racing instance created it: replace
			return err
		}
	}
	_, err = r.c.ReplaceIntegration(ctx, in)
	return err
}

// Core and Legacy describe failure handling differently. Core (seed 001) has triggers ("5xx", "503",
// "timeout"), a retry strategy with a number of attempts, and divert and suspend flags; Legacy (seed 003)
// has status codes and an onTimeout flag, a retry strategy of "none", "one" or "three", and one mode.
// legacyFailure and coreFailure are the mapping between them, one for each direction; going to Legacy and
// back keeps the mode, one or three retries, and the triggers (classes expanded to their codes).

// legacyRetries is how many times each Legacy retry strategy retries a delivery. Seed 003 names the
// strategies ("none", "one", "three") without saying more; reading each name as its number of retries is
// an assumption, which the fake tenant shares.
var legacyRetries = map[LegacyRetry]int{LegacyRetryNone: 0, LegacyRetryOne: 1, LegacyRetryThree: 3}

// legacyFailure maps Core failure handling to Legacy's: triggers through [LegacyStatusCodes] (no triggers:
// the Core default ones), divert or suspend mode (divert when both are set), and a retry strategy of one
// retry for Attempts 1, else three.
func legacyFailure(f FailureHandling) (*LegacyFailureHandling, LegacyRetry, error) {
	triggers := f.Triggers
	if len(triggers) == 0 {
		triggers = DefaultFailureHandling().Triggers
	}
	codes, onTimeout, err := LegacyStatusCodes(triggers)
	if err != nil {
		return nil, "", err
	}
	lf := &LegacyFailureHandling{Mode: FailureNone, StatusCodes: codes, OnTimeout: onTimeout}
	switch {
	case f.Divert:
		lf.Mode = FailureDivert
	case f.Suspend:
		lf.Mode = FailureSuspend
	}
	retry := LegacyRetryNone
	if f.Retry != nil {
		retry = LegacyRetryThree
		if f.Retry.Attempts == legacyRetries[LegacyRetryOne] {
			retry = LegacyRetryOne
		}
	}
	return lf, retry, nil
}

// coreFailure maps Legacy failure handling and retry strategy back to Core's: the status codes, plus
// "timeout" when OnTimeout is set, as triggers; the mode as the divert or suspend flag; and a retry
// strategy of as many attempts as the Legacy strategy retries (none for "none" or an unknown one).
func coreFailure(f LegacyFailureHandling, retry LegacyRetry) *FailureHandling {
	out := &FailureHandling{Triggers: slices.Clone(f.StatusCodes), Divert: f.Mode == FailureDivert, Suspend: f.Mode == FailureSuspend}
	if f.OnTimeout {
		out.Triggers = append(out.Triggers, "timeout")
	}
	if n := legacyRetries[retry]; n > 0 {
		out.Retry = &RetryStrategy{Attempts: n}
	}
	return out
}

func (r legacyRegistrar) Registrations(ctx context.Context, prefix string) ([]Registration, error) {
	var hooks []LegacyWebhook
	for w, err := range r.c.Webhooks(ctx) {
		if err != nil {
			return nil, fmt.Errorf("socotra: registrations %q: %w", prefix, err)
		}
		if strings.HasPrefix(w.Name, prefix) {
			hooks = append(hooks, w)
		}
	}
	ins, err := r.c.Integrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("socotra: registrations %q: %w", prefix, err)
	}
	var out []Registration
	for _, w := range hooks {
		reg := Registration{Name: w.Name, Events: w.Events}
		if i := slices.IndexFunc(ins, func(x Integration) bool { return x.Name == w.IntegrationName }); i >= 0 {
			in := ins[i]
			reg.URL = in.URL
			for k, v := range in.Headers {
				if reg.Headers == nil {
					reg.Headers = map[string][]string{}
				}
				reg.Headers[k] = []string{v}
			}
			if s := in.Security; s != nil {
				reg.Secret, reg.Tag = s.Secret.Reveal(), s.Tag
			}
		}
		if w.Failure != nil {
			reg.Failure = coreFailure(*w.Failure, w.Retry)
		}
		out = append(out, reg)
	}
	slices.SortFunc(out, func(a, b Registration) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func (r legacyRegistrar) Unregister(ctx context.Context, name string) error {
	if name == "" {
		return errorf("unregister: empty name")
	}
	if err := r.c.DeleteWebhook(ctx, name); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("socotra: unregister %q: %w", name, err)
	}
	if err := r.c.DeleteIntegration(ctx, name); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("socotra: unregister %q: delete integration: %w", name, err)
	}
	return nil
}
