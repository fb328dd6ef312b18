package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
)

var webhooksCmd = &command{
	name:    "webhooks",
	summary: "list, get, create, update, delete and unsuspend webhooks",
	usage: `webhooks list [--json] [--show-secrets]
webhooks get ID [--json] [--show-secrets]
webhooks create --url URL --events NAME[,NAME]... [--name N] [--secret S] [--header K:V]... [--disabled] [--retries N] [--divert] [--suspend]
webhooks update ID [--name N] [--url URL] [--secret S] [--enable|--disable] [--add-events E,...] [--remove-events E,...]
webhooks delete ID
webhooks unsuspend ID`,
	help: `
Webhooks manages the webhooks of a Core or Legacy tenant, real or fake (serve). ID is the webhook's
locator on Core and its name on Legacy. Lists print a table for people, or JSON with --json. Secrets
are never printed unless --show-secrets asks for them.

On Legacy, create registers an External Service Integration and a webhook of the same name (https URLs
may carry a secret); creating an existing name replaces it. On Core, --retries, --divert and --suspend
set what the platform does when a delivery fails (4xx, 5xx or a timeout); without them the platform's
default applies. --events takes names and patterns such as 'policy.*'. update on Legacy changes events and
enabled only.

` + connHelp + `
Examples:
  socotra-webhooks webhooks list
  socotra-webhooks webhooks create --name local --url http://localhost:8080/webhooks --events 'policy.quote.issue,billing.invoice.generate' --secret s3cret
  socotra-webhooks webhooks update 01JD... --add-events policy.status.update --disable
  socotra-webhooks webhooks list --platform legacy --json
`,
	run: runWebhooks,
}

var divertedCmd = &command{
	name:    "diverted",
	summary: "list, get, resend and delete diverted events",
	usage: `diverted list WEBHOOK [--json]
diverted get WEBHOOK EVENT [--json]
diverted resend WEBHOOK EVENT
diverted delete WEBHOOK EVENT`,
	help: `
Diverted manages the events a webhook failed to deliver and kept. WEBHOOK is the locator (Core) or
name (Legacy); EVENT is the event locator (Core) or the transaction id (Legacy), as list shows it.

` + connHelp + `
Examples:
  socotra-webhooks diverted list 01JD...
  socotra-webhooks diverted resend 01JD... 01JE...
  socotra-webhooks diverted list my-webhook --platform legacy --json
`,
	run: runDiverted,
}

// webhookOut is a webhook as the admin commands print it, for either platform.
type webhookOut struct {
	Platform    string     `json:"platform"`
	ID          string     `json:"id"`
	Name        string     `json:"name,omitempty"`
	Enabled     bool       `json:"enabled"`
	Suspended   bool       `json:"suspended"`
	SuspendedAt *time.Time `json:"suspendedAt,omitempty"`
	Events      []string   `json:"events"`
	URL         string     `json:"url,omitempty"`
	Integration string     `json:"integration,omitempty"`
	HMAC        bool       `json:"hmac"`
	Secret      string     `json:"secret,omitempty"` // only with --show-secrets
	Tag         string     `json:"tag,omitempty"`
	Headers     []string   `json:"headers,omitempty"` // names only
}

func names(ns []events.Name) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = string(n)
	}
	return out
}

func coreOut(w socotra.Webhook, show bool) webhookOut {
	o := webhookOut{
		Platform: "core", ID: w.Locator, Name: w.Name, Enabled: w.Enabled, Suspended: w.Suspended,
		Events: names(w.Events), URL: w.Endpoint.URL, HMAC: w.Endpoint.HMAC, Tag: w.Endpoint.Tag,
	}
	if !w.SuspendedAt.IsZero() {
		o.SuspendedAt = &w.SuspendedAt
	}
	if show {
		o.Secret = w.Endpoint.Secret.Reveal()
	}
	for k := range w.Endpoint.Headers {
		o.Headers = append(o.Headers, k)
	}
	slices.Sort(o.Headers)
	return o
}

func legacyOut(w socotra.LegacyWebhook) webhookOut {
	o := webhookOut{
		Platform: "legacy", ID: w.Name, Name: w.DisplayName, Enabled: w.Enabled, Suspended: w.Suspended,
		Events: names(w.Events), Integration: w.IntegrationName,
	}
	if !w.SuspendedAt.IsZero() {
		o.SuspendedAt = &w.SuspendedAt
	}
	return o
}

