package socotra_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/socotra"
)

// TestOptionKinds pins which constructor each option compiles for: the
// settings of a Marketplace alone must not be Options, or NewCoreClient and
// NewLegacyClient would take them and ignore them.
func TestOptionKinds(t *testing.T) {
	t.Parallel()
	marketOnly := map[string]socotra.MarketplaceOption{
		"WithStateTTL":          socotra.WithStateTTL(time.Second),
		"WithTenantLocatorFunc": socotra.WithTenantLocatorFunc(nil),
	}
	for name, o := range marketOnly {
		if _, ok := o.(socotra.Option); ok {
			t.Errorf("%s is an Option; want a MarketplaceOption only", name)
		}
	}
}

func TestNewLegacyClientRefusesCoreOnlyOptions(t *testing.T) {
	t.Parallel()
	creds := socotra.LegacyCredentials{Token: "tok"}
	for _, o := range []socotra.Option{socotra.WithCoreAuthScheme(""), socotra.WithAuthScheme("Bearer")} {
		_, err := socotra.NewLegacyClient("https://api.example", creds, o)
		if !errors.Is(err, socotra.ErrInvalidInput) || !strings.Contains(err.Error(), "Core client only") {
			t.Errorf("err = %v, want ErrInvalidInput saying the option is for a Core client only", err)
		}
	}
	if _, err := socotra.NewCoreClient("https://api.example", "8b7e1a5e-2f51-4a55-9d1c-8f0d4b2b7a10", "tok",
		socotra.WithCoreAuthScheme("")); err != nil {
		t.Errorf("NewCoreClient(WithCoreAuthScheme): %v", err)
	}
}
