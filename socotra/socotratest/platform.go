package socotratest

import (
	"errors"
	"strconv"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/legacyapi"
)

// AddLegacyWebhook registers an enabled Legacy webhook named name that sends types to url
// through an External Service Integration of the same name, signed with secret when secret is not
// empty, with no retries and no failure handling (the platform defaults). It is the Legacy
// counterpart of [Server.AddCoreWebhook], for tests that do not go through the Legacy API, and
// applies the same rules: a secret needs an https URL (seed 003: a securitySpec is only allowed for
// https URLs), and every type must be well-formed and not a name only Core sends.
func (s *Server) AddLegacyWebhook(name, url, secret string, types ...events.Name) error {
	var fe fieldErrors
	var sec *legacyapi.SecuritySpecification
	if secret != "" {
		sec = &legacyapi.SecuritySpecification{HmacEnabled: ptr(true), Secret: ptr(secret)}
	}
	if name == "" {
		fe.add("name", "is required")
	}
	checkIntegration(&fe, url, sec)
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	if len(names) == 0 {
		fe.add("events", "needs at least one event type")
	}
	checkEventTypes(&fe, "events", names, events.Legacy)
	if fe != nil {
		return errors.New("socotratest: add legacy webhook: " + fe.message())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.integrations[name] != nil || s.legacyHooks[name] != nil {
		return errors.New("socotratest: add legacy webhook: " + strconv.Quote(name) + " already exists")
	}
	s.integrations[name] = &integration{name: name, url: url, typ: legacyapi.IntegrationTypeWebhook, security: sec}
	s.seq++
	s.legacyHooks[name] = &legacyHook{seq: s.seq, name: name, enabled: true, events: addRemove(nil, nil, names),
		integration: name, retry: legacyapi.RetryStrategyNone}
	return nil
}
