package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// inspectorPrefix is where serve mounts the delivery inspector.
const inspectorPrefix = "/_inspector/"

// maxShownDeliveries bounds the attempts the page lists, newest first.
const maxShownDeliveries = 200

//go:embed inspector.html
var inspectorHTML string

var inspectorTmpl = template.Must(template.New("inspector").Funcs(template.FuncMap{
	"platform": platformName,
	"ms":       func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) },
	"time":     func(t time.Time) string { return t.UTC().Format("15:04:05.000") },
	"join": func(ns []events.Name) string {
		s := make([]string, len(ns))
		for i, n := range ns {
			s[i] = string(n)
		}
		return strings.Join(s, ", ")
	},
	"str": func(b []byte) string { return string(b) },
	"short": func(s string) string {
		if len(s) > 16 {
			return s[:16] + "…"
		}
		return s
	},
}).Parse(inspectorHTML))

func platformName(p events.Platform) string {
	if p == events.Legacy {
		return "legacy"
	}
	return "core"
}

// inspector serves the delivery inspector page of a fake tenant. Every request must carry the key
// serve printed (in the query or, for the forms, a form field): the page shows delivery bodies and its
// forms make the fake send requests, so neither another local user's browser tab nor a page on the
// web (which cannot know the key) can use it.
type inspector struct {
	key    string
	srv    atomic.Pointer[socotratest.Server]
	core   atomic.Pointer[socotra.CoreClient]
	legacy atomic.Pointer[socotra.LegacyClient]
	mux    *http.ServeMux
}

func newInspector(key string) *inspector {
	in := &inspector{key: key, mux: http.NewServeMux()}
	in.mux.HandleFunc("GET "+inspectorPrefix+"{$}", in.page)
	in.mux.HandleFunc("POST "+inspectorPrefix+"emit", in.emit)
	in.mux.HandleFunc("POST "+inspectorPrefix+"resend", in.resend)
	in.mux.HandleFunc("POST "+inspectorPrefix+"unsuspend", in.unsuspend)
	return in
}

// attach points the inspector at the fake tenant it shows.
func (in *inspector) attach(srv *socotratest.Server) error {
	core, err := socotra.NewCoreClient(srv.URL(), srv.TenantLocator(), srv.CoreToken(), socotra.WithRetry(1, 0, 0))
	if err != nil {
		return err
	}
	u, p, h := srv.LegacyCredentials()
	au, ap := srv.LegacyAdminCredentials()
	legacy, err := socotra.NewLegacyClient(srv.URL(), socotra.LegacyCredentials{
		Username: u, Password: p, HostName: h, AdminUsername: au, AdminPassword: ap,
	}, socotra.WithRetry(1, 0, 0))
	if err != nil {
		return err
	}
	in.core.Store(core)
	in.legacy.Store(legacy)
	in.srv.Store(srv)
	return nil
}

func (in *inspector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer") // the key is in the URL
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	key := r.URL.Query().Get("key")
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		key = r.PostFormValue("key")
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(in.key)) != 1 {
		http.Error(w, "the inspector needs the key from the URL serve printed", http.StatusForbidden)
		return
	}
	if in.srv.Load() == nil {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	in.mux.ServeHTTP(w, r)
}

type pageData struct {
	Key, URL, Tenant, Flash string
	Refresh                 int
	Webhooks                []socotratest.Webhook
	Suspended               []socotratest.Webhook
	Diverted                []divertedRow
	Deliveries              []deliveryRow
	Total                   int
	Retries, Failures       int
	CoreEvents              []events.Name
	LegacyEvents            []events.Name
}

type divertedRow struct {
	Platform events.Platform
	Webhook  string
	socotratest.DivertedEvent
}

type deliveryRow struct {
	socotratest.Delivery
	Signature string
	Request   string
	OK        bool
}

