package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/internal/safeurl"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

var triggerCmd = &command{
	name:    "trigger",
	summary: "send one signed sample delivery of an event",
	usage: `trigger EVENT --to URL [--secret S] [--platform core|legacy] [--data JSON|@file] [--set path=value]... [--header K:V]... [--dry-run] [--json]
trigger EVENT --tenant URL [--token K] [--platform core|legacy] [--data JSON|@file] [--set path=value]...
trigger --list`,
	help: `
Trigger sends one realistic delivery of EVENT in its platform's format, signed with the secret the way
Socotra signs (Socotra-Signature: hex HMAC-SHA256 of the body), and prints the answer's status, latency
and the first line of its body. The exit status is 0 on a 2xx answer and 1 otherwise.

Every known event has a sample. A Core sample is the event stream's EventResponse with data built from
the event's typed shape (ULID locators, RFC 3339 times, enum values); a Legacy sample is a WebhookPayload
(id, transactionId, username, epoch-millisecond timestamp, type, data).

With --tenant, the event is emitted by a running fake tenant (socotra-webhooks serve) instead: every
webhook registered there for EVENT receives it, with the fake's retries, faults and diversion.

Flags:
  --to URL          where to POST the delivery
  --tenant URL      a running fake tenant's base URL (from serve); emits there instead of --to
  --token K         the fake tenant's Core token for --tenant (default $SOCOTRA_TOKEN, else the token a
                    serve on this machine saved under ~/.cache/socotra-webhooks for its own user)
  --secret S        signing secret (default $SOCOTRA_WEBHOOK_SECRET; unsigned when both are empty)
  --platform P      core or legacy (default: the platform that sends EVENT, core when both do)
  --data JSON|@file the event's data object instead of the sample's ("@-" reads standard input)
  --set path=value  set a member of the body, such as data.policyLocator=01J...; value is JSON when it
                    parses as JSON, a string otherwise (repeatable)
  --header K:V      add a request header (repeatable)
  --dry-run         print the request instead of sending it
  --json            print the outcome as one JSON object
  --timeout D       how long to wait for the answer (default 30s)
  --list            list every known event with the platforms that send it

Examples:
  socotra-webhooks trigger policy.issue --to http://localhost:8080/webhooks --secret s3cret
  socotra-webhooks trigger policy.quote.accept --to http://localhost:8080/hook --platform legacy --secret s3cret
  socotra-webhooks trigger billing.invoice.generate --to http://localhost:8080/hook --set data.invoiceType=aggregate --dry-run
  socotra-webhooks trigger policy.issue --tenant http://127.0.0.1:40123 --token pat_...
`,
	run: runTrigger,
}

type triggerOpts struct {
	to, tenant, token, secret, platform, data string
	sets, headers                             listFlag
	dryRun, json, list                        bool
	timeout                                   time.Duration
}