func printWebhooks(w io.Writer, list []webhookOut, asJSON bool) error {
	if asJSON {
		if list == nil {
			list = []webhookOut{}
		}
		return json.NewEncoder(w).Encode(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(w, "no webhooks")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tENABLED\tSUSPENDED\tURL / INTEGRATION\tEVENTS")
	for _, o := range list {
		susp := "no"
		if o.Suspended {
			susp = "yes"
			if o.SuspendedAt != nil {
				susp = o.SuspendedAt.UTC().Format(time.RFC3339)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\t%s\n", o.ID, o.Name, o.Enabled, susp, cmp.Or(o.URL, o.Integration), strings.Join(o.Events, ","))
	}
	return tw.Flush()
}

func printWebhook(w io.Writer, o webhookOut, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(o)
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "platform\t%s\nid\t%s\nname\t%s\nenabled\t%t\nsuspended\t%t\n", o.Platform, o.ID, o.Name, o.Enabled, o.Suspended)
	if o.SuspendedAt != nil {
		fmt.Fprintf(tw, "suspended at\t%s\n", o.SuspendedAt.UTC().Format(time.RFC3339))
	}
	if o.URL != "" {
		fmt.Fprintf(tw, "url\t%s\nsigned\t%t\n", o.URL, o.HMAC)
	}
	if o.Integration != "" {
		fmt.Fprintf(tw, "integration\t%s\n", o.Integration)
	}
	if o.Secret != "" {
		fmt.Fprintf(tw, "secret\t%s\n", o.Secret)
	}
	if o.Tag != "" {
		fmt.Fprintf(tw, "tag\t%s\n", o.Tag)
	}
	if len(o.Headers) > 0 {
		fmt.Fprintf(tw, "headers\t%s\n", strings.Join(o.Headers, ", "))
	}
	fmt.Fprintf(tw, "events\t%s\n", strings.Join(o.Events, ", "))
	return tw.Flush()
}

// eventList parses comma-separated, repeatable event names and patterns for platform p; unknown names
// and names p never sends are refused with a suggestion, and patterns expand to what p sends.
func eventList(vals []string, p events.Platform) ([]events.Name, error) {
	var out []events.Name
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			if strings.Contains(s, "*") {
				m := events.MatchingOn(s, p)
				if len(m) == 0 {
					return nil, usagef("event pattern %q matches no event that %v sends", s, p)
				}
				out = append(out, m...)
				continue
			}
			n, err := events.Parse(s)
			if err != nil {
				return nil, usagef("%v", err)
			}
			if !n.Known() {
				if sug, ok := events.Suggest(s); ok {
					return nil, usagef("unknown event %q: did you mean %q?", s, sug)
				}
				return nil, usagef("unknown event %q: trigger --list shows every event", s)
			}
			if !n.SentBy(p) {
				return nil, usagef("%s is not sent by %v, so a webhook for it would never fire", n, p)
			}
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func runWebhooks(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: list, get, create, update, delete or unsuspend")
	}
	sub, args := args[0], args[1:]
	var c conn
	fs := newFlags("webhooks " + sub)
	c.addFlags(fs)
	asJSON := fs.Bool("json", false, "")
	show := fs.Bool("show-secrets", false, "")
	var (
		url, name, secret, tag string
		evs, headers           listFlag
		addEvs, removeEvs      listFlag
		disabled, enable, dis  bool
		divert, suspend        bool
		retries                int
	)
	switch sub {
	case "create", "update":
		fs.StringVar(&url, "url", "", "")
		fs.StringVar(&name, "name", "", "")
		fs.StringVar(&secret, "secret", "", "")
		fs.StringVar(&tag, "tag", "", "")
		fs.Var(&headers, "header", "")
		if sub == "create" {
			fs.Var(&evs, "events", "")
			fs.BoolVar(&disabled, "disabled", false, "")
			fs.BoolVar(&divert, "divert", false, "")
			fs.BoolVar(&suspend, "suspend", false, "")
			fs.IntVar(&retries, "retries", 0, "")
		} else {
			fs.Var(&addEvs, "add-events", "")
			fs.Var(&removeEvs, "remove-events", "")
			fs.BoolVar(&enable, "enable", false, "")
			fs.BoolVar(&dis, "disable", false, "")
		}
	case "list", "get", "delete", "unsuspend":
	case "-h", "-help", "--help":
		return flag.ErrHelp
	default:
		return usagef("unknown subcommand %q: use list, get, create, update, delete or unsuspend", sub)
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	wantArgs := map[string]int{"list": 0, "create": 0, "get": 1, "update": 1, "delete": 1, "unsuspend": 1}[sub]
	if len(pos) != wantArgs {
		if wantArgs == 0 {
			return usagef("webhooks %s takes no arguments, got %q", sub, pos)
		}
		return usagef("webhooks %s needs the webhook's ID (locator on Core, name on Legacy)", sub)
	}
	leg, err := c.legacy()
	if err != nil {
		return err
	}
	hdrs := map[string][]string{}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return usagef("--header %q: write it as Name:value", h)
		}
		k = strings.TrimSpace(k)
		hdrs[k] = append(hdrs[k], strings.TrimSpace(v))
	}
	if leg {
		lc, err := c.legacyClient(e)
		if err != nil {
			return err
		}
		return legacyWebhooks(ctx, e, lc, sub, pos, *asJSON, legacyEdit{url, name, secret, tag, evs, addEvs, removeEvs, hdrs, disabled, enable, dis})
	}
	cc, err := c.core(e)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		var out []webhookOut
		for w, err := range cc.Webhooks(ctx, socotra.WebhookFilter{Extended: *show}) {
			if err != nil {
				return err
			}
			out = append(out, coreOut(w, *show))
		}
		return printWebhooks(e.stdout, out, *asJSON)
	case "get":
		w, err := cc.Webhook(ctx, pos[0])
		if err != nil {
			return err
		}
		return printWebhook(e.stdout, coreOut(w, *show), *asJSON)
	case "create":
		if url == "" || len(evs) == 0 {
			return usagef("webhooks create needs --url and --events")
		}
		if err := checkURL("--url", url); err != nil {
			return err
		}
		types, err := eventList(evs, events.Core)
		if err != nil {
			return err
		}
		w := socotra.Webhook{Name: cmp.Or(name, "socotra-webhooks"), Enabled: !disabled, Events: types,
			Endpoint: socotra.Endpoint{URL: url, Headers: hdrs, HMAC: secret != "", Secret: socotra.Secret(secret), Tag: tag}}
		// attempts is 1..10 (reference/socotra-facts.md §1, api/core.yaml RetryStrategy).
		if retries < 0 || retries > 10 {
			return usagef("--retries %d: the platform allows 1 to 10", retries)
		}
		if divert || suspend || retries > 0 {
			f := socotra.DefaultFailureHandling()
			f.Divert, f.Suspend = divert, suspend
			if retries > 0 {
				// The interval's unit is unpublished (reference/socotra-facts.md §1): 1 is the smallest wait.
				f.Retry = &socotra.RetryStrategy{Type: socotra.RetryExponential, Interval: 1, Attempts: retries}
			}
			w.Failure = &f
		}
		created, err := cc.CreateWebhook(ctx, w)
		if err != nil {
			return err
		}
		return printWebhook(e.stdout, coreOut(created, false), *asJSON)
	case "update":
		var u socotra.WebhookUpdate
		if name != "" {
			u.Name = &name
		}
		if enable && dis {
			return usagef("--enable and --disable exclude each other")
		}
		if enable || dis {
			u.Enabled = &enable
		}
		if u.AddEvents, err = eventList(addEvs, events.Core); err != nil {
			return err
		}
		if u.RemoveEvents, err = eventList(removeEvs, events.Core); err != nil {
			return err
		}
		if url != "" || secret != "" || tag != "" || len(hdrs) > 0 {
			eu := &socotra.EndpointUpdate{AddHeaders: hdrs}
			if url != "" {
				if err := checkURL("--url", url); err != nil {
					return err
				}
				eu.URL = &url
			}
			if secret != "" {
				s, on := socotra.Secret(secret), true
				eu.Secret, eu.HMAC = &s, &on
			}
			if tag != "" {
				eu.Tag = &tag
			}
			u.Endpoint = eu
		}
		if u.IsZero() {
			return usagef("webhooks update: say what to change (--name, --url, --secret, --enable, --add-events, ...)")
		}
		w, err := cc.UpdateWebhook(ctx, pos[0], u)
		if err != nil {
			return err
		}
		return printWebhook(e.stdout, coreOut(w, false), *asJSON)
	case "delete":
		if err := cc.DeleteWebhook(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "deleted %s\n", pos[0])
	case "unsuspend":
		if err := cc.UnsuspendWebhook(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "unsuspended %s\n", pos[0])
	}
	return nil
}

type legacyEdit struct {
	url, name, secret, tag string
	evs, addEvs, removeEvs listFlag
	headers                map[string][]string
	disabled, enable, dis  bool
}

func legacyWebhooks(ctx context.Context, e *env, lc *socotra.LegacyClient, sub string, pos []string, asJSON bool, ed legacyEdit) error {
	switch sub {
	case "list":
		var out []webhookOut
		for w, err := range lc.Webhooks(ctx) {
			if err != nil {
				return err
			}
			out = append(out, legacyOut(w))
		}
		return printWebhooks(e.stdout, out, asJSON)
	case "get":
		w, err := lc.Webhook(ctx, pos[0])
		if err != nil {
			return err
		}
		return printWebhook(e.stdout, legacyOut(w), asJSON)
	case "create":
		if ed.url == "" || len(ed.evs) == 0 || ed.name == "" {
			return usagef("webhooks create on Legacy needs --name, --url and --events")
		}
		if err := checkURL("--url", ed.url); err != nil {
			return err
		}
		types, err := eventList(ed.evs, events.Legacy)
		if err != nil {
			return err
		}
		if err := lc.Registrar().Register(ctx, socotra.Registration{
			Name: ed.name, URL: ed.url, Events: types, Secret: ed.secret, Tag: ed.tag, Headers: ed.headers,
		}); err != nil {
			return err
		}
		w, err := lc.Webhook(ctx, ed.name)
		if err != nil {
			return err
		}
		if ed.disabled {
			w.Enabled = false
			if w, err = lc.PutWebhook(ctx, w); err != nil {
				return err
			}
		}
		return printWebhook(e.stdout, legacyOut(w), asJSON)
	case "update":
		if ed.url != "" || ed.secret != "" || ed.tag != "" || len(ed.headers) > 0 {
			return usagef("on Legacy the URL, secret and headers belong to the integration: run webhooks create with the same --name to replace them")
		}
		if ed.enable && ed.dis {
			return usagef("--enable and --disable exclude each other")
		}
		w, err := lc.Webhook(ctx, pos[0])
		if err != nil {
			return err
		}
		add, err := eventList(ed.addEvs, events.Legacy)
		if err != nil {
			return err
		}
		remove, err := eventList(ed.removeEvs, events.Legacy)
		if err != nil {
			return err
		}
		if len(add) == 0 && len(remove) == 0 && !ed.enable && !ed.dis && ed.name == "" {
			return usagef("webhooks update: say what to change (--enable, --disable, --add-events, --remove-events, --name)")
		}
		w.Events = slices.DeleteFunc(w.Events, func(n events.Name) bool { return slices.Contains(remove, n) })
		for _, n := range add {
			if !slices.Contains(w.Events, n) {
				w.Events = append(w.Events, n)
			}
		}
		if ed.enable || ed.dis {
			w.Enabled = ed.enable
		}
		if ed.name != "" {
			w.DisplayName = ed.name
		}
		if w, err = lc.PutWebhook(ctx, w); err != nil {
			return err
		}
		return printWebhook(e.stdout, legacyOut(w), asJSON)
	case "delete":
		if err := lc.DeleteWebhook(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "deleted %s\n", pos[0])
	case "unsuspend":
		if err := lc.UnsuspendWebhook(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "unsuspended %s\n", pos[0])
	}
	return nil
}

// divertedOut is a diverted event as the commands print it.
type divertedOut struct {
	ID        string          `json:"id"`
	EventID   string          `json:"eventId,omitempty"`
	RequestID string          `json:"requestId,omitempty"`
	Type      string          `json:"type,omitempty"`
	Time      time.Time       `json:"time"`
	Trigger   string          `json:"trigger,omitempty"`
	Message   string          `json:"message,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// divertedKey is what resend and delete take: the event locator on Core, the
// transaction id (socotra.DivertedEvent.RequestID) on Legacy.
func divertedKey(d socotra.DivertedEvent, legacy bool) string {
	if legacy {
		return d.RequestID
	}
	return d.ID
}

func toDivertedOut(d socotra.DivertedEvent, legacy bool) divertedOut {
	return divertedOut{ID: divertedKey(d, legacy), EventID: d.ID, RequestID: d.RequestID, Type: string(d.Type), Time: d.Time,
		Trigger: d.Trigger, Message: d.Message, Data: d.Data}
}

func runDiverted(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: list, get, resend or delete")
	}
	sub, args := args[0], args[1:]
	want := map[string]int{"list": 1, "get": 2, "resend": 2, "delete": 2}
	if sub == "-h" || sub == "-help" || sub == "--help" {
		return flag.ErrHelp
	}
	if _, ok := want[sub]; !ok {
		return usagef("unknown subcommand %q: use list, get, resend or delete", sub)
	}
	var c conn
	fs := newFlags("diverted " + sub)
	c.addFlags(fs)
	asJSON := fs.Bool("json", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != want[sub] {
		if want[sub] == 1 {
			return usagef("diverted %s needs WEBHOOK", sub)
		}
		return usagef("diverted %s needs WEBHOOK and EVENT", sub)
	}
	leg, err := c.legacy()
	if err != nil {
		return err
	}
	var (
		list   func() ([]socotra.DivertedEvent, error)
		get    func() (socotra.DivertedEvent, error)
		resend func() error
		del    func() error
	)
	collect := func(seq func(func(socotra.DivertedEvent, error) bool)) ([]socotra.DivertedEvent, error) {
		var out []socotra.DivertedEvent
		for d, err := range seq {
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
		return out, nil
	}
	if leg {
		lc, err := c.legacyClient(e)
		if err != nil {
			return err
		}
		list = func() ([]socotra.DivertedEvent, error) { return collect(lc.DivertedEvents(ctx, pos[0])) }
		get = func() (socotra.DivertedEvent, error) {
			all, err := list()
			if err != nil {
				return socotra.DivertedEvent{}, err
			}
			for _, d := range all {
				if d.RequestID == pos[1] {
					return d, nil
				}
			}
			return socotra.DivertedEvent{}, fmt.Errorf("webhook %s has no diverted event %s: %w", pos[0], pos[1], socotra.ErrNotFound)
		}
		resend = func() error { return lc.ResendDivertedEvent(ctx, pos[0], pos[1]) }
		del = func() error { return lc.DeleteDivertedEvent(ctx, pos[0], pos[1]) }
	} else {
		cc, err := c.core(e)
		if err != nil {
			return err
		}
		list = func() ([]socotra.DivertedEvent, error) { return collect(cc.DivertedEvents(ctx, pos[0])) }
		get = func() (socotra.DivertedEvent, error) { return cc.DivertedEvent(ctx, pos[0], pos[1]) }
		resend = func() error { return cc.ResendDivertedEvent(ctx, pos[0], pos[1]) }
		del = func() error { return cc.DeleteDivertedEvent(ctx, pos[0], pos[1]) }
	}
	switch sub {
	case "list":
		all, err := list()
		if err != nil {
			return err
		}
		if *asJSON {
			out := make([]divertedOut, len(all))
			for i, d := range all {
				out[i] = toDivertedOut(d, leg)
			}
			return json.NewEncoder(e.stdout).Encode(out)
		}
		if len(all) == 0 {
			fmt.Fprintln(e.stdout, "no diverted events")
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTIME\tTYPE\tTRIGGER\tMESSAGE")
		for _, d := range all {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", divertedKey(d, leg), d.Time.UTC().Format(time.RFC3339), d.Type, d.Trigger, d.Message)
		}
		return tw.Flush()
	case "get":
		d, err := get()
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(toDivertedOut(d, leg))
		}
		b, _ := json.MarshalIndent(toDivertedOut(d, leg), "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
	case "resend":
		if err := resend(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "resent %s to %s\n", pos[1], pos[0])
	case "delete":
		if err := del(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "deleted %s of %s\n", pos[1], pos[0])
	}
	return nil
}
