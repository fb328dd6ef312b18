package socotratest

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/socotra-go/sdk/events"
)

// ControlEmitPath is the path of the control endpoint that [WithControl] turns on: a POST of an
// [EmitRequest] there emits an event as [Server.Emit] does, so a process outside the test (another
// language's test suite, the socotra-webhooks command) can make the fake deliver.
const ControlEmitPath = "/_socotratest/emit"

// maxControlBytes bounds a control request body; it is read only after authentication.
const maxControlBytes = 1 << 20

// extraConfig holds the settings of this file's options.
type extraConfig struct {
	listener net.Listener
	control  bool
	routes   []route
}

type route struct {
	pattern string
	h       http.Handler
}

// WithListener makes the server accept connections on l instead of a fresh 127.0.0.1 port, for
// example to serve on a fixed address. The server closes l on [Server.Close]. Default: a new loopback
// listener on a free port.
func WithListener(l net.Listener) Option {
	return optionFunc(func(c *config) { c.extra.listener = l })
}

// WithControl turns on the control endpoint at [ControlEmitPath]. It accepts only requests that carry
// the Core token ("Authorization: Bearer <Server.CoreToken>", whatever [WithCoreAuthScheme] says), so
// that a page in a browser cannot make the fake emit. Default: off.
func WithControl() Option { return optionFunc(func(c *config) { c.extra.control = true }) }

// WithHandler serves h for pattern (an http.ServeMux pattern) beside the APIs, for tools that add
// pages about the fake's state; use a prefix of your own, such as "/_inspector/". h does its own
// authentication. The APIs' routes keep their precedence under http.ServeMux's rules, and a pattern
// that conflicts with one of them makes [NewServer] panic. Default: none.
func WithHandler(pattern string, h http.Handler) Option {
	return optionFunc(func(c *config) { c.extra.routes = append(c.extra.routes, route{pattern, h}) })
}

// EmitRequest is the body of a control request: an event to emit on one platform.
type EmitRequest struct {
	// Platform is "core" or "legacy".
	Platform string `json:"platform"`
	// Type is the event name; any well-formed name.
	Type events.Name `json:"type"`
	// Data is the event's data object; empty means {}.
	Data json.RawMessage `json:"data,omitempty"`
}

// EmitResponse is the answer to a control request.
type EmitResponse struct {
	// ID is the event's id: a Core locator (ULID) or a Legacy id.
	ID string `json:"id"`
	// Type is the event name.
	Type events.Name `json:"type"`
	// Platform is "core" or "legacy".
	Platform string `json:"platform"`
	// Webhooks lists the webhooks (Core locators or Legacy names) a delivery was started for.
	Webhooks []string `json:"webhooks"`
}

// start serves handler on the configured listener, or on a fresh loopback port.
func (s *Server) start(handler http.Handler) *httptest.Server {
	if s.cfg.extra.listener == nil {
		return httptest.NewServer(handler)
	}
	hs := httptest.NewUnstartedServer(handler)
	hs.Listener.Close()
	hs.Listener = s.cfg.extra.listener
	hs.Start()
	return hs
}

// mountExtras adds the control endpoint and the WithHandler routes to mux.
func (s *Server) mountExtras(mux *http.ServeMux) {
	s.mountEntities(mux)
	if s.cfg.extra.control {
		mux.HandleFunc("POST "+ControlEmitPath, s.serveEmit)
	}
	for _, r := range s.cfg.extra.routes {
		mux.Handle(r.pattern, r.h)
	}
}

func (s *Server) serveEmit(w http.ResponseWriter, r *http.Request) {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.coreTok)) != 1 {
		writeControlError(w, http.StatusUnauthorized, "send the Core token: Authorization: Bearer <token>")
		return
	}
	var req EmitRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeControlError(w, http.StatusBadRequest, "want a JSON body {platform, type, data}: "+err.Error())
		return
	}
	var p events.Platform
	switch req.Platform {
	case "core", "":
		p, req.Platform = events.Core, "core"
	case "legacy":
		p = events.Legacy
	default:
		writeControlError(w, http.StatusBadRequest, fmt.Sprintf("platform %q: use core or legacy", req.Platform))
		return
	}
	var data any
	if len(req.Data) > 0 {
		data = req.Data
	}
	em, err := s.Emit(r.Context(), p, Event{Type: req.Type, Data: data})
	switch {
	case errors.Is(err, ErrClosed):
		writeControlError(w, http.StatusServiceUnavailable, err.Error())
		return
	case err != nil && em.ID == "":
		writeControlError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(EmitResponse{ID: em.ID, Type: em.Type, Platform: req.Platform, Webhooks: em.Webhooks})
}

func writeControlError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
