package socotratest

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
)

// StateAPI is a fake Marketplace state API, the service SMP_STATE_API names: GET /state/{x-smp-key}
// answers the state of the installation registered under that key with the members Socotra's samples
// read, {socotraApiUrl, tenantHostName, token, settings, mappings} (socotra/smp-node-vin-app
// src/index.js; socotra/amp-examples dotNet/vin-lookup Models/StateApi), and an unknown key 404 (an
// assumption: no source says what the real state API answers for a key it does not know). Point
// socotra.NewMarketplace at [StateAPI.URL]. It is safe for concurrent use.
type StateAPI struct {
	srv   *httptest.Server
	mu    sync.Mutex
	state map[string][]byte // key -> JSON state
	reads atomic.Int64
}

// NewStateAPI starts an empty state API on 127.0.0.1. Close it when done.
func NewStateAPI() *StateAPI {
	a := &StateAPI{state: map[string][]byte{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	return a
}

// URL returns the base URL, the value of SMP_STATE_API.
func (a *StateAPI) URL() string { return a.srv.URL }

// Close stops the server.
func (a *StateAPI) Close() { a.srv.Close() }

// Reads returns how many state requests the API has answered, known keys or not.
func (a *StateAPI) Reads() int64 { return a.reads.Load() }

// Install registers an installation of an app on tenant under key: its state names the tenant's URL, a
// host name, the tenant's Core token, settings (copied) and no mappings. No published state carries the
// Core tenant locator, so it is not a member; put it in settings["tenantLocator"] (as an app that
// declares such a setting would get it) for socotra.Installation.CoreClient to find.
func (a *StateAPI) Install(key string, tenant *Server, hostName string, settings map[string]string) {
	if settings == nil {
		settings = map[string]string{}
	}
	body, err := json.Marshal(map[string]any{"socotraApiUrl": tenant.URL(), "tenantHostName": hostName,
		"token": tenant.CoreToken(), "settings": maps.Clone(settings), "mappings": []any{}})
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.state[key] = body
}

// Uninstall removes the installation under key; its state then answers 404.
func (a *StateAPI) Uninstall(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.state, key)
}

func (a *StateAPI) serve(w http.ResponseWriter, r *http.Request) {
	a.reads.Add(1)
	key, ok := strings.CutPrefix(r.URL.Path, "/state/")
	if r.Method != http.MethodGet || !ok {
		http.NotFound(w, r)
		return
	}
	a.mu.Lock()
	body, ok := a.state[key]
	a.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"no installation for this key"}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}