func runTrigger(ctx context.Context, e *env, args []string) error {
	var o triggerOpts
	fs := newFlags("trigger")
	fs.StringVar(&o.to, "to", "", "")
	fs.StringVar(&o.tenant, "tenant", "", "")
	fs.StringVar(&o.token, "token", "", "")
	fs.StringVar(&o.secret, "secret", "", "")
	fs.StringVar(&o.platform, "platform", "", "")
	fs.StringVar(&o.data, "data", "", "")
	fs.Var(&o.sets, "set", "")
	fs.Var(&o.headers, "header", "")
	fs.BoolVar(&o.dryRun, "dry-run", false, "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.BoolVar(&o.list, "list", false, "")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if o.list {
		return listEvents(e)
	}
	if len(pos) != 1 {
		return usagef("want one EVENT, got %d arguments", len(pos))
	}
	name, p, err := eventAndPlatform(pos[0], o.platform)
	if err != nil {
		return err
	}
	switch {
	case o.to == "" && o.tenant == "":
		return usagef("say where to send it: --to URL (a receiver) or --tenant URL (a running fake tenant)")
	case o.to != "" && o.tenant != "":
		return usagef("--to and --tenant exclude each other")
	}
	data := sampleData(name, p)
	if o.data != "" {
		if data, err = readData(e, o.data); err != nil {
			return err
		}
	}
	if o.tenant != "" {
		return emitAtTenant(ctx, e, &o, name, p, data)
	}
	if err := checkURL("--to", o.to); err != nil {
		return err
	}
	body := sampleBody(name, p, data, time.Now())
	for _, s := range o.sets {
		path, value, ok := strings.Cut(s, "=")
		if !ok || path == "" {
			return usagef("--set %q: write it as path=value, such as data.policyLocator=01JD...", s)
		}
		if body, err = setPath(body, path, value); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.to, bytes.NewReader(body))
	if err != nil {
		return usagef("--to %q: %v", o.to, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", prog)
	for _, h := range o.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return usagef("--header %q: write it as Name:value", h)
		}
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	secret := firstEnv(e, o.secret, "SOCOTRA_WEBHOOK_SECRET")
	if secret != "" {
		if err := hmac.SignRequest(req, []byte(secret)); err != nil {
			return err
		}
	} else if !o.dryRun {
		fmt.Fprintf(e.stderr, "note: no --secret or $SOCOTRA_WEBHOOK_SECRET: sending unsigned; a verifying receiver answers 401\n")
	}
	if o.dryRun {
		return printRequest(e.stdout, req, body)
	}
	return send(ctx, e, req, o.timeout, o.json)
}

// eventAndPlatform parses EVENT and --platform: an unknown name is refused with a suggestion, and so is a
// platform that never sends the event (events.Name.Platforms, from the platforms' event lists).
func eventAndPlatform(s, platform string) (events.Name, events.Platform, error) {
	name, err := events.Parse(s)
	if err != nil {
		return "", 0, usagef("%v", err)
	}
	if !name.Known() {
		if sug, ok := events.Suggest(s); ok {
			return "", 0, usagef("unknown event %q: did you mean %q? (trigger --list shows every event)", s, sug)
		}
		return "", 0, usagef("unknown event %q: trigger --list shows every event", s)
	}
	p := defaultPlatform(name)
	switch strings.ToLower(platform) {
	case "":
	case "core":
		p = events.Core
	case "legacy":
		p = events.Legacy
	default:
		return "", 0, usagef("--platform %q: use core or legacy", platform)
	}
	if !name.Platforms().Has(p) {
		return "", 0, usagef("%s is not sent by %v (only by %v): leave --platform out", name, p, name.Platforms())
	}
	return name, p, nil
}

func listEvents(e *env) error {
	for _, n := range events.All() {
		var ps []string
		if n.Platforms().Has(events.Core) {
			ps = append(ps, "core")
		}
		if n.Platforms().Has(events.Legacy) {
			ps = append(ps, "legacy")
		}
		fmt.Fprintf(e.stdout, "%s\t%s\n", n, strings.Join(ps, ","))
	}
	return nil
}

// maxDataBytes bounds --data.
const maxDataBytes = 1 << 20

func readData(e *env, s string) (json.RawMessage, error) {
	b := []byte(s)
	if file, ok := strings.CutPrefix(s, "@"); ok {
		var r io.Reader
		if file == "-" {
			r = e.stdin
		} else {
			f, err := os.Open(file)
			if err != nil {
				return nil, fmt.Errorf("--data: %w", err)
			}
			defer f.Close()
			r = f
		}
		var err error
		if b, err = io.ReadAll(io.LimitReader(r, maxDataBytes+1)); err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
		if len(b) > maxDataBytes {
			return nil, fmt.Errorf("--data %s: larger than %d bytes", s, maxDataBytes)
		}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("--data: want a JSON object such as {\"policyLocator\":\"01JD...\"}: %.60q is not one", b)
	}
	var buf bytes.Buffer
	_ = json.Compact(&buf, b) // valid: it just parsed
	return buf.Bytes(), nil
}

func checkURL(flagName, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("%s %q: want an http:// or https:// URL such as http://localhost:8080/webhooks", flagName, raw)
	}
	return nil
}

