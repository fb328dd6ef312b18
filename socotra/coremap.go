package socotra

import (
	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/coreapi"
)

// This file maps between the facade's types and the generated Core models.

func names(ns []events.Name) []string {
	if ns == nil {
		return nil
	}
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = string(n)
	}
	return out
}

func toNames(ss []string) []events.Name {
	if ss == nil {
		return nil
	}
	out := make([]events.Name, len(ss))
	for i, s := range ss {
		out[i] = events.Name(s)
	}
	return out
}

// createEndpoint is e as a create request; secureSsl is always sent.
func createEndpoint(e Endpoint) coreapi.CreateEndpointRequest {
	r := coreapi.CreateEndpointRequest{
		Url:         e.URL,
		SecureSsl:   ptr(!e.InsecureSkipVerify),
		HmacEnabled: ptrIf(e.HMAC),
		Secret:      ptrIf(e.Secret.Reveal()),
		Tag:         ptrIf(e.Tag),
	}
	if len(e.Headers) > 0 {
		h := coreapi.Headers(e.Headers)
		r.Headers = &h
	}
	return r
}

// createFailure is f as a create request; divert and suspend are always sent,
// so the request states the whole failure handling.
func createFailure(f FailureHandling) coreapi.FailureHandlingCreateRequest {
	r := coreapi.FailureHandlingCreateRequest{
		Triggers: sliceIf(f.Triggers),
		Divert:   ptr(f.Divert),
		Suspend:  ptr(f.Suspend),
	}
	if f.Retry != nil {
		r.RetryStrategy = &coreapi.RetryStrategyCreateRequest{
			Type:     ptrIf(coreapi.RetryType(f.Retry.Type)),
			Interval: ptrIf(f.Retry.Interval),
			Attempts: ptrIf(int32(f.Retry.Attempts)),
		}
	}
	if f.AlertEndpoint != nil {
		r.AlertEndpoint = ptr(createEndpoint(*f.AlertEndpoint))
	}
	return r
}

func endpointFrom(e *coreapi.EndpointResponse) Endpoint {
	if e == nil {
		return Endpoint{}
	}
	return Endpoint{
		URL:                deref(e.Url),
		Headers:            deref(e.Headers),
		InsecureSkipVerify: e.SecureSsl != nil && !*e.SecureSsl,
		HMAC:               deref(e.HmacEnabled),
		Secret:             Secret(deref(e.Secret)),
		Tag:                deref(e.Tag),
	}
}

func webhookFrom(w coreapi.WebhookResponse) Webhook {
	out := Webhook{
		Locator:     w.Locator,
		Name:        deref(w.Name),
		Enabled:     deref(w.Enabled),
		Suspended:   deref(w.Suspended),
		SuspendedAt: deref(w.SuspendedAt),
		Events:      toNames(deref(w.EventTypes)),
		Endpoint:    endpointFrom(w.Endpoint),
	}
	if f := w.FailureHandling; f != nil {
		fh := &FailureHandling{Triggers: deref(f.Triggers), Divert: deref(f.Divert), Suspend: deref(f.Suspend)}
		if r := f.RetryStrategy; r != nil {
			fh.Retry = &RetryStrategy{Type: RetryType(deref(r.Type)), Interval: deref(r.Interval), Attempts: int(deref(r.Attempts))}
		}
		if f.AlertEndpoint != nil {
			fh.AlertEndpoint = ptr(endpointFrom(f.AlertEndpoint))
		}
		out.Failure = fh
	}
	return out
}

func divertedFrom(d coreapi.DivertedEventResponse) DivertedEvent {
	return DivertedEvent{
		ID:        d.EventLocator,
		RequestID: deref(d.RequestLocator),
		Trigger:   deref(d.FailureTrigger),
		Message:   deref(d.FailureMessage),
		Time:      deref(d.FailureTimestamp),
	}
}

func eventFrom(e coreapi.EventResponse) StreamEvent {
	return StreamEvent{
		Platform:  events.Core,
		ID:        e.Locator,
		RequestID: deref(e.RequestId),
		User:      deref(e.UserLocator),
		Time:      e.Timestamp,
		Type:      events.Name(e.Type),
		Data:      e.Data,
	}
}
