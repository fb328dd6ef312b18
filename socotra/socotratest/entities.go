package socotratest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/socotra-go/sdk/events"
)

// The policy and claim reads the fake serves, so that a handler can fetch the entity an event names with
// the client's HTTPClient. Only the GET by locator exists, returning the document stored with PutPolicy
// or PutClaim as it is.
//
//   - Legacy: GET /policy/{locator} and GET /claim/{locator}, as Socotra's public Python client calls them
//     (socotra/public socotratools/client.py, get_policy and get_claim), with the Legacy token.
//   - Core: GET /policy/{tenantLocator}/policies/{locator} and GET /claim/{tenantLocator}/claims/{locator},
//     with the Personal Access Token. These paths follow the Core API's /{service}/{tenantLocator}/… layout
//     of the event service (seed 001); the policy and claim paths themselves are an assumption (unconfirmed).
const (
	legacyPolicyPath = "GET /policy/{locator}"
	legacyClaimPath  = "GET /claim/{locator}"
	corePolicyPath   = "GET /policy/{tenant}/policies/{locator}"
	coreClaimPath    = "GET /claim/{tenant}/claims/{locator}"
)

type entityKey struct {
	platform events.Platform
	kind     string // "policy" or "claim"
	locator  string
}

// PutPolicy stores doc (any value that encodes to a JSON object) as the policy locator of platform p, served
// by GET /policy/{tenantLocator}/policies/{locator} on Core and GET /policy/{locator} on Legacy. Storing
// again replaces it.
func (s *Server) PutPolicy(p events.Platform, locator string, doc any) error {
	return s.putEntity(p, "policy", locator, doc)
}

// PutClaim stores doc as the claim locator of platform p, served by GET
// /claim/{tenantLocator}/claims/{locator} on Core and GET /claim/{locator} on Legacy.
func (s *Server) PutClaim(p events.Platform, locator string, doc any) error {
	return s.putEntity(p, "claim", locator, doc)
}

func (s *Server) putEntity(p events.Platform, kind, locator string, doc any) error {
	if p != events.Core && p != events.Legacy {
		return fmt.Errorf("socotratest: Put%s: platform %s; want events.Core or events.Legacy", title(kind), p)
	}
	if locator == "" || strings.ContainsAny(locator, "/?#") {
		return fmt.Errorf("socotratest: Put%s: locator %q must be non-empty, without '/', '?' or '#'", title(kind), locator)
	}
	b, err := json.Marshal(doc)
	if err != nil || len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("socotratest: Put%s %s: the document must encode to a JSON object (err %v)", title(kind), locator, err)
	}
	s.entities.Store(entityKey{p, kind, locator}, b)
	return nil
}

func title(kind string) string { return strings.ToUpper(kind[:1]) + kind[1:] }

func (s *Server) mountEntities(mux *http.ServeMux) {
	mux.HandleFunc(legacyPolicyPath, s.serveEntity(events.Legacy, "policy"))
	mux.HandleFunc(legacyClaimPath, s.serveEntity(events.Legacy, "claim"))
	mux.HandleFunc(corePolicyPath, s.serveEntity(events.Core, "policy"))
	mux.HandleFunc(coreClaimPath, s.serveEntity(events.Core, "claim"))
}

func (s *Server) serveEntity(p events.Platform, kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		locator := r.PathValue("locator")
		if p == events.Legacy && !s.legacyAuthorized(w, r, false) || p != events.Legacy && !s.coreAuthorized(w, r, r.PathValue("tenant")) {
			return
		}
		doc, ok := s.entities.Load(entityKey{p, kind, locator})
		if !ok {
			msg := fmt.Sprintf("%s %q not found", kind, locator)
			if p == events.Legacy {
				writeLegacyError(w, r, http.StatusNotFound, msg)
			} else {
				writeCoreError(w, http.StatusNotFound, msg)
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc.([]byte))
	}
}