func (in *inspector) page(w http.ResponseWriter, r *http.Request) {
	srv := in.srv.Load()
	d := pageData{
		Key: in.key, URL: srv.URL(), Tenant: srv.TenantLocator(), Flash: r.URL.Query().Get("flash"),
		Webhooks: srv.Webhooks(), CoreEvents: events.CoreNames(), LegacyEvents: events.LegacyNames(),
	}
	if _, err := fmt.Sscan(r.URL.Query().Get("refresh"), &d.Refresh); err != nil || d.Refresh < 0 {
		d.Refresh = 0
	}
	for _, wh := range d.Webhooks {
		if wh.Suspended {
			d.Suspended = append(d.Suspended, wh)
		}
		for _, de := range srv.DivertedEvents(wh.ID) {
			d.Diverted = append(d.Diverted, divertedRow{wh.Platform, wh.ID, de})
		}
	}
	all := srv.Deliveries()
	d.Total = len(all)
	for _, del := range all {
		if del.Attempt > 1 {
			d.Retries++
		}
		if del.Status < 200 || del.Status > 299 {
			d.Failures++
		}
	}
	slices.Reverse(all)
	for _, del := range all[:min(len(all), maxShownDeliveries)] {
		d.Deliveries = append(d.Deliveries, deliveryRow{
			Delivery:  del,
			Signature: del.Header.Get(hmac.HeaderName),
			Request:   requestText(del),
			OK:        del.Status >= 200 && del.Status <= 299,
		})
	}
	var buf bytes.Buffer
	if err := inspectorTmpl.Execute(&buf, d); err != nil {
		http.Error(w, "render: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func requestText(d socotratest.Delivery) string {
	var b strings.Builder
	fmt.Fprintf(&b, "POST %s\n", d.URL)
	keys := make([]string, 0, len(d.Header))
	for k := range d.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(d.Header[k], ", "))
	}
	fmt.Fprintf(&b, "\n%s", d.Body)
	return b.String()
}

// back redirects to the page with a message.
func (in *inspector) back(w http.ResponseWriter, r *http.Request, msg string) {
	q := url.Values{"key": {in.key}, "flash": {msg}}
	http.Redirect(w, r, inspectorPrefix+"?"+q.Encode(), http.StatusSeeOther)
}

func (in *inspector) emit(w http.ResponseWriter, r *http.Request) {
	p, n, _ := strings.Cut(r.PostFormValue("event"), ":")
	name, platform, err := eventAndPlatform(n, p)
	if err != nil {
		in.back(w, r, "emit: "+err.Error())
		return
	}
	em, err := in.srv.Load().Emit(r.Context(), platform, socotratest.Event{Type: name, Data: sampleData(name, platform)})
	if err != nil {
		in.back(w, r, "emit: "+err.Error())
		return
	}
	in.back(w, r, fmt.Sprintf("emitted %s %s to %d webhook(s)", name, em.ID, len(em.Webhooks)))
}

func (in *inspector) resend(w http.ResponseWriter, r *http.Request) {
	hook, id := r.PostFormValue("webhook"), r.PostFormValue("id")
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	var err error
	switch r.PostFormValue("platform") {
	case "core":
		err = in.core.Load().ResendDivertedEvent(ctx, hook, id)
	case "legacy":
		err = in.legacy.Load().ResendDivertedEvent(ctx, hook, id)
	default:
		err = errors.New("platform must be core or legacy")
	}
	if err != nil {
		in.back(w, r, "resend: "+err.Error())
		return
	}
	in.back(w, r, "resent "+cmp.Or(id, "?")+" to "+hook)
}

func (in *inspector) unsuspend(w http.ResponseWriter, r *http.Request) {
	hook := r.PostFormValue("webhook")
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	var err error
	switch r.PostFormValue("platform") {
	case "core":
		err = in.core.Load().UnsuspendWebhook(ctx, hook)
	case "legacy":
		err = in.legacy.Load().UnsuspendWebhook(ctx, hook)
	default:
		err = errors.New("platform must be core or legacy")
	}
	if err != nil {
		in.back(w, r, "unsuspend: "+err.Error())
		return
	}
	in.back(w, r, "unsuspended "+hook)
}
