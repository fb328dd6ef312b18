package socotra

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/socotra-go/sdk/events"
)

// This file holds the rules that keep a registration from silently never
// delivering: event names the platform never sends, secrets that would not
// sign, webhooks created disabled, and Legacy failure triggers.

// platformName names a platform for messages.
func platformName(p events.Platform) string {
	switch p {
	case events.Core:
		return "Core (Enterprise Core)"
	case events.Legacy:
		return "Legacy (Connected Core)"
	}
	return p.String()
}

// checkPlatformEvents refuses names that p never sends (only the other platform does:
// a webhook for them would never fire) with an error matching
// [ErrInvalidInput], and logs a warning for well-formed names the SDK does not
// know, which pass: Socotra adds names and tenants emit their own.
func checkPlatformEvents(ctx context.Context, log *slog.Logger, p events.Platform, what string, names []events.Name) error {
	var errs []error
	for _, n := range names {
		if _, err := events.Parse(string(n)); err != nil {
			errs = append(errs, errorf("%s: %w", what, err))
			continue
		}
		switch {
		case n.ForeignTo(p):
			hint := ""
			if near, ok := events.NearestOn(string(n), p); ok {
				hint = fmt.Sprintf(" (the nearest %s name is %q)", platformName(p), near)
			}
			errs = append(errs, errorf("%s: event %q is sent only by %s, never by %s: a webhook for it would never fire%s",
				what, n, platformName(n.Platforms()), platformName(p), hint))
		case !n.Known() && log != nil:
			log.LogAttrs(ctx, slog.LevelWarn, "socotra: event name not known to this SDK; registering it anyway (Socotra adds names, tenants emit their own)",
				slog.String("what", what), slog.String("event", string(n)), slog.String("platform", platformName(p)))
		}
	}
	return errors.Join(errs...)
}

// checkSigning refuses endpoint settings that would silently give unsigned
// deliveries: a Secret without HMAC (stored but never used), HMAC without a
// Secret, a Tag without a Secret.
func checkSigning(what string, e Endpoint) error {
	switch {
	case e.Secret != "" && !e.HMAC:
		return errorf("%s: a Secret without HMAC: deliveries would not be signed; set HMAC: true, or drop the Secret to receive unsigned deliveries", what)
	case e.HMAC && e.Secret == "":
		return errorf("%s: HMAC is set but Secret is empty; give the signing secret", what)
	case e.Tag != "" && e.Secret == "":
		return errorf("%s: a Tag needs a Secret", what)
	}
	return nil
}

// RecommendedFailureHandling returns the failure handling [Registrar]
// implementations (and so a [Lifecycle]) apply to a [Registration]
// whose Failure is nil, so that a failed delivery is neither dropped nor
// lost: the default triggers (4xx, 5xx, timeout), three exponential retries
// at the platform's default interval (its unit is not published), then
// divert, so the delivery waits in the diverted events API for a resend or a
// backfill. On Legacy it becomes retryStrategy "three" and mode "divert"
// with every 4xx and 5xx status code and the timeout (see
// [LegacyStatusCodes]). Without it the platform's own default applies
// (Core: no retry, no divert, seed 001): one failed delivery and the event
// is gone. Set Registration.Failure to choose otherwise.
func RecommendedFailureHandling() FailureHandling {
	return FailureHandling{
		Triggers: []string{"4xx", "5xx", "timeout"},
		Retry:    &RetryStrategy{Type: RetryExponential, Attempts: 3},
		Divert:   true,
	}
}

// LegacyStatusCodes turns Core failure triggers into Legacy's
// failureHandling.actOnStatusCodes and actOnTimeout. Legacy takes status
// codes ("503"), not Core's classes ("5xx"): the member's name says codes
// (seed 003) and no source says it accepts classes, so a class becomes every
// code of that class net/http knows (for "5xx": 500 to 511), in order;
// "timeout" sets onTimeout. A trigger that is neither a code from 100 to 599,
// a class from "1xx" to "5xx" nor "timeout" is an error matching
// [ErrInvalidInput].
func LegacyStatusCodes(triggers []string) (codes []string, onTimeout bool, err error) {
	seen := map[string]bool{}
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	for _, t := range triggers {
		switch {
		case strings.EqualFold(t, "timeout"):
			onTimeout = true
		case len(t) == 3 && t[0] >= '1' && t[0] <= '5' && strings.EqualFold(t[1:], "xx"):
			base := int(t[0]-'0') * 100
			for c := base; c < base+100; c++ {
				if http.StatusText(c) != "" {
					add(strconv.Itoa(c))
				}
			}
		case isStatusCode(t):
			add(t)
		default:
			return nil, false, errorf("failure trigger %q: want a status code (\"503\"), a class (\"5xx\") or \"timeout\"", t)
		}
	}
	return codes, onTimeout, nil
}

func isStatusCode(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && len(s) == 3 && n >= 100 && n <= 599
}
