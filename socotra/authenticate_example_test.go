package socotra_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// In Marketplace mode a Runtime can accept /_app/start and /_app/stop only
// from callers whose x-smp-key the state API knows (whether the platform
// sends one with these calls is unconfirmed: try it on a sandbox first).
func ExampleMarketplace_Authenticate() {
	tenant := socotratest.NewServer()
	defer tenant.Close()
	state := socotratest.NewStateAPI()
	defer state.Close()
	state.Install("installation-1", tenant, "acme.co.sandbox.socotra.com", nil)
	market, err := socotra.NewMarketplace(state.URL())
	if err != nil {
		panic(err)
	}
	m, err := manifest.Parse([]byte(`{"name": "acme/app", "version": "1.0.0", "socotra": {"lifecycle": ["start", "stop"]}}`))
	if err != nil {
		panic(err)
	}
	rt, err := socotra.NewRuntime(m, nil, socotra.WithControlAuth(market.Authenticate),
		socotra.WithLifecycleLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		panic(err)
	}
	for _, key := range []string{"installation-1", "guessed", ""} {
		req := httptest.NewRequest(http.MethodGet, "/_app/start?route=https%3A%2F%2Fapp.example.com", nil)
		if key != "" {
			req.Header.Set(socotra.SMPKeyHeader, key)
		}
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, req)
		fmt.Printf("x-smp-key %q: %d\n", key, rec.Code)
	}
	// Output:
	// x-smp-key "installation-1": 200
	// x-smp-key "guessed": 401
	// x-smp-key "": 401
}
