package socotra

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/socotra-go/sdk/internal/legacyapi"
)

// IntegrationType is the kind of a Legacy External Service Integration.
type IntegrationType string

// Integration types.
const (
	IntegrationWebhook       IntegrationType = "webhook"
	IntegrationExternalRater IntegrationType = "external_rater"
	IntegrationDataAutofill  IntegrationType = "data_autofill"
	IntegrationFEPlugins     IntegrationType = "fe-plugins"
)

// Integration is a Legacy External Service Integration: the URL, headers and
// security a webhook delivers with. Printed, logged or marshalled, it hides
// the secret of its security spec and the values of its headers.
type Integration struct {
	Name     string
	Type     IntegrationType
	URL      string
	Headers  IntegrationHeaders // values print as [Redacted]
	Security *SecuritySpec      // nil: none; the platform allows it for https URLs only
}

// SecuritySpec is how a Legacy integration signs and checks deliveries. Its
// Secret never prints: see [Secret].
type SecuritySpec struct {
	HMAC               bool
	Secret             Secret
	InsecureSkipVerify bool   // turn off the TLS certificate check (secureSSL=false)
	Tag                string // names the secret in use; needs Secret
}

// String prints the spec with its secret hidden.
func (s SecuritySpec) String() string {
	return fmt.Sprintf("{HMAC:%t Secret:%s InsecureSkipVerify:%t Tag:%s}", s.HMAC, s.Secret, s.InsecureSkipVerify, s.Tag)
}

// LogValue logs the spec with its secret hidden.
func (s SecuritySpec) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("hmac", s.HMAC), slog.String("secret", s.Secret.String()), slog.String("tag", s.Tag))
}

// LogValue logs the integration with its secret hidden.
func (in Integration) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("name", in.Name), slog.String("type", string(in.Type)), slog.String("url", in.URL)}
	if in.Security != nil {
		attrs = append(attrs, slog.Any("security", *in.Security))
	}
	return slog.GroupValue(attrs...)
}

func (s *SecuritySpec) request() *legacyapi.SecuritySpecification {
	if s == nil {
		return nil
	}
	return &legacyapi.SecuritySpecification{
		HmacEnabled: ptr(s.HMAC), Secret: ptrIf(s.Secret.Reveal()), SecureSSL: ptr(!s.InsecureSkipVerify), Tag: ptrIf(s.Tag),
	}
}

func (in Integration) check(op string) error {
	if in.Name == "" || in.URL == "" {
		return errorf("%s integration: Name and URL are required", op)
	}
	if err := needName("integration name", in.Name); err != nil {
		return err
	}
	if in.Security != nil && in.Security.Tag != "" && in.Security.Secret == "" {
		return errorf("%s integration %q: a security Tag needs a Secret", op, in.Name)
	}
	return nil
}

// Integrations returns every integration of the tenant (admin token).
func (c *LegacyClient) Integrations(ctx context.Context) ([]Integration, error) {
	resp, err := c.admin.ListIntegrations(ctx)
	if err != nil {
		return nil, err
	}
	list, err := decode(resp, c.secrets(), func(r *legacyapi.ExternalServiceIntegrationsResponse) error {
		if r.ExternalServiceIntegrations == nil {
			return errors.New("no externalServiceIntegrations member in the answer")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]Integration, 0, len(*list.ExternalServiceIntegrations))
	for _, in := range *list.ExternalServiceIntegrations {
		out = append(out, integrationFrom(in))
	}
	return out, nil
}

// CreateIntegration adds an integration (admin token); Type "" means webhook.
func (c *LegacyClient) CreateIntegration(ctx context.Context, in Integration) (Integration, error) {
	if err := in.check("create"); err != nil {
		return Integration{}, err
	}
	if in.Type == "" {
		in.Type = IntegrationWebhook
	}
	body := legacyapi.IntegrationCreateRequest{
		Name: in.Name, Type: legacyapi.IntegrationType(in.Type), Url: in.URL, SecuritySpec: in.Security.request(),
	}
	if len(in.Headers) > 0 {
		body.Headers = ptr(legacyapi.IntegrationHeaders(in.Headers))
	}
	return c.integration(c.admin.CreateIntegration(ctx, body))
}

// ReplaceIntegration replaces the URL, headers and security of the
// integration in.Name as a whole (admin token); members left empty are
// cleared. in.Type is not changed by the platform.
func (c *LegacyClient) ReplaceIntegration(ctx context.Context, in Integration) (Integration, error) {
	if err := in.check("replace"); err != nil {
		return Integration{}, err
	}
	body := legacyapi.IntegrationUpdateRequest{Url: in.URL, SecuritySpec: in.Security.request()}
	if len(in.Headers) > 0 {
		body.Headers = ptr(legacyapi.IntegrationHeaders(in.Headers))
	}
	return c.integration(c.admin.ReplaceIntegration(ctx, in.Name, body))
}

// DeleteIntegration removes the integration with this name (admin token).
func (c *LegacyClient) DeleteIntegration(ctx context.Context, name string) error {
	if err := needName("integration name", name); err != nil {
		return err
	}
	return done(c.admin.DeleteIntegration(ctx, name))
}

func (c *LegacyClient) integration(resp *http.Response, err error) (Integration, error) {
	if err != nil {
		return Integration{}, err
	}
	in, err := decode(resp, c.secrets(), func(in *legacyapi.ExternalServiceIntegration) error {
		if in.Name == "" {
			return errors.New("integration without a name")
		}
		return nil
	})
	return integrationFrom(in), err
}

func integrationFrom(in legacyapi.ExternalServiceIntegration) Integration {
	out := Integration{Name: in.Name, Type: IntegrationType(deref(in.Type)), URL: deref(in.Url), Headers: deref(in.Headers)}
	if s := in.SecuritySpec; s != nil {
		out.Security = &SecuritySpec{
			HMAC: deref(s.HmacEnabled), Secret: Secret(deref(s.Secret)), InsecureSkipVerify: s.SecureSSL != nil && !*s.SecureSSL, Tag: deref(s.Tag),
		}
	}
	return out
}