func printRequest(w io.Writer, req *http.Request, body []byte) error {
	fmt.Fprintf(w, "%s %s\n", req.Method, req.URL)
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range req.Header[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(body)
	}
	fmt.Fprintf(w, "\n%s\n", pretty.Bytes())
	return nil
}

// errRefused is a non-2xx answer: exit status 1, the outcome already printed.
var errRefused = errors.New("the receiver did not answer 2xx")

// maxAnswerBytes bounds how much of an answer is read.
const maxAnswerBytes = 64 << 10

func send(ctx context.Context, e *env, req *http.Request, timeout time.Duration, asJSON bool) error {
	client := &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", safeurl.String(req.URL.String()), unwrapURLError(err))
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	resp.Body.Close()
	latency := time.Since(start)
	first := firstLine(b)
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if asJSON {
		_ = json.NewEncoder(e.stdout).Encode(map[string]any{
			"status": resp.StatusCode, "latencyMs": latency.Milliseconds(), "body": first, "ok": ok,
		})
	} else {
		fmt.Fprintf(e.stdout, "%s  %s  %s\n", resp.Status, latency.Round(time.Millisecond/10), first)
	}
	if !ok {
		return fmt.Errorf("%w (%s)", errRefused, resp.Status)
	}
	return nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func firstLine(b []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxAnswerBytes)
	if sc.Scan() {
		l := sc.Text()
		if len(l) > 200 {
			l = l[:200] + "…"
		}
		return l
	}
	return ""
}

// emitAtTenant asks a running fake tenant (serve) to emit the event through its control endpoint.
func emitAtTenant(ctx context.Context, e *env, o *triggerOpts, name events.Name, p events.Platform, data json.RawMessage) error {
	if err := checkURL("--tenant", o.tenant); err != nil {
		return err
	}
	if len(o.sets) > 0 {
		for _, s := range o.sets {
			path, value, ok := strings.Cut(s, "=")
			rest, isData := strings.CutPrefix(path, "data.")
			if !ok || !isData || rest == "" {
				return usagef("--set %q: with --tenant only data members can be set (data.NAME=value)", s)
			}
			var err error
			if data, err = setPath(data, rest, value); err != nil {
				return err
			}
		}
	}
	token := firstEnv(e, o.token, "SOCOTRA_TOKEN")
	if token == "" {
		// A serve on this machine saved its token for its own user.
		token, _ = readToken(e.getenv, o.tenant)
	}
	if token == "" {
		return usagef("--tenant needs the fake tenant's Core token: --token or $SOCOTRA_TOKEN (serve prints it)")
	}
	body, _ := json.Marshal(socotratest.EmitRequest{Platform: platformName(p), Type: name, Data: data})
	u := strings.TrimSuffix(o.tenant, "/") + socotratest.ControlEmitPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return usagef("--tenant %s: %v", safeurl.String(o.tenant), err)
	}
	if o.dryRun {
		req.Header.Set("Authorization", "Bearer <token>")
		return printRequest(e.stdout, req, body)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	// No redirects: the token goes to --tenant and nowhere else (net/http would resend it to another port).
	client := &http.Client{Timeout: o.timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", safeurl.String(u), unwrapURLError(err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if resp.StatusCode != http.StatusOK {
		var er struct{ Error string }
		if json.Unmarshal(b, &er) == nil && er.Error != "" {
			return fmt.Errorf("the fake tenant refused: %s: %s", resp.Status, er.Error)
		}
		return fmt.Errorf("the fake tenant refused: %s: %s (is %s a socotra-webhooks serve?)", resp.Status, firstLine(b), safeurl.String(o.tenant))
	}
	var out socotratest.EmitResponse
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("the fake tenant's answer is not an emit response: %w", err)
	}
	if o.json {
		_, err := e.stdout.Write(append(bytes.TrimSpace(b), '\n'))
		return err
	}
	fmt.Fprintf(e.stdout, "emitted %s %s (%s) to %d webhook(s)", out.Type, out.ID, out.Platform, len(out.Webhooks))
	if len(out.Webhooks) > 0 {
		fmt.Fprintf(e.stdout, ": %s", strings.Join(out.Webhooks, ", "))
	}
	fmt.Fprintln(e.stdout)
	return nil
}
