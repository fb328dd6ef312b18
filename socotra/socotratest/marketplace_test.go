package socotratest_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

func TestStateAPI(t *testing.T) {
	t.Parallel()
	tenant := socotratest.NewServer()
	t.Cleanup(tenant.Close)
	state := socotratest.NewStateAPI()
	t.Cleanup(state.Close)
	state.Install("inst-1", tenant, "acme.co.sandbox.socotra.com", map[string]string{"tenantLocator": tenant.TenantLocator()})
	state.Install("inst-2", tenant, "beta.co.sandbox.socotra.com", nil)
	m, err := socotra.NewMarketplace(state.URL())
	if err != nil {
		t.Fatal(err)
	}
	req := func(key string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/hooks", nil)
		r.Header.Set(socotra.SMPKeyHeader, key)
		return r
	}
	in, err := m.Installation(t.Context(), req("inst-1"))
	if err != nil {
		t.Fatal(err)
	}
	if st := in.State(); st.TenantHostName != "acme.co.sandbox.socotra.com" || st.SocotraAPIURL != tenant.URL() || st.TenantLocator != tenant.TenantLocator() {
		t.Errorf("state = %v", st)
	}
	c, err := in.CoreClient(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range c.Webhooks(t.Context(), socotra.WebhookFilter{}) {
		if err != nil {
			t.Fatalf("the installation's client on the fake tenant: %v", err)
		}
	}
	in2, err := m.Installation(t.Context(), req("inst-2"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in2.CoreClient(t.Context()); !errors.Is(err, socotra.ErrNoTenantLocator) {
		t.Errorf("an installation without a tenantLocator setting: %v, want ErrNoTenantLocator", err)
	}
	state.Uninstall("inst-1")
	m2, err := socotra.NewMarketplace(state.URL())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Installation(t.Context(), req("inst-1")); !errors.Is(err, socotra.ErrNotFound) {
		t.Errorf("after Uninstall: %v, want ErrNotFound", err)
	}
	if n := state.Reads(); n != 3 {
		t.Errorf("Reads = %d, want 3", n)
	}
}
